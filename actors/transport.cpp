#include "actors/transport.hpp"

#include "engine/errc.hpp"
#include "net/protocol.hpp"

#include <fcntl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace licd {

namespace {

/// Bytes the kernel holds for the socket that it could not send yet: the client's receive
/// window is full, so it is not reading.
int unsent(int fd) {
  int n = 0;
  return ::ioctl(fd, SIOCOUTQNSD, &n) == 0 ? n : 0;
}

} // namespace

transport::transport(int fd, std::shared_ptr<net::tls_context> tls, caf_connection& caf)
  : fd_(fd), caf_(caf) {
  if (tls)
    tls_ = std::make_unique<net::tls_stream>(std::move(tls));
}

transport::~transport() = default;

bool transport::send(std::string_view bytes) {
  if (bytes.empty())
    return true;
  // Straight into the socket while CAF has nothing of this connection queued (the common case:
  // one send(), no epoll re-arm, no second wake-up); through CAF's write buffer for whatever
  // the kernel does not take at once, and for everything after it until CAF has written that
  // out, so the order of bytes is kept.
  if (fd_ >= 0 && queued_ == 0) {
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0)
      bytes.remove_prefix(static_cast<size_t>(n));
    // A full socket buffer (EAGAIN) or a broken connection: CAF takes over; it reports a broken
    // one as connection_closed_msg.
    if (bytes.empty())
      return true;
  }
  if (peer_closed_) // CAF no longer writes for this connection
    return false;
  caf_.queue(bytes);
  queued_ += bytes.size();
  return true;
}

bool transport::send_tls_output() {
  return send(tls_->take_output());
}

transport::received transport::receive(std::string_view bytes, std::string& plain) {
  bool first = !received_any_;
  received_any_ = received_any_ || !bytes.empty();
  if (!tls_) {
    plain.append(bytes);
    return received::ok;
  }
  if (first && !bytes.empty() && bytes[0] != 0x16) {
    // Not a TLS handshake record: most likely a plain-text client. Say so in its language.
    send(net::protocol::format_error("-", engine::errc::tls_required,
                                     "this port speaks TLS (1.2 or newer): connect with TLS")
         + "\n");
    tls_.reset();
    return received::tls_required;
  }
  bool ok = tls_->feed(bytes, plain);
  send_tls_output(); // handshake replies, alerts
  return ok ? received::ok : received::failed;
}

bool transport::write_line(std::string line) {
  line.push_back('\n');
  if (!tls_)
    return send(line);
  return tls_->write(line) && send_tls_output();
}

void transport::written(size_t n) {
  queued_ -= std::min(queued_, n);
}

bool transport::keep_for_replies(bool replies_owed) {
  if (!replies_owed || fd_ < 0 || queued_ > 0)
    return false;
  auto own = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (own < 0)
    return false;
  fd_ = own;
  peer_closed_ = true;
  return true;
}

void transport::close(bool cut_off, bool reset) {
  if (closed_)
    return;
  closed_ = true;
  if (reset)
    tls_.reset(); // no close_notify for a client that reads nothing
  if (tls_) {     // close_notify, so a TLS client sees a clean end, not a truncation
    tls_->shutdown();
    send_tls_output();
  }
  if (fd_ >= 0 && (reset || (cut_off && (queued_ > 0 || unsent(fd_) > 0)))) {
    linger now{1, 0}; // close() resets instead of sending what is queued
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &now, sizeof(now));
    // Both directions down: CAF sees the hang-up at once and closes its descriptor (its own
    // close would otherwise wait for the queued bytes to go out).
    ::shutdown(fd_, SHUT_RDWR);
  }
  caf_.close();
  if (peer_closed_)
    ::close(fd_); // the transport's own duplicate; CAF closed its descriptor already
}

std::string transport::error() const {
  return tls_ ? tls_->error() : std::string();
}

} // namespace licd
