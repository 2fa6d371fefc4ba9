// End to end: usage and denial reports from a real licd, through licadmin and the admin API;
// the roll-ups after a SIGKILL equal a recomputation from the activity log.

#include "e2e_admin_support.hpp"
#include "storage/database.hpp"
#include "usage_history.hpp"

#include <ctime>
#include <fstream>
#include <numeric>

using namespace licd::test;
using json = nlohmann::json;

namespace licd {
/// "2026-03-01T00:00:00Z" as milliseconds since the epoch.
int64_t admin_test_time(const std::string& iso) {
  std::tm tm{};
  REQUIRE(strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) != nullptr);
  return int64_t{timegm(&tm)} * 1000;
}
} // namespace licd

namespace {

/// Checks that a stopped licd's stored roll-ups equal a replay of its stored activity log, and
/// gives them back.
licd::engine::usage::snapshot check_rollups_replay(const std::string& data_dir) {
  licd::storage::database::options o;
  o.dir = data_dir;
  licd::storage::database db(o);
  std::vector<licd::engine::event> log;
  for (auto& [seq, e] : db.events(1, 10'000'000))
    log.push_back(std::move(e));
  usage_replay replay;
  replay.apply(log);
  auto want = replay.snap();
  licd::storage::usage_table::query q;
  q.to_ms = int64_t{1} << 62;
  q.hours = q.sessions = q.episodes = true;
  auto got = db.usage(q);
  sort_snapshot(want);
  sort_snapshot(got);
  CHECK(got.levels == want.levels);
  CHECK(got.holds == want.holds);
  CHECK(got.hours == want.hours);
  CHECK(got.sessions == want.sessions);
  CHECK(got.episodes == want.episodes);
  return got;
}

double sum_of(const json& rows, const char* field) {
  double total = 0;
  for (const auto& r : rows)
    total += r[field].get<double>();
  return total;
}

const json* row_where(const json& rows, const char* field, const std::string& value) {
  for (const auto& r : rows)
    if (r[field] == value)
      return &r;
  return nullptr;
}

} // namespace

