#pragma once

#include "actors/interfaces.hpp"
#include "actors/timers.hpp"
#include "engine/defaults.hpp"
#include "engine/pool.hpp"

#include <caf/io/middleman.hpp>
#include <caf/io/typed_broker.hpp>
#include <caf/stateful_actor.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace licd {

/// The rules every pool applies, from the server's options.
struct pool_policy {
  std::chrono::seconds ttl = defaults::lease_ttl;
  uint32_t max_leases_per_computer = defaults::max_leases_per_computer; ///< of the product
  /// A lease's renewals go to the activity log at most this often (0: every one).
  std::chrono::seconds renewal_log_interval = defaults::renewal_log_interval;
  site_policy site; ///< --policy's rules (null: none); its TTL for a product wins over `ttl`
};

/// State of a POOL actor: one product's seats and leases, and where to send changes.
struct pool_state {
  static inline const char* name = "pool";

  std::optional<engine::pool> seats;
  pool_policy policy; ///< policy.ttl: the lease TTL in force for this product
  std::chrono::seconds server_ttl =
    defaults::lease_ttl; ///< --lease-ttl, when the site policy sets none
  store_actor store;
  expiry_actor expiry;
  timers_actor timers;  ///< its delayed messages (not delayed_send: see actors/timers.hpp)
  pool_status counters; ///< grants, denials, ... since start (seat fields unused here)
  bool shrinking = false; ///< a commit ending leases beyond the seats is under way
  /// What to do once a change is stored (error: nullptr) or not; leases to arm with expiry go
  /// into the vector, and all of one request's go in one message.
  using commit_then = std::function<void(const caf::error*, std::vector<expiry_entry>&)>;
  /// Grants and releases not yet sent to the store, and what to do once each is stored (or
  /// not). They wait while `commit_in_flight`, then go as one request.
  std::vector<storage::change_set> unsent;
  std::vector<commit_then> unsent_then;
  bool commit_in_flight = false; ///< a commit request of this pool awaits the store's answer
  /// The replies owed to the checkouts waiting in the queue (engine::pool::queue()).
  std::unordered_map<engine::waiter_key, caf::typed_response_promise<pool_reply>,
                     engine::waiter_key_hash>
    waiting;
  engine::mono_time queue_timer{}; ///< when the queue_due tick armed last falls due ({}: none)
};

/// What a pool starts with.
struct pool_setup {
  struct {
    std::string name;
    uint32_t seats = 0;
  } product;
  /// How many stored leases the server will send (restore_atom) right after the spawn: the
  /// pool sizes its tables once instead of growing them through a million inserts.
  size_t expected_leases = 0;
  /// Cooldowns stored before a restart: computer -> refused until (wall clock, ms).
  std::map<std::string, int64_t> cooldowns;
  pool_policy policy;
  store_actor store;
  expiry_actor expiry;
  timers_actor timers;
};

/// A pool runs as a broker without connections: on the middleman's multiplexer thread, beside
/// the sessions, so a request and its reply pass between session and pool without waking a
/// scheduler worker or crossing threads (docs/ARCHITECTURE.md, "Where the actors run").
template <class Handle>
struct broker_for;
template <class... Sigs>
struct broker_for<caf::typed_actor<Sigs...>> {
  using type = caf::io::typed_broker<Sigs...>;
};
using pool_broker = caf::stateful_actor<pool_state, broker_for<pool_actor>::type>;

pool_actor::behavior_type pool(pool_broker* self, pool_setup setup);

/// Spawns a pool on the multiplexer thread (the actor system must have the middleman loaded).
pool_actor spawn_pool(caf::actor_system& sys, pool_setup setup);

} // namespace licd
