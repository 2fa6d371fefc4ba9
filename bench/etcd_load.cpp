// etcd's own write rate on this machine, for the cluster benchmark (bench/cluster.sh): CLIENTS
// threads, each with its own gateway connections, write transactions like a licd leader's
// (one fenced put of a lease-sized value each) for DURATION seconds; prints the rate and the
// latency percentiles as JSON.

#include "cluster/etcd_client.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  std::string cluster;
  unsigned clients = 64;
  double duration = 5;
  CLI::App app{"etcd_load: etcd's write rate through its JSON gateway, as a licd leader writes"};
  app.add_option("--cluster", cluster, "etcd:URL[,URL...]")->required();
  app.add_option("--clients", clients, "concurrent writers")->capture_default_str();
  app.add_option("--duration", duration, "seconds")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  namespace etcd = licd::cluster::etcd;
  etcd::client_options o;
  o.endpoints = etcd::parse_cluster_url(cluster);
  etcd::client setup(o);
  const std::string fence = "/etcd_load/leader";
  auto won = setup.txn({{fence, 0}}, {etcd::op::put(fence, "bench")}, {etcd::op::range(fence)});
  int64_t token = won.succeeded ? won.revision : won.ranges.at(0).at(0).create_revision;
  const std::string value(100, 'x'); // about a lease record
  std::atomic<bool> stop{false};
  std::mutex m;
  std::vector<double> latencies_us;
  std::atomic<uint64_t> failures{0};
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < clients; ++i)
    threads.emplace_back([&, i] {
      etcd::client c(o);
      std::vector<double> mine;
      for (uint64_t n = 0; !stop.load(); ++n) {
        auto t0 = std::chrono::steady_clock::now();
        try {
          auto key = "/etcd_load/s/" + std::to_string(i) + "/" + std::to_string(n % 1000);
          if (!c.txn({{fence, token}}, {etcd::op::put(key, value)}).succeeded)
            ++failures;
        } catch (const std::exception&) {
          ++failures;
          continue;
        }
        mine.push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      }
      std::lock_guard lock(m);
      latencies_us.insert(latencies_us.end(), mine.begin(), mine.end());
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(duration));
  stop = true;
  for (auto& t : threads)
    t.join();
  std::sort(latencies_us.begin(), latencies_us.end());
  auto pct = [&](double p) {
    return latencies_us.empty() ? 0.0
                                : latencies_us[static_cast<size_t>(p * (latencies_us.size() - 1))];
  };
  std::cout << nlohmann::json{{"writes_per_s", static_cast<double>(latencies_us.size()) / duration},
                              {"p50_us", pct(0.5)},
                              {"p99_us", pct(0.99)},
                              {"failures", failures.load()},
                              {"clients", clients}}
                 .dump()
            << '\n';
  setup.txn({}, {etcd::op::del("/etcd_load/", etcd::prefix_end("/etcd_load/"))});
  return 0;
}
