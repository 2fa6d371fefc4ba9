// The actors in one process, on CAF's real scheduler, with a real LMDB data dir: paths that the
// end-to-end tests cannot reach from outside (a full disk) or reach only slowly.

#include "actors/ask.hpp"
#include "actors/expiry.hpp"
#include "actors/licenses.hpp"
#include "actors/registry.hpp"
#include "actors/pool.hpp"
#include "actors/store.hpp"
#include "engine/license_code.hpp"
#include "storage/database.hpp"
#include "temp_dir.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace licd;
using namespace std::chrono_literals;

namespace {

/// A store, an expiry and one pool ("cad", 2 seats) over a data dir with a small LMDB map.
struct actors_fixture {
  test::temp_dir dir;
  std::shared_ptr<storage::database> db;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  store_actor store;
  expiry_actor expiry;
  pool_actor pool;

  explicit actors_fixture(std::chrono::seconds ttl, size_t map_size = size_t{1} << 20) {
    db = std::make_shared<storage::database>(storage::database::options{dir.path(), map_size});
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    store = sys->spawn<caf::detached>(licd::store, db);
    expiry = sys->spawn(licd::expiry, std::chrono::milliseconds(20));
    pool_setup setup;
    setup.product = {"cad", 2};
    setup.ttl = ttl;
    setup.store = store;
    setup.expiry = expiry;
    pool = sys->spawn(licd::pool, setup);
  }

  ~actors_fixture() {
    caf::scoped_actor self{*sys};
    self->send_exit(pool, caf::exit_reason::user_shutdown);
    self->send_exit(expiry, caf::exit_reason::user_shutdown);
    self->send_exit(store, caf::exit_reason::user_shutdown);
    self->wait_for(pool, expiry, store);
  }

  pool_reply ask_checkout(const std::string& computer) {
    return ask<pool_reply>(*sys, 5s, pool, checkout_atom::value,
                           engine::identity{computer, "u", "1"});
  }

  pool_reply ask_renew(const engine::lease_id& id) {
    return ask<pool_reply>(*sys, 5s, pool, renew_atom::value, id);
  }

  pool_status ask_status() { return ask<pool_status>(*sys, 5s, pool, status_atom::value); }

  bool holds(const engine::lease_id& id) {
    return ask<bool>(*sys, 5s, pool, has_lease_atom::value, id);
  }

  /// Fills the LMDB map until not even a small event fits (the store is idle meanwhile).
  void fill_disk() {
    for (size_t size = 64 * 1024; size >= 64; size /= 2) {
      for (;;) {
        storage::change_set junk;
        engine::event e;
        e.kind = engine::event_kind::denied;
        e.detail = std::string(size, 'x');
        junk.events.push_back(e);
        try {
          db->commit(junk);
        } catch (const storage::lmdb::error& err) {
          REQUIRE(err.is_full());
          break;
        }
      }
    }
  }
};

} // namespace

TEST_CASE("the pool answers a checkout only with a stored lease", "[actors]") {
  actors_fixture f(600s);
  auto r = f.ask_checkout("ws1");
  REQUIRE(r.result == outcome::ok);
  CHECK(r.used == 1);
  auto stored = f.db->leases();
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].id == r.lease);
  CHECK(stored[0].computer == "ws1");
}

TEST_CASE("a grant that cannot be stored gives its seat back and renewals go on",
          "[actors][storage-full]") {
  actors_fixture f(600s, size_t{256} << 10);
  auto kept = f.ask_checkout("ws1");
  REQUIRE(kept.result == outcome::ok);
  f.fill_disk();
  auto refused = f.ask_checkout("ws2");
  CHECK(refused.result == outcome::storage_error);
  auto s = f.ask_status();
  CHECK(s.used == 1); // ws2's reservation was abandoned
  CHECK(s.leases == 1);
  CHECK(f.ask_renew(kept.lease).result == outcome::ok); // renewals need no disk
  CHECK(f.holds(kept.lease));
  CHECK(f.db->leases().size() == 1);
}

TEST_CASE("the pool re-arms a renewed lease and ends an unrenewed one", "[actors][expiry]") {
  actors_fixture f(1s);
  auto renewed = f.ask_checkout("ws1");
  auto idle = f.ask_checkout("ws2");
  REQUIRE(renewed.result == outcome::ok);
  REQUIRE(idle.result == outcome::ok);
  for (int i = 0; i < 8; ++i) { // 2.4 s: well past the first deadline
    std::this_thread::sleep_for(300ms);
    REQUIRE(f.ask_renew(renewed.lease).result == outcome::ok);
  }
  CHECK(f.holds(renewed.lease));
  CHECK_FALSE(f.holds(idle.lease));
  CHECK(f.ask_renew(idle.lease).result == outcome::unknown_lease);
  CHECK(f.ask_status().used == 1);
  auto stored = f.db->leases();
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].id == renewed.lease);
}

