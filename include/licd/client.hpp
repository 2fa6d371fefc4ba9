#pragma once

// licd client library, C++ API. One product license an application holds while it runs: a
// floating seat from a licd server (renewed in the background, kept through network blips and
// server restarts, released on destruction) or a stand-alone license checked offline, as the
// product's license mode says (/etc/licd/client.conf, ~/.config/licd/client.conf).
// docs/CLIENT.md shows how to use it and what the application sees when things go wrong.

#include <licd/client.h> // LICD_API

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace licd {

/// Why a license could not be had. `code()` is one of: NO_SEATS, UNKNOWN_PRODUCT, DISCONNECTED,
/// UNREACHABLE, TLS_FAILED, NOT_LICENSED (stand-alone), BAD_ARGUMENT (and the server's other
/// protocol error codes, docs/PROTOCOL.md).
class LICD_API license_error : public std::runtime_error {
public:
  license_error(std::string code, const std::string& message)
    : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

private:
  std::string code_;
};

enum class license_event {
  connection_lost, ///< the server stopped answering; the seat is still held, renewals retry
  reconnected,     ///< the server answers again; the same lease was renewed
  lost,            ///< the server says the lease is gone, or a whole TTL passed without contact
  regained,        ///< a seat is held again
};

struct license_options {
  /// Servers "host:port", tried in order. Empty: $LICD_SERVER, else the mode config's list,
  /// else automatic discovery by UDP broadcast.
  std::vector<std::string> servers;
  uint16_t discovery_port = 27600;
  std::string computer; ///< default: the host name
  std::string user;     ///< default: the current user
  std::chrono::milliseconds timeout{30'000}; ///< how long acquire keeps trying for a seat
  /// TLS: set one of these to talk TLS, verified against a CA (or the self-signed certificate
  /// itself) or a pinned SHA-256 fingerprint.
  std::string tls_ca_file;
  std::string tls_pin_sha256;
  /// Stand-alone mode: the vendor public key files (PEM) the licenses must be signed with.
  std::vector<std::string> vendor_keys;
  std::string standalone_file; ///< default: $LICD_STANDALONE_FILE or the per-machine file
  /// Mode config files; default: $LICD_SYSTEM_CONFIG or /etc/licd/client.conf, and
  /// $LICD_USER_CONFIG or ~/.config/licd/client.conf.
  std::string system_config;
  std::string user_config;
  /// Called from the renewal thread (network mode). Keep it short.
  std::function<void(license_event, const std::string& detail)> on_event;
};

class LICD_API product_license {
public:
  /// Acquires the product's license in its configured mode. Throws license_error.
  product_license(const std::string& product, license_options opts = {});
  /// Releases the seat (network mode).
  ~product_license();
  product_license(const product_license&) = delete;
  product_license& operator=(const product_license&) = delete;

  const std::string& product() const;
  std::string mode() const;   ///< "network" or "standalone"
  bool held() const;          ///< stand-alone: always true once acquired
  std::string lease() const;  ///< network: the lease id; stand-alone: the license id
  std::string server() const; ///< network: "host:port"; stand-alone: empty
  /// Network: when the lease lapses unless renewed; stand-alone: time_point::max().
  std::chrono::steady_clock::time_point expires_at() const;
  /// Gives the seat back now (idempotent).
  void release();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace licd
