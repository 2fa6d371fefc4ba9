#pragma once

#include "net/tls_stream.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace licd::bench {

/// Nanoseconds on the steady clock.
int64_t now_ns();

/// licbench's side of one connection, bytes only: a non-blocking TCP socket (TLS over it when
/// asked), what waits to be sent, and the reply lines that arrive with the time the kernel
/// received them. The load's scenarios and its seat ledger (load.cpp) know nothing of sockets.
class wire {
public:
  wire() = default;
  wire(wire&&) = default;
  wire& operator=(wire&&) = default;

  /// Starts a non-blocking connect (TLS when `tls`; its client hello goes first). Throws
  /// std::runtime_error when the host does not resolve or no socket can be had.
  void start(const std::string& host, uint16_t port, std::shared_ptr<net::tls_context> tls);
  int fd() const { return fd_; }
  /// When start() was called (now_ns()).
  int64_t started_ns() const { return started_ns_; }

  /// The connect finished: "" when it succeeded, else why not.
  std::string connected();

  /// Adds a line (with its LF) to what goes out: as it is, or as TLS records. "" or why not.
  std::string queue(std::string_view line);
  /// Sends what waits until the socket takes no more: "" or why the connection is lost.
  std::string flush();
  bool has_output() const { return !out_.empty(); }

  /// Reads what arrived and calls `on_line(line, arrival)` for each complete reply line, until
  /// it returns false. `arrival` is when the kernel received the line (steady clock), when one
  /// read brought exactly that one line; 0 otherwise. Returns "" or why the connection ended.
  std::string read(const std::function<bool(std::string_view, int64_t)>& on_line);

  void close();

private:
  int fd_ = -1;
  int64_t started_ns_ = 0;
  std::string in_, out_; // plaintext received; bytes to send (TLS records with TLS)
  std::unique_ptr<net::tls_stream> tls_;
};

} // namespace licd::bench
