// The acceptor's end on CAF's real scheduler and sockets: whoever waits for it to end (the
// server's stop) finds no session left running.

#include "actors/acceptor.hpp"
#include "actors/timers.hpp"
#include "net/listen_socket.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <vector>

using namespace licd;
using namespace std::chrono_literals;

namespace {

int connect_to(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  return fd;
}

} // namespace

TEST_CASE("the acceptor ends only after every session it forked has ended", "[actors]") {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  cfg.load<caf::io::middleman>();
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  session_setup setup;
  setup.metrics = std::make_shared<request_metrics>();
  setup.timers = sys.spawn(licd::timers, std::chrono::milliseconds(10));
  auto before = sys.registry().running(); // this test's actors, before any session
  auto await_sessions = [&](int64_t n) { // as many sessions started, or fails the test
    for (int i = 0; i < 500 && setup.metrics->sessions.load() < n; ++i)
      std::this_thread::sleep_for(10ms);
    REQUIRE(setup.metrics->sessions.load() == n);
  };

  auto listener = net::open_listen_socket("127.0.0.1", 0);
  auto acceptor = sys.middleman().spawn_broker(licd::acceptor, listener.fd, setup);
  // Enough sessions that ending them all takes the multiplexer a while after the acceptor's
  // own exit message.
  constexpr int clients = 300;
  std::vector<int> fds;
  for (int i = 0; i < clients; ++i)
    fds.push_back(connect_to(listener.port));
  await_sessions(clients);
  CHECK(sys.registry().running() == before + 1 + clients);

  self->send_exit(acceptor, caf::exit_reason::user_shutdown);
  self->wait_for(acceptor);
  // Not one session may still be running (or waiting to run its exit) at this point.
  CHECK(sys.registry().running() == before);

  // Sessions end on an exit of any kind, also a "normal" one that actors ignore by default.
  auto second = net::open_listen_socket("127.0.0.1", 0);
  auto acceptor2 = sys.middleman().spawn_broker(licd::acceptor, second.fd, setup);
  auto base = setup.metrics->sessions.load();
  fds.push_back(connect_to(second.port));
  await_sessions(base + 1);
  self->send_exit(acceptor2, caf::exit_reason::normal);
  self->wait_for(acceptor2);
  CHECK(sys.registry().running() == before);

  for (int fd : fds)
    ::close(fd);
  self->send_exit(setup.timers, caf::exit_reason::user_shutdown);
}
