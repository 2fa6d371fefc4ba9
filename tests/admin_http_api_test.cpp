// The admin API's life cycle in one process: a real server (LMDB data dir, listener) and the
// HTTP API on an ephemeral port.

#include "actors/server.hpp"
#include "admin/http_api.hpp"
#include "temp_dir.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <catch2/catch.hpp>
#include <httplib.h>

#include <future>

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
