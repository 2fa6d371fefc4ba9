// End to end: hostile and broken clients. Connection limits (total and per address) answer with
// TOO_MANY_CONNECTIONS, silent connections are closed (TIMEOUT), a flood of idle connections and
// a client sending garbage as fast as it can do not keep a well-behaved client from its seat,
// and every refusal is counted in /metrics.

#include "e2e_admin_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>

using namespace licd::test;
using namespace std::chrono_literals;

namespace {

/// A raw TCP connection from a chosen loopback source address (127.0.0.x are all this host).
struct raw_client {
  int fd = -1;
  std::string inbuf;

  /// `rcvbuf` > 0 sets a small receive buffer before connecting (a client slow to read).
  raw_client(const std::string& source, uint16_t port, int rcvbuf = 0) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (rcvbuf > 0)
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    sockaddr_in src{};
    src.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &src.sin_addr);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) == 0);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof(dst)) == 0);
  }
  ~raw_client() { ::close(fd); }
  raw_client(const raw_client&) = delete;

  void send_line(const std::string& line) {
    auto l = line + "\n";
    REQUIRE(::send(fd, l.data(), l.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(l.size()));
  }
  /// The next line, or "<closed>" / "<timeout>".
  std::string read_line(std::chrono::milliseconds patience = 5000ms) {
    auto until = std::chrono::steady_clock::now() + patience;
    for (;;) {
      if (auto lf = inbuf.find('\n'); lf != std::string::npos) {
        auto line = inbuf.substr(0, lf);
        inbuf.erase(0, lf + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        return "<timeout>";
      char buf[4096];
      auto n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0)
        return "<closed>";
      inbuf.append(buf, static_cast<size_t>(n));
    }
  }
};

/// One /metrics sample's value (the first line that starts with `series`).
double metric(const admin_fixture& f, const std::string& series) {
  httplib::Client cli(f.url());
  auto r = cli.Get("/metrics", httplib::Headers{{"Authorization", "Bearer " + f.token()}});
  REQUIRE(r);
  std::istringstream in(r->body);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(series + " ", 0) == 0)
      return std::stod(line.substr(series.size() + 1));
  FAIL("no metric " << series);
  return -1;
}

void raise_file_limit() {
  rlimit r{};
  ::getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &r);
}

} // namespace

TEST_CASE("connections beyond the per-address limit are refused, and silent ones time out",
          "[e2e][limits]") {
  admin_fixture f({"--demo", "--max-connections-per-address=20", "--hello-timeout=2"});
  auto port = f.licd().port();
  std::vector<std::unique_ptr<raw_client>> idle;
  for (int i = 0; i < 20; ++i)
    idle.push_back(std::make_unique<raw_client>("127.0.0.1", port));
  std::this_thread::sleep_for(200ms); // the acceptor has taken them all
  raw_client extra("127.0.0.1", port);
  auto refusal_line = extra.read_line();
  CHECK(refusal_line.rfind("ERR - TOO_MANY_CONNECTIONS", 0) == 0);
  CHECK(extra.read_line() == "<closed>");
  // Another address is served meanwhile.
  raw_client good("127.0.0.2", port);
  good.send_line("HELLO 1 version=1 computer=ws-good user=u");
  CHECK(good.read_line().rfind("OK 1", 0) == 0);
  good.send_line("CHECKOUT 2 demo");
  CHECK(good.read_line().rfind("OK 2 lease=", 0) == 0);
  // The silent ones are told and closed after the HELLO timeout.
  for (auto& c : idle) {
    CHECK(c->read_line().rfind("ERR - TIMEOUT no HELLO within 2 s", 0) == 0);
    CHECK(c->read_line() == "<closed>");
  }
  CHECK(metric(f, "licd_connections_refused_total{limit=\"per_address\"}") == 1);
  CHECK(metric(f, "licd_connection_timeouts_total{kind=\"hello\"}") == 20);
  // The good client said HELLO: it was not timed out.
  good.send_line("PING 3");
  CHECK(good.read_line().rfind("OK 3", 0) == 0);
  raw_client again("127.0.0.1", port); // room again from that address
  again.send_line("PING 1");
  CHECK(again.read_line().rfind("OK 1", 0) == 0);
}

TEST_CASE("connections beyond the total limit are refused with a clear error", "[e2e][limits]") {
  admin_fixture f({"--demo", "--max-connections=10"});
  std::vector<std::unique_ptr<raw_client>> held;
  for (int i = 0; i < 10; ++i)
    held.push_back(std::make_unique<raw_client>("127.0.0.1", f.licd().port()));
  std::this_thread::sleep_for(200ms);
  raw_client eleventh("127.0.0.3", f.licd().port());
  auto line = eleventh.read_line();
  CHECK(line.rfind("ERR - TOO_MANY_CONNECTIONS", 0) == 0);
  CHECK(line.find("10 connections open") != std::string::npos);
  CHECK(metric(f, "licd_connections_refused_total{limit=\"total\"}") == 1);
  held.pop_back(); // one closes: a new one is served
  CHECK(eventually(
    [&] {
      raw_client next("127.0.0.3", f.licd().port());
      next.send_line("PING 1");
      return next.read_line(1000ms).rfind("OK 1", 0) == 0;
    },
    3s));
}

