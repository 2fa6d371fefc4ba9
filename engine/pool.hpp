#pragma once

#include "engine/errc.hpp"
#include "engine/lease.hpp"
#include "engine/policy.hpp"
#include "engine/queue.hpp"

#include <map>

#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace licd::engine {

/// One product's seats and the leases on them: the only place a seat is granted or freed.
/// Pure bookkeeping: no clock reads, no I/O; callers pass ids and times in.
///
/// The seat invariant: `used() <= seats()` after every `reserve`. A seat is in use while its
/// computer has at least one lease in any state (pending, live or ending).
class pool {
public:
  /// Leases by id.
  using lease_table = std::pmr::unordered_map<lease_id, lease>;

  /// `memory` backs the pool's tables (their nodes come from a pool of blocks over it, the
  /// hash buckets straight from it); it must outlive the pool. licd passes one that uses huge
  /// pages for large blocks (platform/huge_pages.hpp).
  pool(std::string product, uint32_t seats,
       std::pmr::memory_resource* memory = std::pmr::new_delete_resource());
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  const std::string& product() const { return product_; }
  uint32_t seats() const { return seats_; }
  /// Computers holding a seat.
  uint32_t used() const { return static_cast<uint32_t>(per_computer_.size()); }
  size_t lease_count() const { return leases_.size(); }
  /// Leases the computer holds (in any state).
  uint32_t leases_of(const std::string& computer) const {
    auto it = per_computer_.find(computer);
    return it == per_computer_.end() ? 0 : it->second;
  }

  /// Changes the number of seats. Leases already beyond a lower number run on; no new computer
  /// gets a seat until usage is under it.
  void set_seats(uint32_t seats) { seats_ = seats; }
  /// When more computers hold leases than there are seats (the seats fell: a license expired,
  /// was removed or deactivated), the computers that must give theirs up: the latest to arrive
  /// (by their first grant) first. Empty when within the seats.
  std::vector<std::string> computers_beyond_seats() const;

  /// Whether `computer` could get a lease now: it holds a seat already, or one is free.
  bool has_room_for(const std::string& computer) const;

  /// A checkout refused, and why (for the client and the activity log).
  struct denial {
    errc code; ///< disconnected, too_many_leases or no_seats
    std::string reason;
  };
  /// The admission rules for a checkout by `who` at `now`, in this order: a computer in its
  /// cooldown after a disconnect is refused (DISCONNECTED); one that holds the most leases a
  /// computer may (TOO_MANY_LEASES); the site policy (EXCLUDED, LIMIT, RESERVED: the rule's
  /// line in the reason); one without a seat when none is free (NO_SEATS). nullopt: it may
  /// have a lease (reserve() takes the seat). A cooldown that is over is forgotten here.
  std::optional<denial> admit(const identity& who, mono_time now);
  std::optional<denial> admit(const std::string& computer, mono_time now) {
    return admit(identity{computer, "", "", ""}, now);
  }

  /// The site policy's rules for this product from now on (null: none). Leases already granted
  /// run on; the counts the rules are checked against are taken from them.
  void set_policy(std::shared_ptr<const policy::document> doc);
  /// The policy's lease TTL for this product, if it sets one.
  std::optional<std::chrono::seconds> policy_ttl() const;
  /// Seats the policy's reservations still need (0 without a policy).
  uint32_t reserved_unmet() const { return tally_ ? tally_->reserved_unmet() : 0; }

  /// Whether a refusal with this code may wait in the queue: the seats, the reservations'
  /// needs and the MAX counts change as leases end (NO_SEATS, RESERVED, LIMIT); a cooldown, an
  /// exclusion or too many leases do not come right by waiting.
  static bool waitable(errc code) {
    return code == errc::no_seats || code == errc::reserved || code == errc::limit;
  }
  /// Puts a checkout that admit() refused with a waitable code in the queue, with the policy's
  /// priority for it. Returns its position (1: next), or 0 when its key waits already.
  uint32_t enqueue(waiter w);
  /// The product's waiters.
  const wait_queue& queue() const { return queue_; }
  /// Takes a waiter out of the queue (its connection went, or it gave up).
  std::optional<waiter> leave_queue(const waiter_key& key) { return queue_.remove(key); }
  std::vector<waiter> leave_queue(uint64_t session) { return queue_.remove_session(session); }
  /// Takes out the waiters whose wait has run out at `now`, each with the refusal it gets.
  struct refused_waiter {
    waiter who;
    denial why;
  };
  std::vector<refused_waiter> waits_over(mono_time now);
  /// The next waiter that may have a seat now: the first, in queue order, that admit() lets
  /// through; it leaves the queue (reserve() then takes its seat). Waiters refused on the way
  /// with a code that waiting will not cure (a cooldown, an exclusion after a reload) leave too,
  /// into `refused`. Call it again after each reserve() until it returns nullopt: then no
  /// waiter may have a seat, and a new checkout cannot take one a waiter could (no barging).
  std::optional<waiter> next_waiter(mono_time now, std::vector<refused_waiter>& refused);

