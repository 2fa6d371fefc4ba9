// licbench: drives a licd with many simulated workstations and reports throughput, latency
// percentiles and a seat check that trusts only the server's replies to licbench.
// Exit status: 0 fine, 1 the seat check failed, 2 usage error, 4 the server cannot be reached.

#include "bench/licbench/load.hpp"
#include "bench/licbench/local_server.hpp"
#include "bench/licbench/queue_load.hpp"
#include "licd/version.hpp"
#include "tools/common/cli.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

namespace {

using namespace licd::bench;
using json = nlohmann::json;

/// Peak resident memory of a process (VmHWM), in bytes; -1 when unknown.
int64_t peak_rss(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmHWM:") {
      int64_t kb = 0;
      in >> kb;
      return kb * 1024;
    }
    std::string rest;
    std::getline(in, rest);
  }
  return -1;
}

void raise_open_files_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

double us(uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

/// A histogram's latencies for the JSON report.
json latency_json(const histogram& h) {
  return {{"p50_us", us(h.quantile(0.5))},   {"p90_us", us(h.quantile(0.9))},
          {"p99_us", us(h.quantile(0.99))},  {"p999_us", us(h.quantile(0.999))},
          {"max_us", us(h.max())}};
}

/// A histogram's latencies as the table's five columns (p50, p90, p99, p99.9, max).
void print_latencies(const histogram& h) {
  std::printf(" %9.1f %9.1f %9.1f %9.1f %9.1f", us(h.quantile(0.5)), us(h.quantile(0.9)),
              us(h.quantile(0.99)), us(h.quantile(0.999)), us(h.max()));
}

/// A CPU figure for the JSON report: null when licbench could not read it.
json known(double v) {
  return v < 0 ? json(nullptr) : json(v);
}

/// The CPU a process used per request, in microseconds (negative when unknown).
double us_per_op(double cores, double ops_per_s) {
  return cores < 0 || ops_per_s <= 0 ? -1 : cores * 1e6 / ops_per_s;
}

/// `--scenario=queue`: prints its figures; 1 when the queue's order or the seats were wrong.
int run_queue_scenario(const licd::bench::queue_options& qo, bool json_out) {
  licd::bench::queue_result q;
  try {
    q = licd::bench::run_queue(qo);
  } catch (const std::exception& e) {
    std::cerr << "licbench: " << e.what() << '\n';
    return 4;
  }
  bool ok = q.error.empty() && q.out_of_order == 0 && q.wrong_positions == 0 && q.used_within_seats
            && q.queued == qo.waiters && q.handoffs > 0;
  if (json_out) {
    auto latencies = [](const licd::bench::histogram& h) {
      auto j = latency_json(h);
      j["count"] = h.count();
      return j;
    };
    json report{{"scenario", "queue"},
                {"seats", q.seats},
                {"held", q.held},
                {"waiters", qo.waiters},
                {"connections", qo.connections},
                {"queued", q.queued},
                {"handoffs", q.handoffs},
                {"seconds", q.measured_seconds},
                {"free_to_grant", latencies(q.free_to_grant)},
                {"release_to_grant", latencies(q.release_to_grant)},
                {"out_of_order", q.out_of_order},
                {"wrong_positions", q.wrong_positions},
                {"used_within_seats", q.used_within_seats},
                {"error", q.error},
                {"ok", ok}};
    std::cout << report.dump() << '\n';
  } else {
    std::printf("licbench: queue, %u waiters over %u connections, product %s (%u seats, %u "
                "taken by licbench)\n",
                qo.waiters, qo.connections, qo.product.c_str(), q.seats, q.held);
    std::printf("queued %u; %u seats handed to the head in %.1f s\n", q.queued, q.handoffs,
                q.measured_seconds);
    std::printf("%-28s %9s %9s %9s %9s %9s\n", "", "p50 us", "p90 us", "p99 us", "p99.9 us",
                "max us");
    std::printf("%-28s", "release OK -> grant OK");
    print_latencies(q.free_to_grant);
    std::printf("\n%-28s", "RELEASE sent -> grant OK");
    print_latencies(q.release_to_grant);
    std::printf("\nout of order: %u; wrong QUEUED positions: %u; used within seats: %s\n",
                q.out_of_order, q.wrong_positions, q.used_within_seats ? "yes" : "NO");
  }
  if (!q.error.empty())
    std::cerr << "licbench: the queue run stopped: " << q.error << '\n';
  return ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  load_options o;
  std::string server = "127.0.0.1:27600", scenario_name = "renew", csv_file;
  double seconds = 10;
  bool json_out = false;
  int server_pid = -1;
  CLI::App app{"licbench: load, latency and a seat check for a licd server"};
  app.set_version_flag("--version", std::string("licbench ") + licd::version);
  app.add_option("--server", server, "HOST:PORT of licd")->capture_default_str();
  app.add_option("--product", o.product, "product to check out")->capture_default_str();
  app
    .add_option("--scenario", scenario_name,
                "renew, cycle, hold, contend, policy (cycle by --users users, for a server "
                "with a site policy) or queue (--waiters waiting checkouts; how fast a freed "
                "seat reaches the head)")
    ->check(CLI::IsMember({"renew", "cycle", "hold", "contend", "policy", "queue"}))
    ->capture_default_str();
  app.add_option("--users", o.users,
                 "checkouts name this many users, USER_PREFIX0 and on (policy: default 100)");
  app.add_option("--user-prefix", o.user_prefix, "the users' names before their number")
    ->capture_default_str();
  licd::bench::queue_options qo;
  app.add_option("--waiters", qo.waiters, "queue: checkouts that wait, over --clients connections")
    ->capture_default_str();
  app.add_option("--clients", o.clients, "connections")->capture_default_str();
  app.add_option("--computers", o.computers,
                 "workstations simulated over the connections (default: one per connection)");
  app.add_option("--duration", seconds, "seconds measured (after set-up)")->capture_default_str();
  app.add_option("--rate", o.rate, "open loop: requests per second in total (default: closed)");
  app.add_option("--threads", o.threads, "load threads")->capture_default_str();
  app.add_option("--server-pid", server_pid,
                 "licd's pid when it runs on this machine, to report its peak RSS and CPU use "
                 "(default: the process listening on the port when HOST is a loopback address; "
                 "0: none)");
  app.add_flag("--json", json_out, "print one JSON object");
  app.add_flag("--keep-leases", o.keep_leases,
               "leave the leases held at the end instead of releasing them (to test a restart)");
  app.add_option("--csv", csv_file, "write ops per second per operation to this CSV file");
  app.add_option("--tls-ca", o.tls_ca,
                 "speak TLS; the server's certificate must lead to this CA file (PEM) and name "
                 "the host");
  app.add_option("--tls-pin", o.tls_pin,
                 "speak TLS; the server's certificate must have this SHA-256 fingerprint");
  if (auto stop = licd::tools::parse_command_line(app, argc, argv))
    return *stop;
  o.kind = scenario_name == "renew"    ? scenario::renew
           : scenario_name == "cycle"  ? scenario::cycle
           : scenario_name == "hold"   ? scenario::hold
           : scenario_name == "policy" ? scenario::policy
                                       : scenario::contend;
  if (o.kind == scenario::policy && o.users == 0)
    o.users = 100;
  o.duration = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  o.run_id = std::to_string(::getpid());
  auto colon = server.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "licbench: --server is HOST:PORT\n";
    return licd::tools::exit_usage;
  }
  o.host = server.substr(0, colon);
  o.port = static_cast<uint16_t>(std::stoi(server.substr(colon + 1)));
  if (scenario_name == "queue") {
    qo.host = o.host;
    qo.port = o.port;
    qo.product = o.product;
    qo.connections = o.clients;
    qo.duration = o.duration;
    qo.run_id = "qb" + o.run_id;
    return run_queue_scenario(qo, json_out);
  }
  if (server_pid < 0) // a server on this machine's loopback: find it by its listening socket
    server_pid = is_loopback(o.host) ? find_listening_pid(o.port) : 0;
  o.server_pid = server_pid;
  if (!o.tls_ca.empty() || !o.tls_pin.empty()) {
    try {
      o.tls = licd::net::tls_context::client(o.tls_ca, o.tls_pin);
    } catch (const std::exception& e) {
      std::cerr << "licbench: " << e.what() << '\n';
      return licd::tools::exit_usage;
    }
  }
  raise_open_files_limit();

  load_result r;
  try {
    r = run_load(o);
  } catch (const std::exception& e) {
    std::cerr << "licbench: " << e.what() << '\n';
    return 4;
  }
  if (r.connected == 0) {
    std::cerr << "licbench: no client could connect to " << server
              << (r.first_failure.empty() ? "" : ": " + r.first_failure) << '\n';
    return 4;
  }
  bool seats_ok = r.seat_violations == 0 && r.used_above_seats == 0 && r.end_count_ok();
  auto rss = server_pid > 0 ? peak_rss(server_pid) : -1;

  json report{{"scenario", scenario_name},
              {"clients", o.clients},
              {"computers", std::max(o.computers, o.clients)},
              {"connected", r.connected},
              {"mode", o.rate > 0 ? "open" : o.kind == scenario::hold ? "paced" : "closed"},
              {"rate", o.rate},
              {"tls", o.tls != nullptr},
              {"seconds", r.measured_seconds}};
  for (size_t k = 0; k < op_kinds; ++k) {
    const auto& s = r.ops[k];
    auto n = s.latency.count();
    auto entry = latency_json(s.latency);
    entry["count"] = n;
    entry["ops_per_s"] = k == static_cast<size_t>(op::connect) ? 0.0 : n / r.measured_seconds;
    entry["denied"] = s.denied;
    entry["denied_by"] = s.denied_by;
    entry["errors"] = s.errors;
    entry["at_socket"] = latency_json(s.at_socket);
    entry["at_socket"]["count"] = s.at_socket.count();
    report["ops"][to_string(static_cast<op>(k))] = std::move(entry);
  }
  report["seats"] = {{"seats", r.seats},
                     {"max_held", r.max_held},
                     {"violations", r.seat_violations},
                     {"replies_used_above_seats", r.used_above_seats},
                     {"held_at_end", r.held_at_end},
                     {"server_used_at_start", r.server_used_at_start},
                     {"server_used_at_end", r.server_used_at_end},
                     {"lost_with_connections", r.lost_with_connections},
                     {"ok", seats_ok}};
  report["server_peak_rss_bytes"] = rss;
  report["server_pid"] = server_pid;
  const auto& cpu = r.cpu;
  double requests_per_s = 0;
  for (auto k : {op::checkout, op::renew, op::release})
    requests_per_s += r.ops[static_cast<size_t>(k)].latency.count() / r.measured_seconds;
  report["cpu"] = {{"machine_cores", known(cpu.machine_cores)},
                   {"user", known(cpu.user)},
                   {"system", known(cpu.system)},
                   {"softirq", known(cpu.softirq)},
                   {"iowait", known(cpu.iowait)},
                   {"idle", known(cpu.idle)},
                   {"steal", known(cpu.steal)},
                   {"steal_share", known(cpu.steal_share())},
                   {"server_cores", known(cpu.server)},
                   {"server_us_per_op", known(us_per_op(cpu.server, requests_per_s))},
                   {"licbench_cores", known(cpu.licbench)},
                   {"licbench_us_per_op", known(us_per_op(cpu.licbench, requests_per_s))}};

  if (!csv_file.empty()) {
    std::ofstream csv(csv_file);
    csv << "second,checkout,renew,release\n";
    size_t seconds_seen = 0;
    for (size_t k = 0; k < 3; ++k)
      seconds_seen = std::max(seconds_seen, r.ops[k].per_second.size());
    for (size_t t = 0; t < seconds_seen; ++t) {
      csv << t;
      for (size_t k = 0; k < 3; ++k)
        csv << ',' << (t < r.ops[k].per_second.size() ? r.ops[k].per_second[t] : 0);
      csv << '\n';
    }
  }
  if (json_out) {
    std::cout << report.dump() << '\n';
  } else {
    std::printf("licbench: %s, %u clients, %u computers, %.1f s, %s loop, %s%s product %s\n",
                scenario_name.c_str(), o.clients, std::max(o.computers, o.clients),
                r.measured_seconds,
                o.rate > 0 ? "open" : o.kind == scenario::hold ? "paced" : "closed", server.c_str(),
                o.tls ? " over TLS," : "", o.product.c_str());
    std::printf("%-9s %10s %10s %9s %9s %9s %9s %9s %8s %7s\n", "op", "count", "ops/s",
                "p50 us", "p90 us", "p99 us", "p99.9 us", "max us", "denied", "errors");
    for (size_t k = 0; k < op_kinds; ++k) {
      const auto& s = r.ops[k];
      uint64_t errors = 0;
      for (const auto& kv : s.errors)
        errors += kv.second;
      if (s.latency.count() == 0 && errors == 0)
        continue;
      std::printf("%-9s %10llu %10.0f", to_string(static_cast<op>(k)),
                  static_cast<unsigned long long>(s.latency.count()),
                  k == static_cast<size_t>(op::connect) ? 0.0
                                                        : s.latency.count() / r.measured_seconds);
      print_latencies(s.latency);
      std::printf(" %8llu %7llu\n", static_cast<unsigned long long>(s.denied),
                  static_cast<unsigned long long>(errors));
      for (const auto& [code, n] : s.errors)
        std::printf("          error %s: %llu\n", code.c_str(), static_cast<unsigned long long>(n));
      if (s.denied_by.size() > 1 || (s.denied_by.size() == 1 && s.denied_by.count("NO_SEATS") == 0))
        for (const auto& [code, n] : s.denied_by)
          std::printf("          denied %s: %llu\n", code.c_str(),
                      static_cast<unsigned long long>(n));
    }
    bool stamped = false;
    for (const auto& s : r.ops)
      stamped = stamped || s.at_socket.count() > 0;
    if (stamped) {
      std::printf("to the reply's arrival in licbench's socket (kernel time stamp; without "
                  "licbench's own delay in reading it):\n");
      for (size_t k = 0; k < op_kinds; ++k) {
        const auto& h = r.ops[k].at_socket;
        if (h.count() == 0)
          continue;
        std::printf("%-9s %10llu %10s", to_string(static_cast<op>(k)),
                    static_cast<unsigned long long>(h.count()), "");
        print_latencies(h);
        std::printf("\n");
      }
    }
    std::printf("seats: %u; most held by licbench at once %lld; held at end %lld, server says "
                "%lld",
                r.seats, static_cast<long long>(r.max_held),
                static_cast<long long>(r.held_at_end),
                static_cast<long long>(r.server_used_at_end));
    if (r.server_used_at_start > 0)
      std::printf(" (%lld held by others before the run)",
                  static_cast<long long>(r.server_used_at_start));
    std::printf("\n");
    if (r.lost_with_connections > 0)
      std::printf("       up to %lld more may stay held on the server until they expire: their "
                  "connections were lost\n",
                  static_cast<long long>(r.lost_with_connections));
    if (rss >= 0)
      std::printf("server peak RSS: %.1f MiB (pid %d)\n", static_cast<double>(rss) / (1 << 20),
                  server_pid);
    if (cpu.machine_cores > 0)
      std::printf("machine CPU in cores: user %.2f, system %.2f, softirq %.2f, iowait %.2f, "
                  "idle %.2f, stolen by the hypervisor %.2f (of %.2f)\n",
                  cpu.user, cpu.system, cpu.softirq, cpu.iowait, cpu.idle, cpu.steal,
                  cpu.machine_cores);
    if (cpu.server >= 0)
      std::printf("server CPU: %.2f cores, %.1f us per request\n", cpu.server,
                  us_per_op(cpu.server, requests_per_s));
    if (cpu.licbench >= 0)
      std::printf("licbench CPU: %.2f cores, %.1f us per request\n", cpu.licbench,
                  us_per_op(cpu.licbench, requests_per_s));
  }
  if (cpu.steal_share() > steal_warning_share)
    std::cerr << "licbench: warning: the hypervisor took "
              << static_cast<int>(cpu.steal_share() * 100)
              << " % of this machine's CPU during the measurement; throughput and latency are "
                 "not comparable with a run on a quiet machine (the CPU per request is a "
                 "steadier measure)\n";
  if (!seats_ok) {
    std::cerr << "licbench: SEAT CHECK FAILED: " << r.seat_violations
              << " times more computers held seats than the " << r.seats << " seats, "
              << r.used_above_seats << " replies with used above seats, held at end "
              << r.held_at_end << " (plus up to " << r.lost_with_connections
              << " on lost connections) vs the server's " << r.server_used_at_end
              << (r.server_used_at_start > 0
                    ? " of which " + std::to_string(r.server_used_at_start)
                        + " were held by others before the run (if others checked out or "
                          "released meanwhile, this count cannot match)"
                    : std::string())
              << '\n';
    return 1;
  }
  return 0;
}
