#pragma once

#include "engine/lease.hpp"

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace licd::engine {

/// Which request a waiter is: the connection that sent it and that connection's tag for it.
struct waiter_key {
  uint64_t session = 0;
  uint64_t tag = 0;
  bool operator==(const waiter_key& other) const {
    return session == other.session && tag == other.tag;
  }
};

struct waiter_key_hash {
  size_t operator()(const waiter_key& k) const noexcept {
    return std::hash<uint64_t>()(k.session * 0x9e3779b97f4a7c15ULL ^ k.tag);
  }
};

/// A checkout waiting for a seat (`CHECKOUT ... wait=SECONDS`).
struct waiter {
  waiter_key key;
  identity who;
  int32_t priority = 0;      ///< the site policy's PRIORITY for it (higher goes first)
  mono_time since{};         ///< when it joined the queue
  mono_time deadline{};      ///< when it gives up
  int64_t since_wall_ms = 0; ///< the same moment on the wall clock (for people)
};

/// One product's queue of waiting checkouts, in the order they are served: higher priority
/// first, then arrival. Pure bookkeeping: the pool decides who may take a seat. Every
/// operation is O(log n) but `position` and `for_each` (O(n)).
class wait_queue {
public:
  wait_queue() = default;
  wait_queue(const wait_queue&) = delete;
  wait_queue& operator=(const wait_queue&) = delete;

  size_t size() const { return index_.size(); }
  bool empty() const { return index_.empty(); }
  /// Waiters whose computer is `computer`.
  uint32_t of_computer(const std::string& computer) const {
    auto it = computers_.find(computer);
    return it == computers_.end() ? 0 : it->second;
  }
  /// Computers with at least one waiter, and how many each.
  const std::unordered_map<std::string, uint32_t>& computers() const { return computers_; }

  /// Adds a waiter behind every one of its priority or higher; returns its position (1: next).
  /// False in the pair (and no change) when its key is already queued.
  std::pair<uint32_t, bool> push(waiter w);

  /// Takes the waiter out; nullopt when it is not queued.
  std::optional<waiter> remove(const waiter_key& key);
  /// Takes out every waiter of one connection.
  std::vector<waiter> remove_session(uint64_t session);
  /// Takes out the waiters whose deadline is not after `now`, earliest first.
  std::vector<waiter> take_due(mono_time now);
  /// The earliest deadline, if any waits.
  std::optional<mono_time> next_deadline() const;

  /// The waiter's place (1: next), or nullopt.
  std::optional<uint32_t> position(const waiter_key& key) const;

  /// What `serve` does with a waiter.
  enum class choice { keep, take, drop };
  /// Walks the waiters in order, asking `f` about each: `keep` leaves it and goes on; `drop`
  /// takes it out (into `dropped`) and goes on; `take` takes it out and stops. Returns the
  /// waiter taken, if any.
  std::optional<waiter> serve(const std::function<choice(const waiter&)>& f,
                              std::vector<waiter>& dropped);

  /// Every waiter, in order.
  std::vector<waiter> in_order() const;

private:
  using line = std::list<waiter>;
  struct place {
    int32_t priority;
    uint64_t seq; ///< arrival
    line::iterator at;
    std::multimap<mono_time, waiter_key>::iterator due;
  };
  waiter erase(std::unordered_map<waiter_key, place, waiter_key_hash>::iterator it);

  std::map<int32_t, line, std::greater<>> lines_; ///< per priority, highest first; by arrival
  std::unordered_map<waiter_key, place, waiter_key_hash> index_;
  std::multimap<mono_time, waiter_key> deadlines_;
  std::unordered_map<std::string, uint32_t> computers_;
  std::unordered_map<uint64_t, std::unordered_set<uint64_t>> sessions_; ///< session -> its tags
  uint64_t next_seq_ = 0;
};

} // namespace licd::engine
