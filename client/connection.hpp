#pragma once

#include "engine/errc.hpp"
#include "platform/socket.hpp"

#include "net/protocol.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

/// The client library applications embed (docs/PROTOCOL.md is the contract it speaks).
namespace licd::client {

/// The server could not be reached, or the connection broke or timed out.
class connection_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// The server answered ERR.
class refused : public std::runtime_error {
public:
  refused(std::string code_text, const std::string& message)
    : std::runtime_error(code_text + ": " + message),
      code_(engine::errc_from_name(code_text).value_or(engine::errc::server_error)),
      code_text_(std::move(code_text)), message_(message) {}
  /// The code; server_error for one this client does not know (a newer server's).
  engine::errc code() const { return code_; }
  /// The code as the server sent it.
  const std::string& code_text() const { return code_text_; }
  const std::string& message() const { return message_; }

private:
  engine::errc code_;
  std::string code_text_;
  std::string message_;
};

/// "host:port" (or "[v6]:port"); the port defaults to 27600. Throws std::invalid_argument.
std::pair<std::string, uint16_t> parse_endpoint(const std::string& text);

struct granted {
  std::string lease;
  std::string product;
  uint32_t expires_in = 0;
  uint32_t seats = 0;
  uint32_t used = 0;
};

struct product_usage {
  std::string product;
  uint32_t seats = 0;
  uint32_t used = 0;
};

/// TLS for the client connection (docs/PROTOCOL.md, "TLS"). The server is verified either
/// against a CA file (chain and host name) or by the SHA-256 fingerprint of its certificate
/// (a pin); TLS without either is refused, never used unverified.
struct tls_options {
  bool enabled = false;
  std::string ca_file;    ///< PEM file of the CA (or the self-signed certificate itself)
  std::string pin_sha256; ///< 64 hex digits, colons allowed: `openssl x509 -fingerprint -sha256`
};

/// Thrown when the server's certificate does not pass (a wrong pin, an unknown CA, a wrong host
/// name): a connection_error, so callers that retry unreachable servers retry it too.
class tls_error : public connection_error {
public:
  using connection_error::connection_error;
};

/// One blocking connection speaking protocol v1, one request at a time.
class connection {
public:
  using duration = std::chrono::milliseconds;

  /// Connects (throws connection_error on failure or timeout, tls_error when the server's
  /// certificate is refused).
  connection(const std::string& host, uint16_t port, duration timeout = duration{5000},
             const tls_options& tls = {});
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// HELLO; returns the lease TTL the server uses.
  uint32_t hello(const std::string& computer, const std::string& user,
                 const std::string& instance);
  /// CHECKOUT, optionally for another computer/user than HELLO's (a relay, a test harness).
  granted checkout(const std::string& product, const std::string& computer = {},
                   const std::string& user = {});
  /// When no seat is allowed now, how long the checkout may wait in the server's queue for one
  /// (`wait=`), and who hears of its place in line when it joins (position 1: next).
  struct waiting {
    std::chrono::seconds wait{0}; ///< 0: refused at once, as without
    std::function<void(uint32_t position, uint32_t waiting)> on_queued;
  };
  /// CHECKOUT with `wait=`: blocks until a seat is granted (OK) or the wait runs out (refused).
  granted checkout(const std::string& product, const waiting& w, const std::string& computer = {},
                   const std::string& user = {});
  /// RENEW; returns seconds until expiry.
  uint32_t renew(const std::string& lease);
  void release(const std::string& lease);
  std::vector<product_usage> status(const std::string& product = {});

  /// Sends one raw line, returns the reply line (for tests and tools).
  std::string roundtrip(const std::string& line);
  void send_raw(const std::string& bytes);
  std::string read_line();
  /// Whether a whole line has been received and not read yet (poll() does not see it).
  bool line_buffered() const { return inbuf_.find('\n') != std::string::npos; }

  /// Whether the connection is over TLS.
  bool secure() const { return ssl_ != nullptr; }
  /// The socket, to wait on (poll) for the server to speak or close unasked.
  platform::socket_handle socket() const { return fd_; }

private:
  net::protocol::reply request(const std::string& line);
  void start_tls(const std::string& host, const tls_options& tls);
  void close_all();
  /// Waits until the socket is readable (or writable); throws connection_error on timeout.
  void wait_for(bool write, const char* what);

  void* ssl_ctx_ = nullptr; ///< SSL_CTX*
  void* ssl_ = nullptr;     ///< SSL*
  platform::socket_handle fd_ = platform::no_socket;
  duration timeout_;
  std::string inbuf_;
  uint64_t next_id_ = 1;
};

/// A connection that said HELLO, and to whom.
struct greeted {
  std::unique_ptr<connection> conn;
  std::string endpoint; ///< "host:port" it reached
  uint32_t ttl = 0;     ///< the server's lease TTL
};

/// Connects to the first of `servers` ("host:port") that answers and says HELLO. A node of a
/// cluster that stands by answers NOT_LEADER naming the leader: the leader is tried next, ahead
/// of the rest of the list. Throws connection_error (tls_error for a certificate that does not
/// pass, which ends the tries) with the last reason when none could be greeted, `refused` for a
/// refusal other than NOT_LEADER.
greeted connect_and_hello(const std::vector<std::string>& servers, const std::string& computer,
                          const std::string& user, const std::string& instance,
                          connection::duration timeout = connection::duration{5000},
                          const tls_options& tls = {});

} // namespace licd::client
