// The actors in one process, on CAF's real scheduler, with a real LMDB data dir: paths that the
// end-to-end tests cannot reach from outside (a full disk) or reach only slowly.

#include "actors/ask.hpp"
#include "actors/expiry.hpp"
#include "actors/licenses.hpp"
#include "actors/registry.hpp"
#include "actors/pool.hpp"
#include "actors/store.hpp"
#include "engine/activation.hpp"
#include "engine/license_code.hpp"
#include "storage/database.hpp"
#include "temp_dir.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

using namespace licd;
using namespace std::chrono_literals;

constexpr int64_t day_ms = 86'400'000;

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

  explicit actors_fixture(std::chrono::seconds ttl, size_t map_size = size_t{1} << 20,
                          size_t max_map_size = 0) {
    db = std::make_shared<storage::database>(
      storage::database::options{dir.path(), map_size, max_map_size});
    cfg.set("scheduler.max-threads", 2);
    cfg.load<caf::io::middleman>(); // pools run on its multiplexer thread
    sys = std::make_unique<caf::actor_system>(cfg);
    store = sys->spawn<caf::detached>(licd::store, db);
    expiry = sys->spawn(licd::expiry, std::chrono::milliseconds(20), size_t{0});
    pool_setup setup;
    setup.product = {"cad", 2};
    setup.policy.ttl = ttl;
    setup.store = store;
    setup.expiry = expiry;
    pool = spawn_pool(*sys, setup);
    // The pool logs its seats as it starts: wait until they are stored, so that the store is
    // idle when a test writes around it (fill_disk).
    auto until = std::chrono::steady_clock::now() + 5s;
    auto seats_logged = [&] {
      for (const auto& [seq, e] : db->events(1, 100))
        if (e.kind == engine::event_kind::seats)
          return true;
      return false;
    };
    while (!seats_logged() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(5ms);
    REQUIRE(seats_logged());
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
                           engine::identity{computer, "u", "1"}, uint64_t{7}, uint32_t{0});
  }

  pool_reply ask_renew(const engine::lease_id& id) {
    return ask<pool_reply>(*sys, 5s, pool, renew_atom::value, id, uint64_t{7});
  }

  pool_status ask_status() { return ask<pool_status>(*sys, 5s, pool, status_atom::value); }

  bool holds(const engine::lease_id& id) {
    return ask<bool>(*sys, 5s, pool, has_lease_atom::value, id);
  }

  /// Fills the LMDB map until not even a small event fits (the store is idle meanwhile).
  void fill_disk() { fill(false); }

  /// Fills the data dir up to the head-room the store keeps for removals (what the store itself
  /// would let grants fill).
  void fill_to_reserve() { fill(true); }

  void fill(bool stop_at_reserve) {
    for (size_t size = stop_at_reserve ? 4096 : 64 * 1024; size >= 64; size /= 2) {
      for (;;) {
        if (stop_at_reserve && !db->room_to_grow())
          return;
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
  REQUIRE(r.result == std::nullopt);
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
  REQUIRE(kept.result == std::nullopt);
  f.fill_disk();
  auto refused = f.ask_checkout("ws2");
  CHECK(refused.result == engine::errc::storage_full);
  CHECK(refused.detail.find("storage is full") != std::string::npos);
  auto s = f.ask_status();
  CHECK(s.used == 1); // ws2's reservation was abandoned
  CHECK(s.leases == 1);
  CHECK(f.ask_renew(kept.lease).result == std::nullopt); // renewals need no disk
  CHECK(f.holds(kept.lease));
  CHECK(f.db->leases().size() == 1);
}

TEST_CASE("concurrent grants and releases, gathered into shared commits, each answer once "
          "stored", "[actors]") {
  actors_fixture f(600s);
  constexpr int threads = 8;
  constexpr int per_thread = 8; // 64 leases: the most one computer may hold
  std::mutex mu;
  std::vector<engine::lease_id> kept, released;
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t)
    clients.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        auto r = f.ask_checkout("ws1");
        if (r.result != std::nullopt) {
          ++failures;
          continue;
        }
        if (i % 2 == 1) {
          auto gone =
            ask<pool_reply>(*f.sys, 5s, f.pool, release_atom::value, r.lease, uint64_t{7});
          if (gone.result != std::nullopt || gone.lease != r.lease)
            ++failures;
          std::lock_guard<std::mutex> lock(mu);
          released.push_back(r.lease);
        } else {
          std::lock_guard<std::mutex> lock(mu);
          kept.push_back(r.lease);
        }
      }
    });
  for (auto& c : clients)
    c.join();
  CHECK(failures == 0);
  REQUIRE(kept.size() == threads * per_thread / 2);
  REQUIRE(released.size() == threads * per_thread / 2);
  // What was answered is what is stored: every kept lease, none of the released ones.
  std::set<engine::lease_id> stored;
  for (const auto& r : f.db->leases())
    stored.insert(r.id);
  CHECK(stored == std::set<engine::lease_id>(kept.begin(), kept.end()));
  auto s = f.ask_status();
  CHECK(s.used == 1);
  CHECK(s.leases == kept.size());
  CHECK(s.grants == threads * per_thread);
  CHECK(s.releases == released.size());
  for (const auto& id : kept)
    CHECK(f.holds(id));
}

