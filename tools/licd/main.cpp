// licd: the floating-license server daemon. Parses options, takes the data dir, starts the
// actors (actors/server.hpp) and waits for SIGTERM or SIGINT to stop them cleanly.

#include "actors/ask.hpp"
#include "actors/server.hpp"
#include "actors/store.hpp"
#include "admin/http_api.hpp"
#include "admin/standby_api.hpp"
#include "cluster/node.hpp"
#include "engine/license_code.hpp"
#include "licd/version.hpp"
#include "net/discovery_responder.hpp"
#include "net/redirect_responder.hpp"
#include "net/tls_stream.hpp"
#include "platform/host.hpp"
#include "platform/machine.hpp"
#include "storage/database.hpp"
#include "storage/files.hpp"
#include "tools/common/cli.hpp"
#include "tools/licd/data_dir.hpp"
#include "tools/licd/offline.hpp"
#include "tools/licd/options.hpp"

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <linux/close_range.h>
#include <unistd.h>

#include <pthread.h>
#include <sys/resource.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace {

/// An admin token: from the named file, else DATA_DIR/admin.token, made (mode 0600) when
/// missing (a named file only when `make_named`). Never logged.
std::string load_or_make_token(const std::string& named, const std::string& data_dir,
                               bool make_named = false) {
  auto path = named.empty() ? licd::storage::data_dir_layout(data_dir).admin_token_file() : named;
  if ((!named.empty() && !make_named) || licd::files::file_exists(path)) {
    auto token = licd::files::read_file(path);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
      token.pop_back();
    if (token.size() < 16)
      throw std::runtime_error("the admin token in " + path + " is shorter than 16 characters");
    return token;
  }
  auto token = licd::admin::make_token();
  licd::files::write_file(path, token + "\n", 0600, true);
  spdlog::info("made an admin token in {} (mode 0600)", path);
  return token;
}

/// Waits for SIGTERM, SIGINT (and SIGHUP: reload the site policy) on its own thread. Before licd
/// serves, a stop signal ends the process at once (nothing is half-written: every change is an LMDB
/// transaction); while it serves, the first one starts a clean stop and a second one ends the
/// process at once.
class stop_signal_thread {
public:
  explicit stop_signal_thread(sigset_t set) : set_(set), thread_([this] { run(); }) {
    thread_.detach(); // it ends with the process
  }

  /// From now on a stop signal asks for a clean stop (wait_for_stop returns), and SIGHUP runs
  /// `reload`.
  void serving(std::function<void()> reload) {
    {
      std::lock_guard lock(mutex_);
      reload_ = std::move(reload);
    }
    phase_.store(phase::serving);
  }
  /// Blocks until a stop signal arrives while serving, or interrupt(); returns the signal's
  /// name, or nullptr for an interrupt (which is then forgotten).
  const char* wait_for_stop() {
    std::unique_lock lock(mutex_);
    stopped_.wait(lock, [this] { return signal_ != 0 || interrupted_; });
    if (signal_ == 0) {
      interrupted_ = false;
      return nullptr;
    }
    return signal_ == SIGTERM ? "SIGTERM" : "SIGINT";
  }
  /// Ends a wait_for_stop without a signal (a cluster standby that now leads).
  void interrupt() {
    std::lock_guard lock(mutex_);
    interrupted_ = true;
    stopped_.notify_all();
  }

private:
  enum class phase { starting, serving, stopping };

  void run() {
    for (;;) {
      int sig = 0;
      if (sigwait(&set_, &sig) != 0)
        continue;
      if (sig == SIGHUP) {
        std::function<void()> reload;
        {
          std::lock_guard lock(mutex_);
          reload = reload_;
        }
        if (phase_.load() == phase::serving && reload)
          reload();
        else
          spdlog::info("received SIGHUP while not serving: ignored");
        continue;
      }
      auto name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
      switch (phase_.load()) {
        case phase::starting:
          spdlog::critical("received {} during start-up: stopping at once", name);
          std::_Exit(1);
        case phase::serving: {
          phase_.store(phase::stopping);
          std::lock_guard lock(mutex_);
          signal_ = sig;
          stopped_.notify_all();
          break;
        }
        case phase::stopping:
          spdlog::critical("received {} again while stopping: stopping at once", name);
          std::_Exit(1);
      }
    }
  }

