// End to end: expiry, renewal, restarts after SIGTERM and SIGKILL, the activity log.

#include "e2e_support.hpp"
#include "storage/database.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <vector>

using namespace licd::test;
using namespace std::chrono_literals;
using licd::client::connection;

TEST_CASE("licd runs on tcmalloc in a normal build and on the sanitizer's allocator otherwise",
          "[e2e][allocator]") {
  server_fixture s;
  std::ifstream maps("/proc/" + std::to_string(s.licd->pid()) + "/maps");
  REQUIRE(maps);
  std::string all((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
  REQUIRE(all.find("licd") != std::string::npos); // the daemon's own mappings, not a wrapper's
#ifdef LICD_WITH_TCMALLOC
  CHECK(all.find("libtcmalloc_minimal") != std::string::npos); // linked, not dropped as unused
#else
  CHECK(all.find("libtcmalloc") == std::string::npos);
#endif
  CHECK(connect_as(*s.licd, "ws1")->checkout("demo").used == 1);
}

TEST_CASE("with a 2 s TTL an unrenewed lease expires and a renewed one does not",
          "[e2e][expiry]") {
  server_fixture s({"--demo", "--lease-ttl=2"});
  auto idle = connect_as(*s.licd, "idle");
  auto busy = connect_as(*s.licd, "busy");
  auto idle_lease = idle->checkout("demo");
  auto busy_lease = busy->checkout("demo");
  CHECK(idle_lease.expires_in == 2);
  // Renew the busy one every 0.5 s for 4 s: twice the TTL.
  for (int i = 0; i < 8; ++i) {
    std::this_thread::sleep_for(500ms);
    CHECK(busy->renew(busy_lease.lease) == 2);
  }
  CHECK(refusal([&] { idle->renew(idle_lease.lease); }) == "UNKNOWN_LEASE");
  // The seat frees once the expiry is stored (an instant after the lease stops being live).
  CHECK(eventually([&] { return used_seats(*s.licd) == 1; }, 2s));
  CHECK(busy->renew(busy_lease.lease) == 2);
  CHECK(s.licd->log().find("expired product=demo computer=idle user=tester") != std::string::npos);
  CHECK(connect_as(*s.licd, "next")->checkout("demo").used == 2);
}

TEST_CASE("an expired lease's seat goes to the next computer", "[e2e][expiry]") {
  server_fixture s({"--demo", "--lease-ttl=3"}); // 3 s: the 6 checkouts surely fit in it
  std::vector<std::unique_ptr<connection>> holders;
  for (int i = 1; i <= 5; ++i) {
    holders.push_back(connect_as(*s.licd, "ws" + std::to_string(i)));
    holders.back()->checkout("demo");
  }
  auto late = connect_as(*s.licd, "late");
  REQUIRE(refusal([&] { late->checkout("demo"); }) == "NO_SEATS");
  CHECK(eventually([&] { return used_seats(*s.licd) == 0; }, 10s));
  CHECK(late->checkout("demo").used == 1);
}

namespace {

/// Checks out `n` leases from distinct computers; returns lease id -> computer.
std::map<std::string, std::string> hold_leases(const licd_process& p, int n) {
  std::map<std::string, std::string> leases;
  for (int i = 1; i <= n; ++i) {
    auto computer = "ws" + std::to_string(i);
    leases[connect_as(p, computer)->checkout("demo").lease] = computer;
  }
  return leases;
}

void check_restored(const licd_process& p, const std::map<std::string, std::string>& leases) {
  CHECK(used_seats(p) == leases.size());
  auto c = connect_as(p, "returning");
  for (const auto& kv : leases) {
    INFO("lease " << kv.first << " of " << kv.second);
    CHECK(c->renew(kv.first) == 600);
  }
  // The restored seats are really taken: only the remaining ones are grantable.
  auto others = connect_as(p, "newcomer");
  for (size_t i = leases.size(); i < 5; ++i)
    others->checkout("demo", "new" + std::to_string(i));
  CHECK(refusal([&] { others->checkout("demo", "one-too-many"); }) == "NO_SEATS");
}

} // namespace

TEST_CASE("a restart after SIGTERM keeps every acknowledged lease", "[e2e][restart]") {
  server_fixture s;
  auto leases = hold_leases(*s.licd, 3);
  CHECK(s.licd->terminate() == 0);
  s.start();
  check_restored(*s.licd, leases);
}

TEST_CASE("a restart after SIGKILL keeps every acknowledged lease", "[e2e][restart]") {
  server_fixture s;
  auto leases = hold_leases(*s.licd, 4);
  // Released before the kill: must stay released.
  auto c = connect_as(*s.licd, "ws9");
  auto gone = c->checkout("demo").lease;
  c->release(gone);
  s.licd->kill();
  s.start();
  check_restored(*s.licd, leases);
  auto again = connect_as(*s.licd, "ws9");
  CHECK(refusal([&] { again->renew(gone); }) == "UNKNOWN_LEASE");
}

TEST_CASE("restored leases still expire when nobody renews them", "[e2e][restart]") {
  server_fixture s({"--demo", "--lease-ttl=3"});
  hold_leases(*s.licd, 2);
  s.licd->kill();
  s.start({"--demo", "--lease-ttl=3"});
  CHECK(used_seats(*s.licd) == 2);
  CHECK(eventually([&] { return used_seats(*s.licd) == 0; }, 10s));
}

TEST_CASE("a start restores leases of several products in batches, each to its pool",
          "[e2e][restart]") {
  // More leases than one restore batch (8,192), in id order interleaved with a product that has
  // no license: its pool gets 0 seats and must end them once all are restored.
  const std::vector<std::string> args{"--demo", "--max-leases-per-computer=100000"};
  server_fixture s(args);
  REQUIRE(s.licd->terminate() == 0);
  const int n = 20000;
  std::vector<std::string> ids;
  {
    licd::storage::database db({s.data});
    licd::storage::change_set cs;
    for (int i = 0; i < n + 3; ++i) {
      bool ghost = i % 6000 == 5999; // three of them, spread over the batches
      licd::storage::lease_record r{
        {static_cast<uint64_t>(i + 1), 0x5eed0000u + static_cast<uint64_t>(i)},
        ghost ? "ghost" : "demo",
        ghost ? std::string("ghost-ws") : "ws" + std::to_string(i % 3),
        "u",
        std::to_string(i),
        1};
      if (!ghost)
        ids.push_back(r.id.to_hex());
      cs.put_leases.push_back(std::move(r));
    }
    db.commit(cs);
  }
  s.start(args);
  CHECK(used_seats(*s.licd) == 3);
  CHECK(s.licd->log().find("restored 20000 leases of product=demo on 3 of 5 seats")
        != std::string::npos);
  auto c = connect_as(*s.licd, "returning");
  for (size_t i : {size_t{0}, size_t{8191}, size_t{8192}, ids.size() - 1}) {
    INFO("lease " << i);
    CHECK(c->renew(ids[i]) == 600);
  }
  // The product without licenses: restored, then ended as beyond its (zero) seats.
  CHECK(eventually([&] { return used_seats(*s.licd, "ghost") == 0; }, 10s));
  REQUIRE(s.licd->terminate() == 0);
  licd::storage::database db({s.data});
  CHECK(db.lease_counts() == std::map<std::string, size_t>{{"demo", n}});
}

TEST_CASE("a lease renewed in a loop is logged once per interval, every renewal with 0",
          "[e2e][log]") {
  auto renewals_logged = [](const std::string& interval) {
    server_fixture s({"--demo", "--renewal-log-interval=" + interval});
    auto c = connect_as(*s.licd, "ws1");
    auto lease = c->checkout("demo").lease;
    for (int i = 0; i < 20; ++i)
      REQUIRE(c->renew(lease) > 0); // every renewal is answered and extends the lease
    REQUIRE(s.licd->terminate() == 0);
    licd::storage::database db({s.data});
    int n = 0;
    for (const auto& [seq, e] : db.events(1, 1000))
      n += e.kind == licd::engine::event_kind::renewed && e.lease == lease ? 1 : 0;
    return n;
  };
  CHECK(renewals_logged("3600") == 1); // the first renewal only
  CHECK(renewals_logged("0") == 20);
}

TEST_CASE("the activity log records grants, renewals, releases, expiries and denials",
          "[e2e][log]") {
  server_fixture s({"--demo", "--lease-ttl=3"}); // the sequence up to the denial fits in 3 s
  auto c = connect_as(*s.licd, "ws1", "alice");
  auto kept = c->checkout("demo").lease;
  c->renew(kept);
  c->release(kept);
  auto lapsing = c->checkout("demo").lease;
  for (int i = 2; i <= 5; ++i)
    c->checkout("demo", "ws" + std::to_string(i));
  CHECK(refusal([&] { c->checkout("demo", "ws6"); }) == "NO_SEATS");
  CHECK(eventually([&] { return used_seats(*s.licd) == 0; }, 10s));
  REQUIRE(s.licd->terminate() == 0);

  licd::storage::database db({s.data});
  std::vector<std::string> seen;
  for (const auto& [seq, e] : db.events(1, 1000)) {
    if (e.computer == "ws1" || e.kind == licd::engine::event_kind::denied
        || e.kind == licd::engine::event_kind::started
        || e.kind == licd::engine::event_kind::stopped)
      seen.push_back(std::string(licd::engine::to_string(e.kind)) + " " + e.lease);
  }
  std::vector<std::string> expected{"started ",
                                    "granted " + kept,
                                    "renewed " + kept,
                                    "released " + kept,
                                    "granted " + lapsing,
                                    "denied ",
                                    "expired " + lapsing,
                                    "stopped "};
  CHECK(seen == expected);
  auto log = s.licd->log();
  CHECK(log.find("granted product=demo computer=ws1 user=alice lease=" + kept)
        != std::string::npos);
  CHECK(log.find("released product=demo computer=ws1 user=alice lease=" + kept)
        != std::string::npos);
  CHECK(log.find("denied product=demo computer=ws6 user=alice") != std::string::npos);
}

TEST_CASE("a second licd on the same data dir is refused", "[e2e][restart]") {
  server_fixture s;
  CHECK_THROWS_WITH(licd_process(s.data, {}), Catch::Contains("locked by another running licd"));
  CHECK(used_seats(*s.licd) == 0); // the first one is unharmed
}

TEST_CASE("licd refuses a corrupt data dir, saying so, and leaves it as it was",
          "[e2e][restart]") {
  temp_dir tmp;
  auto data = tmp.path() + "/data";
  std::filesystem::create_directories(data);
  {
    std::ofstream out(data + "/data.mdb", std::ios::binary);
    for (int i = 0; i < 100000; ++i)
      out.put(static_cast<char>(i * 31 % 256));
  }
  auto size = std::filesystem::file_size(data + "/data.mdb");
  CHECK_THROWS_WITH(licd_process(data, {}), Catch::Contains("is damaged")
                                              && Catch::Contains("File is not an LMDB file"));
  CHECK(std::filesystem::file_size(data + "/data.mdb") == size);
}
