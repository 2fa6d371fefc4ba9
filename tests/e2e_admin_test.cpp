// End to end: license codes from licgen installed through licadmin and the admin API, seats
// adding up, the admin token, disconnect and cooldown, the activity log and /metrics.

#include "e2e_admin_support.hpp"
#include "storage/database.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace licd::test;
using namespace std::chrono_literals;
using json = nlohmann::json;


TEST_CASE("a code from licgen installs, lists and shows", "[e2e][admin][licenses]") {
  admin_fixture f;
  auto code = f.issue("cad", 5, {"--customer=ACME Engineering", "--expires=2099-12-31"});
  auto added = f.licadmin_json({"licenses", "add", code});
  CHECK(added["product"] == "cad");
  CHECK(added["seats"] == 5);
  CHECK(added["state"] == "active");
  CHECK(added["customer"] == "ACME Engineering");
  CHECK(added["expires"] == "2099-12-31");
  std::string id = added["id"];
  auto list = f.licadmin_json({"licenses", "list"});
  REQUIRE(list["licenses"].size() == 1);
  CHECK(list["licenses"][0]["id"] == id);
  auto shown = f.licadmin_json({"licenses", "show", id});
  CHECK(shown["code"] == code);
  CHECK(shown["seats"] == 5);
  CHECK(f.seats("cad") == 5);
  auto table = f.licadmin({"licenses", "list"});
  CHECK(table.status == 0);
  CHECK(table.out.find("ACME Engineering") != std::string::npos);
  // The installed code survives a restart and is verified again.
  REQUIRE(f.s->licd->terminate() == 0);
  f.s->start({"--vendor-key=" + f.keys + "/vendor.pub"});
  CHECK(f.seats("cad") == 5);
}

TEST_CASE("tampered, unknown-key, truncated and pasted codes are refused, each saying so",
          "[e2e][admin][licenses]") {
  admin_fixture f;
  auto code = f.issue("cad", 5);
  auto tampered = code;
  auto pos = tampered.size() / 2;
  while (tampered[pos] == '-')
    ++pos;
  tampered[pos] = tampered[pos] == 'A' ? 'B' : 'A';
  REQUIRE(run({LICGEN_BINARY, "keygen", "--out=" + f.tmp.path() + "/other"}).status == 0);
  auto foreign = f.issue("cad", 5, {}, f.tmp.path() + "/other/vendor.key");
  struct refused_case {
    std::string text, expected;
  };
  for (const auto& c : {refused_case{tampered, "altered or mistyped"},
                        refused_case{foreign, "not trusted here"},
                        refused_case{code.substr(0, code.size() - 15), "cut short"},
                        refused_case{"Dear customer, your code is " + code, "text before"},
                        refused_case{code + " -- kind regards", "text after"}}) {
    INFO(c.text);
    auto r = f.licadmin({"licenses", "add", c.text});
    CHECK(r.status == 3);
    auto j = f.licadmin({"--json", "licenses", "add", c.text});
    CHECK(j.status == 3);
    CHECK_THAT(json::parse(j.out)["error"]["message"].get<std::string>(),
               Catch::Contains(c.expected));
  }
  CHECK(f.licadmin_json({"licenses", "list"})["licenses"].empty());
  // Whitespace, line breaks and lower case are fine.
  std::string mangled;
  for (size_t i = 0; i < code.size(); ++i)
    mangled += std::string(1, static_cast<char>(std::tolower(code[i]))) + (i % 17 == 16 ? "\n " : "");
  CHECK(f.licadmin_json({"licenses", "add", mangled})["seats"] == 5);
}

TEST_CASE("5 + 3 seats make 8 and the 9th computer is denied", "[e2e][admin][licenses]") {
  admin_fixture f;
  f.licadmin_json({"licenses", "add", f.issue("cad", 5)});
  f.licadmin_json({"licenses", "add", f.issue("cad", 3)});
  CHECK(f.seats("cad") == 8);
  auto c = connect_as(f.licd(), "relay");
  for (int i = 1; i <= 8; ++i)
    c->checkout("cad", "ws" + std::to_string(i));
  CHECK(refusal([&] { c->checkout("cad", "ws9"); }) == "NO_SEATS");
}

