#pragma once

#include "actors/server.hpp"
#include "admin/auth.hpp"
#include "engine/defaults.hpp"

#include <caf/actor_system.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace licd::cluster {
class node;
}

namespace licd::admin {

class http_listener;

struct options {
  std::string bind = defaults::admin_bind;
  uint16_t port = defaults::admin_port;   ///< 0: pick a free one
  std::string token;                      ///< the bearer token every request must carry
  std::string readonly_token;             ///< also accepted, for GET requests only (empty: none)
  std::chrono::seconds cooldown = defaults::disconnect_cooldown; ///< before a computer may return
  std::string data_dir;                   ///< shown in the server status
  uint16_t client_port = 0;               ///< shown in the server status
  uint16_t discovery_port = 0;            ///< shown in the server status (0: off)
  std::chrono::milliseconds actor_timeout{10'000};
  std::string tls_cert, tls_key; ///< both set: the admin port serves HTTPS (PEM files)
  std::string server_name;       ///< shown in the server status and the License Manager
  /// The options in force, as licd was started (name, value), for the Server page.
  std::vector<std::pair<std::string, std::string>> settings;
  /// The cluster node this licd is (docs/CLUSTER.md); null: a single machine.
  cluster::node* cluster = nullptr;
  std::chrono::milliseconds session_idle = defaults::admin_session_idle;
  std::chrono::milliseconds session_max = defaults::admin_session_max;
};

/// True when `bind` only listens on this machine (127.0.0.0/8, ::1, localhost).
bool loopback_address(const std::string& bind);

/// The admin API: JSON over HTTP (docs/ADMIN-API.md), on its own threads. Handlers ask the
/// actors with blocking requests, never from a scheduler worker.
class http_api {
public:
  /// Binds (throws std::runtime_error when the address or port cannot be had) and serves.
  http_api(caf::actor_system& sys, server& srv, options opts);
  ~http_api();
  http_api(const http_api&) = delete;
  http_api& operator=(const http_api&) = delete;

  uint16_t port() const;
  bool tls() const { return !opts_.tls_cert.empty(); }
  /// The URL tools reach it at: "http(s)://HOST:PORT" (a wildcard bind as loopback).
  std::string url() const;
  /// The URL other machines reach it at: a wildcard bind as `host`.
  std::string url_for_others(const std::string& host) const;
  /// Stops serving and waits for the server thread. Idempotent.
  void stop();

private:
  void routes();
  void session_routes();
  void ui_routes();

  caf::actor_system& sys_;
  server& srv_;
  options opts_;
  std::unique_ptr<http_listener> listener_;
  std::chrono::steady_clock::time_point started_;
  std::atomic<uint64_t> too_large_{0}; ///< 413s sent (httplib's threads count, /metrics reads)
  session_table sessions_;
};

} // namespace licd::admin