TEST_CASE("a third computer is denied while two hold the two seats", "[actors]") {
  actors_fixture f(600s);
  REQUIRE(f.ask_checkout("ws1").result == outcome::ok);
  REQUIRE(f.ask_checkout("ws2").result == outcome::ok);
  auto denied = f.ask_checkout("ws3");
  CHECK(denied.result == outcome::no_seats);
  CHECK(denied.detail.find("all 2 seats") != std::string::npos);
  CHECK(f.ask_checkout("ws1").result == outcome::ok);
  CHECK(f.db->leases().size() == 3);
}

namespace {

/// Store, expiry, registry and licenses over a real data dir, with a calendar the test moves.
struct licenses_fixture {
  test::temp_dir dir;
  std::shared_ptr<storage::database> db =
    std::make_shared<storage::database>(storage::database::options{dir.path()});
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  engine::ed25519::private_key vendor = engine::ed25519::private_key::generate();
  std::shared_ptr<std::atomic<int32_t>> day = std::make_shared<std::atomic<int32_t>>(20000);
  store_actor store;
  expiry_actor expiry;
  registry_actor reg;
  licenses_actor lic;

  licenses_fixture() {
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    store = sys->spawn<caf::detached>(licd::store, db);
    expiry = sys->spawn(licd::expiry, std::chrono::milliseconds(20));
    registry_setup rs;
    rs.store = store;
    rs.expiry = expiry;
    reg = sys->spawn(licd::registry, rs);
    licenses_setup ls;
    ls.keys = {{vendor.public_part().key_id(), vendor.public_part()}};
    ls.store = store;
    ls.registry = reg;
    ls.recheck = std::chrono::milliseconds(20);
    auto d = day;
    ls.today = [d] { return d->load(); };
    lic = sys->spawn(licd::licenses, ls);
  }

  ~licenses_fixture() {
    caf::scoped_actor self{*sys};
    for (auto a : {caf::actor_cast<caf::actor>(lic), caf::actor_cast<caf::actor>(reg),
                   caf::actor_cast<caf::actor>(expiry), caf::actor_cast<caf::actor>(store)})
      self->send_exit(a, caf::exit_reason::user_shutdown);
    self->wait_for(lic, reg, expiry, store);
  }

  license_result install(uint32_t seats, int32_t expires_day) {
    engine::license l;
    l.id = engine::make_random_lease_id().hi;
    l.product = "cad";
    l.seats = seats;
    l.issued_day = 19000;
    l.expires_day = expires_day;
    return ask<license_result>(*sys, 5s, lic, lic_add_atom::value, engine::issue_code(l, vendor));
  }

  license_result remove(const std::string& id) {
    return ask<license_result>(*sys, 5s, lic, lic_remove_atom::value, id);
  }

  /// The seats of product cad as its pool has them (0 when there is no pool yet).
  uint32_t seats() {
    for (const auto& p : ask<std::vector<pool_status>>(*sys, 5s, reg, status_atom::value))
      if (p.product == "cad")
        return p.seats;
    return 0;
  }

  template <class Pred>
  bool eventually(Pred pred) {
    for (int i = 0; i < 200; ++i) {
      if (pred())
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return pred();
  }
};

} // namespace

TEST_CASE("a code stops counting once the calendar passes its expiry date", "[actors][licenses]") {
  licenses_fixture f;
  REQUIRE(f.install(5, 20000).ok);  // valid through day 20000
  REQUIRE(f.install(2, 0).ok);      // perpetual
  CHECK(f.eventually([&] { return f.seats() == 7; }));
  f.day->store(20001);
  CHECK(f.eventually([&] { return f.seats() == 2; })); // the minute tick noticed
  f.day->store(20000); // a clock set back makes it count again (issue 4 adds the rollback guard)
  CHECK(f.eventually([&] { return f.seats() == 7; }));
}

TEST_CASE("removing a product's last code leaves its pool with no seats", "[actors][licenses]") {
  licenses_fixture f;
  auto added = f.install(3, 0);
  REQUIRE(added.ok);
  CHECK(f.eventually([&] { return f.seats() == 3; }));
  CHECK(f.remove(added.info.id).ok);
  CHECK(f.eventually([&] { return f.seats() == 0; }));
  CHECK(f.remove(added.info.id).error == "not_found");
  CHECK(f.db->licenses().empty());
}