TEST_CASE("installing the same code twice is refused as a duplicate", "[e2e][admin][licenses]") {
  admin_fixture f;
  auto code = f.issue("cad", 5);
  f.licadmin_json({"licenses", "add", code});
  auto again = f.licadmin({"--json", "licenses", "add", code});
  CHECK(again.status == 3);
  CHECK_THAT(json::parse(again.out)["error"]["message"].get<std::string>(),
             Catch::Contains("already"));
  CHECK(f.seats("cad") == 5);
}

TEST_CASE("a code past its expiry date does not count", "[e2e][admin][licenses]") {
  admin_fixture f;
  auto expired = f.licadmin_json({"licenses", "add", f.issue("cad", 5, {"--expires=2020-01-31"})});
  CHECK(expired["state"] == "expired");
  CHECK(f.seats("cad") == 0);
  auto c = connect_as(f.licd(), "ws1");
  CHECK(refusal([&] { c->checkout("cad"); }) == "NO_SEATS");
  f.licadmin_json({"licenses", "add", f.issue("cad", 2, {"--expires=2099-01-31"})});
  CHECK(f.seats("cad") == 2);
}

TEST_CASE("removing a code lowers the seats and ends the leases of the last computers",
          "[e2e][admin][licenses]") {
  admin_fixture f;
  f.licadmin_json({"licenses", "add", f.issue("cad", 5)});
  std::string three = f.licadmin_json({"licenses", "add", f.issue("cad", 3)})["id"];
  auto c = connect_as(f.licd(), "relay");
  std::vector<std::string> leases;
  for (int i = 1; i <= 8; ++i)
    leases.push_back(c->checkout("cad", "ws" + std::to_string(i)).lease);
  f.licadmin_json({"licenses", "remove", three});
  CHECK(f.seats("cad") == 5);
  // The seat invariant holds at once: the three computers that came last lose their leases.
  CHECK(eventually([&] { return used_seats(f.licd(), "cad") == 5; }, 5s));
  for (size_t i = 0; i < leases.size(); ++i) {
    INFO("ws" << i + 1);
    if (i < 5)
      CHECK(c->renew(leases[i]) == 600);
    else
      CHECK(refusal([&] { c->renew(leases[i]); }) == "UNKNOWN_LEASE");
  }
  CHECK(refusal([&] { c->checkout("cad", "ws9"); }) == "NO_SEATS");
  c->release(leases[0]);
  CHECK(c->checkout("cad", "ws9").used == 5);
  CHECK(f.licadmin({"licenses", "remove", three}).status == 3); // unknown id now
  auto r = f.licadmin({"log", "--lines=100"});
  CHECK(r.out.find("seats_reduced") != std::string::npos);
  CHECK(r.out.find("computer=ws8") != std::string::npos);
}

TEST_CASE("every admin endpoint refuses a missing or wrong token", "[e2e][admin][token]") {
  admin_fixture f;
  std::string id = f.licadmin_json({"licenses", "add", f.issue("cad", 5)})["id"];
  auto c = connect_as(f.licd(), "ws1");
  auto lease = c->checkout("cad").lease;
  struct endpoint {
    std::string method, path;
  };
  std::vector<endpoint> endpoints{{"GET", "/api/v1/server"},
                                  {"POST", "/api/v1/server/stop"},
                                  {"GET", "/api/v1/licenses"},
                                  {"POST", "/api/v1/licenses"},
                                  {"GET", "/api/v1/licenses/" + id},
                                  {"DELETE", "/api/v1/licenses/" + id},
                                  {"POST", "/api/v1/licenses/" + id + "/activation"},
                                  {"DELETE", "/api/v1/licenses/" + id + "/activation"},
                                  {"GET", "/api/v1/computers"},
                                  {"POST", "/api/v1/computers/ws1/disconnect"},
                                  {"DELETE", "/api/v1/leases/" + lease},
                                  {"GET", "/api/v1/log"},
                                  {"GET", "/api/v1/reports/usage"},
                                  {"GET", "/api/v1/server/options"},
                                  {"POST", "/api/v1/server/log-level"},
                                  {"GET", "/api/v1/session"},
                                  {"DELETE", "/api/v1/session"},
                                  {"GET", "/metrics"},
                                  {"GET", "/api/v1/no/such/path"}};
  auto wrong = "Bearer " + std::string(f.token().size(), 'f');
  for (const auto& e : endpoints) {
    INFO(e.method << " " << e.path);
    CHECK(http_status(f.url(), e.method, e.path, "") == 401);
    CHECK(http_status(f.url(), e.method, e.path, wrong) == 401);
    CHECK(http_status(f.url(), e.method, e.path, "Bearer") == 401);
    CHECK(http_status(f.url(), e.method, e.path, f.token()) == 401); // the scheme is required
  }
  // Outside /api/ only the License Manager's own files are served, to anyone (they hold no
  // secret); anything else there is 404 whatever the token.
  CHECK(http_status(f.url(), "GET", "/", "") == 200);
  CHECK(http_status(f.url(), "GET", "/no/such/path", "") == 404);
  CHECK(http_status(f.url(), "GET", "/no/such/path", wrong) == 404);
  // Nothing changed: the license, the lease and the server are all still there.
  CHECK(f.seats("cad") == 5);
  CHECK(c->renew(lease) == 600);
  CHECK(http_status(f.url(), "GET", "/api/v1/server", "Bearer " + f.token()) == 200);
  CHECK(f.s->licd->log().find(f.token()) == std::string::npos); // never logged
  auto wrong_file = f.tmp.path() + "/wrong.token";
  std::ofstream(wrong_file) << std::string(64, 'f') << "\n";
  CHECK(f.licadmin({"--token-file=" + wrong_file, "status"}).status == 5);
}

