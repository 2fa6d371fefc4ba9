// licbench against a real licd (every scenario), and its seat check against a server that lies.

#include "e2e_support.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>

using namespace licd::test;
using json = nlohmann::json;

namespace {

run_result licbench(const std::string& endpoint, std::vector<std::string> args) {
  std::vector<std::string> argv{LICBENCH_BINARY, "--server=" + endpoint, "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

json ok_report(const run_result& r) {
  INFO(r.out);
  REQUIRE(r.status == 0);
  auto j = json::parse(r.out);
  CHECK(j["seats"]["ok"] == true);
  CHECK(j["seats"]["violations"] == 0);
  return j;
}

/// A broken server that grants every checkout while saying it has 1 seat.
class lying_server {
public:
  lying_server() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    ::listen(fd_, 64);
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0)
          return;
        std::thread([c] { serve(c); }).detach();
      }
    });
  }
  ~lying_server() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    acceptor_.join();
  }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

private:
  static void serve(int c) {
    std::string in;
    char buf[4096];
    static std::atomic<uint64_t> leases{1};
    for (;;) {
      auto n = ::recv(c, buf, sizeof(buf), 0);
      if (n <= 0)
        break;
      in.append(buf, static_cast<size_t>(n));
      for (auto lf = in.find('\n'); lf != std::string::npos; lf = in.find('\n')) {
        auto line = in.substr(0, lf);
        in.erase(0, lf + 1);
        std::istringstream words(line);
        std::string verb, id;
        words >> verb >> id;
        std::string reply = "OK " + id;
        if (verb == "HELLO")
          reply += " version=1 server=liar/1 ttl=600";
        else if (verb == "CHECKOUT") {
          char lease[33];
          std::snprintf(lease, sizeof(lease), "%032llx",
                        static_cast<unsigned long long>(leases++));
          reply += std::string(" lease=") + lease + " product=demo expires_in=600 seats=1 used=1";
        } else if (verb == "STATUS")
          reply += " demo=1/1";
        reply += "\n";
        ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      }
    }
    ::close(c);
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread acceptor_;
};

} // namespace

TEST_CASE("licbench renew: every client holds a lease and renews", "[e2e][licbench]") {
  server_fixture s;
  auto j = ok_report(licbench(s.licd->endpoint(), {"--scenario=renew", "--clients=5",
                                                   "--duration=1"}));
  CHECK(j["ops"]["renew"]["count"] > 0);
  CHECK(j["ops"]["renew"]["p50_us"] > 0);
  CHECK(j["ops"]["renew"]["p99_us"] >= j["ops"]["renew"]["p50_us"]);
  CHECK(j["ops"]["renew"]["errors"].empty());
  // Closed loop: one reply per read, so every renewal also has its reply's kernel arrival time,
  // which comes before licbench read it.
  const auto& at_socket = j["ops"]["renew"]["at_socket"];
  CHECK(at_socket["count"] == j["ops"]["renew"]["count"]);
  CHECK(at_socket["p50_us"] > 0);
  CHECK(at_socket["p50_us"] <= j["ops"]["renew"]["p50_us"]);
  CHECK(at_socket["p99_us"] <= j["ops"]["renew"]["p99_us"]);
  CHECK(at_socket["max_us"] <= j["ops"]["renew"]["max_us"]);
  CHECK(j["ops"]["connect"]["count"] == 5);
  CHECK(j["seats"]["max_held"] == 5);
  CHECK(j["seats"]["server_used_at_end"] == 5);
  CHECK(used_seats(*s.licd) == 0); // licbench gave every seat back
}

