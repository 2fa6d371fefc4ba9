// The queue of waiting checkouts (engine/queue.hpp) and how a pool serves it: order by
// priority then arrival, no barging, and the seat invariant, against a small reference model.

#include "engine/pool.hpp"
#include "engine/queue.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>

using namespace licd::engine;
using namespace std::chrono_literals;

namespace {

const mono_time t0{};

waiter make_waiter(uint64_t session, uint64_t tag, const std::string& computer,
                   const std::string& user = "u", int32_t priority = 0,
                   mono_time deadline = t0 + 60s) {
  waiter w;
  w.key = waiter_key{session, tag};
  w.who = identity{computer, user, "1"};
  w.priority = priority;
  w.since = t0;
  w.deadline = deadline;
  return w;
}

std::vector<uint64_t> tags(const std::vector<waiter>& ws) {
  std::vector<uint64_t> out;
  for (const auto& w : ws)
    out.push_back(w.key.tag);
  return out;
}

/// Checks out for `who` when admit() lets it; returns the lease id.
std::optional<lease_id> take_seat(pool& p, const identity& who, mono_time now) {
  if (p.admit(who, now))
    return std::nullopt;
  lease l;
  l.id = make_random_lease_id();
  l.who = who;
  l.deadline = now + 600s;
  REQUIRE(p.reserve(l));
  p.confirm(l.id);
  return l.id;
}

void end(pool& p, const lease_id& id) {
  REQUIRE(p.begin_end(id));
  REQUIRE(p.finish_end(id));
}

std::shared_ptr<const policy::document> policy_of(std::string_view text) {
  auto [doc, problems] = policy::document::parse(text);
  for (const auto& pr : problems)
    FAIL("line " << pr.line << ": " << pr.message);
  REQUIRE(doc);
  return doc;
}

} // namespace

TEST_CASE("a wait queue orders by priority, then by arrival", "[engine][queue]") {
  wait_queue q;
  CHECK(q.push(make_waiter(1, 1, "a")).first == 1);
  CHECK(q.push(make_waiter(1, 2, "b")).first == 2);
  CHECK(q.push(make_waiter(2, 3, "c", "u", 5)).first == 1); // ahead of the priority-0 ones
  CHECK(q.push(make_waiter(2, 4, "d", "u", 5)).first == 2);
  CHECK(q.push(make_waiter(3, 5, "e", "u", -1)).first == 5);
  CHECK(q.push(make_waiter(3, 6, "f", "u", 0)).first == 5); // before the -1
  CHECK(tags(q.in_order()) == std::vector<uint64_t>{3, 4, 1, 2, 6, 5});
  CHECK(q.position({1, 2}) == 4u);
  CHECK(q.position({3, 5}) == 6u);
  CHECK_FALSE(q.position({9, 9}));
  CHECK_FALSE(q.push(make_waiter(1, 1, "z")).second); // the same request twice: refused
  CHECK(q.size() == 6);

  REQUIRE(q.remove({2, 3}));
  CHECK_FALSE(q.remove({2, 3}));
  CHECK(q.position({1, 2}) == 3u);
  CHECK(tags(q.remove_session(1)) == std::vector<uint64_t>{1, 2});
  CHECK(tags(q.in_order()) == std::vector<uint64_t>{4, 6, 5});
  CHECK(q.of_computer("d") == 1);
  CHECK(q.of_computer("a") == 0);
}

TEST_CASE("a wait queue gives up waiters at their deadlines, earliest first", "[engine][queue]") {
  wait_queue q;
  q.push(make_waiter(1, 1, "a", "u", 0, t0 + 30s));
  q.push(make_waiter(1, 2, "b", "u", 0, t0 + 10s));
  q.push(make_waiter(1, 3, "c", "u", 0, t0 + 20s));
  CHECK(q.next_deadline() == t0 + 10s);
  CHECK(q.take_due(t0 + 9s).empty());
  CHECK(tags(q.take_due(t0 + 20s)) == std::vector<uint64_t>{2, 3});
  CHECK(q.next_deadline() == t0 + 30s);
  CHECK(tags(q.in_order()) == std::vector<uint64_t>{1});
  CHECK(tags(q.take_due(t0 + 1h)) == std::vector<uint64_t>{1});
  CHECK_FALSE(q.next_deadline());
  CHECK(q.empty());
}