  sigset_t set_;
  std::atomic<phase> phase_{phase::starting};
  std::mutex mutex_;
  std::condition_variable stopped_;
  int signal_ = 0;
  bool interrupted_ = false;
  std::function<void()> reload_;
  std::thread thread_;
};

/// How long a clean stop may take before licd gives up on it and exits (every acknowledged
/// change is already committed; what is left is tearing down threads).
constexpr std::chrono::seconds stop_patience{30};

/// Ends the process with `code` if the calling thread has not finished what follows (the actor
/// system's teardown) within `patience`: a stuck actor must not keep licd from exiting.
void exit_unless_done_within(std::chrono::seconds patience, int code) {
  std::thread([patience, code] {
    std::this_thread::sleep_for(patience);
    spdlog::critical("licd did not finish stopping within {} s: exiting", patience.count());
    std::_Exit(code);
  }).detach();
}

/// The admin API's options as configured, with its tokens (made when missing).
licd::admin::options admin_options(const licd::licd_config& cfg, const licd::data_dir& dir) {
  auto admin = cfg.admin;
  admin.token = load_or_make_token(cfg.admin_token_file, dir.path());
  if (!cfg.admin_readonly_token_file.empty()) {
    admin.readonly_token = load_or_make_token(cfg.admin_readonly_token_file, dir.path(), true);
    if (admin.readonly_token == admin.token)
      throw std::runtime_error("the read-only admin token in " + cfg.admin_readonly_token_file
                               + " is the admin token: give it a token of its own");
  }
  admin.data_dir = dir.path();
  return admin;
}

/// The host other machines reach this cluster node at: --advertise's, else the host name.
std::string advertised_host(const licd::licd_config& cfg) {
  const auto& a = cfg.cluster.advertise;
  if (auto colon = a.rfind(':'); colon != std::string::npos && colon > 0)
    return a.substr(0, colon);
  return licd::platform::host_name("localhost");
}

/// Serves until a stop signal: the engine, discovery and the admin API, then the files that tell
/// tools where licd listens. Throws when any of them cannot start.
void serve(caf::actor_system& sys, const licd::data_dir& dir, const licd::licd_config& cfg,
           stop_signal_thread& signals, licd::cluster::node* node) {
  licd::server srv{sys, cfg.server};
  auto admin = admin_options(cfg, dir);
  const auto& discovery_bind = cfg.discovery_bind;
  const auto& server_name = cfg.server_name;
  auto discovery_port = cfg.discovery_port;
  admin.client_port = srv.port();
  std::unique_ptr<licd::net::discovery_responder> discovery;
  if (discovery_port != 0) {
    auto registry = srv.registry();
    auto tcp_port = srv.port();
    bool tls_on = !srv.tls_fingerprint().empty();
    auto server_id = srv.server_id();
    discovery = std::make_unique<licd::net::discovery_responder>(
      discovery_bind, discovery_port,
      [&sys, registry, tcp_port, tls_on, server_id, server_name](const auto& q) {
        auto pools = licd::ask<std::vector<licd::pool_status>>(
          sys, std::chrono::seconds(2), registry, licd::status_atom::value);
        licd::net::discovery::answer a;
        a.id = server_id;
        a.name = server_name;
        a.port = tcp_port;
        a.tls = tls_on;
        for (const auto& p : pools) {
          bool asked = q.products.empty();
          for (const auto& want : q.products)
            asked = asked || want == p.product;
          if (asked)
            a.products.push_back({p.product, p.seats, p.seats > p.used ? p.seats - p.used : 0});
        }
        return a;
      });
    admin.discovery_port = discovery->port();
    spdlog::info("answering discovery on {}:{}/udp as {}", discovery_bind, discovery->port(),
                 server_name);
  }
  admin.cluster = node;
  licd::admin::http_api api{sys, srv, admin};
  if (node != nullptr)
    node->set_admin_url(api.url_for_others(advertised_host(cfg)));
  // In place: the file keeps its disk block, so a restart on a full disk still writes it.
  licd::files::rewrite_file(dir.files().admin_url_file(), api.url() + "\n", 0644);
  dir.write_port_file(srv.port());
  signals.serving([&srv] { srv.reload_policy(); });
  const char* stop_signal = nullptr;
  while (stop_signal == nullptr)
    stop_signal = signals.wait_for_stop();
  spdlog::info("received {}, shutting down", stop_signal);
  exit_unless_done_within(stop_patience, 1);
  dir.reset_port_file();
  api.stop();
  discovery.reset();
  srv.stop();
}

