#pragma once

// A loopback TCP proxy for tests: forwards connections to a target port, and can cut every
// connection and refuse new ones for a while, like a network blip.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace licd::test {

class tcp_proxy {
public:
  explicit tcp_proxy(uint16_t target) : target_(target) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0
        || ::listen(listen_fd_, 64) != 0)
      throw std::runtime_error("proxy: cannot listen");
    socklen_t len = sizeof(a);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }

  ~tcp_proxy() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
    for (auto& p : pairs_) {
      ::close(p.first);
      ::close(p.second);
    }
  }

  uint16_t port() const { return port_; }

  /// Closes every connection; while `down`, new connections are accepted and closed at once.
  void set_down(bool down) {
    std::lock_guard<std::mutex> g(mu_);
    down_ = down;
    if (down) {
      for (auto& p : pairs_) {
        ::shutdown(p.first, SHUT_RDWR);
        ::close(p.first);
        ::close(p.second);
      }
      pairs_.clear();
    }
  }

private:
  void run() {
    while (!stop_) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      {
        std::lock_guard<std::mutex> g(mu_);
        for (auto& p : pairs_) {
          fds.push_back({p.first, POLLIN, 0});
          fds.push_back({p.second, POLLIN, 0});
        }
      }
      if (::poll(fds.data(), fds.size(), 50) <= 0)
        continue;
      std::lock_guard<std::mutex> g(mu_);
      if ((fds[0].revents & POLLIN) != 0) {
        int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0 && down_) {
          ::close(c);
        } else if (c >= 0) {
          int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
          sockaddr_in a{};
          a.sin_family = AF_INET;
          a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
          a.sin_port = htons(target_);
          if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
            pairs_.emplace_back(c, s);
          } else {
            ::close(c);
            ::close(s);
          }
        }
      }
      // Forward; a pair whose side closed is dropped. (Indexes shift only after this loop.)
      std::vector<std::pair<int, int>> keep;
      for (size_t i = 0; i < pairs_.size(); ++i) {
        bool alive = true;
        for (int side = 0; side < 2 && alive; ++side) {
          size_t idx = 1 + 2 * i + static_cast<size_t>(side);
          if (idx >= fds.size() || (fds[idx].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
            continue;
          int from = side == 0 ? pairs_[i].first : pairs_[i].second;
          int to = side == 0 ? pairs_[i].second : pairs_[i].first;
          char buf[8192];
          auto n = ::recv(from, buf, sizeof(buf), 0);
          alive = n > 0 && ::send(to, buf, static_cast<size_t>(n), MSG_NOSIGNAL) == n;
        }
        if (alive) {
          keep.push_back(pairs_[i]);
        } else {
          ::close(pairs_[i].first);
          ::close(pairs_[i].second);
        }
      }
      pairs_ = std::move(keep);
    }
  }

  uint16_t target_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  bool down_ = false;
  std::vector<std::pair<int, int>> pairs_;
  std::thread thread_;
};

} // namespace licd::test
