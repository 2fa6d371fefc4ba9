#include "tools/licd/options.hpp"

#include "cluster/etcd_client.hpp"
#include "cluster/replica.hpp"
#include "licd/version.hpp"
#include "net/discovery.hpp"
#include "platform/host.hpp"

#include <stdexcept>

namespace licd {

struct licd_options::numbers {
  unsigned ttl = static_cast<unsigned>(defaults::lease_ttl.count());
  unsigned cooldown = static_cast<unsigned>(defaults::disconnect_cooldown.count());
  unsigned clock_hours = static_cast<unsigned>(defaults::clock_tolerance.count());
  unsigned hello_timeout = static_cast<unsigned>(defaults::hello_timeout.count());
  unsigned idle_timeout = 0; ///< 0: defaults::idle_timeout(the TTL)
  uint32_t renewal_log_seconds = static_cast<uint32_t>(defaults::renewal_log_interval.count());
  uint32_t activity_log_days = static_cast<uint32_t>(defaults::activity_log_retention.count() / 24);
  uint32_t usage_days = static_cast<uint32_t>(defaults::usage_retention.count() / 24);
  size_t map_mib = defaults::map_size_mib;
  size_t max_map_mib = 0;
  unsigned cluster_ttl = static_cast<unsigned>(defaults::cluster_ttl.count());
};

licd_options::licd_options(CLI::App& app, licd_config& cfg)
  : cfg_(cfg), n_(std::make_unique<numbers>()) {
  auto& o = cfg.server;
  auto& n = *n_;
  o.data_dir = defaults::data_dir;
  cfg.server_name = platform::host_name("licd");
  cfg.tls_name = platform::host_name("licd");
  app.set_config("--config", "", "read options from an INI/TOML file (key = value)");
  app.allow_config_extras(CLI::config_extras_mode::error); // a mistyped key is an error
  app.set_version_flag("--version", std::string("licd ") + version);
  app.add_option("--data-dir", o.data_dir, "where the LMDB data lives")->capture_default_str();
  app.add_flag("--create-data-dir", cfg.create_data_dir,
               "create --data-dir (and its parents) when it does not exist; without it only the "
               "default data dir and --demo are created, so a mistyped path is an error");
  app.add_option("--bind", o.bind, "address to listen on (all interfaces by default)")
    ->capture_default_str();
  app.add_option("--port", o.port, "TCP port for clients (0: pick a free one)")
    ->capture_default_str();
  app.add_option("--lease-ttl", n.ttl, "seconds a lease lives unless renewed")
    ->check(CLI::Range(1u, 86400u))
    ->capture_default_str();
  app.add_option("--log-level", cfg.log_level, "trace, debug, info, warn, error, critical or off")
    ->check(CLI::IsMember(
      std::vector<std::string>(defaults::log_levels.begin(), defaults::log_levels.end())))
    ->capture_default_str();
  app.add_option("--threads", cfg.threads, "actor scheduler threads (0: one per core)");
  app
    .add_option("--scheduler", cfg.scheduler,
                "CAF scheduler policy: sharing (one queue; lower latency here) or stealing")
    ->check(CLI::IsMember({"sharing", "stealing"}))
    ->capture_default_str();
  app.add_flag("--demo", o.demo,
               "make a demo vendor key and install a signed 5-seat code for product 'demo'");
  app.add_option("--vendor-key", o.vendor_keys,
                 "a trusted vendor's public key file (PEM); repeat for several vendors");
  app.add_option("--admin-bind", cfg.admin.bind, "address of the admin API")->capture_default_str();
  app.add_option("--admin-port", cfg.admin.port, "port of the admin API (0: pick a free one)")
    ->capture_default_str();
  app.add_option("--admin-token-file", cfg.admin_token_file,
                 "the admin API's bearer token (default: DATA_DIR/admin.token, made at first "
                 "start)");
  app.add_option("--admin-readonly-token-file", cfg.admin_readonly_token_file,
                 "a second token for the admin API that may look but not change anything (GET "
                 "only); made (mode 0600) when the file does not exist (default: none)");
  app
    .add_option("--disconnect-cooldown", n.cooldown,
                "seconds a disconnected computer must wait before checking out again")
    ->capture_default_str();
  app
    .add_option("--fingerprint-tolerance", o.fingerprint_tolerance,
                "hardware factors of an activation that may differ (a new network card, a "
                "renamed host) before its licenses show `hardware mismatch`")
    ->check(CLI::Range(0u, 8u))
    ->capture_default_str();
  app
    .add_option("--clock-tolerance", n.clock_hours,
                "hours the wall clock may go back before licenses with an expiry date show "
                "`clock error`")
    ->check(CLI::Range(1u, 24u * 365u))
    ->capture_default_str();
  app
    .add_option("--discovery-port", cfg.discovery_port,
                "UDP port where licd answers clients' discovery broadcasts (0: off)")
    ->capture_default_str();
  app
    .add_option("--discovery-bind", cfg.discovery_bind,
                "address for discovery (all interfaces, so broadcasts are heard)")
    ->capture_default_str();
  app.add_option("--server-name", cfg.server_name,
                 "the name discovery answers with (default: host name)");
  app.add_option("--tls-cert", o.tls_cert,
                 "serve the client port over TLS with this certificate (PEM; with --tls-key)");
  app.add_option("--tls-key", o.tls_key, "the TLS certificate's private key (PEM)");
  app.add_option("--policy", o.policy_file,
                 "the site policy: reservations, limits, who may use what, lease TTLs and queue "
                 "priorities per product (docs/POLICY.md); reloaded on SIGHUP and by `licadmin "
                 "policy reload`");
  app.add_option("--admin-tls-cert", cfg.admin.tls_cert,
                 "serve the admin API and the License Manager over HTTPS with this certificate "
                 "(PEM; with --admin-tls-key)");
  app.add_option("--admin-tls-key", cfg.admin.tls_key, "the admin certificate's private key (PEM)");
  app.add_flag("--make-tls-cert", cfg.make_tls_cert,
               "write a self-signed certificate and key to --tls-cert and --tls-key (default "
               "DATA_DIR/tls.crt and tls.key), print its SHA-256 fingerprint, and exit");
  app
    .add_option("--tls-name", cfg.tls_name,
                "the host name or address the self-signed certificate is for")
    ->capture_default_str();
  app
    .add_option("--max-connections", o.limits.max_connections,
                "client connections open at once; more are refused (TOO_MANY_CONNECTIONS)")
    ->check(CLI::Range(1ul, 1'000'000ul))
    ->capture_default_str();
  app
    .add_option("--max-connections-per-address", o.limits.max_per_address,
                "client connections from one address (0: no limit; NAT and relays share one)")
    ->capture_default_str();
  app
    .add_option("--hello-timeout", n.hello_timeout,
                "seconds a new connection has to say HELLO (and finish TLS) before it is closed")
    ->check(CLI::Range(1u, 3600u))
    ->capture_default_str();
  app
    .add_option("--idle-timeout", n.idle_timeout,
                "seconds a connection may stay silent before it is closed (0: twice the lease "
                "TTL, at least 60)")
    ->capture_default_str();
  app
    .add_option("--max-leases-per-computer", o.max_leases_per_computer,
                "leases one computer may hold of one product (instances share its seat)")
    ->check(CLI::Range(1u, 1'000'000u))
    ->capture_default_str();
  app
    .add_option("--renewal-log-interval", n.renewal_log_seconds,
                "seconds between two renewals of one lease written to the activity log "
                "(0: every renewal)")
    ->capture_default_str();
  app
    .add_option("--activity-log-days", n.activity_log_days,
                "days the activity log keeps its entries; older ones are deleted at start and "
                "then hourly (0: keep everything)")
    ->check(CLI::Range(0u, 100'000u))
    ->capture_default_str();
  app
    .add_option("--usage-days", n.usage_days,
                "days the usage roll-ups behind the reports are kept (they outlive the activity "
                "log's entries); older ones are deleted at start and then hourly (0: keep "
                "everything)")
    ->check(CLI::Range(0u, 100'000u))
    ->capture_default_str();
  app
    .add_option("--map-size", n.map_mib,
                "MiB of address space for the LMDB data (the file grows only as used)")
    ->check(CLI::Range(1ul, 1ul << 24))
    ->capture_default_str();
  app
    .add_option("--max-map-size", n.max_map_mib,
                "MiB the LMDB map may grow to, doubling, when it is full (0: no growth)")
    ->capture_default_str();
  app.add_flag("--allow-root", cfg.allow_root,
               "run even as root (licd refuses by default: run it as its own user, as the "
               "systemd unit does)");
  app.add_flag("--verify", cfg.verify,
               "check every record of --data-dir (a data dir or a backup of one) without "
               "changing it or serving, report, and exit (0: intact, 1: damaged)");
  app.add_option("--remove-license", cfg.license_to_remove,
                 "remove the installed license with this id from the data dir of a stopped licd, "
                 "and exit (for a license whose vendor key is gone)");
  app.add_flag("--check-config", cfg.check_config,
               "read the options and the vendor keys, say whether they are fine, and exit");
  auto& c = cfg.cluster;
  app.add_option("--cluster", c.url,
                 "run as a node of a cluster on etcd: etcd:URL[,URL...] (the etcd members' "
                 "client URLs, docs/CLUSTER.md)");
  app.add_option("--cluster-name", c.name, "the cluster's name (its keys' prefix in etcd)")
    ->capture_default_str();
  app.add_option("--node-name", c.node_name,
                 "this node's name in the cluster (default: the host "
                 "name)");
  app.add_option("--advertise", c.advertise,
                 "HOST:PORT the other nodes send clients to when this node leads (default: the "
                 "host name and --port)");
  app
    .add_option("--cluster-ttl", n.cluster_ttl,
                "seconds of this node's etcd lease: a dead leader is replaced after about this "
                "long")
    ->capture_default_str()
    ->check(CLI::Range(2, 60));
  app.add_option("--etcd-ca", c.etcd_ca, "the CA of the etcd members' certificates (https URLs)");
  app.add_option("--etcd-cert", c.etcd_cert, "this node's client certificate for etcd (PEM)");
  app.add_option("--etcd-key", c.etcd_key, "the key of --etcd-cert (PEM)");
  app.add_option("--etcd-user", c.etcd_user, "etcd user, when etcd's authentication is on");
  app.add_option("--etcd-password-file", c.etcd_password_file,
                 "file holding the password of --etcd-user");
}

licd_options::~licd_options() = default;

std::string licd_options::finish() {
  auto& o = cfg_.server;
  const auto& n = *n_;
  o.lease_ttl = std::chrono::seconds(n.ttl);
  o.limits.hello_timeout = std::chrono::seconds(n.hello_timeout);
  o.limits.idle_timeout = std::chrono::seconds(n.idle_timeout);
  o.map_size = n.map_mib << 20;
  o.max_map_size = n.max_map_mib << 20;
  o.renewal_log_interval = std::chrono::seconds(n.renewal_log_seconds);
  o.activity_log_retention = std::chrono::hours(24) * n.activity_log_days;
  o.usage_retention = std::chrono::hours(24) * n.usage_days;
  o.clock_tolerance = std::chrono::hours(n.clock_hours);
  cfg_.admin.cooldown = std::chrono::seconds(n.cooldown);
  cfg_.cluster.ttl = std::chrono::seconds(n.cluster_ttl);
  if (cfg_.cluster.url.empty()) {
    if (!cfg_.cluster.node_name.empty() || !cfg_.cluster.advertise.empty()
        || !cfg_.cluster.etcd_ca.empty() || !cfg_.cluster.etcd_user.empty())
      return "--node-name, --advertise and the --etcd-* options need --cluster";
  } else {
    if (cfg_.cluster.etcd_cert.empty() != cfg_.cluster.etcd_key.empty())
      return "--etcd-cert and --etcd-key go together";
    if (cfg_.cluster.etcd_user.empty() != cfg_.cluster.etcd_password_file.empty())
      return "--etcd-user and --etcd-password-file go together";
    if (o.demo)
      return "--demo runs a single machine: it does not go with --cluster";
    if (cfg_.cluster.node_name.empty())
      cfg_.cluster.node_name = platform::host_name("licd");
    if (!cluster::valid_name(cfg_.cluster.name))
      return "--cluster-name is 1 to 64 letters, digits, '.', '_' or '-'";
    if (!cluster::valid_name(cfg_.cluster.node_name))
      return "--node-name is 1 to 64 letters, digits, '.', '_' or '-' (the host name is not: "
             "give one)";
    try {
      cluster::etcd::parse_cluster_url(cfg_.cluster.url);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
  }
  if (!net::discovery::valid_server_name(cfg_.server_name))
    return "--server-name is 1-64 printable characters without spaces";
  if (cfg_.admin.tls_cert.empty() != cfg_.admin.tls_key.empty())
    return "--admin-tls-cert and --admin-tls-key go together";
  cfg_.admin.server_name = cfg_.server_name;
  return "";
}

std::vector<std::pair<std::string, std::string>> options_in_force(const CLI::App& app) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto* opt : app.get_options()) {
    auto name = opt->get_name();
    if (name == "--help" || name == "--version")
      continue;
    std::string value;
    if (opt->get_expected_max() == 0) // a flag
      value = opt->count() > 0 ? "true" : "false";
    else if (opt->count() > 0)
      for (const auto& r : opt->results())
        value += (value.empty() ? "" : ",") + r;
    else
      value = opt->get_default_str();
    out.emplace_back(name, value);
  }
  return out;
}

licd_config parse_licd_options(const std::vector<std::string>& argv) {
  licd_config cfg;
  CLI::App app{"licd"};
  licd_options bound(app, cfg);
  std::vector<std::string> reversed(argv.rbegin(), argv.rend() - 1); // CLI11 pops from the back
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    throw std::invalid_argument(e.what());
  }
  if (auto why = bound.finish(); !why.empty())
    throw std::invalid_argument(why);
  return cfg;
}

} // namespace licd
