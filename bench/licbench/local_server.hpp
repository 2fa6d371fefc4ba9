#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace licd::bench {

/// The inode of a socket listening on TCP `port`, from the text of /proc/net/tcp or
/// /proc/net/tcp6 (any local address); nullopt when none is.
std::optional<uint64_t> listening_inode(std::string_view proc_net_tcp, uint16_t port);

/// Whether `host` names this machine's loopback (127.0.0.0/8, ::1, localhost).
bool is_loopback(const std::string& host);

/// The process that listens on TCP `port` on this machine (found through /proc: the listening
/// socket's inode, then the process holding it); 0 when none is found or it is not readable.
int find_listening_pid(uint16_t port);

} // namespace licd::bench
