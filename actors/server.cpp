#include "actors/server.hpp"

#include "actors/acceptor.hpp"
#include "actors/clock.hpp"
#include "actors/expiry.hpp"
#include "actors/pool.hpp"
#include "actors/registry.hpp"
#include "actors/session.hpp"
#include "actors/store.hpp"
#include "licd/version.hpp"
#include "net/listen_socket.hpp"
#include "storage/database.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>

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

} // namespace

server::server(caf::actor_system& sys, const server_options& opts) : sys_(sys) {
  auto db = std::make_shared<storage::database>(storage::database::options{opts.data_dir});
  auto products = db->products();
  if (opts.demo) {
    bool have_demo = false;
    for (const auto& p : products)
      have_demo = have_demo || p.name == demo_product;
    if (!have_demo) {
      storage::change_set cs;
      cs.put_products.push_back({demo_product, demo_seats});
      db->commit(cs);
      products.push_back({demo_product, demo_seats});
      spdlog::info("provisioned product {} with {} seats", demo_product, demo_seats);
    }
  }
  std::map<std::string, std::vector<storage::lease_record>> restored;
  size_t orphans = 0;
  for (auto& l : db->leases())
    restored[l.product].push_back(std::move(l));
  db->commit(lifecycle_event(engine::event_kind::started, std::string("licd ") + version));

  store_ = sys.spawn<caf::detached>(store, db);
  expiry_ = sys.spawn(expiry, opts.expiry_tick);
  for (const auto& p : products) {
    pool_setup setup;
    setup.product = p;
    if (auto it = restored.find(p.name); it != restored.end()) {
      setup.restored = std::move(it->second);
      restored.erase(it);
    }
    setup.ttl = opts.lease_ttl;
    setup.store = store_;
    setup.expiry = expiry_;
    pools_.emplace(p.name, sys.spawn(pool, std::move(setup)));
  }
  for (const auto& kv : restored)
    orphans += kv.second.size();
  if (orphans > 0)
    spdlog::warn("{} stored leases name products this server does not have; left untouched",
                 orphans);
  registry_ = sys.spawn(registry, pools_);

  auto listener = net::open_listen_socket(opts.bind, opts.port);
  port_ = listener.port;
  session_setup ss{registry_, static_cast<uint32_t>(opts.lease_ttl.count())};
  acceptor_ = sys.middleman().spawn_broker(acceptor, listener.fd, ss);
  spdlog::info("licd {} listening on {}:{} (data dir {}, lease TTL {} s, {} products)", version,
               opts.bind, port_, opts.data_dir, opts.lease_ttl.count(), pools_.size());
}

server::~server() {
  stop();
}

void server::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  caf::scoped_actor self{sys_};
  // 1. No new requests: the listener and every session go.
  self->send_exit(acceptor_, caf::exit_reason::user_shutdown);
  self->wait_for(acceptor_);
  // 2. Pools and expiry go; whatever they already sent the store is still in its mailbox.
  for (auto& kv : pools_)
    self->send_exit(kv.second, caf::exit_reason::user_shutdown);
  self->send_exit(expiry_, caf::exit_reason::user_shutdown);
  self->send_exit(registry_, caf::exit_reason::user_shutdown);
  // 3. The store commits all of it, then quits.
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
