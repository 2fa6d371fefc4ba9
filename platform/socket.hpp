#pragma once
// Sockets the same on Linux and Windows, for the client side (the client library, licclient,
// licbench's helpers): BSD sockets on Linux, Winsock 2 on Windows. Only the differences are here:
// the handle type, closing, polling, the last error and its words, and send without SIGPIPE.

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include <cstddef>
#include <string>

namespace licd::platform {

#ifdef _WIN32
using socket_handle = SOCKET;
inline constexpr socket_handle no_socket = INVALID_SOCKET;
using poll_entry = WSAPOLLFD;
/// What to poll for "readable, or the peer hung up" (WSAPoll takes no POLLRDHUP).
inline constexpr short poll_readable = POLLIN;
#else
using socket_handle = int;
inline constexpr socket_handle no_socket = -1;
using poll_entry = pollfd;
inline constexpr short poll_readable = POLLIN | POLLRDHUP;
#endif

/// A socket of `type` (SOCK_STREAM, SOCK_DGRAM), close-on-exec and, if asked, non-blocking;
/// no_socket on failure (last_socket_error says why). Starts Winsock on first use.
socket_handle open_socket(int family, int type, int protocol, bool nonblocking);

void close_socket(socket_handle s);

/// poll(2) or WSAPoll; the same return value.
int poll_sockets(poll_entry* entries, size_t count, int timeout_ms);

/// Sends without raising SIGPIPE; -1 on error (last_socket_error).
long send_some(socket_handle s, const char* data, size_t size);
/// Receives; 0 at the peer's end of stream, -1 on error (last_socket_error).
long receive_some(socket_handle s, char* data, size_t size);

/// errno, or WSAGetLastError().
int last_socket_error();
/// The error means "try again": would block, in progress, interrupted.
bool try_again(int error);
/// The error's words, for a person.
std::string socket_error_text(int error);

/// getaddrinfo's error in words.
std::string resolve_error_text(int rc);

/// A way for one thread to wake another out of poll_sockets: `handle()` becomes readable after
/// wake(). A pipe on Linux; a loopback UDP socket sending to itself on Windows.
class waker {
public:
  waker();
  ~waker();
  waker(const waker&) = delete;
  waker& operator=(const waker&) = delete;
  socket_handle handle() const { return read_; }
  void wake();

private:
  socket_handle read_ = no_socket;
  socket_handle write_ = no_socket;
};

} // namespace licd::platform