TEST_CASE("concurrent grants that cannot be stored all give their seats back",
          "[actors][storage-full]") {
  actors_fixture f(600s, size_t{256} << 10);
  auto first = f.ask_checkout("ws1");
  REQUIRE(first.result == std::nullopt);
  f.fill_disk();
  std::atomic<int> full{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t)
    clients.emplace_back([&, t] {
      for (int i = 0; i < 4; ++i)
        if (f.ask_checkout(t % 2 == 0 ? "ws1" : "ws2").result == engine::errc::storage_full)
          ++full;
    });
  for (auto& c : clients)
    c.join();
  CHECK(full == 32);
  auto s = f.ask_status();
  CHECK(s.used == 1);
  CHECK(s.leases == 1);
  CHECK(f.db->leases().size() == 1);
  CHECK(f.ask_renew(first.lease).result == std::nullopt);
}

TEST_CASE("with the data dir full, releases and expiries still give their seats back",
          "[actors][storage-full]") {
  actors_fixture f(2s, size_t{256} << 10);
  auto released = f.ask_checkout("ws1");
  auto expiring = f.ask_checkout("ws2");
  REQUIRE(released.result == std::nullopt);
  REQUIRE(expiring.result == std::nullopt);
  f.fill_to_reserve();
  REQUIRE_FALSE(f.db->room_to_grow());
  // A release is stored (its seat comes back); a grant is refused before it is tried.
  auto gone = ask<pool_reply>(*f.sys, 5s, f.pool, release_atom::value, released.lease, uint64_t{1});
  CHECK(gone.result == std::nullopt);
  CHECK(f.db->leases().size() == 1);
  CHECK(f.ask_checkout("ws3").result == engine::errc::storage_full);
  // The unrenewed lease expires and its removal is stored too.
  auto until = std::chrono::steady_clock::now() + 10s;
  while (!f.db->leases().empty() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(50ms);
  CHECK(f.db->leases().empty());
  CHECK(f.ask_status().used == 0);
}

TEST_CASE("activity-log entries dropped for a full data dir are counted",
          "[actors][storage-full]") {
  actors_fixture f(600s);
  f.fill_to_reserve();
  caf::scoped_actor self{*f.sys};
  auto stats = [&] {
    // The events probe flushes what the store was sent before it: then the counters are current.
    self->request(f.store, 5s, events_atom::value, uint64_t{0}, uint32_t{0})
      .receive([](const event_page&) {}, [](const caf::error& e) { FAIL(to_string(e)); });
    store_stats out;
    self->request(f.store, 5s, status_atom::value)
      .receive([&](const store_stats& s) { out = s; },
               [](const caf::error& e) { FAIL(to_string(e)); });
    return out;
  };
  auto before = stats();
  CHECK(before.events_dropped == 0);
  CHECK(before.commits >= 1); // the pool's seats, at least
  storage::change_set denial;
  engine::event e;
  e.kind = engine::event_kind::denied;
  e.product = "cad";
  denial.events.push_back(e);
  self->send(f.store, append_atom::value, denial);
  self->send(f.store, append_atom::value, denial);
  auto after = stats();
  CHECK(after.events_dropped == 2);
  CHECK(after.commits == before.commits);
}

TEST_CASE("a full map grows, when allowed to, and the grant is stored", "[actors][storage-full]") {
  actors_fixture f(600s, size_t{256} << 10, size_t{4} << 20);
  f.fill_disk(); // the map is full at 256 KiB (written around the store, so it did not grow)
  CHECK(f.db->map_size() == size_t{256} << 10);
  auto r = f.ask_checkout("ws1");
  CHECK(r.result == std::nullopt);
  CHECK(f.db->map_size() == size_t{512} << 10); // doubled once, as far as needed
  CHECK(f.db->leases().size() == 1);
}

TEST_CASE("the pool re-arms a renewed lease and ends an unrenewed one", "[actors][expiry]") {
  actors_fixture f(1s);
  auto renewed = f.ask_checkout("ws1");
  auto idle = f.ask_checkout("ws2");
  REQUIRE(renewed.result == std::nullopt);
  REQUIRE(idle.result == std::nullopt);
  for (int i = 0; i < 8; ++i) { // 2.4 s: well past the first deadline
    std::this_thread::sleep_for(300ms);
    REQUIRE(f.ask_renew(renewed.lease).result == std::nullopt);
  }
  CHECK(f.holds(renewed.lease));
  CHECK_FALSE(f.holds(idle.lease));
  CHECK(f.ask_renew(idle.lease).result == engine::errc::unknown_lease);
  CHECK(f.ask_status().used == 1);
  auto stored = f.db->leases();
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].id == renewed.lease);
}

