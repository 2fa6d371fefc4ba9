#pragma once

#include "actors/interfaces.hpp"
#include "engine/defaults.hpp"
#include "engine/ed25519.hpp"
#include "engine/fingerprint.hpp"
#include "engine/license_set.hpp"
#include "storage/records.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace licd {

/// How this server binds activations to its hardware.
struct binding {
  engine::machine_facts machine;
  size_t tolerance = 1; ///< activation factors that may differ (default: all but one must match)
  /// The server's own key: its public part goes into activation requests, and it signs release
  /// receipts. Made at first start and kept in LMDB.
  std::optional<engine::ed25519::private_key> server_key;
  /// In a cluster (docs/CLUSTER.md): every node's machine, this one's among them, for an
  /// activation request valid on any of them. Null or empty: this machine alone. Must not block.
  std::function<std::vector<engine::machine_facts>()> cluster_machines;
};

struct licenses_setup {
  engine::license_set installed; ///< with their activations attached (attach_activations)
  engine::key_ring keys;
  binding bind;
  store_actor store;
  registry_actor registry;
  std::chrono::milliseconds recheck = defaults::license_recheck; ///< dates and clock re-evaluated
  /// Wall clock, ms since the epoch; injectable so tests can move the calendar and the clock.
  std::function<int64_t()> wall_ms;
  /// The rollback guard: the latest wall-clock time seen (from LMDB), and how far back the
  /// clock may go before licenses with an expiry date enter `clock error`.
  int64_t clock_seen_ms = 0;
  std::chrono::milliseconds clock_tolerance = defaults::clock_tolerance;
};

/// State of the LICENSES actor.
struct licenses_state {
  static inline const char* name = "licenses";
  licenses_setup setup;
  std::map<std::string, uint32_t> seats_told; ///< what the registry was last told per product
  std::map<uint64_t, engine::license_state> states_told; ///< what the activity log last said
  bool clock_error = false;
  int64_t clock_stored_ms = 0; ///< the mark as last committed
};

licenses_actor::behavior_type licenses(licenses_actor::stateful_pointer<licenses_state> self,
                                       licenses_setup setup);

/// Attaches stored activations to the installed licenses: pending nonces, and accepted
/// responses verified against the keys and matched against this machine. Returns one line per
/// problem found, for the log.
std::vector<std::string> attach_activations(engine::license_set& set,
                                            const std::vector<storage::activation_record>& records,
                                            const engine::key_ring& keys, const binding& bind);

/// How the admin API shows an installed license.
license_info describe(const engine::installed_license& l, const engine::state_context& ctx);

} // namespace licd
