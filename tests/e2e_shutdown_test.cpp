// End to end: a graceful stop (SIGTERM) while clients check out and release as fast as they
// can. licd exits cleanly within a few seconds, and after the restart every lease it
// acknowledged (and did not acknowledge releasing) is there, and nothing it acknowledged
// releasing came back.

#include "e2e_admin_support.hpp"

#include <atomic>
#include <mutex>
#include <set>

using namespace licd::test;
using namespace std::chrono_literals;

TEST_CASE("SIGTERM under load loses nothing and stops within a few seconds",
          "[e2e][restart][shutdown]") {
  admin_fixture f;
  f.licadmin_json({"licenses", "add", f.issue("cad", 10000)});
  std::mutex mu;
  std::set<std::string> live, released;
  size_t in_flight_at_most = 0;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  constexpr int threads = 8;
  for (int t = 0; t < threads; ++t) {
    clients.emplace_back([&, t] {
      try {
        auto c = connect_as(f.licd(), "relay" + std::to_string(t));
        for (int i = 0; !stop; ++i) {
          auto g = c->checkout("cad", "ws" + std::to_string(t) + "-" + std::to_string(i));
          {
            std::lock_guard<std::mutex> lock(mu);
            live.insert(g.lease);
          }
          if (i % 2 == 0) { // release every other one
            {
              // Until its answer comes, a release may or may not have happened.
              std::lock_guard<std::mutex> lock(mu);
              live.erase(g.lease);
            }
            c->release(g.lease);
            std::lock_guard<std::mutex> lock(mu);
            released.insert(g.lease);
          }
        }
      } catch (const std::exception&) {
        // the server went away mid-request: that request's fate is unknown, and allowed for
      }
    });
  }
  std::this_thread::sleep_for(1500ms);
  auto started = std::chrono::steady_clock::now();
  int status = f.s->licd->terminate(std::chrono::seconds(10));
  auto took = std::chrono::steady_clock::now() - started;
  stop = true;
  for (auto& c : clients)
    c.join();
  INFO("the stop took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                        << " ms");
  CHECK(status == 0); // exited by itself, cleanly, within the 10 s patience
  // One unanswered request per client at the stop: a checkout, or a release of a lease no longer
  // counted as live. Either may or may not have been stored.
  in_flight_at_most = threads;
  REQUIRE(live.size() > 10);
  REQUIRE(released.size() > 10);

  f.s->start({"--vendor-key=" + f.keys + "/vendor.pub"});
  auto c = connect_as(f.licd(), "checker");
  for (const auto& l : live)
    CHECK(c->renew(l) == 600);
  for (const auto& l : released)
    CHECK(refusal([&] { c->renew(l); }) == "UNKNOWN_LEASE");
  auto used = used_seats(f.licd(), "cad");
  CHECK(used >= live.size());
  CHECK(used <= live.size() + in_flight_at_most);
}
