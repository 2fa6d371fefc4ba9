// The admin API's life cycle in one process: a real server (LMDB data dir, listener) and the
// HTTP API on an ephemeral port.

#include "actors/server.hpp"
#include "admin/http_api.hpp"
#include "temp_dir.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <catch2/catch.hpp>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <future>
#include <thread>

using namespace licd;

TEST_CASE("the admin API stops even when told to right after it starts", "[admin]") {
  test::temp_dir dir;
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  cfg.load<caf::io::middleman>();
  caf::actor_system sys{cfg};
  server_options opts;
  opts.data_dir = dir.path();
  opts.bind = "127.0.0.1";
  opts.port = 0;
  server srv{sys, opts};
  admin::options admin;
  admin.port = 0;
  admin.token = admin::make_token();

  // httplib's stop() is a no-op until its accept loop runs; a stop that comes first used to
  // leave the loop serving and stop() joining it for ever. Each round stops at once; a hang
  // fails the round's deadline.
  for (int round = 0; round < 50; ++round) {
    auto api = std::make_unique<admin::http_api>(sys, srv, admin);
    auto stopped = std::async(std::launch::async, [&] { api->stop(); });
    REQUIRE(stopped.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  }

  // And one that has served a request stops too, after which its port answers no more.
  admin::http_api api{sys, srv, admin};
  httplib::Client client("127.0.0.1", api.port());
  client.set_bearer_token_auth(admin.token);
  auto res = client.Get("/api/v1/server");
  REQUIRE(res);
  CHECK(res->status == 200);
  api.stop();
  httplib::Client after("127.0.0.1", api.port());
  after.set_connection_timeout(std::chrono::seconds(1));
  CHECK(!after.Get("/api/v1/server"));
  srv.stop();
}

namespace {

/// A server and its admin API with a read-only token and a short idle time for sessions.
struct ui_fixture {
  test::temp_dir dir;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<server> srv;
  admin::options admin;
  std::unique_ptr<admin::http_api> api;

  explicit ui_fixture(std::chrono::milliseconds idle = std::chrono::minutes(30)) {
    cfg.set("scheduler.max-threads", 2);
    cfg.load<caf::io::middleman>();
    sys = std::make_unique<caf::actor_system>(cfg);
    server_options opts;
    opts.data_dir = dir.path();
    opts.bind = "127.0.0.1";
    opts.port = 0;
    srv = std::make_unique<server>(*sys, opts);
    admin.port = 0;
    admin.token = admin::make_token();
    admin.readonly_token = admin::make_token();
    admin.session_idle = idle;
    admin.settings = {{"--server-name", "drafting"}, {"--lease-ttl", "600"}};
    api = std::make_unique<admin::http_api>(*sys, *srv, admin);
  }
  ~ui_fixture() {
    api->stop();
    srv->stop();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", api->port());
    c.set_connection_timeout(std::chrono::seconds(5));
    return c;
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(api->port()); }

  /// Logs in with `token`; returns the cookie header to send and the CSRF token.
  std::pair<std::string, std::string> login(const std::string& token) {
    auto res =
      client().Post("/api/v1/session", nlohmann::json{{"token", token}}.dump(), "application/json");
    REQUIRE(res);
    REQUIRE(res->status == 201);
    auto cookie = res->get_header_value("Set-Cookie");
    auto id = cookie.substr(0, cookie.find(';'));
    return {id, nlohmann::json::parse(res->body)["csrf"].get<std::string>()};
  }
};

httplib::Headers with(std::initializer_list<std::pair<std::string, std::string>> h) {
  return httplib::Headers(h.begin(), h.end());
}

} // namespace

TEST_CASE("GET / serves the License Manager and its files, with a CSP and no secrets needed",
          "[admin][ui]") {
  ui_fixture f;
  auto c = f.client();
  auto page = c.Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(page->body.find("/ui/app.js") != std::string::npos);
  auto csp = page->get_header_value("Content-Security-Policy");
  CHECK(csp.find("script-src 'self';") != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(page->get_header_value("X-Content-Type-Options") == "nosniff");
  // No inline script or style in the page itself.
  CHECK(page->body.find("<script>") == std::string::npos);
  CHECK(page->body.find("style=") == std::string::npos);
  for (auto [path, type] : {std::pair{"/ui/app.js", "text/javascript; charset=utf-8"},
                            std::pair{"/ui/style.css", "text/css; charset=utf-8"},
                            std::pair{"/ui/chart.min.js", "text/javascript; charset=utf-8"},
                            std::pair{"/ui/chart.js.LICENSE.txt", "text/plain; charset=utf-8"}}) {
    auto res = c.Get(path);
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("Content-Type") == type);
    CHECK(res->body.size() > 100);
  }
  CHECK(c.Get("/ui/chart.min.js")->body.find("Chart.js v3") != std::string::npos);
  CHECK(c.Get("/ui/chart.js.LICENSE.txt")->body.find("License: Expat") != std::string::npos);
  CHECK(c.Get("/ui/nothing.js")->status == 404);
  CHECK(c.Get("/elsewhere")->status == 404);
  // The API's answers carry the same headers, errors too.
  auto refused = c.Get("/api/v1/server");
  REQUIRE(refused);
  CHECK(refused->status == 401);
  CHECK(refused->get_header_value("Content-Security-Policy") == csp);
}

TEST_CASE("a License Manager session: cookie, CSRF token, same origin, roles, logout",
          "[admin][ui]") {
  ui_fixture f;
  auto c = f.client();

  SECTION("a wrong token, or one not sent as JSON, logs nobody in") {
    auto wrong = c.Post("/api/v1/session", R"({"token": "nope"})", "application/json");
    REQUIRE(wrong);
    CHECK(wrong->status == 401);
    CHECK(wrong->get_header_value("Set-Cookie").empty());
    auto form =
      c.Post("/api/v1/session", "token=" + f.admin.token, "application/x-www-form-urlencoded");
    REQUIRE(form);
    CHECK(form->status == 400);
    CHECK(form->get_header_value("Set-Cookie").empty());
    auto foreign = c.Post("/api/v1/session", with({{"Origin", "http://evil.example"}}),
                          nlohmann::json{{"token", f.admin.token}}.dump(), "application/json");
    REQUIRE(foreign);
    CHECK(foreign->status == 403);
  }

  SECTION("the admin's session reads, and changes with its CSRF token from its own origin") {
    auto [cookie, csrf] = f.login(f.admin.token);
    auto me = c.Get("/api/v1/session", with({{"Cookie", cookie}}));
    REQUIRE(me);
    CHECK(me->status == 200);
    CHECK(nlohmann::json::parse(me->body)["role"] == "admin");
    CHECK(nlohmann::json::parse(me->body)["csrf"] == csrf);
    CHECK(c.Get("/api/v1/server", with({{"Cookie", cookie}}))->status == 200);
    auto level = [&](httplib::Headers h) {
      return c.Post("/api/v1/server/log-level", h, R"({"level": "info"})", "application/json")
        ->status;
    };
    CHECK(level(with({{"Cookie", cookie}})) == 403);
    CHECK(level(with({{"Cookie", cookie}, {"X-CSRF-Token", csrf + "0"}})) == 403);
    CHECK(level(with({{"Cookie", cookie}, {"X-CSRF-Token", csrf}, {"Origin", "http://evil"}}))
          == 403);
    CHECK(level(with({{"Cookie", cookie},
                      {"X-CSRF-Token", csrf},
                      {"Origin", "http://localhost:" + std::to_string(f.api->port())}}))
          == 403);
    CHECK(level(with({{"Cookie", cookie}, {"X-CSRF-Token", csrf}})) == 200);
    CHECK(
      level(with({{"Cookie", cookie}, {"X-CSRF-Token", csrf}, {"Origin", "http://" + f.host()}}))
      == 200);
    // Logged out, the cookie opens nothing.
    auto out = c.Delete("/api/v1/session", with({{"Cookie", cookie}, {"X-CSRF-Token", csrf}}));
    REQUIRE(out);
    CHECK(out->status == 200);
    CHECK(out->get_header_value("Set-Cookie").find("Max-Age=0") != std::string::npos);
    CHECK(c.Get("/api/v1/server", with({{"Cookie", cookie}}))->status == 401);
  }

  SECTION("the read-only session reads and may log out, nothing else") {
    auto [cookie, csrf] = f.login(f.admin.readonly_token);
    auto h = with({{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
    CHECK(nlohmann::json::parse(c.Get("/api/v1/session", h)->body)["role"] == "readonly");
    CHECK(c.Get("/api/v1/licenses", h)->status == 200);
    auto changed =
      c.Post("/api/v1/server/log-level", h, R"({"level": "debug"})", "application/json");
    REQUIRE(changed);
    CHECK(changed->status == 403);
    CHECK(changed->body.find("FORBIDDEN") != std::string::npos);
    CHECK(c.Post("/api/v1/server/stop", h, "", "text/plain")->status == 403);
    CHECK(c.Delete("/api/v1/session", h)->status == 200);
    CHECK(c.Get("/api/v1/licenses", h)->status == 401);
  }

  SECTION("a bearer token needs no cookie or CSRF token (licadmin)") {
    c.set_bearer_token_auth(f.admin.token);
    CHECK(c.Post("/api/v1/server/log-level", R"({"level": "info"})", "application/json")->status
          == 200);
    auto me = c.Get("/api/v1/session");
    CHECK(nlohmann::json::parse(me->body)["role"] == "admin");
  }
}

TEST_CASE("a License Manager session ends after its idle time", "[admin][ui]") {
  ui_fixture f(std::chrono::milliseconds(300));
  auto c = f.client();
  auto [cookie, csrf] = f.login(f.admin.token);
  for (int i = 0; i < 4; ++i) { // used within its idle time it lives on
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    REQUIRE(c.Get("/api/v1/session", with({{"Cookie", cookie}}))->status == 200);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  CHECK(c.Get("/api/v1/session", with({{"Cookie", cookie}}))->status == 401);
}

TEST_CASE("the Server page's log level and options in force", "[admin][ui]") {
  ui_fixture f;
  auto c = f.client();
  c.set_bearer_token_auth(f.admin.token);
  auto options = nlohmann::json::parse(c.Get("/api/v1/server/options")->body);
  CHECK(options["options"]
        == nlohmann::json::parse(R"([{"name": "--server-name", "value": "drafting"},
                                     {"name": "--lease-ttl", "value": "600"}])"));
  auto set = c.Post("/api/v1/server/log-level", R"({"level": "warn"})", "application/json");
  REQUIRE(set);
  CHECK(set->status == 200);
  CHECK(nlohmann::json::parse(c.Get("/api/v1/server")->body)["log_level"] == "warn");
  auto bad = c.Post("/api/v1/server/log-level", R"({"level": "loud"})", "application/json");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(nlohmann::json::parse(c.Get("/api/v1/server")->body)["log_level"] == "warn");
  CHECK(c.Post("/api/v1/server/log-level", "info", "text/plain")->status == 200);
  CHECK(nlohmann::json::parse(c.Get("/api/v1/server")->body)["log_level"] == "info");
}

TEST_CASE("a single machine says so where a cluster node lists its cluster, and has no cluster "
          "metrics",
          "[admin]") {
  ui_fixture f;
  auto c = f.client();
  c.set_bearer_token_auth(f.admin.token);
  auto res = c.Get("/api/v1/cluster");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(nlohmann::json::parse(res->body) == nlohmann::json{{"enabled", false}});
  auto metrics = c.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("licd_cluster_") == std::string::npos);
  CHECK(metrics->body.find("licd_seats") != std::string::npos);
}
