#include "engine/pool.hpp"
#include "tests/counting_resource.hpp"

#include <catch2/catch.hpp>

#include <unordered_set>

#include <sys/wait.h>
#include <unistd.h>

using namespace licd::engine;
using namespace std::chrono_literals;

namespace {

const mono_time t0{};

lease make_lease(const std::string& computer, const std::string& user = "u",
                 mono_time deadline = t0 + 600s) {
  lease l;
  l.id = make_random_lease_id();
  l.who = identity{computer, user, "1"};
  l.deadline = deadline;
  return l;
}

/// Reserves and confirms; returns the id.
lease_id grant(pool& p, const std::string& computer, mono_time deadline = t0 + 600s) {
  auto l = make_lease(computer, "u", deadline);
  REQUIRE(p.reserve(l));
  p.confirm(l.id);
  return l.id;
}

} // namespace

TEST_CASE("a pool grants up to its seats and denies the next computer", "[engine][pool]") {
  pool p("cad", 3);
  for (auto c : {"ws1", "ws2", "ws3"})
    grant(p, c);
  CHECK(p.used() == 3);
  CHECK(p.has_room_for("ws1")); // holds a seat: may add an instance
  CHECK_FALSE(p.has_room_for("ws4"));
  auto fourth = make_lease("ws4");
  CHECK_FALSE(p.reserve(fourth));
  CHECK(p.used() == 3);
  CHECK(p.lease_count() == 3);
  CHECK(p.find(fourth.id) == nullptr);
}

TEST_CASE("instances on the same computer share one seat", "[engine][pool]") {
  pool p("cad", 1);
  grant(p, "ws1");
  auto second = grant(p, "ws1");
  CHECK(p.used() == 1);
  CHECK(p.lease_count() == 2);
  CHECK(p.find(second)->state == lease_state::live);
  CHECK_FALSE(p.reserve(make_lease("ws2")));
}

TEST_CASE("a pending grant holds its seat until confirmed or abandoned", "[engine][pool]") {
  pool p("cad", 1);
  auto l = make_lease("ws1");
  REQUIRE(p.reserve(l));
  CHECK(p.find(l.id)->state == lease_state::pending);
  CHECK_FALSE(p.reserve(make_lease("ws2"))); // the racing checkout loses
  CHECK_FALSE(p.renew(l.id, t0 + 900s));     // not renewable before it is durable
  CHECK_FALSE(p.begin_end(l.id));
  p.abandon(l.id);
  CHECK(p.used() == 0);
  CHECK(p.find(l.id) == nullptr);
  CHECK(p.reserve(make_lease("ws2")));
}

TEST_CASE("release frees the seat only once the removal is durable", "[engine][pool]") {
  pool p("cad", 1);
  auto id = grant(p, "ws1");
  REQUIRE(p.begin_end(id));
  CHECK(p.used() == 1); // ending still holds the seat
  CHECK_FALSE(p.reserve(make_lease("ws2")));
  CHECK_FALSE(p.renew(id, t0 + 900s));
  auto ended = p.finish_end(id);
  REQUIRE(ended);
  CHECK(ended->who.computer == "ws1");
  CHECK(p.used() == 0);
  CHECK(p.reserve(make_lease("ws2")));
}

TEST_CASE("a failed removal makes the lease live again", "[engine][pool]") {
  pool p("cad", 1);
  auto id = grant(p, "ws1");
  REQUIRE(p.begin_end(id));
  p.cancel_end(id);
  CHECK(p.find(id)->state == lease_state::live);
  CHECK(p.renew(id, t0 + 900s));
  CHECK_FALSE(p.finish_end(id));
}

TEST_CASE("the seat stays while another lease of the computer lives", "[engine][pool]") {
  pool p("cad", 1);
  auto a = grant(p, "ws1");
  auto b = grant(p, "ws1");
  REQUIRE(p.begin_end(a));
  p.finish_end(a);
  CHECK(p.used() == 1);
  CHECK_FALSE(p.reserve(make_lease("ws2")));
  REQUIRE(p.begin_end(b));
  p.finish_end(b);
  CHECK(p.used() == 0);
}

TEST_CASE("renewal moves the deadline, so the lease no longer lapses", "[engine][pool]") {
  pool p("cad", 2);
  auto id = grant(p, "ws1", t0 + 10s);
  CHECK(p.lapsed(id, t0 + 10s));
  CHECK_FALSE(p.lapsed(id, t0 + 9s));
  REQUIRE(p.renew(id, t0 + 20s));
  CHECK(p.find(id)->deadline == t0 + 20s);
  CHECK_FALSE(p.lapsed(id, t0 + 15s));
  CHECK(p.lapsed(id, t0 + 20s));
}