TEST_CASE("serving a wait queue keeps, drops and takes in order", "[engine][queue]") {
  wait_queue q;
  for (uint64_t t = 1; t <= 5; ++t)
    q.push(make_waiter(1, t, "ws" + std::to_string(t)));
  std::vector<waiter> dropped;
  std::vector<uint64_t> asked;
  auto taken = q.serve(
    [&](const waiter& w) {
      asked.push_back(w.key.tag);
      return w.key.tag == 2   ? wait_queue::choice::drop
             : w.key.tag == 4 ? wait_queue::choice::take
                              : wait_queue::choice::keep;
    },
    dropped);
  REQUIRE(taken);
  CHECK(taken->key.tag == 4);
  CHECK(asked == std::vector<uint64_t>{1, 2, 3, 4}); // stops at the one taken
  CHECK(tags(dropped) == std::vector<uint64_t>{2});
  CHECK(tags(q.in_order()) == std::vector<uint64_t>{1, 3, 5});
  // Dropping every waiter of every priority empties the queue without a take.
  q.push(make_waiter(2, 9, "x", "u", 3));
  dropped.clear();
  CHECK_FALSE(q.serve([](const waiter&) { return wait_queue::choice::drop; }, dropped));
  CHECK(tags(dropped) == std::vector<uint64_t>{9, 1, 3, 5});
  CHECK(q.empty());
}

TEST_CASE("a freed seat goes to the first waiter the rules allow, before anyone new",
          "[engine][queue]") {
  pool p("cad", 1);
  p.set_policy(policy_of("GROUP leads carol\nPRIORITY cad GROUP leads 10\nMAX 1 cad USER *\n"));
  auto held = take_seat(p, identity{"ws0", "alice", "1"}, t0);
  REQUIRE(held);
  auto denied = p.admit(identity{"ws1", "bob", "1"}, t0);
  REQUIRE(denied);
  CHECK(denied->code == errc::no_seats);
  CHECK(pool::waitable(denied->code));
  CHECK(p.enqueue(make_waiter(1, 1, "ws1", "bob")) == 1);
  CHECK(p.enqueue(make_waiter(1, 2, "ws2", "alice")) == 2); // alice is at her MAX: LIMIT
  CHECK(p.enqueue(make_waiter(1, 3, "ws3", "carol")) == 1); // PRIORITY 10: first
  CHECK(p.enqueue(make_waiter(1, 3, "ws3", "carol")) == 0); // already waiting
  std::vector<pool::refused_waiter> refused;
  CHECK_FALSE(p.next_waiter(t0, refused)); // full: nobody
  end(p, *held);
  auto next = p.next_waiter(t0, refused);
  REQUIRE(next);
  CHECK(next->who.user == "carol");
  REQUIRE(take_seat(p, next->who, t0));
  CHECK_FALSE(p.next_waiter(t0, refused)); // full again
  CHECK(refused.empty());
  CHECK(p.queue().size() == 2);
  // A newcomer is refused while the pool is full, whatever the queue.
  CHECK(p.admit(identity{"ws9", "zed", "1"}, t0)->code == errc::no_seats);
}

TEST_CASE("waiters refused for good leave the queue, others give up at their deadline",
          "[engine][queue]") {
  pool p("cad", 1);
  auto held = take_seat(p, identity{"ws0", "alice", "1"}, t0);
  p.enqueue(make_waiter(1, 1, "ws1", "bob", 0, t0 + 10s));
  p.enqueue(make_waiter(1, 2, "ws2", "dave", 0, t0 + 20s));
  p.start_cooldown("ws1", t0 + 5min, 0); // an administrator disconnected ws1 meanwhile
  end(p, *held);
  std::vector<pool::refused_waiter> refused;
  auto next = p.next_waiter(t0 + 1s, refused);
  REQUIRE(next);
  CHECK(next->who.computer == "ws2");
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].who.who.computer == "ws1");
  CHECK(refused[0].why.code == errc::disconnected);

  REQUIRE(take_seat(p, next->who, t0 + 1s));
  p.enqueue(make_waiter(2, 1, "ws3", "erin", 0, t0 + 30s));
  CHECK(p.waits_over(t0 + 29s).empty());
  auto over = p.waits_over(t0 + 30s);
  REQUIRE(over.size() == 1);
  CHECK(over[0].who.who.computer == "ws3");
  CHECK(over[0].why.code == errc::no_seats);
  CHECK(p.queue().empty());
}

TEST_CASE("a waiter whose computer holds a seat is served while the pool is full",
          "[engine][queue]") {
  pool p("cad", 1);
  p.set_policy(policy_of("MAX 1 cad HOST ws0\n")); // one instance on ws0
  auto held = take_seat(p, identity{"ws0", "alice", "1"}, t0);
  auto d = p.admit(identity{"ws0", "alice", "2"}, t0);
  REQUIRE(d);
  CHECK(d->code == errc::limit);
  auto w = make_waiter(1, 1, "ws0", "alice");
  w.who.instance = "2";
  p.enqueue(w);
  p.enqueue(make_waiter(1, 2, "ws1", "bob"));
  // Another computer's second lease would not help; ws0's first ending frees its instance.
  end(p, *held);
  std::vector<pool::refused_waiter> refused;
  auto next = p.next_waiter(t0, refused);
  REQUIRE(next);
  CHECK(next->who.instance == "2");
}

