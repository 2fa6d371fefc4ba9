#include "platform/socket.hpp"

#ifdef _WIN32
#include "platform/windows_text.hpp"

#include <mutex>
#else
#include <fcntl.h>
#endif

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace licd::platform {

#ifdef _WIN32

namespace {

void start_winsock() {
  static std::once_flag once;
  std::call_once(once, [] {
    WSADATA data;
    if (WSAStartup(MAKEWORD(2, 2), &data) != 0)
      throw std::runtime_error("cannot start Windows Sockets (WSAStartup)");
  });
}

} // namespace

socket_handle open_socket(int family, int type, int protocol, bool nonblocking) {
  start_winsock();
  // WSA_FLAG_NO_HANDLE_INHERIT: a child process does not inherit it (close-on-exec).
  SOCKET s = WSASocketW(family, type, protocol, nullptr, 0, WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET)
    return no_socket;
  u_long on = nonblocking ? 1 : 0;
  if (nonblocking && ioctlsocket(s, FIONBIO, &on) != 0) {
    closesocket(s);
    return no_socket;
  }
  return s;
}

void close_socket(socket_handle s) {
  if (s != no_socket)
    closesocket(s);
}

int poll_sockets(poll_entry* entries, size_t count, int timeout_ms) {
  return WSAPoll(entries, static_cast<ULONG>(count), timeout_ms);
}

long send_some(socket_handle s, const char* data, size_t size) {
  return send(s, data, static_cast<int>(size), 0);
}

long receive_some(socket_handle s, char* data, size_t size) {
  return recv(s, data, static_cast<int>(size), 0);
}

int last_socket_error() {
  return WSAGetLastError();
}

bool try_again(int error) {
  return error == WSAEWOULDBLOCK || error == WSAEINPROGRESS || error == WSAEINTR;
}

std::string socket_error_text(int error) {
  auto text = error_text(static_cast<unsigned long>(error));
  return text.empty() ? "Windows Sockets error " + std::to_string(error) : text;
}

std::string resolve_error_text(int rc) {
  return socket_error_text(rc);
}

waker::waker() {
  read_ = open_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, true);
  if (read_ == no_socket)
    throw std::runtime_error("cannot open a wake-up socket: "
                             + socket_error_text(last_socket_error()));
  sockaddr_in self{};
  self.sin_family = AF_INET;
  self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int len = sizeof(self);
  if (bind(read_, reinterpret_cast<sockaddr*>(&self), len) != 0
      || getsockname(read_, reinterpret_cast<sockaddr*>(&self), &len) != 0
      || connect(read_, reinterpret_cast<sockaddr*>(&self), len) != 0) {
    auto why = socket_error_text(last_socket_error());
    close_socket(read_);
    throw std::runtime_error("cannot set up a wake-up socket: " + why);
  }
  write_ = read_; // it sends to itself
}

waker::~waker() {
  close_socket(read_);
}

void waker::wake() {
  char one = 1;
  send(write_, &one, 1, 0); // a full buffer is awake already
}

#else

socket_handle open_socket(int family, int type, int protocol, bool nonblocking) {
  return ::socket(family, type | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), protocol);
}

void close_socket(socket_handle s) {
  if (s != no_socket)
    ::close(s);
}

int poll_sockets(poll_entry* entries, size_t count, int timeout_ms) {
  return ::poll(entries, count, timeout_ms);
}

long send_some(socket_handle s, const char* data, size_t size) {
  return ::send(s, data, size, MSG_NOSIGNAL);
}

long receive_some(socket_handle s, char* data, size_t size) {
  return ::recv(s, data, size, 0);
}

int last_socket_error() {
  return errno;
}

bool try_again(int error) {
  return error == EAGAIN || error == EWOULDBLOCK || error == EINPROGRESS || error == EINTR;
}

std::string socket_error_text(int error) {
  return std::strerror(error);
}

std::string resolve_error_text(int rc) {
  return gai_strerror(rc);
}

waker::waker() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
    throw std::runtime_error(std::string("cannot make a pipe: ") + std::strerror(errno));
  read_ = fds[0];
  write_ = fds[1];
}

waker::~waker() {
  ::close(read_);
  ::close(write_);
}

void waker::wake() {
  char one = 1;
  [[maybe_unused]] auto n = ::write(write_, &one, 1); // a full pipe is awake already
}

#endif

} // namespace licd::platform
