#pragma once

#include "actors/interfaces.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace licd {

/// Everything licd's engine needs from its configuration.
struct server_options {
  std::string data_dir;
  std::string bind = "0.0.0.0";
  uint16_t port = 27600;
  std::chrono::seconds lease_ttl{600};
  std::chrono::milliseconds expiry_tick{250};
  bool demo = false; ///< provision product `demo` with 5 seats when it does not exist
};

/// Spawns and wires the actors (store, expiry, pools, registry, acceptor) in start-up order:
/// storage is read, pools are created with their restored leases and expiry re-armed, and only
/// then does the listener accept connections. Throws std::runtime_error when any step fails.
class server {
public:
  server(caf::actor_system& sys, const server_options& opts);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// The TCP port clients connect to (the one bound, when port 0 was asked for).
  uint16_t port() const { return port_; }

  /// Stops accepting, ends every session, commits everything the store was sent, then stops
  /// the remaining actors. Idempotent.
  void stop();

private:
  caf::actor_system& sys_;
  uint16_t port_ = 0;
  bool stopped_ = false;
  store_actor store_;
  expiry_actor expiry_;
  registry_actor registry_;
  std::map<std::string, pool_actor> pools_;
  caf::actor acceptor_;
};

} // namespace licd
