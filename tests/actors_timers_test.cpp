// The timers actor on CAF's real scheduler: timeouts arrive, and a cancelled one neither arrives
// nor keeps its actor's memory (the timer held a weak reference to it).

#include "actors/timers.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <thread>

using namespace licd;
using namespace std::chrono_literals;

namespace {

using ping_atom = caf::atom_constant<caf::atom("t_ping")>;

/// Counts the pings it gets.
caf::behavior counter(caf::event_based_actor*, std::shared_ptr<std::atomic<int>> pings) {
  return {[=](ping_atom) { ++*pings; }};
}

/// Weak references to an actor: CAF 0.17 frees an ended actor's memory only when they are gone.
size_t weak_refs(const caf::actor& a) {
  return caf::actor_cast<caf::actor_control_block*>(a)->weak_refs.load();
}

bool eventually(const std::function<bool()>& f) {
  for (int i = 0; i < 300; ++i) {
    if (f())
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return f();
}

void arm(caf::scoped_actor& self, const timers_actor& timers, const caf::actor& to,
         std::chrono::milliseconds delay) {
  self->send(timers, timer_atom::value, to_ns(mono_now() + delay), to.address(),
             caf::make_message(ping_atom::value));
}

/// An actor system with a timers actor (1 ms resolution), ended at the end of the scope.
struct timers_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  timers_actor timers;
  timers_fixture() {
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    timers = sys->spawn(licd::timers, std::chrono::milliseconds(1));
  }
  ~timers_fixture() { caf::anon_send_exit(timers, caf::exit_reason::user_shutdown); }
};

} // namespace

TEST_CASE("timers deliver what is due and forget what is cancelled", "[actors][timers]") {
  timers_fixture f;
  auto& sys = *f.sys;
  auto& timers = f.timers;
  auto kept_pings = std::make_shared<std::atomic<int>>(0);
  auto dropped_pings = std::make_shared<std::atomic<int>>(0);
  auto kept = sys.spawn(counter, kept_pings);
  auto dropped = sys.spawn(counter, dropped_pings);
  auto refs_before = weak_refs(dropped);
  {
    caf::scoped_actor self{sys};
    arm(self, timers, kept, 100ms);
    arm(self, timers, dropped, 100ms);
    arm(self, timers, dropped, 10min); // an idle timer's length
    CHECK(eventually([&] { return weak_refs(dropped) == refs_before + 2; }));
    self->send(timers, timer_off_atom::value, dropped.id());
    // The timers actor lets go of the address at once, not when the timeouts fall due.
    CHECK(eventually([&] { return weak_refs(dropped) == refs_before; }));
    CHECK(eventually([&] { return kept_pings->load() == 1; }));
    std::this_thread::sleep_for(200ms);
    CHECK(dropped_pings->load() == 0);
    // A timeout set after the cancel is delivered as usual.
    arm(self, timers, dropped, 10ms);
    CHECK(eventually([&] { return dropped_pings->load() == 1; }));
  }
  caf::anon_send_exit(kept, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(dropped, caf::exit_reason::user_shutdown);
}

TEST_CASE("many cancelled timeouts do not pile up in the timers' heap", "[actors][timers]") {
  timers_fixture f;
  auto& sys = *f.sys;
  auto& timers = f.timers;
  auto pings = std::make_shared<std::atomic<int>>(0);
  std::vector<caf::actor> actors;
  {
    caf::scoped_actor self{sys};
    for (int i = 0; i < 3000; ++i) {
      actors.push_back(sys.spawn(counter, pings));
      arm(self, timers, actors.back(), 10min);
    }
    for (int i = 0; i < 2999; ++i) // all but the last: they are cancelled and compacted away
      self->send(timers, timer_off_atom::value, actors[static_cast<size_t>(i)].id());
    uint64_t pending = 0, heap = 0;
    self->request(timers, caf::infinite, caf::get_atom::value)
      .receive([&](uint64_t p, uint64_t h) { pending = p, heap = h; },
               [](caf::error&) { FAIL("the timers actor did not answer"); });
    CHECK(pending == 1);
    CHECK(heap < 1500); // compacted: not 3,000 entries waiting ten minutes
    CHECK(weak_refs(actors.back()) == weak_refs(actors.front()) + 1);
  }
  for (auto& a : actors)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}