TEST_CASE("disconnect frees the seats at once and the cooldown refuses the computer",
          "[e2e][admin][computers]") {
  admin_fixture f({"--disconnect-cooldown=2"});
  f.licadmin_json({"licenses", "add", f.issue("cad", 2)});
  auto ws1 = connect_as(f.licd(), "ws1", "alice");
  auto first = ws1->checkout("cad").lease;
  ws1->checkout("cad"); // a second instance on ws1
  auto computers = f.licadmin_json({"computers", "list"})["computers"];
  REQUIRE(computers.size() == 1);
  CHECK(computers[0]["computer"] == "ws1");
  CHECK(computers[0]["users"][0] == "alice");
  CHECK(computers[0]["addresses"][0] == "127.0.0.1");
  CHECK(computers[0]["sessions"] == 1);
  CHECK(computers[0]["leases"].size() == 2);
  CHECK(computers[0]["products"][0] == "cad");

  auto r = f.licadmin_json({"computers", "disconnect", "ws1"});
  CHECK(r["leases_ended"] == 2);
  CHECK(r["cooldown_seconds"] == 2);
  CHECK(used_seats(f.licd(), "cad") == 0); // at once
  // The session is told why, then closed.
  CHECK_THAT(ws1->read_line(), Catch::StartsWith("ERR - DISCONNECTED an administrator disconnected"));
  CHECK_THROWS_AS(ws1->roundtrip("PING 1"), licd::client::connection_error);
  auto listed = f.licadmin_json({"computers", "list"});
  CHECK(listed["computers"].empty());
  // The cooldown is listed, per product, with the time left.
  REQUIRE(listed["cooldowns"].size() == 1);
  CHECK(listed["cooldowns"][0]["computer"] == "ws1");
  CHECK(listed["cooldowns"][0]["product"] == "cad");
  CHECK(listed["cooldowns"][0]["seconds_left"].get<int>() >= 1);
  CHECK(listed["cooldowns"][0]["seconds_left"].get<int>() <= 2);
  auto back = connect_as(f.licd(), "ws1", "alice");
  CHECK(refusal([&] { back->checkout("cad"); }) == "DISCONNECTED");
  CHECK(refusal([&] { back->renew(first); }) == "UNKNOWN_LEASE");
  CHECK(connect_as(f.licd(), "ws2")->checkout("cad").used == 1); // others are served
  std::this_thread::sleep_for(2500ms);
  CHECK(back->checkout("cad").used == 2);
  CHECK(f.licadmin_json({"computers", "list"})["cooldowns"].empty()); // over
}

