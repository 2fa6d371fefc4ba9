#pragma once

#include "net/discovery.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

/// Finding licd servers by UDP broadcast (docs/PROTOCOL.md, "Finding the server").
namespace licd::client {

struct found_server {
  std::string id;   ///< the server's installation id: the same server heard on two routes
  std::string host; ///< where the answer came from
  uint16_t port = 0;
  std::string name;
  bool tls = false;
  std::vector<net::discovery::product_seats> products;
  std::string endpoint() const { return host + ":" + std::to_string(port); }
};

struct discovery_options {
  uint16_t port = net::discovery::default_port;
  /// Where to send the query; empty: every IPv4 interface's broadcast address, 255.255.255.255
  /// and 127.255.255.255 (a server on this machine).
  std::vector<std::string> targets;
  std::chrono::milliseconds wait{1000}; ///< for all attempts together
  int attempts = 3;                     ///< the query is sent again when nothing answered
  bool gather_all = false;              ///< keep listening the whole wait (to list servers)
};

/// Every server that answered, in the order their answers came, each once (by its id).
std::vector<found_server> discover(const std::vector<std::string>& products,
                                   const discovery_options& opts = {});

/// The first server with a free seat of the product, else the first that has the product.
std::optional<found_server> choose(const std::vector<found_server>& servers,
                                   const std::string& product);

} // namespace licd::client
