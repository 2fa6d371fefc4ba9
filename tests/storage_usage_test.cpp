#include "storage/database.hpp"
#include "storage/seal.hpp"
#include "temp_dir.hpp"
#include "usage_history.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <random>

using namespace licd;
using licd::test::temp_dir;
namespace usage = licd::engine::usage;

namespace {

storage::database::options options_for(const std::string& dir) {
  storage::database::options o;
  o.dir = dir;
  o.map_size = size_t{64} << 20;
  return o;
}

/// Everything stored, over all time.
usage::snapshot stored(const storage::database& db) {
  storage::usage_table::query q;
  q.from_ms = 0;
  q.to_ms = int64_t{1} << 62;
  q.hours = q.sessions = q.episodes = true;
  auto s = db.usage(q);
  licd::test::sort_snapshot(s);
  return s;
}

usage::snapshot replayed(const std::vector<engine::event>& history) {
  licd::test::usage_replay r;
  r.apply(history);
  auto s = r.snap();
  licd::test::sort_snapshot(s);
  return s;
}

void check_same(const usage::snapshot& got, const usage::snapshot& want) {
  CHECK(got.levels == want.levels);
  CHECK(got.holds == want.holds);
  CHECK(got.hours == want.hours);
  CHECK(got.sessions == want.sessions);
  CHECK(got.episodes == want.episodes);
}

/// The activity log as stored, in log order.
std::vector<engine::event> logged(const storage::database& db) {
  std::vector<engine::event> out;
  for (auto& [seq, e] : db.events(1, 1'000'000))
    out.push_back(std::move(e));
  return out;
}

} // namespace

TEST_CASE("roll-ups stored over many commits and reopenings equal a replay of the log",
          "[storage][usage]") {
  for (uint32_t seed = 1; seed <= 10; ++seed) {
    temp_dir dir;
    auto history = licd::test::random_history(seed, 400);
    std::mt19937 rng(seed);
    size_t at = 0;
    while (at < history.size()) {
      storage::database db(options_for(dir.path()));
      for (int commits = 0; commits < 5 && at < history.size(); ++commits) {
        std::vector<storage::change_set> sets(1 + rng() % 3);
        for (auto& cs : sets)
          for (size_t n = rng() % 8; n > 0 && at < history.size(); --n)
            cs.events.push_back(history[at++]);
        std::vector<const storage::change_set*> ptrs;
        for (const auto& cs : sets)
          ptrs.push_back(&cs);
        db.commit(ptrs);
      }
    } // closed between rounds, as a restart would
    storage::database db(options_for(dir.path()));
    INFO("seed " << seed);
    check_same(stored(db), replayed(logged(db)));
    check_same(stored(db), replayed(history));
  }
}

TEST_CASE("events not logged still count in the roll-ups", "[storage][usage]") {
  temp_dir dir;
  storage::database db(options_for(dir.path()));
  auto t0 = licd::test::history_start_ms;
  storage::change_set grant;
  grant.events.push_back(
    licd::test::usage_event(t0, engine::event_kind::granted, "cad", "ws1", "alice", "01"));
  grant.log_events = false;
  db.commit(grant);
  CHECK(db.events(1, 10).empty());
  auto s = stored(db);
  CHECK(s.levels.at("cad").in_use == 1);
  CHECK(s.holds.count({"cad", "ws1"}) == 1);
}

TEST_CASE("a commit that fails leaves the roll-ups' state as stored", "[storage][usage]") {
  temp_dir dir;
  auto o = options_for(dir.path());
  o.map_size = size_t{1} << 20;
  o.reserve = 0;
  storage::database db(o);
  auto t0 = licd::test::history_start_ms;
  storage::change_set grant, too_big;
  grant.events.push_back(
    licd::test::usage_event(t0, engine::event_kind::granted, "cad", "ws1", "alice", "01"));
  too_big.put_meta.emplace_back("big", std::string(size_t{2} << 20, 'x'));
  CHECK_THROWS(db.commit({&grant, &too_big}));
  CHECK(db.usage_state().levels().empty());
  CHECK(stored(db).holds.empty());
  db.commit(grant);
  CHECK(db.usage_state().levels().at("cad").in_use == 1);
  CHECK(db.usage_state().holds().empty()); // stored, not kept at hand
  check_same(stored(db), replayed(grant.events));
}

