#pragma once

#include "engine/defaults.hpp"
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Server discovery over UDP (docs/PROTOCOL.md, "Finding the server"): a client broadcasts one
/// query datagram; every licd that hears it answers the sender with one datagram. Pure
/// formatting and parsing.
namespace licd::net::discovery {

inline constexpr uint16_t default_port = defaults::discovery_port;
/// Datagrams longer than this are not sent (answers list fewer products) nor read.
inline constexpr size_t max_datagram = 1400;

/// "LICD-DISCOVER 1 [products=a,b]": empty products asks for every product.
struct query {
  std::vector<std::string> products;
};

struct product_seats {
  std::string product;
  uint32_t seats = 0;
  uint32_t free = 0;
};

/// "LICD-SERVER 1 id=ID name=NAME port=PORT tls=0|1 [leader=HOST:PORT]
/// [product=NAME,SEATS,FREE ...]". The server's address is where the datagram came from.
struct answer {
  std::string id; ///< the server installation's key id (16 hex digits): one server, many routes
  std::string name;
  uint16_t port = 0;
  bool tls = false;
  std::vector<product_seats> products;
  /// A cluster's standby (docs/CLUSTER.md): "HOST:PORT" of the leader, where clients go
  /// instead (`leader=`); empty otherwise.
  std::string leader;
};

/// A server name discovery can carry: 1-64 printable characters, no spaces.
bool valid_server_name(std::string_view name);

std::string format(const query& q);
std::optional<query> parse_query(std::string_view datagram);
/// Products beyond max_datagram are left out.
std::string format(const answer& a);
std::optional<answer> parse_answer(std::string_view datagram);

} // namespace licd::net::discovery
