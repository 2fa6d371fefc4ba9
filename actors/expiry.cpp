#include "actors/expiry.hpp"

#include "actors/clock.hpp"

#include <caf/all.hpp>

#include <unordered_map>

namespace licd {

expiry_actor::behavior_type expiry(expiry_actor::stateful_pointer<expiry_state> self,
                                   std::chrono::milliseconds tick, size_t expected_leases) {
  self->state.tick = tick;
  self->state.heap.reserve(expected_leases);
  self->delayed_send(self, tick, exp_tick_atom::value);
  return {
    [=](arm_atom, std::vector<expiry_entry>& entries, pool_actor& pool) {
      for (const auto& e : entries)
        self->state.heap.push({e.deadline_ns, e.id, pool});
    },
    [=](exp_tick_atom) {
      auto& heap = self->state.heap;
      auto now = mono_now_ns();
      // Group what is due by pool: one lapsed message per pool per tick.
      std::unordered_map<caf::actor_id, std::pair<pool_actor, std::vector<engine::lease_id>>>
        due;
      while (!heap.empty() && heap.top().deadline_ns <= now) {
        const auto& top = heap.top();
        auto& slot = due[top.pool.id()];
        if (!slot.first)
          slot.first = top.pool;
        slot.second.push_back(top.id);
        heap.pop();
      }
      for (auto& kv : due)
        self->send(kv.second.first, lapsed_atom::value, std::move(kv.second.second));
      self->delayed_send(self, self->state.tick, exp_tick_atom::value);
    },
  };
}

} // namespace licd
