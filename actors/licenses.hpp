#pragma once

#include "actors/interfaces.hpp"
#include "engine/license_set.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <string>

namespace licd {

struct licenses_setup {
  engine::license_set installed;
  engine::key_ring keys;
  store_actor store;
  registry_actor registry;
  std::chrono::milliseconds recheck{60'000}; ///< how often expiry dates are re-evaluated
  /// Today's date (days since 1970-01-01, UTC); injectable so tests can move the calendar.
  std::function<int32_t()> today;
};

/// State of the LICENSES actor.
struct licenses_state {
  static inline const char* name = "licenses";
  licenses_setup setup;
  std::map<std::string, uint32_t> seats_told; ///< what the registry was last told per product
};

licenses_actor::behavior_type licenses(licenses_actor::stateful_pointer<licenses_state> self,
                                       licenses_setup setup);

/// How the admin API shows an installed license on `today`.
license_info describe(const engine::license_set& set, const engine::installed_license& l,
                      int32_t today);

} // namespace licd
