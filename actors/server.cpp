#include "actors/server.hpp"

#include "actors/acceptor.hpp"
#include "actors/clock.hpp"
#include "actors/expiry.hpp"
#include "actors/licenses.hpp"
#include "actors/pool.hpp"
#include "actors/registry.hpp"
#include "actors/session.hpp"
#include "actors/store.hpp"
#include "engine/fields.hpp"
#include "licd/version.hpp"
#include "net/listen_socket.hpp"
#include "storage/data_dir_layout.hpp"
#include "storage/database.hpp"
#include "storage/files.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>
#include <optional>
#include <utility>

#include <unistd.h>

namespace licd {

namespace {

constexpr const char* demo_product = "demo";
constexpr uint32_t demo_seats = 5;

storage::change_set lifecycle_event(engine::event_kind kind, std::string detail) {
  storage::change_set cs;
  engine::event e;
  e.at_ms = wall_now_ms();
  e.kind = kind;
  e.detail = std::move(detail);
  cs.events.push_back(std::move(e));
  return cs;
}

/// The demo vendor key of this data dir, made on first use.
engine::ed25519::private_key demo_key(const std::string& data_dir) {
  auto path = storage::data_dir_layout(data_dir).demo_key_file();
  if (std::filesystem::exists(path))
    return engine::ed25519::private_key::from_pem(files::read_file(path));
  auto key = engine::ed25519::private_key::generate();
  files::write_file(path, key.to_pem(), 0600, true);
  spdlog::info("made a demo vendor key in {}", path);
  return key;
}

/// Verifies the stored licenses against the configured keys. A license signed by a key licd was
/// not given stops the start: counting it as 0 seats would end every lease on its seats, so a
/// forgotten --vendor-key (or --demo) would destroy the seats in use.
engine::license_set load_licenses(const storage::database& db, const engine::key_ring& keys,
                                  const std::string& data_dir) {
  engine::license_set set;
  std::string missing_keys;
  for (const auto& rec : db.licenses()) {
    auto decoded = engine::decode_code(rec.code);
    if (auto* err = std::get_if<engine::code_error>(&decoded)) {
      spdlog::error("stored license {} is unreadable and not counted: {}",
                    engine::hex64(rec.id), err->message);
      continue;
    }
    engine::installed_license inst;
    inst.lic = std::get<engine::decoded_code>(decoded).lic;
    inst.code = rec.code;
    inst.installed_at_ms = rec.installed_at_ms;
    auto checked = engine::check_code(rec.code, keys);
    if (auto* err = std::get_if<engine::code_error>(&checked)) {
      if (err->problem == engine::errc::unknown_key) {
        missing_keys += "\n  license " + inst.lic.id_hex() + " (" + std::to_string(inst.lic.seats)
                        + " seats of " + inst.lic.product + ") needs vendor key "
                        + engine::hex64(inst.lic.key_id)
                        + (inst.lic.product == demo_product ? " (the demo key: --demo)" : "");
        continue;
      }
      inst.verified = false;
      spdlog::warn("license {} for {} is not counted: {}", inst.lic.id_hex(), inst.lic.product,
                   err->message);
    }
    set.add(std::move(inst));
  }
  if (!missing_keys.empty())
    throw std::runtime_error(
      "installed licenses are signed by vendor keys licd was not given; without them their "
      "seats and every lease on them would be lost:" + missing_keys
      + "\nStart licd with --vendor-key=FILE for each key (or --demo). To remove a license on "
        "purpose: `licadmin licenses remove ID` while licd runs with its key, or `licd "
        "--data-dir=" + data_dir + " --remove-license=ID` while licd is stopped.");
  return set;
}

/// This installation's own key, made at first start and kept in LMDB's meta table: its public
/// part identifies the server in activation requests, and it signs release receipts.
constexpr const char* server_key_meta = "server_key";

std::string id_of(const engine::ed25519::private_key& key) {
  return engine::hex64(key.public_part().key_id());
}

engine::ed25519::private_key server_key(storage::database& db) {
  auto pem = db.meta(server_key_meta);
  if (!pem.empty())
    return engine::ed25519::private_key::from_pem(pem);
  auto key = engine::ed25519::private_key::generate();
  storage::change_set cs;
  cs.put_meta.emplace_back(server_key_meta, key.to_pem());
  db.commit(cs);
  spdlog::info("made this server's key {}", id_of(key));
  return key;
}

/// Streams the stored leases to their pools in batches: a pool (on the multiplexer thread) takes
/// in one batch while this thread decodes the next, so a start with a million leases uses both
/// cores. Every batch and the closing `restored` are in the pools' mailboxes before the
/// acceptor exists.
void restore_leases(const storage::database& db,
                    const std::map<std::string, pool_actor>& pools) {
  constexpr size_t batch_size = 8192;
  struct pending {
    pool_actor pool;
    std::vector<storage::lease_record> batch;
  };
  std::map<std::string, pending> by_product;
  pending* current = nullptr;
  const std::string* current_product = nullptr;
  db.scan_leases([&](storage::lease_record& r) {
    if (current == nullptr || r.product != *current_product) { // leases come in runs
      auto it = by_product.find(r.product);
      if (it == by_product.end())
        it = by_product.emplace(r.product, pending{pools.at(r.product), {}}).first;
      current = &it->second;
      current_product = &it->first;
    }
    if (current->batch.empty())
      current->batch.reserve(batch_size);
    // The pool knows its product: the record's product stays here for the next comparison.
    current->batch.push_back(storage::lease_record{r.id, {}, std::move(r.computer),
                                                   std::move(r.user), std::move(r.instance),
                                                   r.granted_at_ms});
    if (current->batch.size() == batch_size)
      caf::anon_send(current->pool, restore_atom::value, std::exchange(current->batch, {}));
  });
  for (auto& kv : by_product) {
    if (!kv.second.batch.empty())
      caf::anon_send(kv.second.pool, restore_atom::value, std::move(kv.second.batch));
    caf::anon_send(kv.second.pool, restored_atom::value);
  }
}

/// Installs a signed 5-seat code for `demo` with the data dir's demo key, unless one is there.
void install_demo_license(storage::database& db, engine::license_set& installed,
                          const engine::key_ring& keys, const engine::ed25519::private_key& demo) {
  for (const auto& l : installed.list())
    if (l.lic.product == demo_product)
      return;
  engine::license lic;
  lic.id = engine::make_random_lease_id().hi;
  lic.product = demo_product;
  lic.seats = demo_seats;
  lic.issued_day = today_day();
  lic.customer = "licd demo";
  engine::installed_license inst;
  inst.code = engine::issue_code(lic, demo);
  inst.lic = std::get<engine::license>(engine::check_code(inst.code, keys));
  inst.installed_at_ms = wall_now_ms();
  storage::change_set cs;
  cs.put_licenses.push_back({inst.lic.id, inst.code, inst.installed_at_ms});
  engine::event e;
  e.at_ms = inst.installed_at_ms;
  e.kind = engine::event_kind::license_added;
  e.product = demo_product;
  e.detail = "license " + inst.lic.id_hex() + ", 5 seats, demo";
  cs.events.push_back(std::move(e));
  db.commit(cs);
  installed.add(inst);
  spdlog::info("installed a signed demo license: {} seats of {}", demo_seats, demo_product);
}

} // namespace

std::string stored_server_id(const storage::database& db) {
  auto pem = db.meta(server_key_meta);
  return pem.empty() ? std::string{} : id_of(engine::ed25519::private_key::from_pem(pem));
}

server::server(caf::actor_system& sys, const server_options& opts)
  : sys_(sys), metrics_(std::make_shared<request_metrics>()) {
  // Whatever fails, the actors already running are stopped before the error goes on: one left
  // running would keep the actor system's destructor (and so licd) waiting for ever.
  try {
    start(opts);
  } catch (...) {
    stop();
    throw;
  }
}

/// What start-up reads and decides before any actor runs.
struct server::loaded {
  std::shared_ptr<storage::database> db;
  binding bind;
  engine::key_ring keys;
  engine::license_set installed;
  std::map<std::string, uint32_t> seats;       ///< per product, at start
  std::map<std::string, size_t> stored_leases; ///< per product
  int64_t clock_seen_ms = 0;
};

std::pair<site_policy, std::vector<engine::policy::problem>>
read_policy_file(const std::string& path) {
  std::string text;
  try {
    text = files::read_file(path);
  } catch (const std::exception& e) {
    return {nullptr, {{0, e.what()}}};
  }
  auto [doc, problems] = engine::policy::document::parse(text);
  return {std::move(doc), std::move(problems)};
}

std::string describe_problems(const std::vector<engine::policy::problem>& problems) {
  std::string out;
  for (const auto& p : problems)
    out += (out.empty() ? "" : "; ") + (p.line == 0 ? "" : "line " + std::to_string(p.line) + ": ")
           + p.message;
  return out;
}

policy_status server::policy() const {
  std::lock_guard lock(policy_mutex_);
  return policy_;
}

policy_status server::reload_policy() {
  std::lock_guard lock(policy_mutex_);
  policy_.last_attempt_ms = wall_now_ms();
  if (policy_.file.empty()) {
    policy_.last_ok = false;
    policy_.last_problems = {{0, "licd runs without a site policy (no --policy)"}};
    return policy_;
  }
  auto [doc, problems] = read_policy_file(policy_.file);
  policy_.last_ok = problems.empty();
  policy_.last_problems = problems;
  if (!problems.empty()) {
    spdlog::warn("the site policy {} was not reloaded, the one in force stays: {}", policy_.file,
                 describe_problems(problems));
    return policy_;
  }
  policy_.current = doc;
  policy_.loaded_at_ms = policy_.last_attempt_ms;
  caf::anon_send(registry_, site_policy_atom::value, doc);
  auto what =
    std::to_string(doc->rules().size()) + " rules, " + std::to_string(doc->groups()) + " groups";
  spdlog::info("site policy reloaded from {}: {}", policy_.file, what);
  caf::anon_send(store_, append_atom::value,
                 lifecycle_event(engine::event_kind::admin, "site policy reloaded: " + what));
  return policy_;
}

void server::start(const server_options& opts) {
  // The client port first: a port in use stops the start before anything else is done.
  auto listener = net::open_listen_socket(opts.bind, opts.port);
  struct close_unless_taken {
    int& fd;
    ~close_unless_taken() {
      if (fd >= 0)
        ::close(fd);
    }
  } listener_guard{listener.fd};
  // TLS next: a bad certificate stops the start before any actor runs.
  std::shared_ptr<net::tls_context> tls;
  if (!opts.tls_cert.empty() || !opts.tls_key.empty()) {
    if (opts.tls_cert.empty() || opts.tls_key.empty())
      throw std::runtime_error("TLS needs both --tls-cert and --tls-key");
    tls = net::tls_context::load(opts.tls_cert, opts.tls_key);
    tls_fingerprint_ = tls->fingerprint();
    spdlog::info("the client port speaks TLS (1.2 and newer); certificate SHA-256 fingerprint {}",
                 tls_fingerprint_);
  }
  // The site policy next: a mistake in it stops the start, saying every one with its line.
  policy_.file = opts.policy_file;
  if (!opts.policy_file.empty()) {
    auto [doc, problems] = read_policy_file(opts.policy_file);
    if (!problems.empty())
      throw std::runtime_error("the site policy " + opts.policy_file
                               + " has mistakes: " + describe_problems(problems));
    policy_.current = std::move(doc);
    policy_.loaded_at_ms = policy_.last_attempt_ms = wall_now_ms();
    spdlog::info("site policy from {}: {} rules, {} groups", opts.policy_file,
                 policy_.current->rules().size(), policy_.current->groups());
  }
  auto state = load(opts);
  auto products = spawn(opts, state);
  listen(opts, std::exchange(listener.fd, -1), listener.port, std::move(tls));
  spdlog::info("licd {} listening on {}:{} (data dir {}, lease TTL {} s, {} products)", version,
               opts.bind, port_, opts.data_dir, opts.lease_ttl.count(), products);
}

server::loaded server::load(const server_options& opts) {
  loaded l;
  storage::database::options dbo;
  dbo.dir = opts.data_dir;
  dbo.map_size = opts.map_size;
  dbo.max_map_size = opts.max_map_size;
  l.db = opts.database ? opts.database : std::make_shared<storage::database>(dbo);
  auto& db = *l.db;
  if (db.migrated_from() != 0)
    spdlog::info("data dir {} migrated from format {} to {}", opts.data_dir, db.migrated_from(),
                 storage::format_version);
  machine_ = platform::probe_machine();
  spdlog::info("machine: {}; hardware factors: {}", machine_.environment,
               platform::describe_factors(machine_.facts));
  for (const auto& w : machine_.warnings)
    spdlog::warn("hardware binding: {}", w);
  l.bind.machine = machine_.facts;
  l.bind.tolerance = opts.fingerprint_tolerance;
  l.bind.cluster_machines = opts.cluster_machines;
  l.bind.server_key = server_key(db);
  server_id_ = id_of(*l.bind.server_key);
  for (const auto& path : opts.vendor_keys) {
    auto pub = engine::ed25519::public_key::from_pem(files::read_file(path));
    l.keys.emplace(pub.key_id(), pub);
    spdlog::info("trusting vendor key {} from {}", engine::hex64(pub.key_id()), path);
  }
  std::optional<engine::ed25519::private_key> demo;
  if (opts.demo) {
    demo = demo_key(opts.data_dir);
    auto pub = demo->public_part();
    l.keys.emplace(pub.key_id(), pub);
  }
  l.installed = load_licenses(db, l.keys, opts.data_dir);
  for (const auto& problem : attach_activations(l.installed, db.activations(), l.keys, l.bind))
    spdlog::warn("{}", problem);
  if (demo)
    install_demo_license(db, l.installed, l.keys, *demo);
  // The rollback guard's view at start decides which licenses count for the pools' first seats.
  engine::parse_number(db.meta("clock_seen_ms"), l.clock_seen_ms);
  auto clock_tolerance_ms = std::chrono::milliseconds(opts.clock_tolerance).count();
  engine::state_context start(today_day());
  start.clock_error = wall_now_ms() + clock_tolerance_ms < l.clock_seen_ms;
  l.seats = l.installed.seats(start);
  // A product without licenses keeps a pool until its stored leases end.
  l.stored_leases = db.lease_counts();
  for (const auto& kv : l.stored_leases)
    l.seats.emplace(kv.first, 0);
  // Best effort: a data dir that filled up before a crash must still start and serve renewals
  // and releases (the store keeps head-room for those), with or without this log entry.
  try {
    db.commit(lifecycle_event(engine::event_kind::started, std::string("licd ") + version));
  } catch (const std::exception& e) {
    spdlog::warn("the start is not in the activity log: {}", e.what());
  }
  return l;
}

size_t server::spawn(const server_options& opts, loaded& l) {
  store_ = sys_.spawn<caf::detached>(licd::store, l.db);
  db_ = l.db;
  if (opts.activity_log_retention.count() > 0 || opts.usage_retention.count() > 0)
    caf::anon_send(store_, prune_atom::value,
                   int64_t{std::chrono::milliseconds(opts.activity_log_retention).count()},
                   int64_t{std::chrono::milliseconds(opts.usage_retention).count()});
  size_t stored_total = 0;
  for (const auto& kv : l.stored_leases)
    stored_total += kv.second;
  expiry_ = sys_.spawn(expiry, opts.expiry_tick, stored_total);
  // (An argument also keeps CAF 0.17 from binding a reference to a null argument tuple, which
  // it does for actors spawned without arguments: UBSan stops on it.)
  timers_ = sys_.spawn(licd::timers, timer_resolution);
  registry_setup rs;
  rs.store = store_;
  rs.expiry = expiry_;
  rs.timers = timers_;
  rs.policy.ttl = opts.lease_ttl;
  rs.policy.max_leases_per_computer = opts.max_leases_per_computer;
  rs.policy.renewal_log_interval = opts.renewal_log_interval;
  rs.policy.site = policy_.current;
  for (const auto& [product, n] : l.seats) {
    auto setup = make_pool_setup(rs, product, n);
    if (auto it = l.stored_leases.find(product); it != l.stored_leases.end())
      setup.expected_leases = it->second;
    setup.cooldowns = storage::decode_cooldowns(l.db->meta(storage::cooldowns_key(product)));
    rs.pools.emplace(product, spawn_pool(sys_, std::move(setup)));
  }
  try {
    restore_leases(*l.db, rs.pools);
  } catch (...) { // the pools are not the registry's yet: stop them here
    for (const auto& kv : rs.pools)
      caf::anon_send_exit(kv.second, caf::exit_reason::user_shutdown);
    throw;
  }
  auto product_count = rs.pools.size();
  registry_ = sys_.spawn(licd::registry, std::move(rs));
  licenses_setup ls;
  ls.installed = std::move(l.installed);
  ls.keys = std::move(l.keys);
  ls.bind = std::move(l.bind);
  ls.clock_seen_ms = l.clock_seen_ms;
  ls.clock_tolerance = opts.clock_tolerance;
  ls.store = store_;
  ls.registry = registry_;
  licenses_ = sys_.spawn(licd::licenses, std::move(ls));
  return product_count;
}

void server::listen(const server_options& opts, int listener_fd, uint16_t port,
                    std::shared_ptr<net::tls_context> tls) {
  port_ = port;
  session_setup ss{registry_,   static_cast<uint32_t>(opts.lease_ttl.count()),
                   metrics_,    std::move(tls),
                   opts.limits, timers_};
  acceptor_ = sys_.middleman().spawn_broker(acceptor, listener_fd, ss);
}

server::~server() {
  stop();
}

void server::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  caf::scoped_actor self{sys_};
  // (Every step is a no-op for an actor that a failed start did not get to spawn.)
  // 1. No new requests: the listener and every session go.
  self->send_exit(acceptor_, caf::exit_reason::user_shutdown);
  self->wait_for(acceptor_);
  // 2. The registry (and the pools it spawned or was given: they are linked to it), licenses
  //    and expiry go; whatever they already sent the store is still in its mailbox.
  self->send_exit(licenses_, caf::exit_reason::user_shutdown);
  self->send_exit(registry_, caf::exit_reason::user_shutdown);
  self->send_exit(expiry_, caf::exit_reason::user_shutdown);
  self->send_exit(timers_, caf::exit_reason::user_shutdown);
  self->wait_for(licenses_, registry_, expiry_, timers_);
  // 3. The store commits all of it, then quits.
  if (!store_)
    return;
  self->send(store_, append_atom::value, lifecycle_event(engine::event_kind::stopped, "clean shutdown"));
  self->request(store_, caf::infinite, stop_atom::value)
    .receive([](caf::ok_atom) {},
             [](caf::error& err) {
               spdlog::error("store did not stop cleanly: {}", to_string(err));
             });
  self->wait_for(store_);
  spdlog::info("licd stopped; every acknowledged change is stored");
}

} // namespace licd
