#pragma once

#include <cstdint>
#include <string>

namespace licd::net {

/// A listening TCP socket bound to `address:port` (port 0: the kernel picks one), non-blocking,
/// with SO_REUSEADDR. Throws std::runtime_error with the reason (address in use, bad address).
struct listen_socket {
  int fd = -1;
  uint16_t port = 0; ///< the port actually bound
};

listen_socket open_listen_socket(const std::string& address, uint16_t port, int backlog = 4096);

} // namespace licd::net