TEST_CASE("when the seats fall, the leases of the last computers end, durably and logged",
          "[actors]") {
  actors_fixture f(600s);
  auto first = f.ask_checkout("ws1");
  std::this_thread::sleep_for(5ms); // grants are ordered by wall-clock ms
  auto second = f.ask_checkout("ws2");
  REQUIRE(first.result == std::nullopt);
  REQUIRE(second.result == std::nullopt);
  caf::anon_send(f.pool, set_seats_atom::value, uint32_t{1});
  for (int i = 0; i < 200 && f.ask_status().used != 1; ++i) // once the end is durable
    std::this_thread::sleep_for(10ms);
  CHECK_FALSE(f.holds(second.lease));
  CHECK(f.holds(first.lease));
  CHECK(f.ask_renew(second.lease).result == engine::errc::unknown_lease);
  auto s = f.ask_status();
  CHECK(s.used == 1);
  CHECK(s.ended_by_seats == 1);
  auto stored = f.db->leases();
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].id == first.lease);
  bool logged = false;
  for (const auto& [seq, e] : f.db->events(1, 100))
    logged = logged || (e.kind == engine::event_kind::seats_reduced && e.computer == "ws2");
  CHECK(logged);
}

TEST_CASE("a third computer is denied while two hold the two seats", "[actors]") {
  actors_fixture f(600s);
  REQUIRE(f.ask_checkout("ws1").result == std::nullopt);
  REQUIRE(f.ask_checkout("ws2").result == std::nullopt);
  auto denied = f.ask_checkout("ws3");
  CHECK(denied.result == engine::errc::no_seats);
  CHECK(denied.detail.find("all 2 seats") != std::string::npos);
  CHECK(f.ask_checkout("ws1").result == std::nullopt);
  CHECK(f.db->leases().size() == 3);
}

