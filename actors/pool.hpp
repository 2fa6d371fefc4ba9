#pragma once

#include "actors/interfaces.hpp"
#include "engine/pool.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace licd {

/// State of a POOL actor: one product's seats and leases, and where to send changes.
struct pool_state {
  static inline const char* name = "pool";

  std::optional<engine::pool> seats;
  std::chrono::seconds ttl{600};
  uint32_t max_leases_per_computer = 64;
  store_actor store;
  expiry_actor expiry;
  std::unordered_map<std::string, engine::mono_time> cooldown; ///< computer -> refused until
  pool_status counters; ///< grants, denials, ... since start (seat fields unused here)
  bool shrinking = false; ///< a commit ending leases beyond the seats is under way
};

/// What a pool starts with.
struct pool_setup {
  struct {
    std::string name;
    uint32_t seats = 0;
  } product;
  std::vector<storage::lease_record> restored; ///< given a full TTL from now
  std::chrono::seconds ttl{600};
  uint32_t max_leases_per_computer = 64; ///< leases one computer may hold of the product
  store_actor store;
  expiry_actor expiry;
};

pool_actor::behavior_type pool(pool_actor::stateful_pointer<pool_state> self, pool_setup setup);

} // namespace licd