TEST_CASE("licbench queue hands each freed seat to the head of a queue, in order",
          "[e2e][licbench][queue]") {
  server_fixture s; // demo: 5 seats
  auto r = licbench(s.licd->endpoint(),
                    {"--scenario=queue", "--waiters=300", "--clients=6", "--duration=1"});
  INFO(r.out);
  REQUIRE(r.status == 0);
  auto j = json::parse(r.out);
  CHECK(j["ok"] == true);
  CHECK(j["seats"] == 5);
  CHECK(j["held"] == 5);
  CHECK(j["queued"] == 300);
  CHECK(j["handoffs"] > 0);
  CHECK(j["free_to_grant"]["count"] == j["handoffs"]);
  CHECK(j["free_to_grant"]["p50_us"] > 0);
  CHECK(j["out_of_order"] == 0);
  CHECK(j["wrong_positions"] == 0);
  CHECK(eventually([&] { return used_seats(*s.licd) == 0; }, std::chrono::seconds(10)));
}

TEST_CASE("licbench policy checks out as many users and counts denials by rule",
          "[e2e][licbench][policy]") {
  temp_dir dir;
  {
    std::ofstream policy(dir.path() + "/site.policy");
    policy << "MAX 1 demo USER *\n"; // 2 users, 4 computers: half the checkouts hit the MAX
  }
  server_fixture s({"--demo", "--policy=" + dir.path() + "/site.policy"});
  auto j = ok_report(licbench(s.licd->endpoint(),
                              {"--scenario=policy", "--clients=4", "--users=2", "--duration=1"}));
  CHECK(j["ops"]["checkout"]["count"] > 0);
  CHECK(j["ops"]["checkout"]["denied_by"]["LIMIT"] > 0);
  CHECK(j["ops"]["checkout"]["errors"].empty());
  CHECK(j["seats"]["max_held"] <= 2);
}

TEST_CASE("licbench's seat check counts net of seats others held before the run",
          "[e2e][licbench]") {
  server_fixture s;
  auto other = connect_as(*s.licd, "someone-else");
  other->checkout("demo"); // a real user of the product, on the server all along
  auto j = ok_report(licbench(s.licd->endpoint(), {"--scenario=renew", "--clients=3",
                                                   "--duration=0.5"}));
  CHECK(j["seats"]["server_used_at_start"] == 1);
  CHECK(j["seats"]["held_at_end"] == 3);
  CHECK(j["seats"]["server_used_at_end"] == 4);
  CHECK(used_seats(*s.licd) == 1); // licbench gave its own back, not the other's
}

TEST_CASE("licbench cycle, contend and hold report their operations", "[e2e][licbench]") {
  server_fixture s({"--demo", "--lease-ttl=3"});
  auto cycle = ok_report(licbench(s.licd->endpoint(), {"--scenario=cycle", "--clients=3",
                                                       "--duration=1"}));
  CHECK(cycle["ops"]["checkout"]["count"] > 0);
  CHECK(cycle["ops"]["release"]["count"] > 0);
  auto contend = ok_report(licbench(s.licd->endpoint(), {"--scenario=contend", "--clients=12",
                                                         "--duration=1"}));
  CHECK(contend["ops"]["checkout"]["denied"] > 0); // 12 computers, 5 seats
  CHECK(contend["seats"]["max_held"] <= 5);
  // hold: 40 computers over 4 connections on the 5 seats: most are denied, held ones renew
  // on a schedule of three renewals per TTL.
  auto hold = ok_report(licbench(s.licd->endpoint(), {"--scenario=hold", "--clients=4",
                                                      "--computers=40", "--duration=2"}));
  CHECK(hold["computers"] == 40);
  CHECK(hold["mode"] == "paced"); // three renewals per TTL, not as fast as it can
  CHECK(hold["seats"]["max_held"] == 5);
  CHECK(hold["ops"]["renew"]["count"] > 0);
  CHECK(used_seats(*s.licd) == 0);
}