/// The command line licd was started with: a cluster node that loses its lead starts over.
std::vector<char*> started_as;

/// Starts licd over as it was started (the same process id, so a supervisor sees no exit): what
/// a cluster node does when it stops leading, so that nothing of the lead it lost (pools,
/// sessions, queues) survives and it comes back as a standby that catches up from etcd. Every
/// change it acknowledged is in etcd and its data dir already.
[[noreturn]] void start_over(const std::string& why) {
  spdlog::critical("licd starts over as a standby: {}", why);
  spdlog::default_logger()->flush();
  // Nothing open may leak into the new image (the client port above all, which the new image
  // binds again): mark every descriptor close-on-exec, or close them when the kernel cannot.
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
    ::close_range(3, ~0U, 0);
  ::execv("/proc/self/exe", started_as.data());
  std::fprintf(stderr, "licd: could not start over (%s): exiting\n", std::strerror(errno));
  std::_Exit(1);
}

/// A standby's data dir keeps no more history than the leader's: the store's pruning
/// (prune_history) every prune_interval, from a thread of its own, until this node leads or
/// licd stops.
class standby_pruning {
public:
  standby_pruning(std::shared_ptr<licd::storage::database> db, const licd::server_options& o)
    : db_(std::move(db)), log_age_ms_(std::chrono::milliseconds(o.activity_log_retention).count()),
      usage_age_ms_(std::chrono::milliseconds(o.usage_retention).count()) {
    if (log_age_ms_ > 0 || usage_age_ms_ > 0)
      thread_ = std::thread([this] { run(); });
  }
  ~standby_pruning() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    stopped_.notify_all();
    if (thread_.joinable())
      thread_.join();
  }
  standby_pruning(const standby_pruning&) = delete;
  standby_pruning& operator=(const standby_pruning&) = delete;

private:
  void run() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      lock.unlock();
      bool more = licd::prune_history(*db_, log_age_ms_, usage_age_ms_);
      lock.lock();
      if (!more)
        stopped_.wait_for(lock, licd::prune_interval, [this] { return stop_; });
    }
  }

  std::shared_ptr<licd::storage::database> db_;
  int64_t log_age_ms_, usage_age_ms_;
  std::mutex mutex_;
  std::condition_variable stopped_;
  bool stop_ = false;
  std::thread thread_;
};

