#include "engine/usage.hpp"
#include "engine/usage_report.hpp"
#include "usage_history.hpp"

#include <catch2/catch.hpp>

using namespace licd;
using namespace licd::engine::usage;
using engine::event_kind;
using licd::test::usage_event;

namespace {

constexpr int64_t minute = 60'000;
constexpr int64_t h0 = licd::test::history_start_ms; // 10:00, say

/// Two seats of `cad`; alice from 10:00, bob from 10:30 (full), carol turned away at 10:45,
/// 10:55 and 11:08 and seated at 11:20 after alice left at 11:15; bob leaves at 12:00, carol at
/// 12:30.
std::vector<engine::event> small_history() {
  return {
    usage_event(h0, event_kind::seats, "cad", {}, {}, {}, seats_detail(2)),
    usage_event(h0, event_kind::granted, "cad", "ws1", "alice", "01"),
    usage_event(h0 + 30 * minute, event_kind::granted, "cad", "ws2", "bob", "02"),
    usage_event(h0 + 45 * minute, event_kind::denied, "cad", "ws3", "carol", {}, "all 2 seats"),
    usage_event(h0 + 55 * minute, event_kind::denied, "cad", "ws3", "carol", {}, "all 2 seats"),
    usage_event(h0 + 68 * minute, event_kind::denied, "cad", "ws3", "carol", {}, "all 2 seats"),
    usage_event(h0 + 75 * minute, event_kind::released, "cad", "ws1", "alice", "01"),
    usage_event(h0 + 80 * minute, event_kind::granted, "cad", "ws3", "carol", "03"),
    usage_event(h0 + 120 * minute, event_kind::expired, "cad", "ws2", "bob", "02"),
    usage_event(h0 + 150 * minute, event_kind::released, "cad", "ws3", "carol", "03"),
  };
}

const holder_row* row_of(const std::vector<holder_row>& rows, const std::string& name) {
  for (const auto& r : rows)
    if (r.name == name)
      return &r;
  return nullptr;
}

} // namespace

TEST_CASE("the hours of a small history are the hand-computed ones", "[usage]") {
  licd::test::usage_replay r;
  r.apply(small_history());
  auto s = r.snap();
  auto rows = usage_by_interval(s, {h0, h0 + 60 * minute, h0 + 120 * minute, h0 + 180 * minute},
                                h0 + 180 * minute);
  REQUIRE(rows.size() == 3);
  // 10-11: one seat for 30 min, two for 30 min; full for 30 min; carol denied twice.
  CHECK(rows[0].seat_ms == 90 * minute);
  CHECK(rows[0].peak == 2);
  CHECK(rows[0].installed == 2);
  CHECK(rows[0].full_ms == 30 * minute);
  CHECK(rows[0].average == Approx(1.5));
  CHECK(*rows[0].utilisation == Approx(0.75));
  CHECK(rows[0].denials == 2);
  CHECK(rows[0].users_denied == 1);
  // 11-12: two until 11:15, one until 11:20, two until 12:00.
  CHECK(rows[1].seat_ms == (30 + 5 + 80) * minute);
  CHECK(rows[1].full_ms == 55 * minute);
  CHECK(rows[1].denials == 1);
  // 12-13: carol alone until 12:30.
  CHECK(rows[2].seat_ms == 30 * minute);
  CHECK(rows[2].peak == 1);
  CHECK(rows[2].full_ms == 0);
  CHECK(*rows[2].utilisation == Approx(0.25));

  // One interval over the lot: the same sums.
  auto all = usage_by_interval(s, {h0, h0 + 180 * minute}, h0 + 180 * minute);
  REQUIRE(all.size() == 1);
  CHECK(all[0].seat_ms == (90 + 115 + 30) * minute);
  CHECK(all[0].full_ms == 85 * minute);
  CHECK(all[0].denials == 3);
}