TEST_CASE("licbench reports the server's memory and the CPU each side used per request",
          "[e2e][licbench]") {
  server_fixture s;
  auto pid = "--server-pid=" + std::to_string(s.licd->pid());
  auto j = ok_report(licbench(s.licd->endpoint(), {"--scenario=renew", "--clients=5",
                                                   "--duration=1", pid}));
  CHECK(j["server_peak_rss_bytes"] > 1 << 20);
  const auto& cpu = j["cpu"];
  INFO(cpu.dump());
  // Five clients renewing as fast as they can keep licd and licbench busy.
  REQUIRE(cpu["server_cores"].is_number());
  CHECK(cpu["server_cores"] > 0.0);
  CHECK(cpu["licbench_cores"] > 0.0);
  auto requests_per_s = j["ops"]["renew"]["ops_per_s"].get<double>();
  CHECK(cpu["server_us_per_op"].get<double>()
        == Approx(cpu["server_cores"].get<double>() * 1e6 / requests_per_s));
  // The machine's kinds of time add up to its cores.
  double sum = 0;
  for (const char* kind : {"user", "system", "softirq", "iowait", "idle", "steal"}) {
    CHECK(cpu[kind] >= 0.0);
    sum += cpu[kind].get<double>();
  }
  auto cores = static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN));
  CHECK(cpu["machine_cores"].get<double>() == Approx(sum));
  CHECK(sum > 0.5 * cores);
  CHECK(sum < 1.5 * cores);
  CHECK(cpu["steal_share"] >= 0.0);

  CHECK(j["server_pid"] == s.licd->pid());

  // Without --server-pid, a server on the loopback is found by its listening socket.
  auto found = ok_report(licbench(s.licd->endpoint(), {"--scenario=renew", "--clients=2",
                                                       "--duration=0.5"}));
  CHECK(found["server_pid"] == s.licd->pid());
  CHECK(found["server_peak_rss_bytes"] > 1 << 20);
  CHECK(found["cpu"]["server_cores"].is_number());

  // With --server-pid=0 there is nothing to say about the server.
  auto blind = ok_report(licbench(s.licd->endpoint(), {"--scenario=renew", "--clients=2",
                                                       "--duration=0.5", "--server-pid=0"}));
  CHECK(blind["server_pid"] == 0);
  CHECK(blind["server_peak_rss_bytes"] == -1);
  CHECK(blind["cpu"]["server_cores"].is_null());
  CHECK(blind["cpu"]["server_us_per_op"].is_null());
  CHECK(blind["cpu"]["licbench_cores"].is_number());

  // The table says the same in words.
  auto table = run({LICBENCH_BINARY, "--server=" + s.licd->endpoint(), "--scenario=renew",
                    "--clients=2", "--duration=0.5", pid});
  INFO(table.out);
  REQUIRE(table.status == 0);
  CHECK(table.out.find("server peak RSS: ") != std::string::npos);
  CHECK(table.out.find("machine CPU in cores: user ") != std::string::npos);
  CHECK(table.out.find("server CPU: ") != std::string::npos);
  CHECK(table.out.find(" us per request") != std::string::npos);
}

TEST_CASE("licbench open loop offers the rate asked for and writes a CSV series",
          "[e2e][licbench]") {
  server_fixture s;
  auto csv = s.tmp.path() + "/series.csv";
  auto j = ok_report(licbench(s.licd->endpoint(), {"--scenario=renew", "--clients=2",
                                                   "--rate=200", "--duration=2", "--csv=" + csv}));
  CHECK(j["mode"] == "open");
  auto renewals = j["ops"]["renew"]["count"].get<double>();
  CHECK(renewals > 200 * 2 * 0.8);
  CHECK(renewals < 200 * 2 * 1.2);
  std::ifstream in(csv);
  std::string header;
  std::getline(in, header);
  CHECK(header == "second,checkout,renew,release");
  int rows = 0;
  for (std::string line; std::getline(in, line);)
    ++rows;
  CHECK(rows >= 2);
}

TEST_CASE("licbench fails loudly when a server grants more than its seats", "[e2e][licbench]") {
  lying_server liar;
  auto r = run({"/bin/sh", "-c",
                std::string(LICBENCH_BINARY) + " --json --server=" + liar.endpoint()
                  + " --scenario=cycle --clients=3 --duration=1 2>&1"});
  CHECK(r.status == 1);
  CHECK(r.out.find("SEAT CHECK FAILED") != std::string::npos);
  auto j = json::parse(r.out.substr(0, r.out.find('\n')));
  CHECK(j["seats"]["ok"] == false);
  CHECK(j["seats"]["violations"] > 0);
}

