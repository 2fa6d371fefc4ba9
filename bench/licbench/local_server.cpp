#include "bench/licbench/local_server.hpp"
#include "bench/licbench/proc_file.hpp"

#include <arpa/inet.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <system_error>

namespace licd::bench {

std::optional<uint64_t> listening_inode(std::string_view proc_net_tcp, uint16_t port) {
  std::istringstream lines{std::string(proc_net_tcp)};
  std::string line;
  std::getline(lines, line); // the header
  while (std::getline(lines, line)) {
    // "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ..."
    std::istringstream f(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
    uint64_t inode = 0;
    if (!(f >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid
          >> timeout >> inode))
      continue;
    auto colon = local.rfind(':');
    if (state != "0A" || colon == std::string::npos) // 0A: TCP_LISTEN
      continue;
    auto local_port = std::strtoul(local.c_str() + colon + 1, nullptr, 16);
    if (local_port == port && inode != 0)
      return inode;
  }
  return std::nullopt;
}

bool is_loopback(const std::string& host) {
  if (host == "localhost")
    return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return ::inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

int find_listening_pid(uint16_t port) {
  auto inode = listening_inode(read_proc_file("/proc/net/tcp"), port);
  if (!inode)
    inode = listening_inode(read_proc_file("/proc/net/tcp6"), port);
  if (!inode)
    return 0;
  auto wanted = "socket:[" + std::to_string(*inode) + "]";
  std::error_code ec;
  for (const auto& proc : std::filesystem::directory_iterator("/proc", ec)) {
    auto name = proc.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    std::error_code fd_ec;
    for (const auto& fd : std::filesystem::directory_iterator(proc.path() / "fd", fd_ec)) {
      std::error_code link_ec;
      if (std::filesystem::read_symlink(fd.path(), link_ec).string() == wanted)
        return std::atoi(name.c_str());
    }
  }
  return 0;
}

} // namespace licd::bench