TEST_CASE("random queues against a reference model: order, no barging, seats exact",
          "[engine][queue][property]") {
  std::mt19937 rng(20261206);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> users{"u0", "u1", "u2", "u3"};
  for (int round = 0; round < 200; ++round) {
    const uint32_t seats = 1 + static_cast<uint32_t>(pick(3));
    const uint32_t per_user = 1 + static_cast<uint32_t>(pick(2));
    std::map<std::string, int32_t> priority{{"u0", 0}, {"u1", 0}, {"u2", 0}, {"u3", 0}};
    std::string text = "MAX " + std::to_string(per_user) + " p USER *\n";
    for (const auto& u : users)
      if (pick(2) == 0) {
        priority[u] = pick(5) - 2;
        text += "PRIORITY p USER " + u + " " + std::to_string(priority[u]) + "\n";
      }
    pool p("p", seats);
    p.set_policy(policy_of(text));

    // The model: who holds a seat (computer -> user), and the waiters in arrival order.
    std::map<std::string, std::string> holders;
    std::map<std::string, lease_id> lease_of;
    struct model_waiter {
      uint64_t tag;
      std::string computer, user;
    };
    std::vector<model_waiter> waiting;
    auto allowed = [&](const std::string& computer, const std::string& user) {
      if (holders.count(computer) != 0)
        return true;
      auto n = std::count_if(holders.begin(), holders.end(),
                             [&](const auto& h) { return h.second == user; });
      return static_cast<uint32_t>(n) < per_user && holders.size() < seats;
    };
    // The model's pick: the first allowed waiter by (priority desc, arrival).
    auto expected_next = [&]() -> std::optional<model_waiter> {
      std::optional<model_waiter> best;
      for (const auto& w : waiting)
        if (allowed(w.computer, w.user) && (!best || priority[w.user] > priority[best->user]))
          best = w;
      return best;
    };
    auto serve = [&] {
      std::vector<pool::refused_waiter> refused;
      for (;;) {
        auto want = expected_next();
        auto got = p.next_waiter(t0, refused);
        REQUIRE(got.has_value() == want.has_value());
        if (!got)
          break;
        CHECK(got->key.tag == want->tag);
        waiting.erase(std::find_if(waiting.begin(), waiting.end(),
                                   [&](const model_waiter& w) { return w.tag == want->tag; }));
        auto id = take_seat(p, got->who, t0);
        REQUIRE(id);
        holders[got->who.computer] = got->who.user;
        lease_of[got->who.computer] = *id;
      }
      CHECK(refused.empty());
      REQUIRE(p.used() <= p.seats());
      REQUIRE(p.used() == holders.size());
      REQUIRE(p.queue().size() == waiting.size());
    };
    uint64_t next_tag = 0;
    for (int step = 0; step < 60; ++step) {
      auto computer = "ws" + std::to_string(pick(8));
      const auto& user = users[static_cast<size_t>(pick(4))];
      switch (pick(3)) {
        case 0: { // a checkout that waits when it must
          if (holders.count(computer) != 0)
            break; // one lease per computer keeps the model simple
          bool queued_same = std::any_of(waiting.begin(), waiting.end(),
                                         [&](const auto& w) { return w.computer == computer; });
          if (queued_same)
            break;
          identity who{computer, user, "1"};
          auto d = p.admit(who, t0);
          // No barging: a newcomer gets a seat only when the model says no waiter may have it.
          CHECK(d.has_value() == !allowed(computer, user));
          if (!d) {
            REQUIRE(!expected_next()); // every allowed waiter was served already
            auto id = take_seat(p, who, t0);
            REQUIRE(id);
            holders[computer] = user;
            lease_of[computer] = *id;
            break;
          }
          REQUIRE(pool::waitable(d->code));
          auto tag = ++next_tag;
          p.enqueue(make_waiter(1, tag, computer, user));
          waiting.push_back({tag, computer, user});
          break;
        }
        case 1: { // a seat is given back
          if (holders.empty())
            break;
          auto it = std::next(holders.begin(), pick(static_cast<int>(holders.size())));
          end(p, lease_of[it->first]);
          lease_of.erase(it->first);
          holders.erase(it);
          serve();
          break;
        }
        case 2: { // a waiter's connection closes
          if (waiting.empty())
            break;
          auto i = static_cast<size_t>(pick(static_cast<int>(waiting.size())));
          REQUIRE(p.leave_queue(waiter_key{1, waiting[i].tag}));
          waiting.erase(waiting.begin() + static_cast<long>(i));
          serve(); // nothing to do: leaving frees no seat
          break;
        }
      }
    }
  }
}
