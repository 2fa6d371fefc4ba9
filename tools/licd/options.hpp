#pragma once

#include "actors/server.hpp"
#include "admin/http_api.hpp"
#include "engine/defaults.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace licd {

/// --cluster and the options that go with it (docs/CLUSTER.md).
struct cluster_config {
  std::string url; ///< "etcd:URL[,URL...]"; empty: a single machine
  std::string name = defaults::cluster_name;
  std::string node_name; ///< default: the host name
  std::string advertise; ///< "host:port" clients are sent to (default: the host name, --port)
  std::chrono::seconds ttl = defaults::cluster_ttl;
  std::string etcd_ca, etcd_cert, etcd_key; ///< TLS to etcd (https:// URLs)
  std::string etcd_user, etcd_password_file;
};

/// Everything licd is told, from its command line and its --config file.
struct licd_config {
  cluster_config cluster;
  server_options server;
  admin::options admin;         ///< bind, port, cooldown (the rest is filled in when serving)
  std::string admin_token_file; ///< empty: DATA_DIR/admin.token
  std::string admin_readonly_token_file; ///< empty: no read-only token
  std::string log_level = "info";
  unsigned threads = 0; ///< 0: one per core
  std::string scheduler = "sharing";
  uint16_t discovery_port = defaults::discovery_port;
  std::string discovery_bind = defaults::discovery_bind;
  std::string server_name; ///< what discovery answers with (default: the host name)
  std::string tls_name;    ///< --make-tls-cert's host name (default: the host name)
  bool create_data_dir = false;
  bool allow_root = false;
  // What this run does, besides serving.
  bool make_tls_cert = false;
  bool check_config = false;
  bool verify = false;
  std::string license_to_remove;
};

/// licd's options: every one bound to `licd_config` with its default (engine/defaults.hpp),
/// its check and its help, on the command line and in the --config file (the same keys).
/// Used by licd's main, by --check-config and by the tests.
class licd_options {
public:
  licd_options(CLI::App& app, licd_config& cfg);
  ~licd_options();
  licd_options(const licd_options&) = delete;
  licd_options& operator=(const licd_options&) = delete;

  /// After CLI11 parsed: turns the plain numbers into the server's units and checks what CLI11
  /// cannot (option against option, names). Returns what is wrong, or "" when all is fine.
  std::string finish();

private:
  struct numbers; ///< the options as given (seconds, hours, MiB)
  licd_config& cfg_;
  std::unique_ptr<numbers> n_;
};

/// Every option of `app` after parsing, as the Server page shows them: (--name, value given, or
/// the default; flags "true"/"false").
std::vector<std::pair<std::string, std::string>> options_in_force(const CLI::App& app);

/// `licd_config` from a command line (argv[0] first), for tests and tools: throws
/// std::invalid_argument with CLI11's message or finish()'s.
licd_config parse_licd_options(const std::vector<std::string>& argv);

} // namespace licd