TEST_CASE("licadmin reports seats, peaks, denials, users and episodes of a real licd",
          "[e2e][reports]") {
  admin_fixture f;
  REQUIRE(f.licadmin({"licenses", "add", f.issue("cad", 2)}).status == 0);
  auto alice = connect_as(f.licd(), "ws1", "alice");
  auto bob = connect_as(f.licd(), "ws2", "bob");
  auto carol = connect_as(f.licd(), "ws3", "carol");
  auto a = alice->checkout("cad");
  alice->checkout("cad"); // a second instance: still one seat
  bob->checkout("cad");
  for (int i = 0; i < 3; ++i) // carol's retries: one episode
    CHECK_THROWS_AS(carol->checkout("cad"), licd::client::refused);
  alice->release(a.lease);
  CHECK_THROWS_AS(carol->checkout("cad"), licd::client::refused); // alice has another lease
  auto dave = connect_as(f.licd(), "ws4", "dave");
  CHECK_THROWS_AS(dave->checkout("cad"), licd::client::refused);
  REQUIRE(f.licadmin({"computers", "disconnect", "ws1", "--yes"}).status == 0);
  carol->checkout("cad");

  auto day = f.licadmin_json({"report", "usage", "--utc"});
  REQUIRE(day["rows"].size() == 1); // one product, one day (the 30 days before begin today)
  const auto& today = day["rows"][0];
  CHECK(today["product"] == "cad");
  CHECK(today["installed"] == 2);
  CHECK(today["peak"] == 2);
  CHECK(today["denials"] == 5);
  CHECK(today["users_denied"] == 2);
  CHECK(today["seat_hours"].get<double>() > 0);
  CHECK(today["utilisation"].get<double>() > 0);
  CHECK(today["utilisation"].get<double>() <= 1.0);

  // Per computer the seat-time adds up to the product's; per user the same here.
  auto computers = f.licadmin_json({"report", "usage", "--by=computer", "--utc"});
  auto users = f.licadmin_json({"report", "usage", "--by=user", "--utc"});
  auto later = f.licadmin_json({"report", "usage", "--utc"})["rows"][0]["seat_hours"];
  CHECK(sum_of(computers["rows"], "seat_hours") >= today["seat_hours"].get<double>());
  CHECK(sum_of(computers["rows"], "seat_hours") <= later.get<double>() + 1e-6);
  REQUIRE(row_where(users["rows"], "user", "alice") != nullptr);
  CHECK((*row_where(users["rows"], "user", "alice"))["sessions"] == 1);
  CHECK((*row_where(users["rows"], "user", "carol"))["denials"] == 4);
  CHECK((*row_where(users["rows"], "user", "dave"))["seat_hours"] == 0);
  CHECK((*row_where(computers["rows"], "computer", "ws1"))["sessions"] == 1);

  auto episodes = f.licadmin_json({"report", "denials", "--utc"})["rows"];
  REQUIRE(episodes.size() == 2);
  const auto* c = row_where(episodes, "user", "carol");
  REQUIRE(c != nullptr);
  CHECK((*c)["denials"] == 4);
  CHECK((*c)["outcome"] == "granted");
  CHECK((*c)["waited_minutes"].get<double>() >= 0);
  CHECK((*c)["reason"].get<std::string>().find("seats") != std::string::npos);
  CHECK((*row_where(episodes, "user", "dave"))["outcome"] == "waiting");

  // The same reports as a table, as CSV, and as a picture.
  auto table = f.licadmin({"report", "denials"});
  CHECK(table.status == 0);
  CHECK(table.out.find("carol") != std::string::npos);
  CHECK(table.out.find("seated after") != std::string::npos);
  auto csv = f.licadmin({"report", "usage", "--by=user", "--csv"});
  REQUIRE(csv.status == 0);
  CHECK(csv.out.rfind("product,user,seat_hours,sessions,longest_session_hours,denials\r\n", 0)
        == 0);
  CHECK(std::count(csv.out.begin(), csv.out.end(), '\n') == 1 + 4);
  auto png = f.tmp.path() + "/usage.png";
  auto plotted = f.licadmin({"report", "usage", "--by=hour", "--plot=" + png});
  INFO(plotted.out);
  REQUIRE(plotted.status == 0);
  auto picture = slurp(png);
  CHECK(picture.size() > 1000);
  CHECK(picture.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
}

TEST_CASE("report parameters that are wrong are refused, naming the parameter", "[e2e][reports]") {
  admin_fixture f;
  auto bad = [&](const std::string& query) {
    httplib::Client cli(f.url());
    cli.set_bearer_token_auth(f.token());
    auto res = cli.Get(query);
    REQUIRE(res);
    CHECK(res->status == 400);
    return json::parse(res->body)["error"]["message"].get<std::string>();
  };
  CHECK(bad("/api/v1/reports/usage?by=year").find("by is") != std::string::npos);
  CHECK(bad("/api/v1/reports/usage?from=2026-02-30").find("from:") != std::string::npos);
  CHECK(bad("/api/v1/reports/usage?from=yesterday").find("from:") != std::string::npos);
  CHECK(bad("/api/v1/reports/usage?from=2026-03-02&to=2026-03-01").find("before")
        != std::string::npos);
  CHECK(bad("/api/v1/reports/denials?product=a%20b").find("product") != std::string::npos);
  CHECK(bad("/api/v1/reports/usage?format=xml").find("format") != std::string::npos);
  // licadmin: the API's BAD_REQUEST is a usage error.
  CHECK(f.licadmin({"report", "usage", "--from=2026-13-01"}).status == 2);
  CHECK(f.licadmin({"report", "usage", "--by=year"}).status == 2);
}

TEST_CASE("after a SIGKILL and a restart the roll-ups equal a recomputation from the log",
          "[e2e][reports]") {
  server_fixture s({"--demo"});
  std::vector<std::unique_ptr<licd::client::connection>> conns;
  std::vector<std::string> leases;
  for (int i = 0; i < 7; ++i) {
    conns.push_back(connect_as(*s.licd, "ws" + std::to_string(i), "user" + std::to_string(i)));
    try {
      leases.push_back(conns.back()->checkout("demo").lease);
    } catch (const licd::client::refused&) { // 5 seats: two are turned away
    }
  }
  REQUIRE(leases.size() == 5);
  conns[0]->release(leases[0]);
  conns[5]->checkout("demo");
  conns.clear();
  s.licd->kill(); // acknowledged grants, releases and denials are stored; nothing else ran
  s.start({"--demo"});
  {
    auto c = connect_as(*s.licd, "ws1", "user1");
    c->release(leases[1]); // a lease from before the kill
    auto late = connect_as(*s.licd, "ws9", "user9");
    late->checkout("demo");
    CHECK_THROWS_AS(c->checkout("demo"), licd::client::refused);
  }
  REQUIRE(s.licd->terminate() == 0);

  auto got = check_rollups_replay(s.data);
  // And they say what happened: ws0 and ws1 ended their sessions; ws5, ws6 and then ws1 were
  // turned away, ws5 until ws0 left; all 5 seats in use at the end.
  CHECK(got.levels.at("demo").installed == 5);
  CHECK(got.levels.at("demo").in_use == 5);
  CHECK(got.sessions.size() == 2);
  REQUIRE(got.episodes.size() == 3);
  CHECK(got.episodes[0].computer == "ws5");
  CHECK(got.episodes[0].granted_ms > 0);
  CHECK(got.episodes[2].computer == "ws1");
}

TEST_CASE("licadmin log filters by product, computer, user, kind and time, and pages past "
          "10,000 events",
          "[e2e][reports][log]") {
  admin_fixture f;
  REQUIRE(f.licadmin({"licenses", "add", f.issue("cad", 1)}).status == 0);
  REQUIRE(f.licadmin({"licenses", "add", f.issue("viz", 1)}).status == 0);
  auto ws1 = connect_as(f.licd(), "ws1", "alice");
  ws1->checkout("cad");
  ws1->checkout("viz");
  // 10,050 denials of ws2 for cad, pipelined on one connection.
  licd::client::connection c("127.0.0.1", f.licd().port());
  c.send_raw("HELLO h version=1 computer=ws2 user=bob\n");
  REQUIRE(c.read_line().rfind("OK h", 0) == 0);
  constexpr int denials = 10'050;
  for (int sent = 0; sent < denials;) {
    std::string batch;
    int n = 0;
    for (; n < 500 && sent < denials; ++n, ++sent)
      batch += "CHECKOUT c" + std::to_string(sent) + " cad\n";
    c.send_raw(batch);
    for (int i = 0; i < n; ++i)
      REQUIRE(c.read_line().find("NO_SEATS") != std::string::npos);
  }
  auto lines = [](const std::string& out) {
    std::vector<json> all;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
      all.push_back(json::parse(line));
    return all;
  };
  auto log = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--json", "log"});
    auto r = f.licadmin(args);
    REQUIRE(r.status == 0);
    return lines(r.out);
  };
  auto by_kind = log({"--kind=denied", "--lines=10040"});
  REQUIRE(by_kind.size() == 10'040); // across two pages of the API
  for (size_t i = 0; i < by_kind.size(); ++i) {
    CHECK(by_kind[i]["kind"] == "denied");
    if (i > 0)
      CHECK(by_kind[i]["seq"].get<uint64_t>() > by_kind[i - 1]["seq"].get<uint64_t>());
  }
  auto all_denials = log({"--kind=denied", "--lines=20000"});
  CHECK(all_denials.size() == denials);
  auto viz = log({"--product=viz", "--lines=100"});
  CHECK(viz.size() == 3); // its license, its pool's seats, and alice's grant
  for (const auto& e : viz)
    CHECK(e["product"] == "viz");
  auto alice = log({"--user=alice", "--kind=granted,released", "--lines=100"});
  CHECK(alice.size() == 2);
  auto ws1_events = log({"--computer=ws1", "--product=cad"});
  REQUIRE(ws1_events.size() == 1);
  CHECK(ws1_events[0]["kind"] == "granted");
  CHECK(log({"--since=2099-01-01", "--lines=100"}).empty());
  CHECK(log({"--until=2001-01-01", "--lines=100"}).empty());
  CHECK(log({"--since=2001-01-01", "--kind=granted"}).size() == 2);
  CHECK(f.licadmin({"log", "--kind=nonsense"}).status == 2);
  CHECK(f.licadmin({"log", "--since=yesterday"}).status == 2);

  // The API pages forward too, from `after`, with the filter.
  httplib::Client cli(f.url());
  cli.set_bearer_token_auth(f.token());
  auto first = json::parse(cli.Get("/api/v1/log?after=0&lines=3&kind=granted")->body);
  REQUIRE(first["events"].size() == 2);
  CHECK(first["after"].get<uint64_t>() + 1 == first["next"].get<uint64_t>());
  auto page = json::parse(cli.Get("/api/v1/log?after=0&lines=1&kind=denied")->body);
  REQUIRE(page["events"].size() == 1);
  auto again =
    json::parse(cli.Get("/api/v1/log?lines=1&kind=denied&after=" + page["after"].dump())->body);
  REQUIRE(again["events"].size() == 1);
  CHECK(again["events"][0]["seq"].get<uint64_t>() > page["events"][0]["seq"].get<uint64_t>());
}

TEST_CASE("licd serves a history from gen-history as it is", "[e2e][reports]") {
  temp_dir tmp;
  auto keys = tmp.path() + "/keys", data = tmp.path() + "/data";
  REQUIRE(run({LICGEN_BINARY, "keygen", "--out=" + keys}).status == 0);
  auto made =
    run({LICD_BUILD_DIR "/bench/gen-history", "--data-dir=" + data, "--product=cad", "--seats=20",
         "--days=8", "--users=120", "--vendor-key=" + keys + "/vendor.key"});
  INFO(made.out);
  REQUIRE(made.status == 0);
  CHECK(run({LICD_BUILD_DIR "/bench/gen-history", "--data-dir=" + data, "--product=cad",
             "--seats=20", "--days=8", "--vendor-key=" + keys + "/vendor.key"})
          .status
        == 1); // never over a data dir that holds data
  {
    licd_process licd(data, {"--vendor-key=" + keys + "/vendor.pub"});
    auto report = run(
      {LICADMIN_BINARY, "--data-dir=" + data, "--json", "report", "usage", "--from=2000-01-01"});
    REQUIRE(report.status == 0);
    auto rows = json::parse(report.out)["rows"];
    CHECK(rows.size() >= 8);
    CHECK(rows.size() <= 10);
    uint32_t peak = 0, denials = 0;
    for (const auto& r : rows) {
      CHECK(r["installed"] == 20);
      CHECK(r["peak"].get<uint32_t>() <= 20);
      peak = std::max(peak, r["peak"].get<uint32_t>());
      denials += r["denials"].get<uint32_t>();
    }
    CHECK(peak == 20); // at the limit on working days
    CHECK(denials > 0);
    REQUIRE(licd.terminate() == 0);
  }
  check_rollups_replay(data);
}

TEST_CASE("usage roll-ups older than --usage-days are deleted, and the reports begin there",
          "[e2e][reports]") {
  temp_dir tmp;
  auto keys = tmp.path() + "/keys", data = tmp.path() + "/data";
  REQUIRE(run({LICGEN_BINARY, "keygen", "--out=" + keys}).status == 0);
  REQUIRE(run({LICD_BUILD_DIR "/bench/gen-history", "--data-dir=" + data, "--product=cad",
               "--seats=5", "--days=40", "--users=30", "--vendor-key=" + keys + "/vendor.key"})
            .status
          == 0);
  licd_process licd(data, {"--vendor-key=" + keys + "/vendor.pub", "--usage-days=30"});
  CHECK(eventually([&] { return licd.log().find("usage roll-ups: removed") != std::string::npos; },
                   std::chrono::seconds(10)));
  auto report = run({LICADMIN_BINARY, "--data-dir=" + data, "--json", "report", "usage",
                     "--from=2000-01-01", "--utc"});
  REQUIRE(report.status == 0);
  auto rows = json::parse(report.out)["rows"];
  REQUIRE(!rows.empty());
  auto first = licd::admin_test_time(rows[0]["start"].get<std::string>());
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  constexpr int64_t day = 86'400'000;
  CHECK(first >= now - 31 * day);
  CHECK(first <= now - 29 * day);
  // The activity log keeps its own 365 days: the oldest grant is still there.
  auto log = run({LICADMIN_BINARY, "--data-dir=" + data, "--json", "log", "--kind=granted",
                  "--until=" + rows[0]["start"].get<std::string>(), "--lines=1"});
  CHECK(log.status == 0);
  CHECK(!log.out.empty());
}