TEST_CASE("licbench reports an unreachable server", "[e2e][licbench]") {
  auto r = run({LICBENCH_BINARY, "--server=127.0.0.1:1", "--clients=1", "--duration=0.2"});
  CHECK(r.status == 4);
  CHECK(run({LICBENCH_BINARY, "--scenario=nope"}).status == 2);
}

TEST_CASE("licbench speaks TLS to a TLS port, verifying the server by CA file or pin",
          "[e2e][licbench][tls]") {
  temp_dir tmp;
  auto [cert, key, pin] = make_tls_cert(tmp.path());
  server_fixture s({"--demo", "--tls-cert=" + cert, "--tls-key=" + key});

  auto by_ca = ok_report(licbench(s.licd->endpoint(), {"--scenario=cycle", "--clients=3",
                                                       "--duration=1", "--tls-ca=" + cert}));
  CHECK(by_ca["tls"] == true);
  CHECK(by_ca["ops"]["connect"]["count"] == 3);
  CHECK(by_ca["ops"]["checkout"]["count"] > 0);
  CHECK(by_ca["ops"]["release"]["count"] > 0);
  CHECK(by_ca["ops"]["checkout"]["errors"].empty());
  CHECK(by_ca["ops"]["connect"]["errors"].empty());
  CHECK(by_ca["seats"]["server_used_at_end"] == by_ca["seats"]["held_at_end"]);

  auto by_pin = ok_report(licbench(s.licd->endpoint(), {"--scenario=renew", "--clients=2",
                                                        "--duration=1", "--tls-pin=" + pin}));
  CHECK(by_pin["ops"]["renew"]["count"] > 0);
  CHECK(by_pin["ops"]["renew"]["at_socket"]["count"] == by_pin["ops"]["renew"]["count"]);
  CHECK(by_pin["seats"]["server_used_at_end"] == 2);

  auto says = [&](const std::string& args) {
    return run({"/bin/sh", "-c",
                std::string(LICBENCH_BINARY) + " --server=" + s.licd->endpoint()
                  + " --clients=2 --duration=0.3 " + args + " 2>&1"});
  };
  auto wrong_pin = pin;
  wrong_pin[0] = wrong_pin[0] == '0' ? '1' : '0';
  auto refused = says("--tls-pin=" + wrong_pin);
  CHECK(refused.status == 4);
  CHECK_THAT(refused.out, Catch::Contains("does not match the pinned fingerprint"));
  auto plain = says("");
  CHECK(plain.status == 4);
  CHECK_THAT(plain.out, Catch::Contains("TLS_REQUIRED"));
  auto malformed = says("--tls-pin=12:ab");
  CHECK(malformed.status == 2);
  CHECK_THAT(malformed.out, Catch::Contains("not 64 hex digits"));
  licd::client::connection check("127.0.0.1", s.licd->port(), std::chrono::milliseconds(5000),
                                 licd::client::tls_options{true, cert, ""});
  CHECK(check.status("demo").at(0).used == 0); // every seat was given back
}

TEST_CASE("licbench's seat check allows for leases left on connections the server closed",
          "[e2e][licbench]") {
  // A 1 s idle timeout against clients that renew every 3 s: the server closes connections
  // while they hold leases, and keeps those leases until they expire. licbench no longer holds
  // them, so its count at the end is below the server's by at most what it lost.
  server_fixture s({"--demo", "--lease-ttl=9", "--idle-timeout=1"});
  auto j = ok_report(licbench(s.licd->endpoint(), {"--scenario=hold", "--clients=4",
                                                   "--duration=3"}));
  auto held = j["seats"]["held_at_end"].get<int64_t>();
  auto lost = j["seats"]["lost_with_connections"].get<int64_t>();
  auto server = j["seats"]["server_used_at_end"].get<int64_t>();
  CHECK(lost > 0);
  CHECK(server > held); // the server still counts leases of the lost connections
  CHECK(server <= held + lost);
  CHECK(j["ops"]["connect"]["errors"].contains("closed by the server: TIMEOUT"));
}
