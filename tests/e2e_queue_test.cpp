// End to end: the queue of waiting checkouts (CHECKOUT ... wait=) on a real licd: order by the
// policy's priority then arrival, no barging, QUEUED lines and STATUS queue=, a waiter that
// hangs up leaves, a wait that runs out gets one reply, and licadmin and the admin API show
// who waits.

#include "e2e_admin_support.hpp"

#include "net/replies.hpp"

#include <fstream>

using namespace licd::test;
using namespace std::chrono_literals;
namespace proto = licd::net::protocol;

namespace {

/// A raw connection that said HELLO (for pipelined requests and the QUEUED lines).
std::unique_ptr<licd::client::connection> raw(const licd_process& p, const std::string& computer,
                                              const std::string& user) {
  auto c = std::make_unique<licd::client::connection>("127.0.0.1", p.port(), 20'000ms);
  c->hello(computer, user, "1");
  return c;
}

proto::reply read_reply(licd::client::connection& c) {
  auto line = c.read_line();
  INFO(line);
  auto r = proto::parse_reply(line);
  REQUIRE(r);
  return *r;
}

/// Sends `CHECKOUT id cad wait=...` and reads the QUEUED line it must get; returns its place.
proto::queue_place queue_up(licd::client::connection& c, const std::string& id,
                            uint32_t wait = 30) {
  c.send_raw("CHECKOUT " + id + " cad wait=" + std::to_string(wait) + "\n");
  auto r = read_reply(c);
  CHECK(r.queued);
  CHECK(r.id == id);
  auto place = proto::read_queue_place(r);
  REQUIRE(place);
  CHECK(place->product == "cad");
  return *place;
}

/// Reads the final reply of CHECKOUT `id`: its lease, or "" when refused.
std::string granted(licd::client::connection& c, const std::string& id) {
  auto r = read_reply(c);
  CHECK(r.id == id);
  CHECK_FALSE(r.queued);
  if (!r.ok)
    return "";
  auto ok = proto::read_checkout(r);
  REQUIRE(ok);
  return ok->lease.to_hex();
}

} // namespace

TEST_CASE("waiting checkouts get freed seats by priority then arrival, before any newcomer",
          "[e2e][queue]") {
  temp_dir dir;
  auto file = dir.path() + "/site.policy";
  write_text(file, "GROUP leads carol\nPRIORITY cad GROUP leads 5\n");
  admin_fixture f({"--policy=" + file, "--idle-timeout=1"});
  f.licadmin_json({"licenses", "add", f.issue("cad", 2)});
  // A fresh connection each time: an idle one is closed after a second.
  auto holder = [&] { return connect_as(f.licd(), "relay"); };
  auto a = holder()->checkout("cad", "ws1", "x");
  auto b = holder()->checkout("cad", "ws2", "x");

  auto alice = raw(f.licd(), "wa", "alice");
  auto bob = raw(f.licd(), "wb", "bob");
  auto carol = raw(f.licd(), "wc", "carol");
  CHECK(queue_up(*alice, "q1").position == 1);
  CHECK(queue_up(*bob, "q2").position == 2);
  auto c_place = queue_up(*carol, "q3"); // PRIORITY 5: ahead of both
  CHECK(c_place.position == 1);
  CHECK(c_place.waiting == 3);
  // STATUS queue= tells the place now; an id that does not wait gets NOT_WAITING.
  bob->send_raw("STATUS s1 queue=q2\n");
  auto place = proto::read_queue_place(read_reply(*bob));
  REQUIRE(place);
  CHECK(place->position == 3);
  CHECK(place->waiting == 3);
  bob->send_raw("STATUS s2 queue=q1\n");
  auto not_here = read_reply(*bob);
  CHECK(not_here.code == "NOT_WAITING");

  // The admin API and licadmin show them, in order.
  auto shown = f.licadmin_json({"queue"});
  REQUIRE(shown["waiting"].size() == 3);
  CHECK(shown["waiting"][0]["user"] == "carol");
  CHECK(shown["waiting"][0]["priority"] == 5);
  CHECK(shown["waiting"][1]["user"] == "alice");
  CHECK(shown["waiting"][2]["user"] == "bob");
  CHECK(shown["waiting"][2]["position"] == 3);
  CHECK(shown["waiting"][2]["wait_left_ms"].get<int64_t>() > 20'000);
  CHECK_THAT(f.licadmin({"queue"}).out, Catch::Contains("carol") && Catch::Contains("POSITION"));
  CHECK(f.licadmin_json({"status"})["products"][0]["waiting"] == 3);

  // The waiters outlive the 1 s idle timeout: a connection owed a reply is not idle.
  std::this_thread::sleep_for(2500ms);
  // A newcomer does not jump the queue.
  CHECK(refusal([&] { holder()->checkout("cad", "ws9", "zed"); }) == "NO_SEATS");

  holder()->release(a.lease);
  CHECK_FALSE(granted(*carol, "q3").empty());
  CHECK(refusal([&] { holder()->checkout("cad", "ws9", "zed"); }) == "NO_SEATS");
  holder()->release(b.lease);
  CHECK_FALSE(granted(*alice, "q1").empty());
  CHECK(used_seats(f.licd(), "cad") == 2);
  CHECK(f.licadmin_json({"queue"})["waiting"].size() == 1);

  // /metrics counts them.
  httplib::Client http(f.url());
  http.set_bearer_token_auth(f.token());
  auto metrics = http.Get("/metrics")->body;
  CHECK_THAT(metrics, Catch::Contains("licd_queue_waiting{product=\"cad\"} 1")
                        && Catch::Contains("licd_queue_joined_total{product=\"cad\"} 3")
                        && Catch::Contains("licd_queue_served_total{product=\"cad\"} 2"));
}

TEST_CASE("a waiter that hangs up leaves the queue, and a wait that runs out gets one refusal",
          "[e2e][queue]") {
  admin_fixture f;
  f.licadmin_json({"licenses", "add", f.issue("cad", 1)});
  auto holder = connect_as(f.licd(), "relay");
  auto held = holder->checkout("cad", "ws1", "x");

  auto gone = raw(f.licd(), "wa", "alice");
  queue_up(*gone, "q1");
  auto bob = raw(f.licd(), "wb", "bob");
  CHECK(queue_up(*bob, "q2").position == 2);
  gone.reset(); // closes the connection
  CHECK(eventually([&] { return f.licadmin_json({"queue"})["waiting"].size() == 1; }, 10s));
  holder->release(held.lease);
  CHECK_FALSE(granted(*bob, "q2").empty()); // the seat went to bob, not to the one who left

  // Full again: a short wait ends in one refusal that says it waited.
  auto erin = raw(f.licd(), "we", "erin");
  queue_up(*erin, "q3", 1);
  auto r = read_reply(*erin);
  CHECK(r.code == "NO_SEATS");
  CHECK_THAT(r.message, Catch::Contains("waited 1 s in the queue"));
  erin->send_raw("PING p\n"); // and nothing else came for q3
  CHECK(read_reply(*erin).id == "p");
  CHECK(f.licadmin_json({"queue"})["waiting"].empty());
  // The refusal counts as a denial in the activity log.
  CHECK_THAT(f.licadmin({"log", "--kind=denied"}).out, Catch::Contains("waited 1 s"));
}

TEST_CASE("the client library and licclient wait in the queue for a seat", "[e2e][queue]") {
  admin_fixture f;
  f.licadmin_json({"licenses", "add", f.issue("cad", 1)});
  auto holder = connect_as(f.licd(), "relay");
  auto held = holder->checkout("cad", "ws1", "x");

  std::vector<uint32_t> positions;
  licd::client::connection::waiting w;
  w.wait = 20s;
  w.on_queued = [&](uint32_t position, uint32_t) { positions.push_back(position); };
  auto waiter = connect_as(f.licd(), "wa", "alice");
  std::thread release_later([&] {
    std::this_thread::sleep_for(500ms);
    auto c = connect_as(f.licd(), "relay2");
    c->release(held.lease);
  });
  auto got = waiter->checkout("cad", w);
  release_later.join();
  CHECK(got.product == "cad");
  CHECK(positions == std::vector<uint32_t>{1});

  // licclient checkout --wait: a refusal after the wait, with the wait in the message.
  auto cli = run({LICCLIENT_BINARY, "--server=127.0.0.1:" + std::to_string(f.licd().port()),
                  "--computer=wz", "--json", "checkout", "cad", "--wait=1"});
  CHECK(cli.status == 3);
  CHECK_THAT(cli.out, Catch::Contains("NO_SEATS") && Catch::Contains("waited 1 s"));
  auto bad = run({LICCLIENT_BINARY, "--server=127.0.0.1:" + std::to_string(f.licd().port()),
                  "checkout", "cad", "--wait=90000"});
  CHECK(bad.status != 0);
}

TEST_CASE("a license added or a policy reloaded gives the waiters their seats at once",
          "[e2e][queue]") {
  temp_dir dir;
  auto file = dir.path() + "/site.policy";
  write_text(file, "MAX 1 cad USER *\n");
  admin_fixture f({"--policy=" + file});
  f.licadmin_json({"licenses", "add", f.issue("cad", 1)});
  auto holder = connect_as(f.licd(), "relay");
  holder->checkout("cad", "ws1", "alice");

  // bob waits for a seat; alice, at her MAX, waits for the rule to let her.
  auto bob = raw(f.licd(), "wb", "bob");
  queue_up(*bob, "q1");
  auto alice = raw(f.licd(), "wa", "alice");
  queue_up(*alice, "q2");
  f.licadmin_json({"licenses", "add", f.issue("cad", 2)}); // 3 seats now
  CHECK_FALSE(granted(*bob, "q1").empty());
  // The third seat is free, but alice's MAX still holds her back: she keeps waiting.
  alice->send_raw("STATUS s queue=q2\n");
  auto place = proto::read_queue_place(read_reply(*alice));
  REQUIRE(place);
  CHECK(place->position == 1);
  write_text(file, "MAX 2 cad USER *\n");
  f.licadmin_json({"policy", "reload"});
  CHECK_FALSE(granted(*alice, "q2").empty());
  CHECK(used_seats(f.licd(), "cad") == 3);
}