/// A cluster node until it leads: catches its data dir up with etcd and keeps applying the
/// leader's changes, answers clients with the leader's address (its admin port sends the License
/// Manager to the leader's), and campaigns. Returns the node once it leads (its commits then go
/// to etcd first), with the ports it answered on in `port` and `admin_port`, or null after a
/// stop signal.
std::unique_ptr<licd::cluster::node> stand_by(const licd::licd_config& cfg,
                                              const licd::data_dir& dir,
                                              std::shared_ptr<licd::storage::database> db,
                                              stop_signal_thread& signals, uint16_t& port,
                                              uint16_t& admin_port) {
  const auto& c = cfg.cluster;
  licd::cluster::node_options no;
  no.etcd.endpoints = licd::cluster::etcd::parse_cluster_url(c.url);
  no.etcd.ca_file = c.etcd_ca;
  no.etcd.cert_file = c.etcd_cert;
  no.etcd.key_file = c.etcd_key;
  no.etcd.user = c.etcd_user;
  if (!c.etcd_password_file.empty()) {
    no.etcd.password = licd::files::read_file(c.etcd_password_file);
    while (!no.etcd.password.empty()
           && (no.etcd.password.back() == '\n' || no.etcd.password.back() == '\r'))
      no.etcd.password.pop_back();
  }
  no.cluster = c.name;
  no.ttl = c.ttl;
  no.self.name = c.node_name;
  no.self.machine = licd::platform::probe_machine().facts;
  // The client port first (a port in use stops the start at once), so that its number is known.
  auto listener = licd::net::open_listen_socket(cfg.server.bind, cfg.server.port);
  no.self.client = c.advertise.empty()
                     ? licd::platform::host_name("localhost") + ":" + std::to_string(listener.port)
                     : c.advertise;
  // The admin port next: it sends the License Manager to the leader's, and tells licadmin
  // where the admin API is.
  auto admin_api = std::make_unique<licd::admin::standby_api>(admin_options(cfg, dir));
  no.self.admin = admin_api->url_for_others(advertised_host(cfg));
  auto node = std::make_unique<licd::cluster::node>(no, db);
  auto admin = std::move(admin_api); // it answers for the node: stopped before the node goes
  node->on_lost(start_over);
  spdlog::info("cluster {}: node {} joins through etcd {}", c.name, c.node_name, c.url);
  node->start();
  standby_pruning pruning(db, cfg.server);
  admin->start(*node);
  licd::files::rewrite_file(dir.files().admin_url_file(), admin->url() + "\n", 0644);

  // The client port answers with the leader's address meanwhile.
  std::shared_ptr<licd::net::tls_context> tls;
  if (!cfg.server.tls_cert.empty())
    tls = licd::net::tls_context::load(cfg.server.tls_cert, cfg.server.tls_key);
  auto self_name = c.node_name;
  auto* n = node.get();
  auto responder =
    std::make_unique<licd::net::redirect_responder>(listener, tls, [n, self_name]() -> std::string {
      auto leader = n->leader();
      return leader && leader->name != self_name ? leader->client : std::string{};
    });
  spdlog::info("cluster: standing by on {}:{} (clients are sent to the leader)", cfg.server.bind,
               responder->port());
  // Discovery answers with the leader's address. The server key (its id) is the cluster's,
  // replicated like everything else (none yet in a cluster that never had a leader).
  std::unique_ptr<licd::net::discovery_responder> discovery;
  if (cfg.discovery_port != 0) {
    auto id = licd::stored_server_id(*db);
    auto port = responder->port();
    bool tls_on = tls != nullptr;
    auto server_name = cfg.server_name;
    discovery = std::make_unique<licd::net::discovery_responder>(
      cfg.discovery_bind, cfg.discovery_port,
      [n, self_name, id, port, tls_on, server_name](const auto&) {
        licd::net::discovery::answer a;
        a.id = id;
        a.name = server_name;
        a.port = port;
        a.tls = tls_on;
        auto leader = n->leader();
        if (leader && leader->name != self_name)
          a.leader = leader->client;
        return a;
      });
  }
  dir.write_port_file(responder->port());
  signals.serving([] { spdlog::info("a standby has no site policy to reload"); });
  std::thread campaign([n, &signals] {
    if (n->wait_for_lead())
      signals.interrupt();
  });
  if (auto sig = signals.wait_for_stop(); sig != nullptr) {
    spdlog::info("received {}, shutting down", sig);
    admin->stop();
    node->stop();
    campaign.join();
    return nullptr;
  }
  campaign.join();
  port = responder->port(); // the leader serves where the standby answered (--port=0 too)
  dir.reset_port_file();
  discovery.reset(); // the discovery port too
  responder.reset(); // the client port is the leader's server's now
  admin_port = admin->port(); // and the admin port its admin API's
  admin.reset();
  return node;
}

