// End to end: a site policy (--policy) enforced by a real licd on real connections, reloaded by
// licadmin and by SIGHUP, refused when it is wrong.

#include "e2e_admin_support.hpp"

#include <csignal>
#include <fstream>

using namespace licd::test;
using namespace std::chrono_literals;

namespace {

/// The message of a refused checkout, or "" when it was granted.
std::string refused_message(licd::client::connection& c, const std::string& computer,
                            const std::string& user) {
  try {
    c.checkout("cad", computer, user);
  } catch (const licd::client::refused& e) {
    return e.code_text() + " " + e.what();
  }
  return "";
}

/// Runs argv with its stderr in `out` too.
run_result run_with_stderr(std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"/bin/sh", "-c", "exec \"$@\" 2>&1", "sh"});
  return run(argv);
}

} // namespace

TEST_CASE("a site policy refuses a checkout by its rules, naming the rule's line",
          "[e2e][policy]") {
  temp_dir dir;
  auto file = dir.path() + "/site.policy";
  write_text(file, R"(# two seats of cad for the modellers, one each, never the render farm
GROUP modelers alice bob
HOST_GROUP farm render-*
RESERVE 2 cad GROUP modelers
MAX 1 cad USER *
EXCLUDE cad HOST_GROUP farm
TTL cad 120
)");
  admin_fixture f({"--policy=" + file});
  f.licadmin_json({"licenses", "add", f.issue("cad", 4)});
  auto c = connect_as(f.licd(), "relay");
  CHECK_THAT(refused_message(*c, "render-01", "x"),
             Catch::StartsWith("EXCLUDED") && Catch::Contains("line 6: EXCLUDE"));
  auto carol = c->checkout("cad", "ws1", "carol");
  CHECK(carol.expires_in == 120); // the policy's TTL for cad
  CHECK_THAT(refused_message(*c, "ws2", "carol"),
             Catch::StartsWith("LIMIT") && Catch::Contains("line 5: MAX 1 cad USER *"));
  c->checkout("cad", "ws3", "dave"); // 2 held, 2 free, both kept for the modellers
  CHECK_THAT(refused_message(*c, "ws4", "erin"),
             Catch::StartsWith("RESERVED") && Catch::Contains("line 4: RESERVE 2 cad"));
  c->checkout("cad", "m1", "alice");
  c->checkout("cad", "m2", "bob");
  CHECK(refusal([&] { c->checkout("cad", "ws4", "erin"); }) == "NO_SEATS");
  // The denials say which rule, in the activity log and /metrics.
  auto log = f.licadmin({"log", "--kind=denied"});
  CHECK_THAT(log.out, Catch::Contains("line 4: RESERVE 2 cad GROUP modelers")
                        && Catch::Contains("line 6: EXCLUDE cad HOST_GROUP farm"));
  httplib::Client http(f.url());
  http.set_bearer_token_auth(f.token());
  auto metrics = http.Get("/metrics")->body;
  for (auto reason : {"reserved", "limit", "excluded"})
    CHECK_THAT(metrics, Catch::Contains(std::string("licd_denials_total{product=\"cad\",reason=\"")
                                        + reason + "\"} 1"));
  // Shown as it is in force.
  auto shown = f.licadmin_json({"policy", "show"});
  CHECK(shown["file"] == file);
  CHECK(shown["rules"] == 3);
  CHECK(shown["groups"] == 2);
  CHECK_THAT(shown["text"].get<std::string>(), Catch::Contains("RESERVE 2 cad GROUP modelers"));
}

TEST_CASE("a policy reload applies to the next checkout and ends no lease, a wrong one is "
          "refused and the old one stays",
          "[e2e][policy]") {
  temp_dir dir;
  auto file = dir.path() + "/site.policy";
  write_text(file, "MAX 2 cad USER *\n");
  admin_fixture f({"--policy=" + file});
  f.licadmin_json({"licenses", "add", f.issue("cad", 5)});
  auto c = connect_as(f.licd(), "relay");
  auto first = c->checkout("cad", "ws1", "bob");
  auto second = c->checkout("cad", "ws2", "bob");
  CHECK(refusal([&] { c->checkout("cad", "ws3", "bob"); }) == "LIMIT");

  write_text(file, "EXCLUDE cad USER bob\n");
  auto reloaded = f.licadmin_json({"policy", "reload"});
  CHECK(reloaded["rules"] == 1);
  CHECK(c->renew(first.lease) > 0); // granted leases run on
  CHECK(c->renew(second.lease) > 0);
  CHECK(used_seats(f.licd(), "cad") == 2);
  CHECK_THAT(refused_message(*c, "ws3", "bob"), Catch::StartsWith("EXCLUDED"));
  CHECK(refused_message(*c, "ws3", "carol").empty()); // the MAX is gone with the old file

  write_text(file, "EXCLUDE cad USER bob\nRESERVE x cad USER alice\nALLOW cad USER bob\n");
  auto bad = f.licadmin({"--json", "policy", "reload"});
  CHECK(bad.status == 2);
  CHECK_THAT(bad.out, Catch::Contains("line 2: RESERVE needs a number")
                        && Catch::Contains("line 3: 'ALLOW' is not a keyword"));
  auto shown = f.licadmin_json({"policy", "show"});
  CHECK(shown["rules"] == 1); // the one in force stays
  CHECK(shown["last_reload"]["ok"] == false);
  CHECK(shown["last_reload"]["problems"].size() == 2);
  CHECK_THAT(refused_message(*c, "ws4", "bob"), Catch::StartsWith("EXCLUDED"));

  // SIGHUP reloads too.
  write_text(file, "# nothing\n");
  REQUIRE(::kill(f.licd().pid(), SIGHUP) == 0);
  CHECK(eventually([&] { return refused_message(*c, "ws4", "bob").empty(); }, 10s));
  CHECK(f.licadmin_json({"policy", "show"})["rules"] == 0);
}

TEST_CASE("a wrong policy stops licd at start and fails --check-config, with every line",
          "[e2e][policy]") {
  temp_dir dir;
  auto file = dir.path() + "/bad.policy";
  write_text(file, "GROUP g alice\nRESERVE 2 cad GROUP nobody\nMAX -1 cad USER *\n");
  auto check = run_with_stderr({LICD_BINARY, "--check-config", "--policy=" + file});
  CHECK(check.status == 1);
  CHECK_THAT(check.out, Catch::Contains(file + ":2: no GROUP named 'nobody'")
                          && Catch::Contains(file + ":3: MAX needs a number"));
  auto start = run_with_stderr({LICD_BINARY, "--allow-root", "--create-data-dir",
                                "--data-dir=" + dir.path() + "/data", "--port=0", "--admin-port=0",
                                "--discovery-port=0", "--policy=" + file});
  CHECK(start.status == 1);
  CHECK_THAT(start.out, Catch::Contains("line 2: no GROUP named 'nobody'"));
  auto missing = run({LICD_BINARY, "--check-config", "--policy=" + dir.path() + "/none"});
  CHECK(missing.status == 1);
  write_text(file, "GROUP g alice\nRESERVE 1 cad GROUP g\n");
  auto fine = run({LICD_BINARY, "--check-config", "--policy=" + file});
  CHECK(fine.status == 0);
  CHECK_THAT(fine.out, Catch::Contains("1 rules, 1 groups"));
}
