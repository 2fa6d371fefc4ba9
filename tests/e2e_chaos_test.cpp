// Chaos: many clients contend for fewer seats with checkouts, renewals and releases while licd
// is SIGKILLed at random moments and restarted. A checker that trusts only what the clients
// were told (never licd's own counters) proves:
//  (a) never more acknowledged live leases than seats,
//  (b) no acknowledged lease is lost: it renews by its id after a restart unless its time ran out,
//  (c) clients are served again within two renewal intervals of a restart.
// Small in CI; LICD_CHAOS_CLIENTS, LICD_CHAOS_SEATS and LICD_CHAOS_KILLS make it larger.

#include "e2e_support.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <random>

using namespace licd::test;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::atoi(v) : fallback;
}

/// [start, end) during which a client held an acknowledged seat, on the test's clock.
struct interval {
  clock_type::time_point start, end;
};

/// What the clients saw, shared with the checker.
struct observations {
  std::mutex mtx;
  std::vector<interval> held;
  std::vector<std::string> violations;
  std::atomic<uint64_t> operations{0}, grants{0}, renewals{0}, releases{0}, denials{0};

  void hold(interval i) {
    std::lock_guard<std::mutex> g(mtx);
    held.push_back(i);
  }
  void violation(std::string what) {
    std::lock_guard<std::mutex> g(mtx);
    violations.push_back(std::move(what));
  }
};

/// One simulated workstation: its own connection and computer name.
void run_client(int n, uint16_t port, std::chrono::milliseconds ttl, const std::atomic<bool>& stop,
                std::atomic<int64_t>& last_reply_ns, observations& obs) {
  std::mt19937 rng(static_cast<unsigned>(n) * 7919u + 17u);
  auto computer = "chaos-" + std::to_string(n);
  auto renew_every = ttl / 4;
  std::unique_ptr<licd::client::connection> conn;
  std::string lease; // empty: none held
  clock_type::time_point held_since, valid_until, next_renew;
  auto replied = [&] {
    last_reply_ns = clock_type::now().time_since_epoch().count();
    ++obs.operations;
  };
  auto give_up = [&](clock_type::time_point at) {
    obs.hold({held_since, at});
    lease.clear();
  };
  while (!stop) {
    try {
      if (!conn) {
        conn = std::make_unique<licd::client::connection>("127.0.0.1", port, 2000ms);
        conn->hello(computer, "chaos", std::to_string(n));
        replied();
      }
      auto now = clock_type::now();
      if (lease.empty()) {
        try {
          auto sent = clock_type::now();
          auto g = conn->checkout("cad");
          replied();
          lease = g.lease;
          held_since = clock_type::now();
          valid_until = sent + ttl;
          next_renew = sent + renew_every;
          ++obs.grants;
        } catch (const licd::client::refused& e) {
          replied();
          ++obs.denials;
          if (e.code_text() != "NO_SEATS")
            obs.violation(computer + ": checkout refused with " + e.code_text());
          std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 40));
        }
        continue;
      }
      if (now >= valid_until) { // the server was away longer than our lease: ours ran out
        give_up(valid_until);
        continue;
      }
      if (now < next_renew) {
        std::this_thread::sleep_for(std::min<clock_type::duration>(next_renew - now, 50ms));
        continue;
      }
      if (rng() % 100 < 25) { // at renewal time: a quarter of the holders quit instead
        auto releasing = lease;
        give_up(clock_type::now()); // from here on we do not count it as ours
        try {
          conn->release(releasing);
          replied();
          ++obs.releases;
        } catch (const licd::client::refused& e) {
          replied();
          if (now < valid_until)
            obs.violation(computer + ": acknowledged lease " + releasing + " lost (release got "
                          + e.code_text() + ")");
        }
        continue;
      }
      auto sent = clock_type::now();
      try {
        conn->renew(lease);
        replied();
        ++obs.renewals;
        valid_until = sent + ttl;
        next_renew = sent + renew_every;
      } catch (const licd::client::refused& e) {
        replied();
        if (sent < valid_until)
          obs.violation(computer + ": acknowledged lease " + lease + " lost (renew got "
                        + e.code_text() + ")");
        give_up(clock_type::now());
      }
    } catch (const licd::client::connection_error&) {
      conn.reset(); // licd is down or restarting: try again soon
      std::this_thread::sleep_for(20ms);
    }
  }
  if (!lease.empty())
    give_up(std::min(clock_type::now(), valid_until));
}

/// The most intervals that overlap at any instant.
size_t max_overlap(std::vector<interval> held) {
  std::vector<std::pair<clock_type::time_point, int>> edges;
  for (const auto& i : held) {
    edges.emplace_back(i.start, +1);
    edges.emplace_back(i.end, -1);
  }
  std::sort(edges.begin(), edges.end()); // at equal times an end (-1) comes before a start
  size_t now = 0, most = 0;
  for (const auto& e : edges) {
    now = static_cast<size_t>(static_cast<long>(now) + e.second);
    most = std::max(most, now);
  }
  return most;
}

} // namespace

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
    threads.emplace_back(run_client, i, port, std::chrono::milliseconds(ttl), std::cref(stop),
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
