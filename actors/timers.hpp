#pragma once

#include "actors/atoms.hpp"
#include "actors/clock.hpp"

#include <caf/actor_addr.hpp>
#include <caf/message.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <unordered_map>
#include <vector>

#include <chrono>
#include <cstdint>
#include <vector>

namespace licd {

/// The TIMERS actor: delivers the timeouts of actors that run on the multiplexer thread (the
/// sessions' HELLO and idle timers, a pool's retry), from a scheduler worker.
///
/// Why not `delayed_send`: CAF 0.17's clock thread delivers a due message itself, and a message
/// to a broker from another thread is an 8-byte write into the multiplexer's wake-up pipe. When
/// thousands of sessions' timers fall due together, or while the multiplexer is busy, that pipe
/// fills and the clock thread blocks on it; meanwhile the multiplexer tells the clock about every
/// actor that ends (a bounded queue of 64), so it soon waits for the clock, and licd hangs (seen
/// with 10,000 clients disconnecting at once). This actor only ever blocks a worker on a full
/// pipe, and the multiplexer never waits for a worker.
using timers_actor = caf::typed_actor<
  /// Deliver `what` to `to` (if it is still alive) at `due_ns` (steady_clock ns).
  caf::reacts_to<timer_atom, int64_t, caf::actor_addr, caf::message>,
  /// Forget every timeout still due for this actor (it has ended, or will not need them).
  caf::reacts_to<timer_off_atom, caf::actor_id>,
  /// How many timeouts are pending, and how many entries the heap holds (with cancelled ones).
  caf::replies_to<caf::get_atom>::with<uint64_t, uint64_t>,
  /// Internal: deliver what is due.
  caf::reacts_to<timer_tick_atom>>;

/// Why cancelling matters: a pending timeout holds its actor's address, a weak reference, and in
/// CAF 0.17 an ended actor's memory is freed only once the last weak reference goes. A session's
/// idle timer runs for twice the lease TTL (20 minutes by default), so without `timer_off` every
/// closed connection's actor (about 2 KiB) stayed allocated that long: memory grew with the rate
/// of connections, not their number (docs/ARCHITECTURE.md, "Where the actors run").
struct timers_state {
  static inline const char* name = "timers";

  struct entry { ///< in the heap; the timeout itself is in `pending` (gone there: cancelled)
    int64_t due_ns;
    caf::actor_id owner;
    uint64_t seq;
    bool operator>(const entry& other) const { return due_ns > other.due_ns; }
  };
  struct timeout {
    uint64_t seq;
    caf::actor_addr to;
    caf::message what;
  };
  std::vector<entry> heap;  ///< min-heap by due time
  /// Each actor's undelivered timeouts (a session has two at most).
  std::unordered_map<caf::actor_id, std::vector<timeout>> pending;
  size_t cancelled = 0;     ///< heap entries whose timeout was cancelled
  uint64_t next_seq = 0;
  int64_t armed_ns = 0;     ///< when the next tick to self is due (0: none)
  int64_t resolution_ns = 0; ///< a tick also delivers what falls due this soon after it
};

/// The resolution licd runs the timers actor with.
inline constexpr std::chrono::milliseconds timer_resolution{10};

/// `resolution`: timeouts due within it of a tick go out with that tick (at most that early),
/// so thousands of sessions' timers set in the same instant cost one tick, not thousands.
timers_actor::behavior_type timers(timers_actor::stateful_pointer<timers_state> self,
                                   std::chrono::milliseconds resolution);

/// Asks `timers` to send `what` to `self` after `delay`.
template <class Self, class... Ts>
void send_later(const timers_actor& timers, Self* self, std::chrono::nanoseconds delay,
                Ts&&... what) {
  self->send(timers, timer_atom::value,
             to_ns(mono_now() + std::chrono::duration_cast<engine::mono_clock::duration>(delay)),
             self->address(), caf::make_message(std::forward<Ts>(what)...));
}

} // namespace licd