TEST_CASE("every pool reply carries the tag of the request it answers", "[actors]") {
  // Sessions send CHECKOUT, RENEW and RELEASE as plain messages and match replies by this tag.
  actors_fixture f(600s);
  auto with_tag = [&](uint64_t tag, auto... xs) {
    return ask<pool_reply>(*f.sys, 5s, f.pool, xs..., tag);
  };
  auto checkout = [&](uint64_t tag, const char* computer) {
    return ask<pool_reply>(*f.sys, 5s, f.pool, checkout_atom::value,
                           engine::identity{computer, "u", "1"}, tag, uint32_t{0});
  };
  auto a = checkout(11, "ws1");
  auto b = checkout(12, "ws2");
  auto denied = checkout(13, "ws3");
  auto renewed = with_tag(14, renew_atom::value, a.lease);
  auto unknown = with_tag(15, renew_atom::value, engine::lease_id{});
  auto released = with_tag(16, release_atom::value, b.lease);
  CHECK(a.tag == 11);
  CHECK(b.tag == 12);
  CHECK(denied.tag == 13);
  CHECK(denied.result == engine::errc::no_seats);
  CHECK(renewed.tag == 14);
  CHECK(unknown.tag == 15);
  CHECK(unknown.result == engine::errc::unknown_lease);
  CHECK(released.tag == 16);
  CHECK(released.result == std::nullopt);
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
  /// The wall clock the licenses actor reads: noon of day 20000 to start with.
  std::shared_ptr<std::atomic<int64_t>> clock =
    std::make_shared<std::atomic<int64_t>>(int64_t{20000} * day_ms + day_ms / 2);
  engine::machine_facts machine{"machine-a", "uuid-a", "host-a", {"02:00:00:00:00:0a"}};
  engine::ed25519::private_key server_key = engine::ed25519::private_key::generate();
  store_actor store;
  expiry_actor expiry;
  registry_actor reg;
  licenses_actor lic;

  licenses_fixture() {
    cfg.set("scheduler.max-threads", 2);
    cfg.load<caf::io::middleman>(); // pools run on its multiplexer thread
    sys = std::make_unique<caf::actor_system>(cfg);
    store = sys->spawn<caf::detached>(licd::store, db);
    expiry = sys->spawn(licd::expiry, std::chrono::milliseconds(20), size_t{0});
    registry_setup rs;
    rs.store = store;
    rs.expiry = expiry;
    reg = sys->spawn(licd::registry, rs);
    licenses_setup ls;
    ls.keys = {{vendor.public_part().key_id(), vendor.public_part()}};
    ls.store = store;
    ls.registry = reg;
    ls.recheck = std::chrono::milliseconds(20);
    auto c = clock;
    ls.wall_ms = [c] { return c->load(); };
    ls.bind.machine = machine;
    ls.bind.server_key = server_key;
    lic = sys->spawn(licd::licenses, ls);
  }

  void set_day(int32_t d) { clock->store(int64_t{d} * day_ms + day_ms / 2); }

  ~licenses_fixture() {
    caf::scoped_actor self{*sys};
    for (auto a : {caf::actor_cast<caf::actor>(lic), caf::actor_cast<caf::actor>(reg),
                   caf::actor_cast<caf::actor>(expiry), caf::actor_cast<caf::actor>(store)})
      self->send_exit(a, caf::exit_reason::user_shutdown);
    self->wait_for(lic, reg, expiry, store);
  }

  license_result install(uint32_t seats, int32_t expires_day, bool activation = false) {
    engine::license l;
    l.id = engine::make_random_lease_id().hi;
    l.product = "cad";
    l.seats = seats;
    l.issued_day = 19000;
    l.expires_day = expires_day;
    l.activation_required = activation;
    return ask<license_result>(*sys, 5s, lic, lic_add_atom::value, engine::issue_code(l, vendor));
  }

  license_result call(lic_request_atom a, const std::string& id) {
    return ask<license_result>(*sys, 5s, lic, a, id);
  }
  license_result call(lic_deactivate_atom a, const std::string& id) {
    return ask<license_result>(*sys, 5s, lic, a, id);
  }
  license_result activate(const std::string& id, const std::string& response) {
    return ask<license_result>(*sys, 5s, lic, lic_activate_atom::value, id, response);
  }

  /// What the vendor's licgen does with a request.
  std::string respond(const std::string& request) {
    auto req = std::get<engine::activation_request>(engine::decode_request(request));
    return engine::issue_response(req, vendor, 20000);
  }

  std::string state_of(const std::string& id) {
    for (const auto& l : ask<std::vector<license_info>>(*sys, 5s, lic, lic_list_atom::value))
      if (l.id == id)
        return l.state;
    return "absent";
  }

  /// How many events of a kind the activity log holds, once the write-behind events have landed
  /// (polls until `expected` or gives up and returns the last count).
  long events_of(const std::string& kind, long expected) {
    long n = 0;
    eventually([&] {
      auto all = event_kinds();
      n = std::count(all.begin(), all.end(), kind);
      return n == expected;
    });
    return n;
  }

  std::vector<std::string> event_kinds() {
    std::vector<std::string> out;
    for (const auto& [seq, e] : db->events(1, 1000))
      out.emplace_back(engine::to_string(e.kind));
    return out;
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
  f.set_day(20001);
  CHECK(f.eventually([&] { return f.seats() == 2; })); // the minute tick noticed
  f.set_day(20000); // a day back is within the rollback guard's 24 h: the code counts again
  CHECK(f.eventually([&] { return f.seats() == 7; }));
}

TEST_CASE("removing a product's last code leaves its pool with no seats", "[actors][licenses]") {
  licenses_fixture f;
  auto added = f.install(3, 0);
  REQUIRE(added.ok);
  CHECK(f.eventually([&] { return f.seats() == 3; }));
  CHECK(f.remove(added.info.id).ok);
  CHECK(f.eventually([&] { return f.seats() == 0; }));
  CHECK(f.remove(added.info.id).error == engine::errc::not_found);
  CHECK(f.db->licenses().empty());
}

TEST_CASE("an activation round trip: not activated, request, response, active, deactivated",
          "[actors][licenses][activation]") {
  licenses_fixture f;
  auto added = f.install(4, 0, true);
  REQUIRE(added.ok);
  auto id = added.info.id;
  CHECK(added.info.state == "not activated");
  CHECK(added.info.activation_required);
  CHECK(f.seats() == 0);

  auto req = f.call(lic_request_atom::value, id);
  REQUIRE(req.ok);
  CHECK(f.call(lic_request_atom::value, id).code == req.code); // the same until answered
  auto parsed = std::get<engine::activation_request>(engine::decode_request(req.code));
  CHECK(parsed.requester_key == f.server_key.public_part().raw());
  CHECK(parsed.factors == engine::fingerprint_of(f.machine, parsed.license_id));

  auto response = f.respond(req.code);
  auto act = f.activate(id, response);
  REQUIRE(act.ok);
  CHECK(act.info.state == "active");
  CHECK(act.info.hardware == "4 of 4 factors match (3 needed)");
  CHECK(f.eventually([&] { return f.seats() == 4; }));
  auto stored = f.db->activations();
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].response == engine::encode_block(
                                std::get<engine::activation_response>(
                                  engine::check_response(response, {{f.vendor.public_part().key_id(),
                                                                     f.vendor.public_part()}}))
                                  .record));
  CHECK(f.call(lic_request_atom::value, id).error == engine::errc::already_active);
  CHECK(f.remove(id).error
        == engine::errc::activated); // removal would lose the activation silently

  auto off = f.call(lic_deactivate_atom::value, id);
  REQUIRE(off.ok);
  CHECK(off.info.state == "not activated");
  CHECK(f.eventually([&] { return f.seats() == 0; }));
  CHECK(f.db->activations().empty());
  auto receipt = engine::check_receipt(off.code, {{f.vendor.public_part().key_id(),
                                                   f.vendor.public_part()}});
  REQUIRE(std::holds_alternative<engine::release_receipt>(receipt));
  CHECK(engine::hex64(std::get<engine::release_receipt>(receipt).activation.license_id) == id);

  // The old response does not bring the activation back: it answers a spent request.
  auto again = f.activate(id, response);
  CHECK_FALSE(again.ok);
  CHECK(again.error == engine::errc::stale_response);
  CHECK(f.state_of(id) == "not activated");
  CHECK(f.events_of("license_activated", 1) == 1);
  CHECK(f.events_of("license_deactivated", 1) == 1);
  // not activated -> active -> not activated (state events are written behind)
  CHECK(f.events_of("license_state", 3) == 3);
}