/// Serves: checks the data dir, blocks the stop signals, starts the actor system and serves
/// until a stop signal. Returns licd's exit status.
int run_daemon(const licd::licd_config& cfg) {
  const auto& opts = cfg.server;
  if (::geteuid() == 0 && !cfg.allow_root) {
    std::fprintf(stderr,
                 "licd: refusing to run as root: a network service should not have every right "
                 "on the machine. Run it as its own user (the systemd unit does: DynamicUser=yes), "
                 "or pass --allow-root to run it as root anyway.\n");
    return 1;
  }
  auto logger = spdlog::stdout_color_mt("licd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  spdlog::flush_on(spdlog::level::info);

  // The whole data file is checked before licd opens it for writing, and before any thread
  // exists: the check forks a child to walk it (so that pages that would crash LMDB crash the
  // child, not licd), and a child forked from a process with threads can wait for ever on a
  // lock one of them held (seen with ASan's allocator).
  try {
    auto report = licd::storage::verify_data_dir(opts.data_dir, opts.map_size);
    if (!report.problems.empty()) {
      spdlog::critical("licd cannot run: {}", licd::storage::damage_message(opts.data_dir, report));
      return 1;
    }
  } catch (const std::exception& e) {
    spdlog::critical("licd cannot run: {}", e.what());
    return 1;
  }

  // Block the stop signals before any thread exists, so that only the signal thread sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  stop_signal_thread signals(stop_signals);

  // Every client is a socket: use the whole hard limit on open files, not the soft default.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  spdlog::debug("open files limit {}", files.rlim_cur);

  try {
    licd::data_dir dir(opts.data_dir, cfg.create_data_dir || opts.demo
                                        || opts.data_dir == licd::defaults::data_dir);
    dir.reset_port_file();
    // A cluster node stands by until it leads; then it serves like a single machine, with its
    // data dir's commits going to etcd first.
    auto serving_cfg = cfg;
    std::unique_ptr<licd::cluster::node> node;
    if (!cfg.cluster.url.empty()) {
      licd::storage::database::options dbo;
      dbo.dir = opts.data_dir;
      dbo.map_size = opts.map_size;
      dbo.max_map_size = opts.max_map_size;
      serving_cfg.server.database = std::make_shared<licd::storage::database>(dbo);
      node = stand_by(cfg, dir, serving_cfg.server.database, signals, serving_cfg.server.port,
                      serving_cfg.admin.port);
      if (!node)
        return 0;
      auto* n = node.get();
      serving_cfg.server.cluster_machines = [n] { return n->machines(); };
    }
    caf::actor_system_config caf_cfg;
    caf_cfg.load<caf::io::middleman>();
    caf_cfg.set("scheduler.max-threads",
                cfg.threads == 0 ? std::thread::hardware_concurrency() : cfg.threads);
    // Measured (in the commit that made it the default): the work-stealing workers' sleep/wake cycles dominated a
    // profile under load; one shared queue halved single-client latency.
    caf_cfg.set("scheduler.policy", caf::atom_from_string(cfg.scheduler));
    // One read per readable socket and poll round: CAF's default (50) reads again until EAGAIN,
    // a wasted recv() per request when each client has one request in flight.
    caf_cfg.set("middleman.max-consecutive-reads", 1);
    caf::actor_system sys{caf_cfg};
    // A failure from here on is reported before the actor system is torn down, and that
    // teardown is bounded: licd ends with a message and an exit code, never silently hangs.
    try {
      serve(sys, dir, serving_cfg, signals, node.get());
      if (node)
        node->stop(); // gives the lead up at once: a standby takes over without waiting a TTL
    } catch (const std::exception& e) {
      spdlog::critical("licd cannot run: {}", e.what());
      exit_unless_done_within(std::chrono::seconds(10), 1);
      return 1;
    }
  } catch (const std::exception& e) {
    spdlog::critical("licd cannot run: {}", e.what());
    return 1;
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  started_as.assign(argv, argv + argc);
  started_as.push_back(nullptr);
  licd::licd_config cfg;
  CLI::App app{"licd: network floating-license server"};
  licd::licd_options options(app, cfg);
  if (auto stop = licd::tools::parse_command_line(app, argc, argv))
    return *stop;
  if (auto why = options.finish(); !why.empty()) {
    std::fprintf(stderr, "licd: %s\n", why.c_str());
    return licd::tools::exit_usage;
  }
  cfg.admin.settings = licd::options_in_force(app);
  if (cfg.make_tls_cert)
    return licd::make_tls_cert(cfg);
  if (cfg.check_config)
    return licd::check_config(cfg);
  if (cfg.verify)
    return licd::verify(cfg);
  if (!cfg.license_to_remove.empty())
    return licd::remove_license(cfg);
  return run_daemon(cfg);
}
