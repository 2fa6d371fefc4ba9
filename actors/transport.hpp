#pragma once

#include "net/tls_stream.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace licd {

/// What a transport needs of CAF's side of its connection: the broker's write buffer.
class caf_connection {
public:
  virtual ~caf_connection() = default;
  /// Appends bytes to CAF's write buffer for the connection and has CAF write them out; CAF
  /// reports what it wrote (transport::written).
  virtual void queue(std::string_view bytes) = 0;
  /// Closes CAF's side of the connection (its descriptor, when CAF still has it).
  virtual void close() = 0;
};

/// One client connection's bytes, both ways, without any request logic: plain TCP or TLS (a
/// memory-BIO layer, so nothing blocks), replies straight into the socket while CAF has nothing
/// of this connection queued (one send() per reply), the bound on replies a client leaves
/// unread, the half-close (the client's stream ends while replies are owed) and the reset of a
/// client that is cut off with replies unread. The session (actors/session.cpp) dispatches
/// requests over it.
class transport {
public:
  /// Replies a client may leave unread (beyond what the kernel holds) before it is cut off.
  static constexpr size_t max_unsent_bytes = size_t{1} << 20;

  /// `fd`: the connection's socket, or -1 to write everything through CAF. `tls`: the port's
  /// TLS context, or null for plain TCP.
  transport(int fd, std::shared_ptr<net::tls_context> tls, caf_connection& caf);
  ~transport();
  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;

  enum class received {
    ok,           ///< `plain` has what the bytes carried (maybe nothing yet: a handshake)
    tls_required, ///< plain text on a TLS port: the client was told (TLS_REQUIRED); leave
    failed,       ///< the TLS session failed or ended (error()); leave
  };
  /// Bytes from the client; the text they carry is appended to `plain`.
  received receive(std::string_view bytes, std::string& plain);

  /// Sends one line (its LF is added here). False: it could not go out, the connection is gone
  /// (a TLS failure, or the client closed its side and takes nothing more): leave.
  bool write_line(std::string line);

  /// CAF wrote `n` bytes of what was queued with it.
  void written(size_t n);
  /// Bytes queued with CAF and not written yet.
  size_t queued() const { return queued_; }
  /// More than max_unsent_bytes wait in CAF's buffer: the client does not read its replies.
  bool too_far_behind() const { return queued_ > max_unsent_bytes; }

  /// CAF reports the end of the client's stream (a close, or a half-close after which it still
  /// reads). With replies still owed the transport keeps the socket (a duplicate of CAF's
  /// descriptor) to send them: true. False: nothing to keep it for; leave now.
  bool keep_for_replies(bool replies_owed);
  /// The client's stream has ended and the transport writes to its own duplicate.
  bool peer_closed() const { return peer_closed_; }

  /// Closes the connection: a TLS close_notify first (unless reset), then a reset (RST) instead
  /// of a graceful close when `reset` is asked for, or when `cut_off` (the server ends the
  /// connection) while bytes still wait for the client to read: a graceful close would keep the
  /// socket and its buffers until that client reads, past every limit and timeout.
  void close(bool cut_off, bool reset);

  /// Why the TLS layer failed (for the log).
  std::string error() const;

private:
  bool send(std::string_view bytes);
  bool send_tls_output();

  int fd_;
  std::unique_ptr<net::tls_stream> tls_;
  caf_connection& caf_;
  size_t queued_ = 0;
  bool received_any_ = false;
  bool peer_closed_ = false;
  bool closed_ = false;
};

} // namespace licd