TEST_CASE("responses for another machine, another license or another server are refused",
          "[actors][licenses][activation]") {
  licenses_fixture f;
  auto one = f.install(2, 0, true);
  auto two = f.install(3, 0, true);
  REQUIRE(one.ok);
  REQUIRE(two.ok);
  auto req = f.call(lic_request_atom::value, one.info.id);
  REQUIRE(req.ok);
  auto parsed = std::get<engine::activation_request>(engine::decode_request(req.code));

  // The same request, as another machine would have made it (simulated fingerprint).
  auto elsewhere = parsed;
  elsewhere.factors = engine::fingerprint_of(
    engine::machine_facts{"machine-b", "uuid-b", "host-b", {"02:00:00:00:00:0b"}},
    parsed.license_id);
  auto r1 = f.activate(one.info.id, engine::issue_response(elsewhere, f.vendor, 20000));
  CHECK(r1.error == engine::errc::wrong_machine);
  CHECK_THAT(r1.message, Catch::Contains("another machine"));
  CHECK_THAT(r1.message, Catch::Contains("0 of 4"));

  // One changed factor is still this machine (default tolerance: all but one).
  auto nearly = parsed;
  nearly.factors = engine::fingerprint_of(
    engine::machine_facts{"machine-a", "uuid-a", "host-renamed", {"02:00:00:00:00:0a"}},
    parsed.license_id);
  CHECK(f.activate(one.info.id, engine::issue_response(nearly, f.vendor, 20000)).ok);
  CHECK(f.state_of(one.info.id) == "active");

  auto r2 = f.activate(two.info.id, f.respond(req.code));
  CHECK(r2.error == engine::errc::wrong_license);
  CHECK_THAT(r2.message, Catch::Contains(one.info.id));

  auto req2 = f.call(lic_request_atom::value, two.info.id);
  auto other_server = std::get<engine::activation_request>(engine::decode_request(req2.code));
  other_server.requester_key = engine::ed25519::private_key::generate().public_part().raw();
  auto r3 = f.activate(two.info.id, engine::issue_response(other_server, f.vendor, 20000));
  CHECK(r3.error == engine::errc::wrong_server);

  auto r4 = f.activate(two.info.id, req2.code); // the request pasted back as a response
  CHECK(r4.error == engine::errc::wrong_kind);
  CHECK_THAT(r4.message, Catch::Contains("activation request"));
  CHECK(f.state_of(two.info.id) == "not activated");
  CHECK(f.eventually([&] { return f.seats() == 2; }));
}