TEST_CASE("a force-disconnect's cooldown survives a restart, clean or SIGKILL",
          "[e2e][admin][computers]") {
  admin_fixture f({"--disconnect-cooldown=3"});
  auto args = std::vector<std::string>{"--vendor-key=" + f.keys + "/vendor.pub",
                                       "--disconnect-cooldown=3"};
  f.licadmin_json({"licenses", "add", f.issue("cad", 2)});
  connect_as(f.licd(), "ws1")->checkout("cad");
  CHECK(f.licadmin_json({"computers", "disconnect", "ws1"})["leases_ended"] == 1);
  // A computer neither connected nor holding a lease is unknown: an error, and no cooldown.
  auto unknown = f.licadmin({"--json", "computers", "disconnect", "ws9"});
  CHECK(unknown.status == 3);
  CHECK(json::parse(unknown.out)["error"]["code"] == "UNKNOWN_COMPUTER");
  auto started = std::chrono::steady_clock::now();
  REQUIRE(f.s->licd->terminate() == 0);
  f.s->start(args);
  CHECK(refusal([&] { connect_as(f.licd(), "ws1")->checkout("cad"); }) == "DISCONNECTED");
  f.s->licd->kill();
  f.s->start(args);
  CHECK(refusal([&] { connect_as(f.licd(), "ws1")->checkout("cad"); }) == "DISCONNECTED");
  {
    auto ws9 = connect_as(f.licd(), "ws9"); // no cooldown was stored for it
    ws9->release(ws9->checkout("cad").lease);
  }
  CHECK(connect_as(f.licd(), "ws2")->checkout("cad").used == 1); // others are served
  // It ends when it was due, restarts or not.
  std::this_thread::sleep_until(started + 3500ms);
  CHECK(connect_as(f.licd(), "ws1")->checkout("cad").used == 2);
}

TEST_CASE("an administrator can end one lease", "[e2e][admin][leases]") {
  admin_fixture f;
  f.licadmin_json({"licenses", "add", f.issue("cad", 2)});
  auto c = connect_as(f.licd(), "ws1");
  auto lease = c->checkout("cad").lease;
  CHECK(f.licadmin_json({"leases", "end", lease})["ended"] == true);
  CHECK(refusal([&] { c->renew(lease); }) == "UNKNOWN_LEASE");
  CHECK(used_seats(f.licd(), "cad") == 0);
  CHECK(f.licadmin({"leases", "end", lease}).status == 3);
  CHECK(f.licadmin({"leases", "end", "not-a-lease"}).status == 3);
}

TEST_CASE("the activity log shows the events in order", "[e2e][admin][log]") {
  admin_fixture f;
  std::string id = f.licadmin_json({"licenses", "add", f.issue("cad", 1)})["id"];
  auto c = connect_as(f.licd(), "ws1", "alice");
  auto lease = c->checkout("cad").lease;
  CHECK(refusal([&] { c->checkout("cad", "ws2"); }) == "NO_SEATS");
  c->release(lease);
  f.licadmin_json({"computers", "disconnect", "ws1"});
  f.licadmin_json({"licenses", "remove", id});
  // (Without the pool's `seats` events, which it logs as it starts and when the seats change,
  // beside these.)
  auto r = f.licadmin({"--json", "log", "--lines=100",
                       "--kind=started,license_added,granted,"
                       "denied,released,admin,license_removed"});
  REQUIRE(r.status == 0);
  std::vector<std::string> kinds;
  uint64_t last_seq = 0;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    auto e = json::parse(line);
    CHECK(e["seq"].get<uint64_t>() > last_seq);
    last_seq = e["seq"];
    kinds.push_back(e["kind"]);
  }
  CHECK(kinds == std::vector<std::string>{"started", "license_added", "granted", "denied",
                                          "released", "admin", "license_removed"});
  auto tail = f.licadmin({"log", "--lines=2", "--kind=license_removed,granted,released"});
  CHECK(tail.status == 0);
  CHECK(tail.out.find("license_removed") != std::string::npos);
  CHECK(tail.out.find("granted") == std::string::npos);
}

