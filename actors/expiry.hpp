#pragma once

#include "actors/interfaces.hpp"

#include <chrono>
#include <queue>
#include <vector>

namespace licd {

/// State of the EXPIRY actor: one min-heap of deadlines over all pools. A tick pops only what
/// is due, so its cost does not grow with the number of leases; renewals never touch the heap
/// (the pool re-arms a lease whose deadline moved when the old one fires).
struct expiry_state {
  static inline const char* name = "expiry";

  struct entry {
    int64_t deadline_ns;
    engine::lease_id id;
    pool_actor pool;
    bool operator>(const entry& other) const { return deadline_ns > other.deadline_ns; }
  };

  std::priority_queue<entry, std::vector<entry>, std::greater<entry>> heap;
  std::chrono::milliseconds tick{250};
};

expiry_actor::behavior_type expiry(expiry_actor::stateful_pointer<expiry_state> self,
                                   std::chrono::milliseconds tick);

} // namespace licd
