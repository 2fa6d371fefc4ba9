#include "net/discovery_responder.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace licd::net {

discovery_responder::discovery_responder(const std::string& bind, uint16_t port, answer_fn answer,
                                         unsigned max_answers_per_second)
  : answer_(std::move(answer)) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
  addrinfo* res = nullptr;
  auto service = std::to_string(port);
  if (getaddrinfo(bind.empty() ? nullptr : bind.c_str(), service.c_str(), &hints, &res) != 0)
    throw std::runtime_error("bad discovery address " + bind);
  fd_ = ::socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  // No SO_REUSEADDR: on UDP it would let a second licd bind the same port and take a share of
  // the queries; a port in use must be an error at start.
  int one = 1;
  bool ok = fd_ >= 0 && ::setsockopt(fd_, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) == 0
            && ::bind(fd_, res->ai_addr, res->ai_addrlen) == 0;
  int err = errno;
  freeaddrinfo(res);
  if (!ok) {
    if (fd_ >= 0)
      ::close(fd_);
    throw std::runtime_error("cannot listen for discovery on " + bind + ":" + service + "/udp: "
                             + std::strerror(err));
  }
  sockaddr_storage local{};
  socklen_t len = sizeof(local);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len);
  port_ = ntohs(local.ss_family == AF_INET6
                  ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                  : reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  thread_ = std::thread([this, max_answers_per_second] { run(max_answers_per_second); });
}

discovery_responder::~discovery_responder() {
  uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(stop_fd_, &one, sizeof(one)); // wakes the poll
  if (thread_.joinable())
    thread_.join();
  ::close(fd_);
  ::close(stop_fd_);
}

void discovery_responder::run(unsigned max_per_second) {
  using clock = std::chrono::steady_clock;
  double tokens = max_per_second;
  auto last = clock::now();
  char buf[discovery::max_datagram + 1];
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    if ((fds[1].revents & POLLIN) != 0)
      return;
    sockaddr_storage from{};
    socklen_t from_len = sizeof(from);
    auto n = ::recvfrom(fd_, buf, sizeof(buf), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from),
                        &from_len);
    if (n <= 0)
      continue;
    auto q = discovery::parse_query(std::string_view(buf, static_cast<size_t>(n)));
    if (!q)
      continue; // not ours: no answer at all
    auto now = clock::now();
    tokens = std::min<double>(max_per_second,
                              tokens + std::chrono::duration<double>(now - last).count()
                                         * max_per_second);
    last = now;
    if (tokens < 1) {
      ++dropped_;
      continue;
    }
    tokens -= 1;
    std::string reply;
    try {
      reply = discovery::format(answer_(*q));
    } catch (const std::exception&) {
      continue; // the server is stopping or busy: let the client ask again
    }
    ::sendto(fd_, reply.data(), reply.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from),
             from_len);
    ++answered_;
  }
}

} // namespace licd::net
