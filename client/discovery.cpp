#include "client/discovery.hpp"

#include "client/connection.hpp"

#include "platform/socket.hpp"

#ifdef _WIN32
#include "platform/adapters_windows.hpp"
#else
#include <ifaddrs.h>
#include <net/if.h>
#endif

#include <algorithm>
#include <stdexcept>
#include <tuple>

namespace licd::client {

namespace {

std::vector<std::string> default_targets() {
  std::vector<std::string> out;
#ifdef _WIN32
  // Each IPv4 address's directed broadcast: the address with the host bits set.
  platform::for_each_adapter(AF_INET, [&out](const IP_ADAPTER_ADDRESSES& a) {
    if (a.OperStatus != IfOperStatusUp)
      return;
    for (auto* u = a.FirstUnicastAddress; u != nullptr; u = u->Next) {
      auto* in = reinterpret_cast<sockaddr_in*>(u->Address.lpSockaddr);
      if (in->sin_family != AF_INET || u->OnLinkPrefixLength >= 32)
        continue;
      in_addr b = in->sin_addr;
      b.s_addr |= htonl(0xffffffffu >> u->OnLinkPrefixLength);
      char text[INET_ADDRSTRLEN] = {};
      if (inet_ntop(AF_INET, &b, text, sizeof(text)) != nullptr)
        out.emplace_back(text);
    }
  });
#else
  ifaddrs* all = nullptr;
  if (getifaddrs(&all) == 0) {
    for (auto* i = all; i != nullptr; i = i->ifa_next) {
      if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET
          || (i->ifa_flags & IFF_BROADCAST) == 0 || i->ifa_broadaddr == nullptr)
        continue;
      char buf[INET_ADDRSTRLEN] = {};
      auto* b = reinterpret_cast<sockaddr_in*>(i->ifa_broadaddr);
      if (inet_ntop(AF_INET, &b->sin_addr, buf, sizeof(buf)) != nullptr)
        out.emplace_back(buf);
    }
    freeifaddrs(all);
  }
#endif
  out.emplace_back("255.255.255.255");
  out.emplace_back("127.255.255.255");
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

} // namespace

std::vector<found_server> discover(const std::vector<std::string>& products,
                                   const discovery_options& opts) {
  auto fd = platform::open_socket(AF_INET, SOCK_DGRAM, 0, false);
  if (fd == platform::no_socket)
    throw std::runtime_error("cannot open a UDP socket for discovery: "
                             + platform::socket_error_text(platform::last_socket_error()));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_BROADCAST, reinterpret_cast<const char*>(&one), sizeof(one));
  auto targets = opts.targets.empty() ? default_targets() : opts.targets;
  auto query = net::discovery::format(net::discovery::query{products});
  std::vector<found_server> found;
  using clock = std::chrono::steady_clock;
  auto attempts = std::max(1, opts.attempts);
  auto slice = opts.wait / attempts;
  auto end = clock::now() + opts.wait;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    for (const auto& t : targets) {
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_port = htons(opts.port);
      if (inet_pton(AF_INET, t.c_str(), &to.sin_addr) != 1)
        continue;
      ::sendto(fd, query.data(), static_cast<int>(query.size()), 0,
               reinterpret_cast<sockaddr*>(&to), sizeof(to));
    }
    auto until = opts.gather_all || attempt + 1 == attempts ? end
                                                            : std::min(end, clock::now() + slice);
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now());
      if (left.count() <= 0)
        break;
      platform::poll_entry p{fd, POLLIN, 0};
      if (platform::poll_sockets(&p, 1, static_cast<int>(left.count())) <= 0)
        break;
      char buf[net::discovery::max_datagram + 1];
      sockaddr_in from{};
      socklen_t len = sizeof(from);
      auto n = ::recvfrom(fd, buf, static_cast<int>(sizeof(buf)), 0,
                          reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0)
        continue;
      auto a = net::discovery::parse_answer(std::string_view(buf, static_cast<size_t>(n)));
      if (!a)
        continue;
      char host[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, &from.sin_addr, host, sizeof(host));
      found_server s{a->id, host, a->port, a->name, a->tls, a->products};
      if (!a->leader.empty()) {
        // A cluster's standby: the leader it names is the server to use.
        try {
          std::tie(s.host, s.port) = parse_endpoint(a->leader);
        } catch (const std::invalid_argument&) {
          continue;
        }
      }
      bool seen = std::any_of(found.begin(), found.end(), [&](const found_server& f) {
        return (!s.id.empty() && f.id == s.id) || (f.host == s.host && f.port == s.port);
      });
      if (!seen)
        found.push_back(std::move(s));
    }
    if (!found.empty() && !opts.gather_all)
      break;
    if (clock::now() >= end)
      break;
  }
  platform::close_socket(fd);
  return found;
}

std::optional<found_server> choose(const std::vector<found_server>& servers,
                                   const std::string& product) {
  std::optional<found_server> has_it;
  for (const auto& s : servers)
    for (const auto& p : s.products)
      if (p.product == product) {
        if (p.free > 0)
          return s;
        if (!has_it)
          has_it = s;
      }
  return has_it;
}

} // namespace licd::client
