#include "actors/timers.hpp"

#include "actors/clock.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <functional>

namespace licd {

namespace {

/// Makes sure a tick comes by the earliest due time.
void arm(timers_actor::stateful_pointer<timers_state> self) {
  auto& st = self->state;
  if (st.heap.empty())
    return;
  auto due = st.heap.front().due_ns;
  if (st.armed_ns != 0 && st.armed_ns <= due + st.resolution_ns)
    return; // the tick already armed delivers it
  st.armed_ns = due;
  self->delayed_send(self, std::chrono::nanoseconds(std::max<int64_t>(0, due - mono_now_ns())),
                     timer_tick_atom::value);
}

} // namespace

timers_actor::behavior_type timers(timers_actor::stateful_pointer<timers_state> self,
                                   std::chrono::milliseconds resolution) {
  self->state.resolution_ns = std::chrono::nanoseconds(resolution).count();
  return {
    [=](timer_atom, int64_t due_ns, caf::actor_addr& to, caf::message& what) {
      auto& heap = self->state.heap;
      heap.push_back({due_ns, std::move(to), std::move(what)});
      std::push_heap(heap.begin(), heap.end(), std::greater<>());
      arm(self);
    },
    [=](timer_tick_atom) {
      auto& st = self->state;
      auto now = mono_now_ns();
      if (st.armed_ns <= now)
        st.armed_ns = 0; // this was the tick armed last (an earlier one may come first)
      while (!st.heap.empty() && st.heap.front().due_ns <= now + st.resolution_ns) {
        std::pop_heap(st.heap.begin(), st.heap.end(), std::greater<>());
        auto e = std::move(st.heap.back());
        st.heap.pop_back();
        if (auto to = caf::actor_cast<caf::actor>(e.to)) // an ended session needs nothing
          caf::anon_send(to, std::move(e.what));
      }
      arm(self);
    },
  };
}

} // namespace licd
