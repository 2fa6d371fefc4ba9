#include "bench/licbench/wire.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace licd::bench {

namespace {

/// recv() that also returns, when `arrival` is given and the kernel stamped the data
/// (SO_TIMESTAMPNS), when its first segment arrived, converted to the steady clock.
ssize_t receive(int fd, char* buf, size_t size, int64_t* arrival) {
  iovec iov{buf, size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  auto n = ::recvmsg(fd, &msg, 0);
  if (n <= 0 || arrival == nullptr)
    return n;
  for (auto* cm = CMSG_FIRSTHDR(&msg); cm != nullptr; cm = CMSG_NXTHDR(&msg, cm))
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts{};
      std::memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
      // The stamp is on the realtime clock: shift it by the clocks' difference right now.
      timespec real{};
      ::clock_gettime(CLOCK_REALTIME, &real);
      auto steady = now_ns();
      auto ago = (real.tv_sec - ts.tv_sec) * 1'000'000'000LL + (real.tv_nsec - ts.tv_nsec);
      *arrival = steady - std::max<int64_t>(0, ago);
    }
  return n;
}

} // namespace

int64_t now_ns() {
  return std::chrono::steady_clock::now().time_since_epoch().count();
}

void wire::start(const std::string& host, uint16_t port, std::shared_ptr<net::tls_context> tls) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* ai = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &ai) != 0)
    throw std::runtime_error("cannot resolve " + host);
  fd_ = ::socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    freeaddrinfo(ai);
    throw std::runtime_error(std::string("socket: ") + std::strerror(errno)
                             + " (raise the open-files limit for this many clients)");
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  // The kernel stamps each arriving segment: a reply's latency is also measured to its arrival,
  // without the time licbench (sharing the CPU with the server) takes to read it.
  ::setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
  started_ns_ = now_ns();
  ::connect(fd_, ai->ai_addr, ai->ai_addrlen);
  freeaddrinfo(ai);
  if (tls) { // the client hello goes first, the first line once the handshake is done
    tls_ = std::make_unique<net::tls_stream>(std::move(tls), host);
    out_ = tls_->take_output();
  }
}

std::string wire::connected() {
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  return err == 0 ? std::string() : std::string(std::strerror(err));
}

std::string wire::queue(std::string_view line) {
  if (!tls_) {
    out_ += line;
    return {};
  }
  if (!tls_->write(line))
    return "TLS: " + tls_->error();
  out_ += tls_->take_output();
  return {};
}

std::string wire::flush() {
  while (!out_.empty()) {
    auto n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return {};
    return "connection lost";
  }
  return {};
}

std::string wire::read(const std::function<bool(std::string_view, int64_t)>& on_line) {
  char buf[65536];
  int64_t arrival = 0; // the first segment's kernel receive time, on the steady clock (0: none)
  for (;;) {
    auto n = receive(fd_, buf, sizeof(buf), arrival == 0 ? &arrival : nullptr);
    if (n > 0) {
      if (!tls_)
        in_.append(buf, static_cast<size_t>(n));
      else if (tls_->feed(std::string_view(buf, static_cast<size_t>(n)), in_))
        out_ += tls_->take_output(); // handshake messages; flushed after this event
      else
        return "TLS: " + tls_->error();
      if (static_cast<size_t>(n) < sizeof(buf))
        break; // the socket is empty: a later arrival raises a new edge (one recv, not two)
      continue;
    }
    if (n == 0)
      return "server closed the connection";
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      break;
    return std::string("connection lost: ") + std::strerror(errno);
  }
  // The arrival time is a line's only when this read completed that line alone (one reply in
  // flight, as in closed loop); with several, each would get the first one's time.
  if (std::count(in_.begin(), in_.end(), '\n') != 1)
    arrival = 0;
  size_t start = 0;
  for (;;) {
    auto lf = in_.find('\n', start);
    if (lf == std::string::npos)
      break;
    if (!on_line(std::string_view(in_).substr(start, lf - start), arrival))
      return {};
    start = lf + 1;
  }
  in_.erase(0, start);
  return {};
}

void wire::close() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

} // namespace licd::bench