TEST_CASE("a flood of idle connections does not keep a well-behaved client from a seat",
          "[e2e][limits][flood]") {
  raise_file_limit();
  admin_fixture f({"--demo", "--hello-timeout=3"});
  std::vector<std::unique_ptr<raw_client>> flood;
  for (int i = 0; i < 2000; ++i)
    flood.push_back(std::make_unique<raw_client>("127.0.0." + std::to_string(10 + i % 200),
                                                 f.licd().port()));
  auto c = connect_as(f.licd(), "ws-good");
  for (int i = 0; i < 20; ++i) {
    auto g = c->checkout("demo");
    c->release(g.lease);
  }
  CHECK(eventually([&] { return metric(f, "licd_connection_timeouts_total{kind=\"hello\"}") == 2000; },
                   20s));
  CHECK(eventually([&] { return metric(f, "licd_sessions") == 1; }, 5s)); // only ws-good
  CHECK(c->checkout("demo").used == 1);
}

TEST_CASE("a client sending garbage as fast as it can does not disturb the others",
          "[e2e][limits][garbage]") {
  admin_fixture f({"--demo"});
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> sent{0};
  std::thread garbage([&] {
    raw_client g("127.0.0.4", f.licd().port());
    std::mt19937 rng(42);
    std::string chunk(8192, '\0');
    while (!stop) {
      for (auto& ch : chunk) {
        auto r = rng() % 64;
        ch = r == 0 ? '\n' : static_cast<char>(rng() % 256);
      }
      auto n = ::send(g.fd, chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0)
        sent += static_cast<uint64_t>(n);
      else if (n < 0 && errno != EAGAIN)
        break; // the server closed it (that is allowed too)
      char sink[65536]; // read the error replies, so the server is not kept writing to no one
      while (::recv(g.fd, sink, sizeof(sink), MSG_DONTWAIT) > 0) {
      }
    }
  });
  auto c = connect_as(f.licd(), "ws-good");
  for (int i = 0; i < 200; ++i) {
    auto g = c->checkout("demo");
    CHECK(g.used == 1);
    c->release(g.lease);
  }
  stop = true;
  garbage.join();
  CHECK(sent > 100'000);
  CHECK(metric(f, "licd_protocol_errors_total") > 100);
  CHECK(f.licd().port() != 0);
  CHECK(connect_as(f.licd(), "ws-after")->checkout("demo").used == 1);
}

TEST_CASE("one computer cannot hold more than its share of leases", "[e2e][limits]") {
  admin_fixture f({"--demo", "--max-leases-per-computer=3"});
  auto c = connect_as(f.licd(), "ws-greedy");
  for (int i = 0; i < 3; ++i)
    c->checkout("demo");
  CHECK(refusal([&] { c->checkout("demo"); }) == "TOO_MANY_LEASES");
  CHECK(used_seats(f.licd()) == 1); // its three leases share one seat
  CHECK(connect_as(f.licd(), "ws-other")->checkout("demo").used == 2);
  CHECK(metric(f, "licd_denials_total{product=\"demo\",reason=\"too_many_leases\"}") == 1);
}

TEST_CASE("an admin request body over 64 KiB is refused, counted, and changes nothing",
          "[e2e][limits][admin]") {
  admin_fixture f({"--demo"});
  httplib::Client cli(f.url());
  httplib::Headers auth{{"Authorization", "Bearer " + f.token()}};
  auto licenses = [&] {
    auto r = cli.Get("/api/v1/licenses", auth);
    REQUIRE(r);
    return json::parse(r->body)["licenses"].size();
  };
  auto before = licenses();
  CHECK(metric(f, "licd_admin_requests_too_large_total") == 0);
  // A real code followed by 70 KiB of padding: over the limit, so not even parsed.
  std::string body = "{\"code\": \"" + f.issue("cad", 5) + "\", \"pad\": \""
                     + std::string(70 * 1024, 'x') + "\"}";
  auto r = cli.Post("/api/v1/licenses", auth, body, "application/json");
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(json::parse(r->body)["error"]["code"] == "REQUEST_TOO_LARGE");
  CHECK(metric(f, "licd_admin_requests_too_large_total") == 1);
  CHECK(licenses() == before);
  // The same code in an ordinary body is installed: the server still serves the API.
  auto ok = cli.Post("/api/v1/licenses", auth, "{\"code\": \"" + f.issue("cad", 5) + "\"}",
                     "application/json");
  REQUIRE(ok);
  CHECK(ok->status == 201);
  CHECK(licenses() == before + 1);
  CHECK(metric(f, "licd_admin_requests_too_large_total") == 1);
}

TEST_CASE("a client that sends requests but never reads the replies is reset",
          "[e2e][limits]") {
  admin_fixture f({"--demo"});
  auto pid = f.licd().pid();
  auto open_files = [pid] {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
      ++n;
    return n;
  };
  auto before = open_files();
  raw_client flood("127.0.0.5", f.licd().port(), 4096); // a small receive buffer
  // Requests with long replies (an unknown command is answered with the list of known ones,
  // about 90 bytes), so the 1 MiB bound is reached after some 12,000 lines rather than the
  // 150,000 PINGs it takes: a sanitizer build under a loaded CI machine needed over 30 s.
  std::string pings;
  for (int i = 0; i < 1000; ++i)
    pings += "XYZZY " + std::to_string(i) + "\n";
  bool closed = false, reset = false;
  auto until = std::chrono::steady_clock::now() + 30s;
  auto next_look = std::chrono::steady_clock::now();
  while (!closed && std::chrono::steady_clock::now() < until) {
    auto n = ::send(flood.fd, pings.data(), pings.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      closed = true;
      reset = errno == ECONNRESET;
    } else if (n < 0) {
      std::this_thread::sleep_for(1ms);
    }
    if (std::chrono::steady_clock::now() >= next_look) { // the server's count, twice a second
      closed = closed || metric(f, "licd_slow_readers_closed_total") >= 1;
      next_look = std::chrono::steady_clock::now() + 500ms;
    }
  }
  CHECK(closed);
  CHECK(eventually([&] { return metric(f, "licd_slow_readers_closed_total") == 1; }, 5s));
  // The server's socket is really gone (not waiting for the client to read), while the client
  // has not read a byte yet...
  CHECK(eventually([&] { return open_files() <= before; }, 5s));
  CHECK(metric(f, "licd_sessions") == 0);
  // ...and what the client finds is a reset (told to its send or to its next read), not the
  // rest of its replies and an orderly end.
  timeval patience{5, 0};
  ::setsockopt(flood.fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof(patience));
  char buf[65536];
  ssize_t n = 0;
  size_t drained = 0;
  while ((n = ::recv(flood.fd, buf, sizeof(buf), 0)) > 0)
    drained += static_cast<size_t>(n);
  INFO("bytes read before the end: " << drained);
  reset = reset || (n < 0 && errno == ECONNRESET);
  CHECK(reset);
  // Everyone else is served.
  CHECK(connect_as(f.licd(), "ws-good")->checkout("demo").used == 1);
}

TEST_CASE("a silent client that does not read its replies is reset at its idle timeout",
          "[e2e][limits]") {
  // It fills its receive buffer and licd's send buffer with replies it never reads, then says
  // nothing: the idle timeout ends it with a reset instead of waiting for it to read.
  admin_fixture f({"--demo", "--idle-timeout=2"});
  raw_client quiet("127.0.0.6", f.licd().port(), 4096);
  std::string lines;
  for (int i = 0; i < 200; ++i)
    lines += "XYZZY " + std::to_string(i) + "\n";
  for (int i = 0; i < 20; ++i) { // ~350 KB of replies: more than the kernel buffers hold
    ::send(quiet.fd, lines.data(), lines.size(), MSG_NOSIGNAL);
    std::this_thread::sleep_for(10ms);
  }
  CHECK(eventually([&] { return metric(f, "licd_connection_timeouts_total{kind=\"idle\"}") == 1; },
                   10s));
  CHECK(eventually([&] { return metric(f, "licd_sessions") == 0; }, 5s));
  timeval patience{5, 0};
  ::setsockopt(quiet.fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof(patience));
  char buf[65536];
  ssize_t n = 0;
  while ((n = ::recv(quiet.fd, buf, sizeof(buf), 0)) > 0) {
  }
  CHECK(n < 0);
  CHECK(errno == ECONNRESET);
}

TEST_CASE("thousands of session timers falling due under load do not hang the server",
          "[e2e][limits][slow]") {
  // 9,000 busy sessions with 1 s HELLO and 2 s idle timers: their timeouts fall due by the
  // thousand while the multiplexer is busy. When CAF's clock thread delivered them itself it
  // blocked on the multiplexer's full wake-up pipe, the multiplexer then waited for the clock,
  // and licd stopped serving for good (licbench never finished). Idle timeouts of busy clients
  // are expected here; the server must come through and keep answering.
  if (std::string(LICD_SANITIZER_FLAGS).find("thread") != std::string::npos) {
    // CTest reports the test as skipped on this line (SKIP_REGULAR_EXPRESSION), not as passed.
    WARN("SKIPPED: 9,000 clients are too many for a ThreadSanitizer run; the other builds run "
         "this");
    return;
  }
  raise_file_limit();
  admin_fixture f({"--hello-timeout=1", "--idle-timeout=2", "--max-connections=19000",
                   "--max-connections-per-address=19000"});
  f.licadmin_json({"licenses", "add", f.issue("cad", 10000)});
  auto endpoint = "127.0.0.1:" + std::to_string(f.licd().port());
  auto r = run({"timeout", "90", LICBENCH_BINARY, "--server=" + endpoint, "--product=cad",
                "--scenario=renew", "--clients=9000", "--duration=3", "--json"});
  INFO(r.out);
  CHECK(r.status != 124); // not killed by timeout: licbench finished
  auto c = connect_as(f.licd(), "after-the-storm");
  CHECK(c->status("cad").at(0).seats == 10000);
}
