#pragma once

#include "actors/atoms.hpp"
#include "actors/messages.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <string>
#include <vector>

/// Every typed actor interface of licd, in one place (docs/ARCHITECTURE.md draws them).
namespace licd {

/// The STORE actor interface: owns LMDB on its own thread and commits in groups.
using store_actor = caf::typed_actor<
  /// Make the changes durable (group commit: one transaction, one fsync), then answer ok.
  caf::replies_to<commit_atom, storage::change_set>::with<caf::ok_atom>,
  /// Write behind: commit with the next group, answer nobody (renewal and denial events).
  caf::reacts_to<append_atom, storage::change_set>,
  /// Internal: everything that arrived before this message forms one group.
  caf::reacts_to<st_flush_atom>,
  /// Commit what is waiting, then quit.
  caf::replies_to<stop_atom>::with<caf::ok_atom>>;

/// The POOL actor interface: one per product, the only authority over its seats.
using pool_actor = caf::typed_actor<
  /// Grant a lease to the identity (answered once the grant is durable) or deny it.
  caf::replies_to<checkout_atom, engine::identity>::with<pool_reply>,
  /// Move a live lease's deadline by one TTL (memory only).
  caf::replies_to<renew_atom, engine::lease_id>::with<pool_reply>,
  /// End a live lease (answered once the removal is durable).
  caf::replies_to<release_atom, engine::lease_id>::with<pool_reply>,
  /// Seats, computers holding them, and leases.
  caf::replies_to<status_atom>::with<pool_status>,
  /// Whether this pool holds a live lease with that id (for routing after a reconnect).
  caf::replies_to<has_lease_atom, engine::lease_id>::with<bool>,
  /// From expiry: these leases' deadlines have passed, unless they were renewed meanwhile.
  caf::reacts_to<lapsed_atom, std::vector<engine::lease_id>>>;

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
  caf::replies_to<status_atom>::with<std::vector<pool_status>>>;

} // namespace licd

