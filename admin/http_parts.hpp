#pragma once

// What the admin API (http_api) and a cluster standby's admin port (standby_api) share: the
// listening HTTP(S) server and the API's reply shapes.

#include "admin/http_api.hpp"
#include "engine/errc.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
struct Response;
} // namespace httplib

namespace licd::cluster {
struct cluster_status;
}

namespace licd::admin {

/// An HTTP server on the admin address (`options::bind`, `options::port`; HTTPS when
/// `options::tls_cert` is set). Binds when made (throws std::runtime_error when the address,
/// port or certificate cannot be had); serves on its own thread from start() until stop().
class http_listener {
public:
  explicit http_listener(const options& opts);
  ~http_listener();
  http_listener(const http_listener&) = delete;
  http_listener& operator=(const http_listener&) = delete;

  httplib::Server& server() { return *http_; }
  uint16_t port() const { return port_; }
  bool tls() const { return tls_; }
  /// "http(s)://HOST:PORT" as tools on this machine reach it (a wildcard bind as loopback).
  std::string url() const;
  /// The same for other machines: a wildcard bind as `host` (this machine's advertised name).
  std::string url_for_others(const std::string& host) const;
  void start();
  /// Stops serving and waits for the server thread. Idempotent.
  void stop();

private:
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::atomic<bool> listen_returned_{false}; ///< httplib's accept loop has ended
  std::string bind_;
  uint16_t port_ = 0;
  bool tls_ = false;
};

/// The headers every answer of the admin port carries (docs/ADMIN-API.md).
void set_security_headers(httplib::Response& res);

/// "YYYY-MM-DDTHH:MM:SSZ" for a wall-clock time in ms; "" for none (<= 0).
std::string iso_time(int64_t ms);

/// Answers `body` as JSON with `status`.
void reply(httplib::Response& res, int status, const nlohmann::json& body);

/// Answers an error in the API's one error shape, with its HTTP status.
void fail(httplib::Response& res, engine::errc code, const std::string& msg);

/// GET /api/v1/cluster's body for a node's view of its cluster.
nlohmann::json cluster_json(const cluster::cluster_status& s);

} // namespace licd::admin