TEST_CASE("activity-log entries older than --activity-log-days are deleted at start",
          "[e2e][admin][log]") {
  // A data dir whose log began 40 days ago (written before licd first runs on it: the log is
  // in logging order, oldest first).
  temp_dir tmp;
  std::string data = tmp.path() + "/data";
  std::filesystem::create_directories(data);
  write_old_log(data);
  auto details = [&] {
    std::vector<std::string> out;
    auto r = run({LICADMIN_BINARY, "--data-dir=" + data, "--json", "log", "--lines=100"});
    REQUIRE(r.status == 0);
    std::istringstream lines(r.out);
    uint64_t last_seq = 0;
    for (std::string line; std::getline(lines, line);) {
      auto e = json::parse(line);
      CHECK(e["seq"].get<uint64_t>() > last_seq); // numbers go on, never reused
      last_seq = e["seq"];
      out.push_back(e["detail"]);
    }
    return out;
  };
  auto count = [](const std::vector<std::string>& v, const std::string& prefix) {
    return std::count_if(v.begin(), v.end(),
                         [&](const std::string& d) { return d.rfind(prefix, 0) == 0; });
  };
  {
    licd_process licd(data, {"--demo"}); // the default keeps a year: 40 days old stays
    auto kept = details();
    CHECK(count(kept, "old-") == 3);
    CHECK(count(kept, "recent") == 1);
    REQUIRE(licd.terminate() == 0);
  }
  licd_process licd(data, {"--demo", "--activity-log-days=30"});
  std::vector<std::string> after;
  CHECK(eventually(
    [&] {
      after = details();
      return count(after, "old-") == 0;
    },
    std::chrono::seconds(10)));
  CHECK(count(after, "recent") == 1);
  CHECK(count(after, "licd ") >= 2); // the starts' own entries
  CHECK(licd.log().find("activity log: removed 3 entries older than 30 days")
        != std::string::npos);
}

TEST_CASE("licadmin log --follow prints new events as they happen", "[e2e][admin][log]") {
  admin_fixture f;
  f.licadmin_json({"licenses", "add", f.issue("cad", 1)});
  int out[2];
  REQUIRE(::pipe(out) == 0);
  auto data_dir = "--data-dir=" + f.s->data;
  int pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::close(out[0]);
    ::close(out[1]);
    ::execl(LICADMIN_BINARY, LICADMIN_BINARY, data_dir.c_str(), "--json", "log", "--lines=1",
            "--follow", "--kind=license_added,granted,released", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  FILE* in = ::fdopen(out[0], "r");
  auto next_event = [&] {
    char line[4096];
    REQUIRE(std::fgets(line, sizeof(line), in) != nullptr);
    return json::parse(line);
  };
  CHECK(next_event()["kind"] == "license_added"); // the newest of these, then it follows
  auto c = connect_as(f.licd(), "ws1", "alice");
  auto lease = c->checkout("cad").lease;
  auto granted = next_event();
  CHECK(granted["kind"] == "granted");
  CHECK(granted["lease"] == lease);
  c->release(lease);
  CHECK(next_event()["kind"] == "released");
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  std::fclose(in);
}

TEST_CASE("/metrics passes promtool check metrics", "[e2e][admin][metrics]") {
  admin_fixture f;
  f.licadmin_json({"licenses", "add", f.issue("cad", 1)});
  auto c = connect_as(f.licd(), "ws1");
  auto lease = c->checkout("cad").lease;
  c->renew(lease);
  refusal([&] { c->checkout("cad", "ws2"); });
  c->roundtrip("garbage");
  httplib::Client cli(f.url());
  auto res = cli.Get("/metrics", {{"Authorization", "Bearer " + f.token()}});
  REQUIRE(res);
  REQUIRE(res->status == 200);
  auto file = f.tmp.path() + "/metrics.txt";
  std::ofstream(file) << res->body;
  auto check = run({"/bin/sh", "-c", "promtool check metrics < " + file + " 2>&1"});
  INFO(check.out);
  CHECK(check.status == 0);
  CHECK(res->body.find("licd_grants_total{product=\"cad\"} 1") != std::string::npos);
  CHECK(res->body.find("licd_denials_total{product=\"cad\",reason=\"no_seats\"} 1")
        != std::string::npos);
  CHECK(res->body.find("licd_seats_used{product=\"cad\"} 1") != std::string::npos);
  CHECK(res->body.find("licd_sessions 1") != std::string::npos);
  CHECK(res->body.find("licd_protocol_errors_total 1") != std::string::npos);
  CHECK(res->body.find("licd_request_duration_seconds_count{kind=\"renew\"} 1")
        != std::string::npos);
  CHECK(res->body.find("licd_activity_log_dropped_total 0") != std::string::npos);
  CHECK(res->body.find("licd_store_commits_total ") != std::string::npos);
  CHECK(res->body.find("licd_store_commits_total 0") == std::string::npos); // some, by now
}

TEST_CASE("licadmin's --json output parses for every command", "[e2e][admin][licadmin]") {
  admin_fixture f;
  std::string id = f.licadmin_json({"licenses", "add", f.issue("cad", 3)})["id"];
  connect_as(f.licd(), "ws1")->checkout("cad");
  auto status = f.licadmin_json({"status"});
  CHECK(status["version"].is_string());
  CHECK(status["ports"]["client_tcp"] == f.licd().port());
  CHECK(status["products"][0]["product"] == "cad");
  CHECK(status["products"][0]["seats"] == 3);
  CHECK(f.licadmin_json({"licenses", "list"})["licenses"].size() == 1);
  CHECK(f.licadmin_json({"licenses", "show", id})["id"] == id);
  CHECK(f.licadmin_json({"computers", "list"})["computers"].is_array());
  auto log = f.licadmin({"--json", "log", "--lines=1"});
  CHECK(log.status == 0);
  CHECK(json::parse(log.out)["kind"].is_string());
  auto unknown = f.licadmin({"--json", "licenses", "show", "0000000000000000"});
  CHECK(unknown.status == 3);
  CHECK(json::parse(unknown.out)["error"]["code"].is_string());
}

TEST_CASE("licadmin reports an unreachable server and stops a running one",
          "[e2e][admin][licadmin]") {
  admin_fixture f;
  CHECK(f.licadmin_json({"server", "stop"})["stopping"] == true);
  // licd exits on its own, cleanly.
  CHECK(eventually([&] { return !f.s->licd->running(); }, 20s));
  CHECK(f.s->licd->exit_status() == 0);
  CHECK(f.licadmin({"status"}).status == 4);
  // It says which URL it tried, where that came from, and what to check.
  auto gone = f.licadmin({"status", "--json", "--server=http://127.0.0.1:1"});
  CHECK(gone.status == 4);
  auto error = json::parse(gone.out)["error"];
  CHECK(error["code"] == "UNREACHABLE");
  CHECK_THAT(error["message"].get<std::string>(),
             Catch::Contains("http://127.0.0.1:1 (from --server): nothing accepts connections")
               && Catch::Contains("Check that licd is running"));
  auto no_url = run({LICADMIN_BINARY, "--data-dir=" + f.s->data + "/nowhere", "--json", "status"});
  CHECK(no_url.status == 4);
  CHECK_THAT(json::parse(no_url.out)["error"]["message"].get<std::string>(),
             Catch::Contains("is licd running with --data-dir=" + f.s->data + "/nowhere"));
}

TEST_CASE("licadmin licenses add - reads the code from stdin", "[e2e][admin][licadmin]") {
  admin_fixture f;
  auto code = f.issue("cad", 2);
  auto r = run({"/bin/sh", "-c",
                "printf '%s\\n' '" + code + "' | " LICADMIN_BINARY " --data-dir=" + f.s->data
                  + " licenses add - --json"});
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["product"] == "cad");
  CHECK(f.seats("cad") == 2);
}

