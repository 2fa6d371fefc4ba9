// Chaos: many clients contend for fewer seats with checkouts, renewals and releases while licd
// is SIGKILLed at random moments and restarted. A checker that trusts only what the clients
// were told (never licd's own counters) proves:
//  (a) never more acknowledged live leases than seats,
//  (b) no acknowledged lease is lost: it renews by its id after a restart unless its time ran out,
//  (c) clients are served again within two renewal intervals of a restart.
// Small in CI; LICD_CHAOS_CLIENTS, LICD_CHAOS_SEATS and LICD_CHAOS_KILLS make it larger.

#include "chaos_support.hpp"

using namespace licd::test;
using namespace licd::test::chaos;

TEST_CASE("chaos: SIGKILL at random moments breaks none of the seat promises", "[e2e][chaos][slow]") {
  const int clients = env_int("LICD_CHAOS_CLIENTS", 60);
  const int seats = env_int("LICD_CHAOS_SEATS", 15);
  const int kills = env_int("LICD_CHAOS_KILLS", 6);
  const auto ttl = std::chrono::seconds(4);
  temp_dir tmp;
  auto keys = tmp.path() + "/keys";
  REQUIRE(run({LICGEN_BINARY, "keygen", "--out=" + keys}).status == 0);
  auto code = run({LICGEN_BINARY, "issue", "--key=" + keys + "/vendor.key", "--product=cad",
                   "--seats=" + std::to_string(seats)});
  REQUIRE(code.status == 0);
  auto port = free_port();
  std::vector<std::string> args{"--port=" + std::to_string(port), "--lease-ttl=4",
                                "--vendor-key=" + keys + "/vendor.pub"};
  auto data = tmp.path() + "/data";
  auto licd = std::make_unique<licd_process>(data, args);
  REQUIRE(run({LICADMIN_BINARY, "--data-dir=" + data, "licenses", "add", code.out}).status == 0);

  observations obs;
  std::atomic<bool> stop{false};
  std::vector<std::atomic<int64_t>> last_reply(static_cast<size_t>(clients));
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i)
    threads.emplace_back(run_client, i,
                         std::vector<std::string>{"127.0.0.1:" + std::to_string(port)},
                         std::chrono::milliseconds(ttl), std::cref(stop),
                         std::ref(last_reply[static_cast<size_t>(i)]), std::ref(obs));

  std::mt19937 rng(20261127);
  auto served_bound = 2 * (ttl / 4); // two renewal intervals
  clock_type::duration worst_return{0};
  for (int k = 0; k < kills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 900));
    licd->kill();
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 200));
    licd = std::make_unique<licd_process>(data, args);
    auto ready = clock_type::now();
    // (c) every client hears from the server again within two renewal intervals.
    bool all_back = eventually(
      [&] {
        return std::all_of(last_reply.begin(), last_reply.end(), [&](const auto& t) {
          return t.load() >= ready.time_since_epoch().count();
        });
      },
      std::chrono::duration_cast<std::chrono::milliseconds>(served_bound));
    worst_return = std::max(worst_return, clock_type::now() - ready);
    INFO("restart " << k + 1 << " of " << kills);
    CHECK(all_back);
  }
  std::this_thread::sleep_for(1s);
  stop = true;
  for (auto& t : threads)
    t.join();

  INFO("kills " << kills << ", operations " << obs.operations << ", grants " << obs.grants
                << ", renewals " << obs.renewals << ", releases " << obs.releases
                << ", denials " << obs.denials << ", worst return "
                << std::chrono::duration_cast<std::chrono::milliseconds>(worst_return).count()
                << " ms");
  for (const auto& v : obs.violations)
    UNSCOPED_INFO(v);
  CHECK(obs.violations.empty());                              // (b), and no odd refusals
  CHECK(max_overlap(obs.held) <= static_cast<size_t>(seats)); // (a)
  CHECK(obs.grants > static_cast<uint64_t>(seats));           // the run really contended
  CHECK(obs.denials > 0);
  CHECK(obs.renewals > 0);
  CHECK(obs.releases > 0);
  std::cerr << "chaos: kills " << kills << ", clients " << clients << ", seats " << seats
            << ", operations " << obs.operations << ", grants " << obs.grants << ", renewals "
            << obs.renewals << ", releases " << obs.releases << ", denials " << obs.denials
            << ", max concurrent holders " << max_overlap(obs.held) << ", violations "
            << obs.violations.size() << ", worst return "
            << std::chrono::duration_cast<std::chrono::milliseconds>(worst_return).count()
            << " ms\n";
}