TEST_CASE("a data dir of format 3 gets its roll-ups from its log and leases", "[storage][usage]") {
  temp_dir dir;
  auto t0 = licd::test::history_start_ms;
  auto history = licd::test::random_history(7, 200);
  storage::lease_record unlogged; // a lease whose grant the log no longer holds
  unlogged.id = engine::make_random_lease_id();
  unlogged.product = "cad";
  unlogged.computer = "old-ws";
  unlogged.user = "olga";
  unlogged.granted_at_ms = t0 - usage::hour_ms;
  {
    storage::database db(options_for(dir.path()));
    storage::change_set cs;
    cs.events = history;
    cs.put_leases.push_back(unlogged);
    db.commit(cs);
  }
  { // what a licd of format 3 left: no `usage` table
    storage::lmdb::env env(dir.path(), size_t{64} << 20, 8);
    storage::lmdb::txn t(env, false);
    auto usage_db = t.open_db("usage", false);
    storage::lmdb::check(mdb_drop(t.get(), usage_db, 1), "mdb_drop");
    auto meta = t.open_db("meta", false);
    t.put(meta, "format", storage::sealed("format", "3"));
    t.commit();
  }
  storage::database db(options_for(dir.path()));
  CHECK(db.migrated_from() == 3);
  auto with_lease = history;
  with_lease.push_back(licd::test::usage_event(unlogged.granted_at_ms, engine::event_kind::granted,
                                               "cad", "old-ws", "olga", unlogged.id.to_hex()));
  check_same(stored(db), replayed(with_lease));
  CHECK(stored(db).holds.count({"cad", "old-ws"}) == 1);
}

TEST_CASE("pruning the roll-ups removes old hours, sessions and episodes only",
          "[storage][usage]") {
  temp_dir dir;
  std::optional<storage::database> open_db(std::in_place, options_for(dir.path()));
  auto& db = *open_db;
  auto t0 = licd::test::history_start_ms;
  auto day = 24 * usage::hour_ms;
  storage::change_set cs;
  using engine::event_kind;
  cs.events = {
    licd::test::usage_event(t0, event_kind::seats, "cad", {}, {}, {}, usage::seats_detail(1)),
    licd::test::usage_event(t0, event_kind::granted, "cad", "ws1", "alice", "01"),
    licd::test::usage_event(t0 + 1000, event_kind::denied, "cad", "ws2", "bob", {}, "full"),
    licd::test::usage_event(t0 + 2000, event_kind::released, "cad", "ws1", "alice", "01"),
    licd::test::usage_event(t0 + 10 * day, event_kind::granted, "cad", "ws1", "alice", "02"),
    licd::test::usage_event(t0 + 10 * day + 5, event_kind::released, "cad", "ws1", "alice", "02"),
  };
  db.commit(cs);
  auto before = stored(db);
  REQUIRE(before.episodes.size() == 1);
  CHECK(db.prune_usage(t0 + 5 * day, 1000) > 0);
  auto after = stored(db);
  CHECK(after.levels.at("cad").first_ms == t0 + 5 * day);
  CHECK(after.levels.at("cad").at_ms == before.levels.at("cad").at_ms);
  CHECK(db.usage_state().levels().at("cad").first_ms == t0 + 5 * day);
  CHECK(after.episodes.empty());
  REQUIRE(after.sessions.size() == 1);
  CHECK(after.sessions[0].start_ms == t0 + 10 * day);
  CHECK(after.hours.at("cad").begin()->first >= t0 + 5 * day);
  CHECK(db.prune_usage(t0 + 5 * day, 1000) == 0);
  // The open episode's index went with it: the state loads again.
  open_db.reset();
  storage::database again(options_for(dir.path()));
  CHECK(again.usage_state().open_episodes().empty());
}
