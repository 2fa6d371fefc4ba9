#include "actors/timers.hpp"

#include "actors/clock.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <functional>
#include <optional>

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

/// Where the timeout an entry stands for waits in `pending`; nullopt if it was cancelled.
using pending_map = decltype(timers_state::pending);
std::optional<std::pair<pending_map::iterator, std::vector<timers_state::timeout>::iterator>>
find(timers_state& st, const timers_state::entry& e) {
  auto it = st.pending.find(e.owner);
  if (it == st.pending.end())
    return std::nullopt;
  auto& list = it->second;
  auto t = std::find_if(list.begin(), list.end(), [&](const auto& x) { return x.seq == e.seq; });
  if (t == list.end())
    return std::nullopt;
  return std::pair{it, t};
}

/// Takes the timeout an entry stands for out of `pending`; nullopt if it was cancelled.
std::optional<timers_state::timeout> take(timers_state& st, const timers_state::entry& e) {
  auto found = find(st, e);
  if (!found)
    return std::nullopt;
  auto [it, t] = *found;
  auto out = std::move(*t);
  it->second.erase(t);
  if (it->second.empty())
    st.pending.erase(it);
  return out;
}

/// Drops the heap entries of cancelled timeouts once they are most of the heap, so ended
/// actors' entries do not pile up until their due times.
void compact(timers_state& st) {
  if (st.cancelled < 1024 || st.cancelled * 2 < st.heap.size())
    return;
  auto dead = std::remove_if(st.heap.begin(), st.heap.end(),
                             [&](const auto& e) { return !find(st, e); });
  st.heap.erase(dead, st.heap.end());
  std::make_heap(st.heap.begin(), st.heap.end(), std::greater<>());
  st.cancelled = 0;
}

} // namespace

timers_actor::behavior_type timers(timers_actor::stateful_pointer<timers_state> self,
                                   std::chrono::milliseconds resolution) {
  self->state.resolution_ns = std::chrono::nanoseconds(resolution).count();
  return {
    [=](timer_atom, int64_t due_ns, caf::actor_addr& to, caf::message& what) {
      auto& st = self->state;
      auto owner = to.id();
      auto seq = ++st.next_seq;
      st.pending[owner].push_back({seq, std::move(to), std::move(what)});
      st.heap.push_back({due_ns, owner, seq});
      std::push_heap(st.heap.begin(), st.heap.end(), std::greater<>());
      arm(self);
    },
    [=](timer_off_atom, caf::actor_id owner) {
      auto& st = self->state;
      if (auto it = st.pending.find(owner); it != st.pending.end()) {
        st.cancelled += it->second.size();
        st.pending.erase(it); // the addresses go now; the heap entries when due or compacted
        compact(st);
      }
    },
    [=](caf::get_atom) {
      uint64_t n = 0;
      for (const auto& [owner, list] : self->state.pending)
        n += list.size();
      return caf::make_result(n, static_cast<uint64_t>(self->state.heap.size()));
    },
    [=](timer_tick_atom) {
      auto& st = self->state;
      auto now = mono_now_ns();
      if (st.armed_ns <= now)
        st.armed_ns = 0; // this was the tick armed last (an earlier one may come first)
      while (!st.heap.empty() && st.heap.front().due_ns <= now + st.resolution_ns) {
        std::pop_heap(st.heap.begin(), st.heap.end(), std::greater<>());
        auto e = st.heap.back();
        st.heap.pop_back();
        auto t = take(st, e);
        if (!t) {
          st.cancelled -= st.cancelled > 0 ? 1 : 0;
          continue;
        }
        if (auto to = caf::actor_cast<caf::actor>(t->to)) // an ended session needs nothing
          caf::anon_send(to, std::move(t->what));
      }
      arm(self);
    },
  };
}

} // namespace licd
