// licbench's wire (bench/licbench/wire.cpp) against a real loopback listener.
#include "bench/licbench/wire.hpp"
#include "net/listen_socket.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

using licd::bench::wire;

namespace {

int accept_one(int listener) {
  pollfd p{listener, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 5000) == 1);
  return ::accept(listener, nullptr, nullptr);
}

bool wait_readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 5000) == 1;
}

} // namespace

TEST_CASE("licbench's wire sends queued lines and reads reply lines with their arrival time",
          "[bench][wire]") {
  auto l = licd::net::open_listen_socket("127.0.0.1", 0);
  wire w;
  w.start("127.0.0.1", l.port, nullptr);
  int server = accept_one(l.fd);
  REQUIRE(server >= 0);
  pollfd out{w.fd(), POLLOUT, 0};
  REQUIRE(::poll(&out, 1, 5000) == 1);
  CHECK(w.connected().empty());
  CHECK(w.queue("PING 1\n").empty());
  CHECK(w.queue("PING 2\n").empty());
  CHECK(w.has_output());
  CHECK(w.flush().empty());
  CHECK_FALSE(w.has_output());
  char buf[64];
  REQUIRE(wait_readable(server));
  CHECK(std::string(buf, static_cast<size_t>(::recv(server, buf, sizeof(buf), 0)))
        == "PING 1\nPING 2\n");

  std::vector<std::pair<std::string, int64_t>> lines;
  auto collect = [&](std::string_view line, int64_t arrival) {
    lines.emplace_back(std::string(line), arrival);
    return true;
  };
  // One line in one read: it gets the kernel's arrival time. The kernel turns receive
  // timestamps on for the whole system lazily (a deferred static key) when the first socket
  // asks, so the first segments after that may come unstamped (arrival 0: "none"); a later one
  // is stamped.
  bool stamped = false;
  for (int attempt = 0; attempt < 200 && !stamped; ++attempt) {
    lines.clear();
    ::send(server, "OK 1\n", 5, 0);
    REQUIRE(wait_readable(w.fd()));
    CHECK(w.read(collect).empty());
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].first == "OK 1");
    stamped = lines[0].second > 0;
    if (!stamped) // give the kernel's deferred work a moment to switch stamping on
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(stamped);
  CHECK(lines[0].second <= licd::bench::now_ns());
  // Two lines in one read: neither can claim the arrival time; a partial line waits.
  lines.clear();
  ::send(server, "OK 2\nOK 3\nOK", 12, 0);
  REQUIRE(wait_readable(w.fd()));
  CHECK(w.read(collect).empty());
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].first == "OK 3");
  CHECK(lines[0].second == 0);
  CHECK(lines[1].second == 0);
  lines.clear();
  ::send(server, " 4\n", 3, 0);
  REQUIRE(wait_readable(w.fd()));
  CHECK(w.read(collect).empty());
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].first == "OK 4");
  // The server closes: said so.
  ::close(server);
  REQUIRE(wait_readable(w.fd()));
  CHECK(w.read(collect) == "server closed the connection");
  w.close();
  ::close(l.fd);
}

TEST_CASE("licbench's wire reports a refused connect", "[bench][wire]") {
  int port = 0;
  {
    auto l = licd::net::open_listen_socket("127.0.0.1", 0);
    port = l.port;
    ::close(l.fd); // nobody listens there now
  }
  wire w;
  w.start("127.0.0.1", static_cast<uint16_t>(port), nullptr);
  pollfd out{w.fd(), POLLOUT, 0};
  REQUIRE(::poll(&out, 1, 5000) == 1);
  CHECK(w.connected() == "Connection refused");
  w.close();
}
