#pragma once

#include "actors/interfaces.hpp"
#include "actors/metrics.hpp"
#include "actors/session.hpp"
#include "engine/defaults.hpp"
#include "platform/machine.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace licd::storage {
class database;
}

namespace licd {

/// Everything licd's engine needs from its configuration.
struct server_options {
  std::string data_dir;
  std::string bind = defaults::bind;
  uint16_t port = defaults::client_port;
  std::chrono::seconds lease_ttl = defaults::lease_ttl;
  std::chrono::milliseconds expiry_tick = defaults::expiry_tick;
  std::vector<std::string> vendor_keys; ///< PEM public key files of trusted vendors
  /// Make a demo vendor key in the data dir, trust it, and install a signed 5-seat code for
  /// product `demo` when none is installed.
  bool demo = false;
  size_t fingerprint_tolerance =
    defaults::fingerprint_tolerance; ///< activation factors that may differ
  std::chrono::hours clock_tolerance = defaults::clock_tolerance; ///< rollback before `clock error`
  connection_limits limits;
  uint32_t max_leases_per_computer = defaults::max_leases_per_computer; ///< more: TOO_MANY_LEASES
  std::chrono::seconds renewal_log_interval = defaults::renewal_log_interval;
  std::chrono::hours activity_log_retention = defaults::activity_log_retention; ///< 0: keep all
  std::chrono::hours usage_retention = defaults::usage_retention;               ///< 0: keep all
  size_t map_size = defaults::map_size_mib << 20; ///< LMDB map (the file grows as used)
  size_t max_map_size = 0;           ///< the map may double up to this when full; 0: no growth
  std::string tls_cert; ///< with tls_key: the client port speaks TLS (PEM files)
  std::string tls_key;
  std::string policy_file; ///< the site policy (docs/POLICY.md); empty: none
  /// A cluster node's view of every node's machine (binding::cluster_machines); null: none.
  std::function<std::vector<engine::machine_facts>()> cluster_machines;
  /// The data dir, already open (a cluster node opens it before it leads); null: opened here.
  std::shared_ptr<storage::database> database;
};

/// The site policy in force and how its last (re)load went.
struct policy_status {
  std::string file;    ///< --policy; empty: licd runs without one
  site_policy current; ///< null: no policy
  int64_t loaded_at_ms = 0;
  bool last_ok = true; ///< the last reload's outcome (a failed one keeps `current`)
  std::vector<engine::policy::problem> last_problems;
  int64_t last_attempt_ms = 0;
};

/// Reads and parses a policy file: the document, or every problem (line 0 for the file itself).
std::pair<site_policy, std::vector<engine::policy::problem>>
read_policy_file(const std::string& path);

/// The id of an installation (discovery's answers, the admin API's status): the key id of its
/// server key (16 hex digits), or "" when its data dir has none yet (made at its first start as
/// a single machine or a cluster's leader; a standby has the one etcd brought).
std::string stored_server_id(const storage::database& db);

/// "line 3: ...; line 7: ..." for messages.
std::string describe_problems(const std::vector<engine::policy::problem>& problems);

/// Spawns and wires the actors (store, expiry, pools, registry, licenses, acceptor) in start-up
/// order: storage is read, licenses verified, pools created with their restored leases and
/// expiry re-armed, and only then does the listener accept connections. Throws
/// std::runtime_error when any step fails.
class server {
public:
  server(caf::actor_system& sys, const server_options& opts);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// The TCP port clients connect to (the one bound, when port 0 was asked for).
  uint16_t port() const { return port_; }
  registry_actor registry() const { return registry_; }
  licenses_actor licenses() const { return licenses_; }
  store_actor store() const { return store_; }
  /// The data dir's database, for the readers that may run on any thread (the reports).
  std::shared_ptr<const storage::database> database() const { return db_; }
  const request_metrics& metrics() const { return *metrics_; }
  /// What this machine said about itself at start (hardware binding).
  const platform::machine_report& machine() const { return machine_; }
  /// The SHA-256 fingerprint of the TLS certificate; empty when the client port is plain TCP.
  const std::string& tls_fingerprint() const { return tls_fingerprint_; }
  /// This installation's id: the key id of the server key (16 hex digits).
  const std::string& server_id() const { return server_id_; }

  /// Reads --policy again: when it is valid, the pools use it from their next checkout (leases
  /// already granted run on); when not, the policy in force stays and the answer says why.
  /// Callable from any thread (SIGHUP, the admin API).
  policy_status reload_policy();
  policy_status policy() const;

  /// Stops accepting, ends every session, commits everything the store was sent, then stops
  /// the remaining actors. Idempotent.
  void stop();

private:
  struct loaded;
  /// Start-up in its three steps: bind the client port (and load TLS) first, then load (storage,
  /// machine, keys, licenses, the demo code), spawn the actors with it (store, expiry, timers,
  /// pools with their restored leases, registry, licenses), and listen (the acceptor).
  void start(const server_options& opts);
  loaded load(const server_options& opts);
  size_t spawn(const server_options& opts, loaded& l); ///< returns the number of products
  void listen(const server_options& opts, int listener_fd, uint16_t port,
              std::shared_ptr<net::tls_context> tls);

  caf::actor_system& sys_;
  std::shared_ptr<request_metrics> metrics_;
  uint16_t port_ = 0;
  bool stopped_ = false;
  store_actor store_;
  std::shared_ptr<const storage::database> db_;
  expiry_actor expiry_;
  timers_actor timers_;
  registry_actor registry_;
  licenses_actor licenses_;
  caf::actor acceptor_;
  platform::machine_report machine_;
  std::string tls_fingerprint_;
  std::string server_id_;
  mutable std::mutex policy_mutex_;
  policy_status policy_;
};

} // namespace licd