TEST_CASE("a lease's renewals are logged at most once per interval", "[engine][pool]") {
  pool p("cad", 2);
  auto id = grant(p, "ws1");
  const int64_t minute = 60'000;
  CHECK(p.log_renewal(id, 1'000'000, minute));           // the first renewal: logged
  CHECK_FALSE(p.log_renewal(id, 1'000'001, minute));     // a moment later: not
  CHECK_FALSE(p.log_renewal(id, 1'000'000 + minute - 1, minute));
  CHECK(p.log_renewal(id, 1'000'000 + minute, minute));  // a minute on: logged again
  CHECK_FALSE(p.log_renewal(id, 1'000'000 + minute + 5, minute));
  CHECK(p.log_renewal(id, 999'000, minute));             // the wall clock went back: logged
  CHECK(p.log_renewal(id, 999'001, 0));                  // interval 0: every renewal
  CHECK(p.log_renewal(id, 999'001, 0));
  auto other = grant(p, "ws2");                          // each lease has its own interval
  CHECK(p.log_renewal(other, 999'002, minute));
  CHECK_FALSE(p.log_renewal(make_random_lease_id(), 2'000'000, minute)); // unknown: never
  REQUIRE(p.begin_end(id));
  CHECK_FALSE(p.log_renewal(id, 5'000'000, minute));     // ending: no longer live
}

TEST_CASE("unknown leases are neither renewed nor released", "[engine][pool]") {
  pool p("cad", 2);
  grant(p, "ws1");
  auto stranger = make_random_lease_id();
  CHECK_FALSE(p.renew(stranger, t0 + 1s));
  CHECK_FALSE(p.begin_end(stranger));
  CHECK_FALSE(p.lapsed(stranger, t0 + 1000s));
  CHECK(p.used() == 1);
}

TEST_CASE("restored leases are live and count their seats", "[engine][pool]") {
  pool p("cad", 2);
  auto l = make_lease("ws1");
  p.restore(l);
  p.restore(l); // twice is harmless
  CHECK(p.lease_count() == 1);
  CHECK(p.used() == 1);
  CHECK(p.find(l.id)->state == lease_state::live);
  CHECK(p.renew(l.id, t0 + 5s));
}

TEST_CASE("a pool keeps its tables in the memory it is given, in few large blocks",
          "[engine][pool]") {
  licd::test::counting_resource memory;
  constexpr size_t n = 100'000;
  {
    pool p("cad", n, &memory);
    p.expect_leases(n);
    for (size_t i = 0; i < n; ++i)
      REQUIRE(p.restore(make_lease("ws" + std::to_string(i))));
    CHECK(p.used() == n);
    CHECK(memory.bytes_out >= n * sizeof(lease)); // the lease nodes are in it
    CHECK(memory.allocations < n / 100);          // in chunks, not one per lease
    auto some = p.leases().front();
    REQUIRE(p.begin_end(some.id));
    CHECK(p.finish_end(some.id));
    CHECK(p.used() == n - 1);
  }
  CHECK(memory.bytes_out == 0); // all of it given back with the pool
}

TEST_CASE("lowering the seats keeps running leases but grants no new computer",
          "[engine][pool]") {
  pool p("cad", 3);
  grant(p, "ws1");
  grant(p, "ws2");
  grant(p, "ws3");
  p.set_seats(2);
  CHECK(p.used() == 3);
  CHECK_FALSE(p.reserve(make_lease("ws4")));
  CHECK(p.reserve(make_lease("ws1"))); // a computer that holds a seat keeps sharing it
}

TEST_CASE("lease ids are unique and survive their hex form", "[engine][lease_id]") {
  std::unordered_set<lease_id> seen;
  for (int i = 0; i < 10000; ++i) {
    auto id = make_random_lease_id();
    CHECK(seen.insert(id).second);
    auto hex = id.to_hex();
    REQUIRE(hex.size() == 32);
    auto fixed = id.hex();
    CHECK(std::string(fixed.data(), fixed.size()) == hex);
    auto back = lease_id::from_hex(hex);
    REQUIRE(back);
    CHECK(*back == id);
  }
}

TEST_CASE("a forked child does not reuse its parent's buffered random bytes",
          "[engine][lease_id]") {
  make_random_lease_id(); // the buffer is filled and partly used
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto id = make_random_lease_id();
    auto n = ::write(fds[1], &id, sizeof(id));
    ::_exit(n == sizeof(id) ? 0 : 1);
  }
  ::close(fds[1]);
  lease_id in_child{};
  auto n = ::read(fds[0], &in_child, sizeof(in_child));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(n == sizeof(in_child));
  REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  auto in_parent = make_random_lease_id(); // the parent's next bytes
  CHECK(in_child != in_parent);
}

TEST_CASE("lease ids sort by grant time and keep 80 random bits", "[engine][lease_id]") {
  const int64_t t = 1'800'000'000'000; // milliseconds since the epoch (2027)
  std::unordered_set<lease_id> seen;
  lease_id previous{};
  uint64_t low_bits_or = 0, low_bits_and = ~uint64_t{0};
  for (int i = 0; i < 1000; ++i) {
    auto id = make_lease_id(t + i);
    CHECK(seen.insert(id).second);
    CHECK(id.hi >> 16 == static_cast<uint64_t>(t + i)); // the grant time, on top
    CHECK(previous < id);                                // later grants sort after
    previous = id;
    low_bits_or |= id.lo;
    low_bits_and &= id.lo;
  }
  // Within one millisecond the random part decides, and it is not constant.
  CHECK(make_lease_id(t) != make_lease_id(t));
  CHECK(low_bits_or == ~uint64_t{0}); // every bit of the random half was 1 somewhere...
  CHECK(low_bits_and == 0);           // ...and 0 somewhere
}

TEST_CASE("lease ids show as 32 lowercase hex digits, high half first", "[engine][lease_id]") {
  lease_id id;
  id.hi = 0x0123456789abcdefULL;
  id.lo = 0xfedcba9876543210ULL;
  CHECK(id.to_hex() == "0123456789abcdeffedcba9876543210");
  auto h = id.hex();
  CHECK(std::string(h.data(), h.size()) == "0123456789abcdeffedcba9876543210");
}

TEST_CASE("lease id parsing refuses anything but 32 hex digits", "[engine][lease_id]") {
  CHECK(lease_id::from_hex("0123456789ABCDEFabcdef0123456789"));
  CHECK_FALSE(lease_id::from_hex(""));
  CHECK_FALSE(lease_id::from_hex("0123456789abcdef0123456789abcde"));
  CHECK_FALSE(lease_id::from_hex("0123456789abcdef0123456789abcdef0"));
  CHECK_FALSE(lease_id::from_hex("0123456789abcdef0123456789abcdeg"));
  CHECK_FALSE(lease_id::from_hex("0123456789abcdef 123456789abcdef"));
  auto id = lease_id::from_hex("000000000000000a000000000000000b");
  REQUIRE(id);
  CHECK(id->hi == 10);
  CHECK(id->lo == 11);
}

TEST_CASE("when the seats fall, the computers that arrived last give theirs up",
          "[engine][pool]") {
  pool p("cad", 3);
  int64_t at = 1000;
  for (const char* c : {"ws-a", "ws-b", "ws-c"}) {
    auto l = make_lease(c);
    l.granted_at_ms = at += 1000;
    REQUIRE(p.reserve(l));
    p.confirm(l.id);
  }
  auto again = make_lease("ws-a"); // a later lease of an early computer does not make it late
  again.granted_at_ms = at + 5000;
  REQUIRE(p.reserve(again));
  p.confirm(again.id);
  CHECK(p.computers_beyond_seats().empty());
  p.set_seats(1);
  CHECK(p.computers_beyond_seats() == std::vector<std::string>{"ws-c", "ws-b"});
  p.set_seats(0);
  CHECK(p.computers_beyond_seats().size() == 3);
  p.set_seats(5);
  CHECK(p.computers_beyond_seats().empty());
}

TEST_CASE("admission: a free seat, or the computer's own, admits a checkout", "[engine][pool]") {
  pool p("cad", 2);
  CHECK_FALSE(p.admit("ws1", t0));
  grant(p, "ws1");
  grant(p, "ws2");
  CHECK_FALSE(p.admit("ws1", t0)); // shares its seat
  auto denied = p.admit("ws3", t0);
  REQUIRE(denied);
  CHECK(denied->code == errc::no_seats);
  CHECK(denied->reason == "all 2 seats of cad are in use by other computers");
}

TEST_CASE("admission refuses in order: cooldown, then leases per computer, then seats",
          "[engine][pool]") {
  pool p("cad", 1);
  p.set_max_leases_per_computer(2);
  grant(p, "ws1");
  grant(p, "ws1");
  // ws1 holds its seat with the most leases it may: TOO_MANY_LEASES, not NO_SEATS.
  auto too_many = p.admit("ws1", t0);
  REQUIRE(too_many);
  CHECK(too_many->code == errc::too_many_leases);
  CHECK_THAT(too_many->reason, Catch::Contains("holds 2 leases of cad"));
  // A computer in its cooldown is told so first, whatever else holds.
  p.start_cooldown("ws1", t0 + 30s, 1'000'000);
  auto cooling = p.admit("ws1", t0 + 10s);
  REQUIRE(cooling);
  CHECK(cooling->code == errc::disconnected);
  CHECK_THAT(cooling->reason, Catch::Contains("retry in 21 s"));
  p.start_cooldown("ws9", t0 + 30s, 1'000'000);
  CHECK(p.admit("ws9", t0)->code == errc::disconnected); // not NO_SEATS
}

TEST_CASE("a cooldown ends at its time and is then forgotten", "[engine][pool]") {
  pool p("cad", 5);
  p.start_cooldown("ws1", t0 + 60s, 5'000);
  p.start_cooldown("ws2", t0 + 10s, 1'000);
  CHECK(p.running_cooldowns(t0) == std::map<std::string, int64_t>{{"ws1", 5'000}, {"ws2", 1'000}});
  CHECK(p.running_cooldowns(t0 + 10s) == std::map<std::string, int64_t>{{"ws1", 5'000}});
  CHECK(p.admit("ws2", t0 + 9s));
  CHECK_FALSE(p.admit("ws2", t0 + 10s));
  CHECK_FALSE(p.admit("ws1", t0 + 60s));
  CHECK(p.running_cooldowns(t0).empty()); // both forgotten once admitted after them
}
