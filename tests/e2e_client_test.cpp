// End to end: the client side. Discovery by broadcast on loopback, manual addresses and
// LICD_SERVER, the seat that survives a dropped connection and licd restarts (SIGTERM, SIGKILL)
// while the server shows one seat used throughout, a lost lease reported and regained, TLS with
// pins and CA files, openssl s_client over TLS, and the installed package's examples.

#include "client/discovery.hpp"
#include "client/seat.hpp"
#include "e2e_admin_support.hpp"
#include "licd/client.hpp"
#include "tcp_proxy.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

using namespace licd::test;
using namespace std::chrono_literals;
namespace cl = licd::client;

namespace {

/// Records the seat's events.
struct event_log {
  std::mutex mu;
  std::vector<std::string> events;
  void add(cl::seat_event e, const std::string&) {
    std::lock_guard<std::mutex> g(mu);
    events.emplace_back(cl::to_string(e));
  }
  size_t count(const std::string& e) {
    std::lock_guard<std::mutex> g(mu);
    return static_cast<size_t>(std::count(events.begin(), events.end(), e));
  }
};

cl::seat_options seat_to(const std::string& endpoint, event_log& log) {
  cl::seat_options o;
  o.product = "demo";
  o.servers = {endpoint};
  o.computer = "ws-seat";
  o.user = "tester";
  o.acquire_timeout = 10s;
  o.io_timeout = 2s;
  o.backoff_min = 100ms;
  o.backoff_max = 400ms;
  o.on_event = [&log](cl::seat_event e, const std::string& d) { log.add(e, d); };
  return o;
}

/// An env command line that keeps a licclient away from this machine's real config files and
/// $LICD_SERVER, then sets `extra` ("NAME=value").
std::vector<std::string> clean_env(const temp_dir& tmp, std::vector<std::string> extra = {}) {
  std::vector<std::string> out{"/usr/bin/env", "-u", "LICD_SERVER",
                               "LICD_SYSTEM_CONFIG=" + tmp.path() + "/none.conf",
                               "LICD_USER_CONFIG=" + tmp.path() + "/none-user.conf"};
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

/// A program running in the background with its stdout and stderr in a file.
struct background {
  std::string out_file;
  int pid = -1;
  background(std::vector<std::string> argv, std::string out) : out_file(std::move(out)) {
    pid = ::fork();
    if (pid == 0) {
      int fd = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> args;
      for (auto& a : argv)
        args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~background() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  std::string output() const { return slurp(out_file); }
  /// The exit status once it has ended within `patience` (128+N for signal N), else -1.
  int wait(std::chrono::milliseconds patience) {
    auto until = std::chrono::steady_clock::now() + patience;
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }
};

} // namespace

TEST_CASE("discovery finds a server by loopback broadcast", "[e2e][client][discovery]") {
  auto port = free_port(SOCK_DGRAM);
  server_fixture a({"--demo", "--discovery-port=" + std::to_string(port), "--server-name=solo"});
  cl::discovery_options o;
  o.port = port;
  o.targets = {"127.255.255.255"};
  auto found = cl::discover({"demo"}, o);
  REQUIRE(found.size() == 1);
  CHECK(found[0].name == "solo");
  CHECK(found[0].port == a.licd->port());
  auto status = run({LICADMIN_BINARY, "--data-dir=" + a.data, "--json", "status"});
  REQUIRE(status.status == 0);
  CHECK(json::parse(status.out)["ports"]["discovery_udp"] == port);
}

TEST_CASE("discovery lists two servers, and a client takes the one with a free seat",
          "[e2e][client][discovery]") {
  // Two "hosts" on one machine: each licd on its own loopback address, both on one UDP port
  // (one port is never shared by two licd on one address: that is an error at start).
  auto port = free_port(SOCK_DGRAM);
  auto d = "--discovery-port=" + std::to_string(port);
  server_fixture a({"--demo", d, "--server-name=server-a", "--bind=127.0.0.2",
                    "--discovery-bind=127.0.0.2"});
  server_fixture b({"--demo", d, "--server-name=server-b", "--bind=127.0.0.3",
                    "--discovery-bind=127.0.0.3"});
  auto used_on = [](const std::string& host, const licd_process& p) {
    cl::connection c(host, p.port());
    return c.status("demo").at(0).used;
  };
  cl::discovery_options o;
  o.port = port;
  o.targets = {"127.0.0.2", "127.0.0.3"};
  o.gather_all = true;
  auto found = cl::discover({"demo"}, o);
  REQUIRE(found.size() == 2);
  std::set<std::string> names{found[0].name, found[1].name};
  CHECK(names == std::set<std::string>{"server-a", "server-b"});
  for (const auto& f : found) {
    auto& p = f.name == "server-a" ? *a.licd : *b.licd;
    CHECK(f.host == (f.name == "server-a" ? "127.0.0.2" : "127.0.0.3"));
    CHECK(f.port == p.port());
    REQUIRE(f.products.size() == 1);
    CHECK(f.products[0].product == "demo");
    CHECK(f.products[0].seats == 5);
    CHECK(f.products[0].free == 5);
  }
  // Fill server A: a client then takes B, the one with a seat free.
  cl::connection relay("127.0.0.2", a.licd->port());
  relay.hello("relay", "tester", "1");
  for (int i = 0; i < 5; ++i)
    relay.checkout("demo", "ws" + std::to_string(i));
  auto again = cl::discover({"demo"}, o);
  auto best = cl::choose(again, "demo");
  REQUIRE(best);
  CHECK(best->name == "server-b");
  CHECK(!cl::choose(again, "no-such-product"));

  temp_dir tmp;
  auto argv = clean_env(tmp);
  for (const char* arg : {LICCLIENT_BINARY, "--json", "--discovery-target=127.0.0.2",
                          "--discovery-target=127.0.0.3", "--discovery-port"})
    argv.emplace_back(arg);
  argv.push_back(std::to_string(port));
  auto list_argv = argv;
  list_argv.push_back("servers");
  auto listed = json::parse(run(list_argv).out);
  CHECK(listed["servers"].size() == 2);
  auto co_argv = argv;
  co_argv.insert(co_argv.end(), {"--computer=ws-new", "checkout", "demo"});
  auto co = run(co_argv);
  INFO(co.out);
  REQUIRE(co.status == 0);
  CHECK(used_on("127.0.0.3", *b.licd) == 1); // B had the free seat
  CHECK(used_on("127.0.0.2", *a.licd) == 5);
}

TEST_CASE("a server list is tried in order, and LICD_SERVER names the server",
          "[e2e][client]") {
  server_fixture s;
  temp_dir tmp;
  auto dead = "127.0.0.1:" + std::to_string(free_port());
  auto argv = clean_env(tmp);
  argv.insert(argv.end(), {LICCLIENT_BINARY, "--server=" + dead + "," + s.licd->endpoint(),
                           "--computer=ws1", "checkout", "demo"});
  CHECK(run(argv).status == 0);
  auto env = clean_env(tmp, {"LICD_SERVER=" + s.licd->endpoint()});
  env.insert(env.end(), {LICCLIENT_BINARY, "--computer=ws2", "checkout", "demo"});
  CHECK(run(env).status == 0);
  CHECK(used_seats(*s.licd) == 2);
  auto bad = clean_env(tmp, {"LICD_SERVER=not a server"});
  bad.insert(bad.end(), {LICCLIENT_BINARY, "status"});
  CHECK(run(bad).status == 2);
}

TEST_CASE("the seat keeps its lease through a dropped connection, one seat used throughout",
          "[e2e][client][seat]") {
  server_fixture s({"--demo", "--lease-ttl=6"}); // renewals every 2 s; the blip lasts 2 s
  tcp_proxy proxy(s.licd->port());
  event_log log;
  cl::seat seat(seat_to("127.0.0.1:" + std::to_string(proxy.port()), log));
  auto lease = seat.lease();
  CHECK(seat.ttl() == 6);
  proxy.set_down(true);
  bool always_one = true;
  auto until = std::chrono::steady_clock::now() + 2s; // the lease outlives the blip (TTL 6 s)
  while (std::chrono::steady_clock::now() < until) {
    always_one = always_one && used_seats(*s.licd) == 1;
    std::this_thread::sleep_for(100ms);
  }
  proxy.set_down(false);
  CHECK(eventually([&] { return log.count("reconnected") == 1; }, 5s));
  CHECK(log.count("connection_lost") == 1);
  CHECK(log.count("lost") == 0);
  CHECK(seat.lease() == lease);
  CHECK(seat.held());
  CHECK(always_one);
  CHECK(used_seats(*s.licd) == 1);
  seat.release();
  CHECK(used_seats(*s.licd) == 0);
}

TEST_CASE("the seat keeps its lease across licd restarts after SIGTERM and SIGKILL",
          "[e2e][client][seat]") {
  auto port = free_port();
  // A 6 s TTL: a restart under a sanitizer on a loaded machine stays well inside it.
  std::vector<std::string> args{"--demo", "--lease-ttl=6", "--port=" + std::to_string(port)};
  server_fixture s(args);
  event_log log;
  cl::seat seat(seat_to(s.licd->endpoint(), log));
  auto lease = seat.lease();
  for (bool hard : {false, true}) {
    INFO((hard ? "SIGKILL" : "SIGTERM"));
    // Counted before the stop: the seat may be back before this thread looks again.
    auto before = log.count("reconnected") + log.count("regained");
    if (hard)
      s.licd->kill();
    else
      REQUIRE(s.licd->terminate() == 0);
    std::this_thread::sleep_for(500ms);
    s.start(args);
    CHECK(used_seats(*s.licd) == 1); // restored before it accepts connections
    CHECK(eventually([&] { return log.count("reconnected") + log.count("regained") > before; },
                     15s));
    CHECK(seat.lease() == lease); // renewed by id: never a second checkout
    CHECK(used_seats(*s.licd) == 1);
  }
  CHECK(log.count("lost") == 0);
  CHECK(log.count("regained") == 0);
}

TEST_CASE("a lease the server ended is reported lost, and a new one regained",
          "[e2e][client][seat]") {
  admin_fixture f({"--lease-ttl=3", "--demo"});
  event_log log;
  cl::seat seat(seat_to(f.licd().endpoint(), log));
  auto lease = seat.lease();
  REQUIRE(f.licadmin({"leases", "end", lease}).status == 0);
  CHECK(eventually([&] { return log.count("regained") == 1; }, 5s));
  CHECK(log.count("lost") == 1);
  CHECK(seat.lease() != lease);
  CHECK(seat.held());
  CHECK(used_seats(f.licd()) == 1);
}

TEST_CASE("a force-disconnect is noticed at once, long before the next renewal",
          "[e2e][client][seat]") {
  // The default 600 s TTL: the next renewal would be 200 s away.
  admin_fixture f({"--demo", "--disconnect-cooldown=2"});
  event_log log;
  auto started = std::chrono::steady_clock::now();
  cl::seat seat(seat_to(f.licd().endpoint(), log));
  auto lease = seat.lease();
  REQUIRE(f.licadmin({"computers", "disconnect", "ws-seat"}).status == 0);
  CHECK(eventually([&] { return log.count("lost") == 1; }, 2s));
  CHECK_FALSE(seat.held());
  // After the cooldown it checks a seat out again by itself.
  CHECK(eventually([&] { return log.count("regained") == 1; }, 5s));
  CHECK(seat.held());
  CHECK(seat.lease() != lease);
  CHECK(used_seats(f.licd()) == 1);
  CHECK(std::chrono::steady_clock::now() - started < 60s);
}

TEST_CASE("licclient hold prints a force-disconnect at once", "[e2e][client][licclient]") {
  admin_fixture f({"--demo", "--disconnect-cooldown=30"});
  temp_dir tmp;
  auto argv = clean_env(tmp);
  argv.insert(argv.end(), {LICCLIENT_BINARY, "--server=" + f.licd().endpoint(),
                           "--computer=ws-hold", "hold", "demo"});
  background hold(argv, tmp.path() + "/hold.out");
  REQUIRE(eventually([&] { return hold.output().find("acquired") != std::string::npos; }, 10s));
  REQUIRE(f.licadmin({"computers", "disconnect", "ws-hold"}).status == 0);
  CHECK(eventually([&] { return hold.output().find("\nlost ") != std::string::npos; }, 2s));
  INFO(hold.output());
  CHECK_THAT(hold.output(), Catch::Contains("an administrator disconnected this computer"));
  ::kill(hold.pid, SIGINT);
  CHECK(hold.wait(5s) == 0);
}

TEST_CASE("licclient hold ends on Ctrl-C while it waits for a seat", "[e2e][client][licclient]") {
  admin_fixture f({"--demo"});
  std::vector<std::unique_ptr<cl::connection>> holders;
  for (int i = 0; i < 5; ++i) { // every seat taken
    holders.push_back(connect_as(f.licd(), "ws" + std::to_string(i)));
    holders.back()->checkout("demo");
  }
  temp_dir tmp;
  auto argv = clean_env(tmp);
  argv.insert(argv.end(), {LICCLIENT_BINARY, "--server=" + f.licd().endpoint(),
                           "--computer=ws-waits", "hold", "demo", "--timeout=120"});
  background hold(argv, tmp.path() + "/hold.out");
  std::this_thread::sleep_for(1500ms); // it is retrying NO_SEATS by now
  REQUIRE(hold.wait(0ms) == -1);
  ::kill(hold.pid, SIGINT);
  CHECK(hold.wait(3s) == 128 + SIGINT);
  CHECK_THAT(hold.output(), Catch::Contains("interrupted while waiting for a seat"));
  CHECK(used_seats(f.licd()) == 5);
}

TEST_CASE("licclient takes no network seat for a product in stand-alone mode",
          "[e2e][client][licclient]") {
  server_fixture s;
  temp_dir tmp;
  std::ofstream(tmp.path() + "/user.conf") << "[demo]\nmode = standalone\n";
  for (std::string command : {"checkout", "hold"}) {
    std::vector<std::string> argv{"/usr/bin/env", "-u", "LICD_SERVER",
                                  "LICD_SYSTEM_CONFIG=" + tmp.path() + "/none.conf",
                                  "LICD_USER_CONFIG=" + tmp.path() + "/user.conf",
                                  LICCLIENT_BINARY, "--json", "--server=" + s.licd->endpoint(),
                                  command, "demo"};
    auto r = run(argv);
    INFO(command << ": " << r.out);
    CHECK(r.status == 3);
    CHECK(json::parse(r.out)["error"]["code"] == "STANDALONE_MODE");
  }
  CHECK(used_seats(*s.licd) == 0);
}

TEST_CASE("TLS: the right pin or CA works, a wrong pin is refused, plain text is told",
          "[e2e][client][tls]") {
  temp_dir tmp;
  auto [cert, key, pin] = make_tls_cert(tmp.path());
  server_fixture s({"--demo", "--tls-cert=" + cert, "--tls-key=" + key});

  cl::tls_options right{true, "", pin};
  cl::connection c("127.0.0.1", s.licd->port(), 5000ms, right);
  CHECK(c.secure());
  c.hello("ws1", "u", "1");
  CHECK(!c.checkout("demo").lease.empty());

  cl::tls_options by_ca{true, cert, ""};
  cl::connection c2("127.0.0.1", s.licd->port(), 5000ms, by_ca);
  c2.hello("ws2", "u", "1");
  CHECK(c2.status("demo").at(0).used == 1);

  auto wrong_pin = pin;
  wrong_pin[0] = wrong_pin[0] == '0' ? '1' : '0';
  try {
    cl::connection bad("127.0.0.1", s.licd->port(), 5000ms, cl::tls_options{true, "", wrong_pin});
    FAIL("a wrong pin was accepted");
  } catch (const cl::tls_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("does not match the pinned fingerprint"));
  }
  // A CA that did not sign it: refused too.
  auto other = tmp.path() + "/other";
  std::filesystem::create_directories(other);
  REQUIRE(run({LICD_BINARY, "--data-dir=" + other, "--make-tls-cert", "--tls-name=127.0.0.1"})
            .status
          == 0);
  CHECK_THROWS_AS(cl::connection("127.0.0.1", s.licd->port(), 5000ms,
                                 cl::tls_options{true, other + "/tls.crt", ""}),
                  cl::tls_error);
  // A plain client hears why it is not served.
  cl::connection plain("127.0.0.1", s.licd->port());
  CHECK(plain.roundtrip("PING 1").rfind("ERR - TLS_REQUIRED", 0) == 0);
  // licclient over TLS, with the pin.
  auto r = run({LICCLIENT_BINARY, "--server=" + s.licd->endpoint(), "--tls-pin=" + pin,
                "--computer=ws3", "--json", "checkout", "demo"});
  CHECK(r.status == 0);
  CHECK(json::parse(r.out)["used"] == 2);
  auto refused = run({LICCLIENT_BINARY, "--server=" + s.licd->endpoint(), "--tls-pin=" + wrong_pin,
                      "--json", "status"});
  CHECK(refused.status == 4);
  CHECK(refused.out.find("\"TLS_FAILED\"") != std::string::npos);
}

TEST_CASE("openssl s_client checks a seat out over TLS", "[e2e][client][tls][slow]") {
  temp_dir tmp;
  REQUIRE(run({LICD_BINARY, "--data-dir=" + tmp.path(), "--make-tls-cert",
               "--tls-name=127.0.0.1"})
            .status
          == 0);
  server_fixture s({"--demo", "--tls-cert=" + tmp.path() + "/tls.crt",
                    "--tls-key=" + tmp.path() + "/tls.key"});
  auto r = run({"/bin/sh", "-c",
                "printf 'HELLO 1 version=1 computer=ws-ssl user=u\\nCHECKOUT 2 demo\\n' | "
                "timeout 10 openssl s_client -quiet -verify_return_error -CAfile "
                  + tmp.path() + "/tls.crt -connect " + s.licd->endpoint()
                  + " 2>/dev/null; true"});
  INFO(r.out);
  CHECK(r.out.find("OK 1 version=1") != std::string::npos);
  CHECK(r.out.find("OK 2 lease=") != std::string::npos);
  cl::connection check("127.0.0.1", s.licd->port(), 5000ms,
                       cl::tls_options{true, tmp.path() + "/tls.crt", ""});
  check.hello("ws-check", "u", "1");
  CHECK(check.status("demo").at(0).used == 1);
}

TEST_CASE("the installed package builds the C and C++ examples, which hold a seat",
          "[e2e][client][package][slow]") {
  temp_dir tmp;
  auto prefix = tmp.path() + "/prefix";
  auto install = run({"cmake", "--install", LICD_BUILD_DIR, "--prefix", prefix});
  INFO(install.out);
  REQUIRE(install.status == 0);
  CHECK(std::filesystem::exists(prefix + "/include/licd/client.h"));
  CHECK(std::filesystem::exists(prefix + "/include/licd/client.hpp"));
  std::vector<std::string> configure_argv{
    "cmake", "-S", std::string(LICD_SOURCE_DIR) + "/examples/client", "-B", tmp.path() + "/b",
    "-DCMAKE_PREFIX_PATH=" + prefix, "-DCMAKE_BUILD_TYPE=Release"};
  // A sanitized library (ASan+UBSan, or TSan) needs its users built with the same sanitizer.
  if (std::string flags = LICD_SANITIZER_FLAGS; !flags.empty())
    for (const char* v : {"C", "CXX"})
      configure_argv.push_back(std::string("-DCMAKE_") + v + "_FLAGS=" + flags);
  auto configure = run(configure_argv);
  INFO(configure.out);
  REQUIRE(configure.status == 0);
  auto build = run({"cmake", "--build", tmp.path() + "/b"});
  INFO(build.out);
  REQUIRE(build.status == 0);
  server_fixture s;
  for (const char* program : {"/hold_seat_c", "/hold_seat_cpp"}) {
    INFO(program);
    auto r = run({tmp.path() + "/b" + program, "demo", s.licd->endpoint(), "1"});
    CHECK(r.status == 0);
    CHECK(r.out.find("holding demo lease ") != std::string::npos);
    CHECK(r.out.find("still held: yes") != std::string::npos);
  }
  CHECK(used_seats(*s.licd) == 0); // both released on exit
  auto none = run({tmp.path() + "/b/hold_seat_c", "no-such-product", s.licd->endpoint()});
  CHECK(none.status == 1);
}

TEST_CASE("licclient mode set and show, and the library follows each product's mode",
          "[e2e][client][mode]") {
  temp_dir tmp;
  auto user_conf = tmp.path() + "/user/client.conf";
  auto sys_conf = tmp.path() + "/system.conf";
  std::ofstream(sys_conf) << "[demo]\nmode = standalone\n";
  std::vector<std::string> env{"/usr/bin/env", "LICD_SYSTEM_CONFIG=" + sys_conf,
                               "LICD_USER_CONFIG=" + user_conf, LICCLIENT_BINARY, "--json"};
  auto show = [&](const std::string& product) {
    auto argv = env;
    argv.insert(argv.end(), {"mode", "show", product});
    auto r = run(argv);
    REQUIRE(r.status == 0);
    return json::parse(r.out)["products"][0];
  };
  CHECK(show("demo")["mode"] == "standalone"); // from the system file
  server_fixture s;
  auto set = env;
  set.insert(set.end(), {"mode", "set", "demo", "network", "--server=" + s.licd->endpoint()});
  REQUIRE(run(set).status == 0);
  auto demo = show("demo");
  CHECK(demo["mode"] == "network"); // the user's file wins
  CHECK(demo["server"] == s.licd->endpoint());
  CHECK(demo["from"] == user_conf);

  // A stand-alone license for cad on this (simulated) machine.
  auto keys = tmp.path() + "/vendor";
  auto facts = tmp.path() + "/facts";
  auto file = tmp.path() + "/standalone.json";
  std::ofstream(facts) << "machine-id=m1\ndmi-uuid=u1\nmac=02:00:00:00:00:01\nhostname=h1\n";
  REQUIRE(run({LICGEN_BINARY, "keygen", "--out=" + keys}).status == 0);
  auto code = trim(run({LICGEN_BINARY, "issue", "--key=" + keys + "/vendor.key",
                        "--product=cad", "--seats=1", "--type=standalone"})
                     .out);
  std::vector<std::string> sa{"/usr/bin/env", "LICD_MACHINE_FACTS=" + facts,
                              "LICD_STANDALONE_FILE=" + file, LICCLIENT_BINARY, "--json",
                              "standalone", "--vendor-key=" + keys + "/vendor.pub"};
  auto with = [&](std::vector<std::string> more) {
    auto argv = sa;
    argv.insert(argv.end(), more.begin(), more.end());
    return run(argv);
  };
  REQUIRE(with({"add", code}).status == 0);
  std::string request = json::parse(with({"activate", "cad"}).out)["request"];
  auto response = trim(run({LICGEN_BINARY, "activate", "--key=" + keys + "/vendor.key", request}).out);
  REQUIRE(with({"activate", "cad", "--response=" + response}).status == 0);
  auto set_cad = env;
  set_cad.insert(set_cad.end(), {"mode", "set", "cad", "standalone"});
  REQUIRE(run(set_cad).status == 0);

  ::setenv("LICD_MACHINE_FACTS", facts.c_str(), 1);
  licd::license_options o;
  o.system_config = sys_conf;
  o.user_config = user_conf;
  o.vendor_keys = {keys + "/vendor.pub"};
  o.standalone_file = file;
  o.computer = "ws-both";
  {
    licd::product_license network("demo", o);
    licd::product_license standalone("cad", o);
    CHECK(network.mode() == "network");
    CHECK(network.server() == s.licd->endpoint());
    CHECK(network.held());
    CHECK(standalone.mode() == "standalone");
    CHECK(standalone.held());
    CHECK(used_seats(*s.licd) == 1);
    // The C++ layer's expiry comes through the C API: a network lease lapses within its TTL,
    // a stand-alone license never.
    auto left = network.expires_at() - std::chrono::steady_clock::now();
    CHECK(left > std::chrono::seconds(0));
    CHECK(left <= std::chrono::seconds(600));
    CHECK(standalone.expires_at() == std::chrono::steady_clock::time_point::max());
    // release() gives the seat back and keeps the object (licd_return).
    network.release();
    CHECK_FALSE(network.held());
    CHECK(used_seats(*s.licd) == 0);
    network.release(); // idempotent
    licd::product_license again("demo", o);
    CHECK(used_seats(*s.licd) == 1);
  }
  CHECK(used_seats(*s.licd) == 0); // released by the destructor
  ::setenv("LICD_MACHINE_FACTS", (tmp.path() + "/no-such-facts").c_str(), 1);
  try {
    licd::product_license elsewhere("cad", o);
    FAIL("a stand-alone license passed on another machine");
  } catch (const licd::license_error& e) {
    CHECK(e.code() == "NOT_LICENSED"); // "CODE: why" from the C API, split by the C++ layer
    CHECK(e.status() == LICD_NOT_LICENSED);
    CHECK(std::string(e.what()).find("NOT_LICENSED") == std::string::npos);
  }
  ::unsetenv("LICD_MACHINE_FACTS");
}
