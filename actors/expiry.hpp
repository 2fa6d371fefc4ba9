#pragma once

#include "actors/interfaces.hpp"
#include "platform/huge_pages.hpp"

#include <chrono>
#include <memory_resource>
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

  /// A min-heap whose array comes from huge pages once large (platform/huge_pages.hpp) and can
  /// be sized up front: a restart arms a million leases at once.
  struct deadline_heap : std::priority_queue<entry, std::pmr::vector<entry>, std::greater<entry>> {
    using priority_queue::priority_queue;
    void reserve(size_t n) { c.reserve(n); }
  };

  deadline_heap heap{std::pmr::polymorphic_allocator<entry>(platform::huge_pages())};
  std::chrono::milliseconds tick{250};
};

/// `expected_leases`: how many leases are about to be armed (the stored ones, at a start), so
/// the heap is sized once instead of growing while they arrive.
expiry_actor::behavior_type expiry(expiry_actor::stateful_pointer<expiry_state> self,
                                   std::chrono::milliseconds tick, size_t expected_leases);

} // namespace licd