TEST_CASE("destructive licadmin commands ask at a terminal, but not with --yes or in a script",
          "[e2e][admin][licadmin]") {
  admin_fixture f;
  f.licadmin_json({"licenses", "add", f.issue("cad", 2)});
  auto ws1 = connect_as(f.licd(), "ws1");
  auto lease = ws1->checkout("cad").lease;
  // `script` gives licadmin a terminal; the answer is typed into it.
  auto at_terminal = [&](const std::string& answer, const std::string& args) {
    return run({"/bin/sh", "-c",
                "printf '" + answer + "\\n' | script -qec '" LICADMIN_BINARY " --data-dir="
                  + f.s->data + " " + args + "' /dev/null"});
  };
  auto no = at_terminal("n", "computers disconnect ws1");
  CHECK(no.status == 1);
  CHECK_THAT(no.out, Catch::Contains("Disconnect ws1?") && Catch::Contains("not confirmed"));
  CHECK(ws1->renew(lease) > 0); // nothing changed
  auto yes = at_terminal("y", "computers disconnect ws1");
  CHECK(yes.status == 0);
  CHECK_THAT(yes.out, Catch::Contains("disconnected ws1: 1 leases ended"));
  auto ws2 = connect_as(f.licd(), "ws2");
  auto lease2 = ws2->checkout("cad").lease;
  auto told = at_terminal("", "--yes leases end " + lease2);
  CHECK(told.status == 0);
  CHECK_THAT(told.out, !Catch::Contains("?") && Catch::Contains("ended"));
  CHECK(refusal([&] { ws2->renew(lease2); }) == "UNKNOWN_LEASE");
  // Without a terminal (a script, a pipe) it does not ask.
  auto ws3 = connect_as(f.licd(), "ws3");
  ws3->checkout("cad");
  CHECK(f.licadmin({"computers", "disconnect", "ws3"}).status == 0);
}