TEST_CASE("a clock set back beyond the tolerance enters and leaves clock error",
          "[actors][licenses][clock]") {
  licenses_fixture f;
  auto dated = f.install(5, 20100);
  auto perpetual = f.install(2, 0);
  REQUIRE(dated.ok);
  REQUIRE(perpetual.ok);
  CHECK(f.eventually([&] { return f.seats() == 7; }));
  f.set_day(20050); // time passes: the mark follows
  CHECK(f.eventually([&] { return f.db->meta("clock_seen_ms") == std::to_string(f.clock->load()); }));
  f.set_day(20040); // ten days back: beyond 24 h
  CHECK(f.eventually([&] { return f.seats() == 2; }));
  CHECK(f.state_of(dated.info.id) == "clock error");
  CHECK(f.state_of(perpetual.info.id) == "active");
  auto st = ask<clock_status>(*f.sys, 5s, f.lic, lic_clock_atom::value);
  CHECK(st.clock_error);
  CHECK(st.seen_ms == int64_t{20050} * day_ms + day_ms / 2);
  f.set_day(20050);
  CHECK(f.eventually([&] { return f.seats() == 7; }));
  CHECK(f.state_of(dated.info.id) == "active");
  CHECK(f.events_of("clock", 2) == 2); // went wrong, came right
}

TEST_CASE("leases beyond an expired license's seats end and are not renewed past the date",
          "[actors][licenses][clock]") {
  licenses_fixture f;
  REQUIRE(f.install(1, 20000).ok); // valid through day 20000
  REQUIRE(f.install(1, 0).ok);     // perpetual
  CHECK(f.eventually([&] { return f.seats() == 2; }));
  auto pool = ask<pool_actor>(*f.sys, 5s, f.reg, pool_atom::value, std::string("cad"));
  REQUIRE(pool);
  auto first = ask<pool_reply>(*f.sys, 5s, pool, checkout_atom::value,
                               engine::identity{"ws1", "u", "1"}, uint64_t{7}, uint32_t{0});
  std::this_thread::sleep_for(5ms);
  auto second = ask<pool_reply>(*f.sys, 5s, pool, checkout_atom::value,
                                engine::identity{"ws2", "u", "1"}, uint64_t{7}, uint32_t{0});
  REQUIRE(first.result == std::nullopt);
  REQUIRE(second.result == std::nullopt);
  f.set_day(20001);
  CHECK(f.eventually([&] {
    return ask<pool_status>(*f.sys, 5s, pool, status_atom::value).used == 1;
  }));
  CHECK(ask<pool_reply>(*f.sys, 5s, pool, renew_atom::value, second.lease, uint64_t{7}).result
        == engine::errc::unknown_lease);
  CHECK(ask<pool_reply>(*f.sys, 5s, pool, renew_atom::value, first.lease, uint64_t{7}).result
        == std::nullopt);
  CHECK(ask<pool_reply>(*f.sys, 5s, pool, checkout_atom::value, engine::identity{"ws3", "u", "1"},
                        uint64_t{7}, uint32_t{0})
          .result
        == engine::errc::no_seats);
  CHECK(f.events_of("seats_reduced", 1) == 1);
  CHECK(f.events_of("license_state", 1) == 1); // active -> expired
}