  /// Leases one computer may hold of the product (its instances share one seat).
  void set_max_leases_per_computer(uint32_t n) { max_leases_per_computer_ = n; }

  /// Refuses the computer's checkouts until `until` (monotonic); `until_wall_ms` is the same
  /// moment on the wall clock, which is what is stored so that a restart keeps the cooldown.
  void start_cooldown(const std::string& computer, mono_time until, int64_t until_wall_ms);
  /// The cooldowns still running at `now`: computer -> until (wall clock, ms), for storing.
  std::map<std::string, int64_t> running_cooldowns(mono_time now) const;

  /// Reserves a seat for `l.who.computer` (or shares the one it holds) and adds `l` as pending.
  /// Returns false, changing nothing, when the computer holds no seat and none is free.
  bool reserve(lease l);

  /// A pending grant became durable: the lease is live.
  void confirm(const lease_id& id);

  /// A pending grant could not be made durable: forget it and free its seat if it was the
  /// computer's only lease.
  void abandon(const lease_id& id);

  /// Moves a live lease's deadline (and records the wall-clock time of the renewal).
  /// Returns false for a lease that is not live.
  bool renew(const lease_id& id, mono_time new_deadline, int64_t now_ms = 0);

  /// Whether a renewal of this live lease at `now_ms` goes to the activity log: the first one
  /// does, later ones once `every_ms` has passed since the last one logged (every_ms 0: all).
  /// Returns the lease when it is to be logged (and records `now_ms` as logged), else nullptr.
  const lease* log_renewal(const lease_id& id, int64_t now_ms, int64_t every_ms);

  /// A live lease starts ending (release or expiry being committed). False if it is not live.
  bool begin_end(const lease_id& id);

  /// Removing the lease failed to commit: it is live again.
  void cancel_end(const lease_id& id);

  /// The removal is durable: the lease is gone, and the seat with it if it was the computer's
  /// last lease. Returns the lease that ended.
  std::optional<lease> finish_end(const lease_id& id);

  /// True when `id` is live and its deadline is not after `now`.
  bool lapsed(const lease_id& id, mono_time now) const;

  /// Adds a lease restored from storage as live. Restored leases were granted within the seats
  /// that held at the time, so no seat check is made here.
  /// Returns false (changing nothing) for an id already present.
  bool restore(lease l);

  /// Makes room for `n` more leases at once (before restoring many).
  void expect_leases(size_t n);

  /// The lease, or nullptr.
  const lease* find(const lease_id& id) const;

  /// Every lease, in no particular order.
  std::vector<lease> leases() const;

  /// The live leases of one computer.
  std::vector<lease_id> live_leases_of(const std::string& computer) const;

private:
  void drop(lease_table::iterator it);
  /// The computer of `l` took its seat: the policy counts it.
  void seat_taken(const lease& l);

  std::string product_;
  uint32_t seats_;
  /// Where the tables' nodes come from: blocks carved out of large chunks, so that a million
  /// leases cost a few large allocations, not millions of small ones. Declared before the
  /// tables, so it outlives them.
  std::pmr::unsynchronized_pool_resource nodes_;
  lease_table leases_;
  std::pmr::unordered_map<std::string, uint32_t> per_computer_; ///< computer -> its leases
  uint32_t max_leases_per_computer_ = UINT32_MAX;
  std::shared_ptr<const policy::document> policy_; ///< keeps the rules tally_ points into
  std::optional<policy::tally> tally_;             ///< the policy's counts (none: no policy)
  struct cooldown {
    mono_time until;
    int64_t until_wall_ms = 0;
  };
  std::unordered_map<std::string, cooldown> cooldowns_; ///< computers disconnected, until when
  wait_queue queue_; ///< checkouts waiting for a seat (CHECKOUT ... wait=)
};

} // namespace licd::engine