TEST_CASE("the users and computers of a small history are the hand-computed ones", "[usage]") {
  licd::test::usage_replay r;
  r.apply(small_history());
  auto s = r.snap();
  auto users = usage_by_holder(s, holder::user, h0, h0 + 180 * minute, h0 + 180 * minute);
  REQUIRE(users.size() == 3);
  CHECK(users[0].name == "bob"); // most seat-time first
  CHECK(users[0].seat_ms == 90 * minute);
  CHECK(row_of(users, "alice")->seat_ms == 75 * minute);
  CHECK(row_of(users, "carol")->seat_ms == 70 * minute);
  CHECK(row_of(users, "carol")->denials == 3);
  CHECK(row_of(users, "carol")->sessions == 1);
  CHECK(row_of(users, "bob")->longest_ms == 90 * minute);
  // A range that cuts sessions: seat-time inside it, the longest session whole.
  auto cut =
    usage_by_holder(s, holder::computer, h0 + 60 * minute, h0 + 90 * minute, h0 + 180 * minute);
  CHECK(row_of(cut, "ws1")->seat_ms == 15 * minute);
  CHECK(row_of(cut, "ws1")->longest_ms == 75 * minute);
  CHECK(row_of(cut, "ws2")->seat_ms == 30 * minute);
  CHECK(row_of(cut, "ws3")->seat_ms == 10 * minute);
  CHECK(row_of(cut, "ws3")->denials == 0); // carol's episode began before the range
}

TEST_CASE("a denial episode folds its retries and ends when the user gets a seat", "[usage]") {
  licd::test::usage_replay r;
  r.apply(small_history());
  auto episodes = denial_episodes(r.snap(), h0, h0 + 180 * minute);
  REQUIRE(episodes.size() == 1);
  const auto& e = episodes[0];
  CHECK(e.user == "carol");
  CHECK(e.computer == "ws3");
  CHECK(e.denials == 3);
  CHECK(e.first_ms == h0 + 45 * minute);
  CHECK(e.last_ms == h0 + 68 * minute);
  CHECK(e.granted_ms == h0 + 80 * minute);
  CHECK(e.reason == "all 2 seats");
  CHECK(outcome_of(e, h0 + 180 * minute) == outcome::granted);
  CHECK(r.t.open_episodes().empty());
}

TEST_CASE("a grant after the user stopped asking does not end the episode as granted", "[usage]") {
  licd::test::usage_replay r;
  r.apply({usage_event(h0, event_kind::denied, "cad", "ws3", "carol", {}, "full"),
           usage_event(h0 + episode_gap_ms + 1, event_kind::granted, "cad", "ws3", "carol", "01")});
  auto episodes = denial_episodes(r.snap(), h0, h0 + 120 * minute);
  REQUIRE(episodes.size() == 1);
  CHECK(episodes[0].granted_ms == 0);
  CHECK(outcome_of(episodes[0], h0 + 120 * minute) == outcome::gave_up);
}

TEST_CASE("a denial after a long silence is another episode, and the first one gave up",
          "[usage]") {
  licd::test::usage_replay r;
  r.apply({usage_event(h0, event_kind::denied, "cad", "ws3", "carol", {}, "full"),
           usage_event(h0 + 10 * minute, event_kind::denied, "cad", "ws3", "carol", {}, "full"),
           usage_event(h0 + 10 * minute + episode_gap_ms + 1, event_kind::denied, "cad", "ws3",
                       "carol", {}, "full")});
  auto episodes = denial_episodes(r.snap(), h0, h0 + 120 * minute);
  REQUIRE(episodes.size() == 2);
  CHECK(episodes[0].denials == 2);
  CHECK(outcome_of(episodes[0], h0 + 120 * minute) == outcome::gave_up);
  CHECK(episodes[1].denials == 1);
  CHECK(outcome_of(episodes[1], episodes[1].last_ms + minute) == outcome::waiting);
  CHECK(outcome_of(episodes[1], episodes[1].last_ms + episode_gap_ms + 1) == outcome::gave_up);
  CHECK(r.t.open_episodes().size() == 1);
}

TEST_CASE("two leases of one computer hold one seat", "[usage]") {
  licd::test::usage_replay r;
  r.apply({usage_event(h0, event_kind::granted, "cad", "ws1", "alice", "01"),
           usage_event(h0 + 10 * minute, event_kind::granted, "cad", "ws1", "alice", "02"),
           usage_event(h0 + 20 * minute, event_kind::released, "cad", "ws1", "alice", "01"),
           usage_event(h0 + 40 * minute, event_kind::released, "cad", "ws1", "alice", "02")});
  auto rows = usage_by_interval(r.snap(), {h0, h0 + 60 * minute}, h0 + 60 * minute);
  CHECK(rows[0].seat_ms == 40 * minute);
  CHECK(rows[0].peak == 1);
  REQUIRE(r.sessions.size() == 1);
  CHECK(r.sessions[0].start_ms == h0);
  CHECK(r.sessions[0].end_ms == h0 + 40 * minute);
}

