#pragma once

#include <memory>
#include <string>
#include <string_view>

/// TLS for a connection that is driven by someone else's I/O (a CAF broker, licbench's event
/// loop): bytes from the network go in, plaintext comes out, and the bytes to send are taken
/// out. OpenSSL over memory BIOs; TLS 1.2 and newer only. No sockets here.
namespace licd::net {

/// A server certificate and key, loaded once and shared by every connection; or, for a client,
/// what it verifies the server by.
class tls_context {
public:
  /// Throws std::runtime_error naming the file that cannot be used.
  static std::shared_ptr<tls_context> load(const std::string& cert_file,
                                           const std::string& key_file);
  /// A client's: the server's certificate must lead to `ca_file` (PEM; a self-signed
  /// certificate is its own CA) and name the host connected to, and/or have the SHA-256
  /// fingerprint `pin_sha256` (64 hex digits, colons and case do not matter). Throws
  /// std::runtime_error when neither is given, the pin is malformed or the CA file unreadable.
  static std::shared_ptr<tls_context> client(const std::string& ca_file,
                                             const std::string& pin_sha256);
  ~tls_context();
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;
  void* native() const { return ctx_; } ///< SSL_CTX*
  /// SHA-256 of the certificate (DER), 64 lowercase hex digits: what clients pin.
  const std::string& fingerprint() const { return fingerprint_; }
  bool is_client() const { return client_; }
  /// A client's: whether the host name is checked (with a CA file; a pin alone does not).
  bool checks_host() const { return checks_host_; }
  /// A client's, after the handshake of `ssl` (an SSL*): empty if the server's certificate has
  /// the pinned fingerprint (or no pin is set), else why it is refused.
  std::string pin_mismatch(void* ssl) const;
  /// A client's, when the handshake of `ssl` (an SSL*) failed: why, in words for a person.
  std::string handshake_failure(void* ssl) const;

private:
  tls_context() = default;
  void* ctx_ = nullptr;
  std::string fingerprint_; ///< the server's own certificate's; a client's pin
  bool client_ = false;
  bool checks_host_ = false;
};

/// Writes a new self-signed certificate (EC P-256, SHA-256, valid 10 years) for `name` (a host
/// name or an IP address, put in the subject and the subjectAltName) and its key (mode 0600).
/// Returns the certificate's SHA-256 fingerprint. Throws std::runtime_error.
std::string make_self_signed(const std::string& cert_file, const std::string& key_file,
                             const std::string& name);

/// One connection's TLS: the server's side with a context from `load`, a client's (which speaks
/// first: its hello is in take_output() at once) with one from `client`, for `host`.
class tls_stream {
public:
  explicit tls_stream(std::shared_ptr<tls_context> ctx, const std::string& host = {});
  ~tls_stream();
  tls_stream(const tls_stream&) = delete;
  tls_stream& operator=(const tls_stream&) = delete;

  /// Takes bytes from the network; appends any plaintext they complete to `plain`. False on a
  /// fatal error (a failed handshake, garbage): `error()` says what; close the connection.
  bool feed(std::string_view bytes, std::string& plain);
  /// Encrypts plaintext to send (queued until the handshake is done). False on a fatal error.
  bool write(std::string_view plain);
  /// The bytes to put on the wire now (handshake messages and records).
  std::string take_output();
  /// Ends the session politely: the close_notify alert goes into take_output().
  void shutdown();

  bool established() const { return established_; }
  const std::string& error() const { return error_; }

private:
  bool pump(std::string& plain);

  std::shared_ptr<tls_context> ctx_;
  void* ssl_ = nullptr; ///< SSL*
  void* in_ = nullptr;  ///< BIO*: network -> OpenSSL
  void* out_ = nullptr; ///< BIO*: OpenSSL -> network
  bool established_ = false;
  std::string pending_; ///< plaintext written before the handshake finished
  std::string error_;
};

} // namespace licd::net
