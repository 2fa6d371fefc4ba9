#include "net/redirect_responder.hpp"

#include "net/line_splitter.hpp"
#include "net/protocol.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <list>
#include <stdexcept>

namespace licd::net {

namespace {

struct conn {
  int fd = -1;
  std::unique_ptr<tls_stream> tls;
  line_splitter lines{protocol::max_line};
  std::string out;      ///< bytes to send
  bool closing = false; ///< close once `out` is sent
  std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now();
};

} // namespace

redirect_responder::redirect_responder(listen_socket sock, std::shared_ptr<tls_context> tls,
                                       leader_fn leader)
  : fd_(sock.fd), port_(sock.port), tls_(std::move(tls)), leader_(std::move(leader)) {
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (stop_fd_ < 0) {
    ::close(fd_);
    throw std::runtime_error("eventfd failed");
  }
  thread_ = std::thread([this] { run(); });
}

redirect_responder::~redirect_responder() {
  uint64_t one = 1;
  if (::write(stop_fd_, &one, sizeof one) < 0) {
    // The thread then ends at its next timeout; nothing else can be done.
  }
  thread_.join();
  ::close(stop_fd_);
  ::close(fd_);
}

void redirect_responder::run() {
  std::list<conn> conns;
  std::vector<pollfd> fds;
  std::vector<conn*> owners;
  for (;;) {
    fds.clear();
    owners.clear();
    fds.push_back({stop_fd_, POLLIN, 0});
    fds.push_back({fd_, POLLIN, 0});
    for (auto& c : conns) {
      fds.push_back({c.fd, static_cast<short>(POLLIN | (c.out.empty() ? 0 : POLLOUT)), 0});
      owners.push_back(&c);
    }
    if (::poll(fds.data(), fds.size(), 1000) < 0)
      continue;
    if (fds[0].revents != 0)
      break;
    if ((fds[1].revents & POLLIN) != 0) {
      for (;;) {
        int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
          break;
        if (conns.size() >= max_connections) {
          ::close(fd);
          continue;
        }
        conns.emplace_back();
        conns.back().fd = fd;
        if (tls_)
          conns.back().tls = std::make_unique<tls_stream>(tls_);
      }
    }
    auto now = std::chrono::steady_clock::now();
    for (size_t i = 0; i < owners.size(); ++i) {
      auto& c = *owners[i];
      auto ev = fds[i + 2].revents;
      bool dead = (ev & (POLLERR | POLLNVAL)) != 0;
      if (!dead && (ev & (POLLIN | POLLHUP)) != 0) {
        char buf[4096];
        auto n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n <= 0) {
          dead = true;
        } else {
          std::string plain;
          if (c.tls) {
            if (!c.tls->feed({buf, static_cast<size_t>(n)}, plain))
              dead = true;
          } else {
            plain.assign(buf, static_cast<size_t>(n));
          }
          std::string replies;
          line_splitter::handler h;
          h.on_line = [&](std::string_view line) {
            if (c.closing)
              return;
            auto parsed = protocol::parse_request(line);
            if (auto* r = std::get_if<protocol::request>(&parsed)) {
              if (r->cmd == protocol::command::ping) {
                replies += protocol::format_ok(r->id) + "\n";
                return;
              }
              if (r->cmd == protocol::command::quit) {
                replies += protocol::format_ok(r->id) + "\n";
                c.closing = true;
                return;
              }
              replies += protocol::format_not_leader(r->id, leader_()) + "\n";
            } else {
              replies += protocol::format_not_leader("-", leader_()) + "\n";
            }
            redirected_.fetch_add(1);
            c.closing = true;
          };
          h.on_too_long = [&] {
            replies += protocol::format_not_leader("-", leader_()) + "\n";
            c.closing = true;
          };
          if (!dead)
            c.lines.feed(plain, h);
          if (c.tls) {
            if (!replies.empty())
              c.tls->write(replies);
            if (c.closing)
              c.tls->shutdown();
            c.out += c.tls->take_output();
          } else {
            c.out += replies;
          }
        }
      }
      if (!dead && !c.out.empty() && (ev & POLLOUT) != 0) {
        auto n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n < 0)
          dead = true;
        else
          c.out.erase(0, static_cast<size_t>(n));
      }
      if (dead || (c.closing && c.out.empty())
          || now - c.since > std::chrono::milliseconds(connection_patience_ms))
        c.fd = -(c.fd + 1); // mark: closed below
    }
    for (auto it = conns.begin(); it != conns.end();) {
      if (it->fd < 0) {
        ::close(-(it->fd + 1));
        it = conns.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : conns)
    ::close(c.fd);
}

} // namespace licd::net