TEST_CASE("a lease that lives through a restart counts once, and an open one up to now",
          "[usage]") {
  licd::test::usage_replay r;
  r.apply({usage_event(h0, event_kind::granted, "cad", "ws1", "alice", "01"),
           usage_event(h0 + 10 * minute, event_kind::stopped, "", {}, {}, {}, "clean shutdown"),
           usage_event(h0 + 12 * minute, event_kind::started, "", {}, {}, {}, "licd"),
           usage_event(h0 + 12 * minute, event_kind::seats, "cad", {}, {}, {}, seats_detail(1)),
           usage_event(h0 + 30 * minute, event_kind::granted, "cad", "ws2", "bob", "02")});
  auto s = r.snap();
  // At 10:50 the report ends: ws1 from 10:00, ws2 from 10:30, both still open.
  auto rows = usage_by_interval(s, {h0, h0 + 60 * minute}, h0 + 50 * minute);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].end_ms == h0 + 50 * minute);
  CHECK(rows[0].seat_ms == (50 + 20) * minute);
  CHECK(rows[0].full_ms == 38 * minute); // one seat from 10:12, in use ever since
  auto users = usage_by_holder(s, holder::user, h0, h0 + 60 * minute, h0 + 50 * minute);
  CHECK(row_of(users, "alice")->seat_ms == 50 * minute);
  CHECK(row_of(users, "alice")->sessions == 1);
  CHECK(row_of(users, "bob")->seat_ms == 20 * minute);
}

TEST_CASE("an end of a lease never granted and a clock going back change nothing", "[usage]") {
  licd::test::usage_replay r;
  r.apply({usage_event(h0, event_kind::granted, "cad", "ws1", "alice", "01"),
           usage_event(h0 + 10 * minute, event_kind::released, "cad", "ws9", "zed", "99"),
           usage_event(h0 + 5 * minute, event_kind::released, "cad", "ws1", "alice", "01")});
  // The release stamped 10:05 came after one stamped 10:10: it counts at 10:10.
  REQUIRE(r.sessions.size() == 1);
  CHECK(r.sessions[0].end_ms == h0 + 10 * minute);
  CHECK(r.t.levels().at("cad").in_use == 0);
}

TEST_CASE("roll-ups of random histories equal a second-by-second replay", "[usage]") {
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    auto history = licd::test::random_history(seed, 300);
    licd::test::usage_replay r;
    r.apply(history);
    auto until = history.back().at_ms + 2 * hour_ms;
    auto expected = licd::test::brute_force_hours(history, until);
    auto got = r.hours;
    for (const auto& [product, l] : r.t.levels()) { // the time since the last event
      std::map<int64_t, hour> tail;
      add_segment(tail, l.at_ms, until, l.in_use, l.installed);
      for (const auto& [start, h] : tail)
        merge(got[{product, start}], h);
    }
    INFO("seed " << seed);
    REQUIRE(got.size() == expected.size());
    for (const auto& [k, h] : expected) {
      INFO(k.first << " hour " << (k.second - licd::test::history_start_ms) / hour_ms);
      REQUIRE(got.count(k) == 1);
      CHECK(got[k].seat_ms == h.seat_ms);
      CHECK(got[k].installed_ms == h.installed_ms);
      CHECK(got[k].full_ms == h.full_ms);
      CHECK(got[k].peak == h.peak);
      CHECK(got[k].installed == h.installed);
      CHECK(got[k].denials == h.denials);
      CHECK(got[k].denied_users == h.denied_users);
    }
    auto episodes = r.snap().episodes;
    auto expected_episodes = licd::test::brute_force_episodes(history);
    auto order = [](const episode& a, const episode& b) {
      return std::tie(a.product, a.computer, a.user, a.first_ms)
             < std::tie(b.product, b.computer, b.user, b.first_ms);
    };
    std::sort(episodes.begin(), episodes.end(), order);
    std::sort(expected_episodes.begin(), expected_episodes.end(), order);
    CHECK(episodes == expected_episodes);
    // Seat-time per computer from the sessions is the same seat-time.
    auto by_computer = usage_by_holder(r.snap(), holder::computer, 0, until, until);
    int64_t sum = 0, expected_sum = 0;
    for (const auto& row : by_computer)
      sum += row.seat_ms;
    for (const auto& [k, h] : expected)
      expected_sum += h.seat_ms;
    CHECK(sum == expected_sum);
  }
}