TEST_CASE("licgen makes keys, issues and inspects codes", "[e2e][licgen]") {
  temp_dir tmp;
  auto dir = tmp.path() + "/keys";
  REQUIRE(run({LICGEN_BINARY, "keygen", "--out=" + dir}).status == 0);
  struct stat st {};
  REQUIRE(::stat((dir + "/vendor.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(run({LICGEN_BINARY, "keygen", "--out=" + dir}).status != 0); // never overwrites a key
  auto issued = run({LICGEN_BINARY, "issue", "--key=" + dir + "/vendor.key", "--product=cad",
                     "--seats=7", "--customer=ACME", "--expires=2030-06-30"});
  REQUIRE(issued.status == 0);
  auto code = trim(issued.out);
  auto issued_json = run({LICGEN_BINARY, "issue", "--key=" + dir + "/vendor.key", "--product=cad",
                          "--seats=3", "--json"});
  REQUIRE(issued_json.status == 0);
  auto ij = json::parse(issued_json.out);
  CHECK(ij["product"] == "cad");
  CHECK(ij["seats"] == 3);
  CHECK(ij["code"].get<std::string>().rfind("LICD-", 0) == 0);
  auto bad = run({LICGEN_BINARY, "issue", "--key=" + dir + "/vendor.key", "--product=a b",
                  "--seats=3", "--json"});
  CHECK(bad.status == 2);
  CHECK(json::parse(bad.out)["error"]["code"] == "BAD_ARGUMENT");
  auto verified = run({LICGEN_BINARY, "--json", "inspect", code, "--pub=" + dir + "/vendor.pub"});
  REQUIRE(verified.status == 0);
  auto j = json::parse(verified.out);
  CHECK(j["product"] == "cad");
  CHECK(j["seats"] == 7);
  CHECK(j["customer"] == "ACME");
  CHECK(j["expires"] == "2030-06-30");
  CHECK(j["signature"] == "valid");
  auto decoded = run({LICGEN_BINARY, "inspect", code});
  CHECK(decoded.status == 0);
  CHECK(decoded.out.find("not checked") != std::string::npos);
  REQUIRE(run({LICGEN_BINARY, "keygen", "--out=" + tmp.path() + "/other"}).status == 0);
  CHECK(run({LICGEN_BINARY, "inspect", code, "--pub=" + tmp.path() + "/other/vendor.pub"}).status
        == 3);
  CHECK(run({LICGEN_BINARY, "issue", "--key=" + dir + "/vendor.key", "--product=bad name",
             "--seats=1"})
          .status
        == 2);
  CHECK(run({LICGEN_BINARY, "issue", "--key=" + dir + "/vendor.key", "--product=cad",
             "--seats=1", "--expires=2030-02-30"})
          .status
        == 2);
}

TEST_CASE("licd trusts every vendor key it is given", "[e2e][admin][licenses]") {
  admin_fixture f; // trusts f.keys
  // A second vendor, given as a second --vendor-key.
  auto second = f.tmp.path() + "/second";
  REQUIRE(run({LICGEN_BINARY, "keygen", "--out=" + second}).status == 0);
  REQUIRE(f.s->licd->terminate() == 0);
  f.s->start({"--vendor-key=" + f.keys + "/vendor.pub", "--vendor-key=" + second + "/vendor.pub"});
  f.licadmin_json({"licenses", "add", f.issue("cad", 2)});
  f.licadmin_json({"licenses", "add", f.issue("cam", 4, {}, second + "/vendor.key")});
  CHECK(f.seats("cad") == 2);
  CHECK(f.seats("cam") == 4);
  // Without the second key licd does not start (its seats would be lost): it names the key.
  REQUIRE(f.s->licd->terminate() == 0);
  CHECK_THROWS_WITH(f.s->start({"--vendor-key=" + f.keys + "/vendor.pub"}),
                    Catch::Contains("(4 seats of cam) needs vendor key"));
}

TEST_CASE("stored names that are not UTF-8 never make the admin API fail", "[e2e][admin]") {
  // A data dir holding what an older licd let in: a lease and log entries whose names are not
  // UTF-8. Every admin view of them answers 200 with valid JSON (U+FFFD in their place).
  admin_fixture f({"--demo"});
  REQUIRE(f.s->licd->terminate() == 0);
  {
    licd::storage::database::options o;
    o.dir = f.s->data;
    licd::storage::database db(o);
    licd::storage::change_set cs;
    licd::storage::lease_record r;
    r.id = licd::engine::make_random_lease_id();
    r.product = "demo";
    r.computer = "bad\xff\xfe";
    r.user = "\xc3(";
    r.instance = "1";
    r.granted_at_ms = 1;
    cs.put_leases.push_back(r);
    licd::engine::event e;
    e.at_ms = 2;
    e.kind = licd::engine::event_kind::granted;
    e.product = "demo";
    e.computer = r.computer;
    e.user = r.user;
    e.lease = r.id.to_hex();
    e.detail = "\xf8\x88\x80\x80\x80";
    cs.events.push_back(e);
    db.commit(cs);
  }
  f.s->start({"--vendor-key=" + f.keys + "/vendor.pub", "--demo"});
  auto auth = httplib::Headers{{"Authorization", "Bearer " + f.token()}};
  httplib::Client cli(f.url());
  for (std::string path : {"/api/v1/computers", "/api/v1/log", "/api/v1/server",
                           "/api/v1/licenses"}) {
    INFO(path);
    auto res = cli.Get(path, auth);
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK_NOTHROW(json::parse(res->body));
  }
  auto log = cli.Get("/api/v1/log", auth);
  REQUIRE(log);
  CHECK_THAT(log->body, Catch::Contains("bad\xef\xbf\xbd\xef\xbf\xbd")); // U+FFFD twice
  CHECK(f.licadmin({"log"}).status == 0);
}

TEST_CASE("the read-only admin token sees everything and changes nothing", "[e2e][admin][auth]") {
  temp_dir keys_dir;
  auto ro = keys_dir.path() + "/readonly.token";
  admin_fixture f({"--admin-readonly-token-file=" + ro});
  REQUIRE(f.licadmin({"licenses", "add", f.issue("cad", 2)}).status == 0);
  struct stat st {};
  REQUIRE(::stat(ro.c_str(), &st) == 0); // made at start, for the owner alone
  CHECK((st.st_mode & 0777) == 0600);
  auto token = trim(slurp(ro));
  CHECK(token != f.token());
  auto as_ro = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "--token-file=" + ro);
    return f.licadmin(args);
  };
  CHECK(as_ro({"status"}).status == 0);
  CHECK(as_ro({"licenses", "list"}).status == 0);
  CHECK(as_ro({"computers", "list"}).status == 0);
  CHECK(as_ro({"log"}).status == 0);
  CHECK(as_ro({"report", "usage"}).status == 0);
  auto refused = as_ro({"--json", "licenses", "add", f.issue("cad", 3)});
  CHECK(refused.status == 5);
  CHECK(refused.out.find("FORBIDDEN") != std::string::npos);
  CHECK(f.seats("cad") == 2); // nothing changed
  httplib::Client cli(f.url());
  auto post =
    cli.Post("/api/v1/server/stop", {{"Authorization", "Bearer " + token}}, "", "text/plain");
  REQUIRE(post);
  CHECK(post->status == 403);
  CHECK(json::parse(post->body)["error"]["code"] == "FORBIDDEN");
  auto metrics = cli.Get("/metrics", {{"Authorization", "Bearer " + token}});
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  // The admin token still changes things; a wrong one is still refused as unauthorized.
  CHECK(f.licadmin({"licenses", "add", f.issue("cad", 3)}).status == 0);
  CHECK(f.seats("cad") == 5);
  auto wrong = cli.Get("/api/v1/server", {{"Authorization", "Bearer " + token + "x"}});
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  // The same token for both roles is refused at start.
  REQUIRE(f.s->licd->terminate() == 0);
  auto same = keys_dir.path() + "/same.token";
  std::ofstream(same) << f.token() << "\n";
  ::chmod(same.c_str(), 0600);
  auto r = run({LICD_BINARY, "--data-dir=" + f.s->data, "--port=0", "--admin-port=0",
                "--discovery-port=0", "--allow-root", "--vendor-key=" + f.keys + "/vendor.pub",
                "--admin-readonly-token-file=" + same});
  CHECK(r.status == 1);
}
