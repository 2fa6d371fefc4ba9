#pragma once

// The chaos clients and their checker, shared by the chaos test (one licd killed and
// restarted) and the cluster test (the leader of three killed): many clients contend for fewer
// seats with checkouts, renewals and releases, and a checker trusts only what they were told.

#include "e2e_support.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <random>

namespace licd::test::chaos {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

inline int env_int(const char* name, int fallback) {
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

/// One simulated workstation: its own connection (to the first of `servers` that greets it, or
/// the leader a standby names) and computer name.
inline void run_client(int n, std::vector<std::string> servers, std::chrono::milliseconds ttl,
                       const std::atomic<bool>& stop, std::atomic<int64_t>& last_reply_ns,
                       observations& obs) {
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
        conn =
          licd::client::connect_and_hello(servers, computer, "chaos", std::to_string(n), 2000ms)
            .conn;
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
inline size_t max_overlap(std::vector<interval> held) {
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

} // namespace licd::test::chaos
