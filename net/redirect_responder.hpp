#pragma once

#include "net/listen_socket.hpp"
#include "net/replies.hpp"
#include "net/tls_stream.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace licd::net {

/// A cluster standby's client port (docs/CLUSTER.md): every request line but PING is answered
/// `ERR ID NOT_LEADER leader=HOST:PORT ...` (or, while no node leads, without `leader=`), and
/// the connection is then closed; PING is answered OK. Its own thread polls the sockets (never
/// the actor scheduler); at most `max_connections` at once, each closed after
/// `connection_patience`, so a flood cannot pile up.
class redirect_responder {
public:
  /// Where clients should go: "host:port", or "" while no node leads.
  using leader_fn = std::function<std::string()>;
  /// Takes over `sock` (from open_listen_socket). With `tls`, the port speaks TLS as the
  /// leader's does.
  redirect_responder(listen_socket sock, std::shared_ptr<tls_context> tls, leader_fn leader);
  /// Closes every connection and the listening socket.
  ~redirect_responder();
  redirect_responder(const redirect_responder&) = delete;
  redirect_responder& operator=(const redirect_responder&) = delete;

  uint16_t port() const { return port_; }
  uint64_t redirected() const { return redirected_.load(); }

  static constexpr size_t max_connections = 512;
  static constexpr int connection_patience_ms = 10'000;

private:
  void run();

  int fd_ = -1;
  int stop_fd_ = -1;
  uint16_t port_ = 0;
  std::shared_ptr<tls_context> tls_;
  leader_fn leader_;
  std::atomic<uint64_t> redirected_{0};
  std::thread thread_;
};

} // namespace licd::net
