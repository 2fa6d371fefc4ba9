#pragma once

#include "actors/interfaces.hpp"
#include "actors/pool.hpp"

#include <chrono>
#include <map>
#include <string>
#include <unordered_map>

namespace licd {

/// What the registry needs to make pools for products that appear at run time.
struct registry_setup {
  std::map<std::string, pool_actor> pools; ///< the pools made at start-up
  store_actor store;
  expiry_actor expiry;
  timers_actor timers;
  pool_policy policy; ///< for every pool it makes
};

/// What a new pool of `product` with `seats` starts with: the registry's policy and actors. The
/// one place a pool's set-up is made (at start-up and for a product that appears later).
pool_setup make_pool_setup(const registry_setup& rs, const std::string& product, uint32_t seats);

/// State of the REGISTRY actor: which pool serves which product, and which sessions are
/// connected (for the admin API).
struct registry_state {
  static inline const char* name = "registry";
  registry_setup setup;
  std::unordered_map<uint64_t, session_info> sessions;
};

registry_actor::behavior_type registry(registry_actor::stateful_pointer<registry_state> self,
                                       registry_setup setup);

} // namespace licd
