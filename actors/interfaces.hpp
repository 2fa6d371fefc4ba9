#pragma once

#include "actors/atoms.hpp"
#include "actors/messages.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <string>
#include <vector>

/// Every typed actor interface of licd, in one place (docs/ARCHITECTURE.md draws them).
namespace licd {

/// One activity-log result page: events with their sequence numbers, and the next sequence.
struct event_page {
  std::vector<std::pair<uint64_t, engine::event>> events;
  uint64_t next = 1;
};

/// The STORE actor interface: owns LMDB on its own thread and commits in groups.
using store_actor = caf::typed_actor<
  /// Make the changes durable (group commit: one transaction, one fsync), then answer ok.
  caf::replies_to<commit_atom, storage::change_set>::with<caf::ok_atom>,
  /// The same for several change sets at once (a pool's gathered grants and releases), in the
  /// same group: the answer says, per set, whether it was stored (commit_result). Near full, a
  /// set that does not fit is refused alone; the others are stored.
  caf::replies_to<commit_atom, std::vector<storage::change_set>>::with<std::vector<uint8_t>>,
  /// Write behind: commit with the next group, answer nobody (renewal and denial events).
  caf::reacts_to<append_atom, storage::change_set>,
  /// Internal: everything that arrived before this message forms one group.
  caf::reacts_to<st_flush_atom>,
  /// Up to `max` activity-log events with sequence >= `from`, and the next sequence number.
  caf::replies_to<events_atom, uint64_t, uint32_t>::with<event_page>,
  /// Keep the activity log to events younger than `max_age_ms`: delete older ones now, in
  /// batches with the commits in between, then again every hour.
  caf::reacts_to<prune_atom, int64_t, int64_t>,
  /// The store's counters.
  caf::replies_to<status_atom>::with<store_stats>,
  /// Commit what is waiting, then quit.
  caf::replies_to<stop_atom>::with<caf::ok_atom>>;

/// The POOL actor interface: one per product, the only authority over its seats.
using pool_actor = caf::typed_actor<
  /// Grant a lease to the identity (answered once the grant is durable) or deny it. The tag (the
  /// uint64_t of these three) is the asker's, echoed in pool_reply::tag; sent as a plain message
  /// (as sessions do), the reply comes back as a plain message too. The last value: seconds
  /// the checkout may wait in the product's queue when no seat is allowed now (0: deny at
  /// once); a queued checkout's sender gets (queued_atom, tag, position, waiting) at once and
  /// the reply when it is granted or its wait runs out.
  caf::replies_to<checkout_atom, engine::identity, uint64_t, uint32_t>::with<pool_reply>,
  /// A session ends: its waiting checkouts leave the queue (no reply).
  caf::reacts_to<unqueue_atom, uint64_t>,
  /// The place in line of a session's waiting checkout (session id, tag): position (0: not
  /// waiting) and the product's waiters.
  caf::replies_to<queue_atom, uint64_t, uint64_t>::with<uint32_t, uint32_t>,
  /// Admin: the product's waiters, in order.
  caf::replies_to<queue_atom>::with<std::vector<waiter_info>>,
  /// Internal: waits may have run out, or a seat a failed grant gave back waits for them.
  caf::reacts_to<queue_due_atom>,
  /// Move a live lease's deadline by one TTL (memory only).
  caf::replies_to<renew_atom, engine::lease_id, uint64_t>::with<pool_reply>,
  /// End a live lease (answered once the removal is durable).
  caf::replies_to<release_atom, engine::lease_id, uint64_t>::with<pool_reply>,
  /// Seats, computers holding them, and leases.
  caf::replies_to<status_atom>::with<pool_status>,
  /// Whether this pool holds a live lease with that id (for routing after a reconnect).
  caf::replies_to<has_lease_atom, engine::lease_id>::with<bool>,
  /// From expiry: these leases' deadlines have passed, unless they were renewed meanwhile.
  caf::reacts_to<lapsed_atom, std::vector<engine::lease_id>>,
  /// The seats the product's licenses add up to now.
  caf::reacts_to<set_seats_atom, uint32_t>,
  /// Internal: end the leases of computers beyond the seats (after a fall, or a retry).
  caf::reacts_to<shrink_atom>,
  /// Admin: end every live lease of the computer and refuse it new checkouts for the cooldown
  /// (milliseconds). Answers how many leases ended (once that is durable).
  caf::replies_to<disconnect_atom, std::string, int64_t>::with<uint32_t>,
  /// Admin: end one lease now (durable before the answer).
  caf::replies_to<end_lease_atom, engine::lease_id>::with<pool_reply>,
  /// Admin: every lease.
  caf::replies_to<leases_atom>::with<std::vector<lease_info>>,
  /// At start, from the server: a batch of stored leases to take as live, with a full TTL
  /// from now; then `restored` once all have been sent. Both reach the pool's mailbox before
  /// any session exists, so no request is served from a half-restored pool.
  caf::reacts_to<restore_atom, std::vector<storage::lease_record>>, caf::reacts_to<restored_atom>,
  /// The site policy from now on (a reload): leases already granted run on.
  caf::reacts_to<site_policy_atom, site_policy>>;

/// The EXPIRY actor interface: all lease deadlines, in a min-heap; fires lapsed batches.
using expiry_actor = caf::typed_actor<
  /// Watch these deadlines for that pool (one entry each; the pool re-arms renewed leases).
  caf::reacts_to<arm_atom, std::vector<expiry_entry>, pool_actor>,
  /// Internal: the periodic tick that pops due deadlines.
  caf::reacts_to<exp_tick_atom>>;

/// The REGISTRY actor interface: product name -> pool.
using registry_actor = caf::typed_actor<
  /// The pool of a product, or an invalid handle when there is none.
  caf::replies_to<pool_atom, std::string>::with<pool_actor>,
  /// The pool holding a live lease with that id, or an invalid handle.
  caf::replies_to<find_lease_atom, engine::lease_id>::with<pool_actor>,
  /// Every pool's status, sorted by product.
  caf::replies_to<status_atom>::with<std::vector<pool_status>>,
  /// The seats of a product changed (a pool is made for a new product).
  caf::reacts_to<set_seats_atom, std::string, uint32_t>,
  /// A session said HELLO / went away.
  caf::reacts_to<hello_atom, session_info>, caf::reacts_to<bye_atom, uint64_t>,
  /// Admin: connected sessions, and every lease of every pool.
  caf::replies_to<sessions_atom>::with<std::vector<session_info>>,
  caf::replies_to<leases_atom>::with<std::vector<lease_info>>,
  /// Admin: every pool's waiters (by product, then place in line).
  caf::replies_to<queue_atom>::with<std::vector<waiter_info>>,
  /// Admin: disconnect a computer (leases end, sessions close, cooldown); answers leases ended.
  caf::replies_to<disconnect_atom, std::string, int64_t>::with<uint32_t>,
  /// Admin: end one lease; answers whether there was such a live lease.
  caf::replies_to<end_lease_atom, engine::lease_id>::with<bool>,
  /// The site policy from now on, for every pool and those made later.
  caf::reacts_to<site_policy_atom, site_policy>>;

/// The LICENSES actor interface: the installed license codes and the seats they add up to.
using licenses_actor = caf::typed_actor<
  /// Verify and install a code (durable before the answer); seats follow.
  caf::replies_to<lic_add_atom, std::string>::with<license_result>,
  /// Remove a license by its id; seats follow (running leases beyond them run out).
  caf::replies_to<lic_remove_atom, std::string>::with<license_result>,
  /// Every installed license with its state, oldest first.
  caf::replies_to<lic_list_atom>::with<std::vector<license_info>>,
  /// The activation request for a license (the same one until it is answered); in `code`.
  caf::replies_to<lic_request_atom, std::string>::with<license_result>,
  /// Accept the vendor's activation response for a license (id, response).
  caf::replies_to<lic_activate_atom, std::string, std::string>::with<license_result>,
  /// Give up a license's activation; the release receipt is in `code`.
  caf::replies_to<lic_deactivate_atom, std::string>::with<license_result>,
  /// The clock as the rollback guard sees it.
  caf::replies_to<lic_clock_atom>::with<clock_status>,
  /// Internal: re-evaluate expiry dates and the clock (once a minute).
  caf::reacts_to<lic_tick_atom>>;

} // namespace licd

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(licd::event_page)

