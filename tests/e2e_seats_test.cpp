// End to end over real TCP against a real licd: granting, sharing, releasing, racing.

#include "e2e_support.hpp"

#include <atomic>
#include <barrier>
#include <set>
#include <vector>

using namespace licd::test;
using licd::client::connection;

TEST_CASE("the 5-seat demo grants 5 computers and denies the 6th", "[e2e][seats]") {
  server_fixture s;
  std::vector<std::unique_ptr<connection>> clients;
  std::set<std::string> leases;
  for (int i = 1; i <= 5; ++i) {
    clients.push_back(connect_as(*s.licd, "ws" + std::to_string(i)));
    auto g = clients.back()->checkout("demo");
    CHECK(g.product == "demo");
    CHECK(g.seats == 5);
    CHECK(g.used == static_cast<uint32_t>(i));
    CHECK(g.expires_in == 600);
    CHECK(g.lease.size() == 32);
    leases.insert(g.lease);
  }
  CHECK(leases.size() == 5);
  auto sixth = connect_as(*s.licd, "ws6");
  CHECK(refusal([&] { sixth->checkout("demo"); }) == "NO_SEATS");
  CHECK(used_seats(*s.licd) == 5);
  CHECK(refusal([&] { sixth->checkout("no-such-product"); }) == "UNKNOWN_PRODUCT");
}

TEST_CASE("a second checkout from a granted computer uses no seat", "[e2e][seats]") {
  server_fixture s;
  auto a = connect_as(*s.licd, "ws1");
  auto first = a->checkout("demo");
  auto again = connect_as(*s.licd, "ws1"); // another instance on the same workstation
  auto second = again->checkout("demo");
  CHECK(second.lease != first.lease);
  CHECK(second.used == 1);
  CHECK(used_seats(*s.licd) == 1);
}

TEST_CASE("release frees a seat for another computer", "[e2e][seats]") {
  server_fixture s;
  std::vector<std::unique_ptr<connection>> clients;
  std::vector<std::string> leases;
  for (int i = 1; i <= 5; ++i) {
    clients.push_back(connect_as(*s.licd, "ws" + std::to_string(i)));
    leases.push_back(clients.back()->checkout("demo").lease);
  }
  auto waiting = connect_as(*s.licd, "ws6");
  REQUIRE(refusal([&] { waiting->checkout("demo"); }) == "NO_SEATS");
  clients[2]->release(leases[2]);
  CHECK(used_seats(*s.licd) == 4);
  CHECK(waiting->checkout("demo").used == 5);
  // A released lease is gone: neither renewed nor released again.
  CHECK(refusal([&] { clients[2]->renew(leases[2]); }) == "UNKNOWN_LEASE");
  CHECK(refusal([&] { clients[2]->release(leases[2]); }) == "UNKNOWN_LEASE");
}

TEST_CASE("a relay may name the computer per request", "[e2e][seats]") {
  server_fixture s;
  auto relay = connect_as(*s.licd, "relay");
  for (int i = 1; i <= 5; ++i)
    relay->checkout("demo", "ws" + std::to_string(i), "user" + std::to_string(i));
  CHECK(refusal([&] { relay->checkout("demo", "ws6"); }) == "NO_SEATS");
  CHECK(relay->checkout("demo", "ws3").used == 5); // ws3 shares its seat
}

TEST_CASE("200 clients racing for 5 seats get exactly 5 grants", "[e2e][seats][race]") {
  server_fixture s;
  constexpr int racers = 200;
  std::vector<std::unique_ptr<connection>> clients;
  for (int i = 0; i < racers; ++i)
    clients.push_back(connect_as(*s.licd, "racer" + std::to_string(i)));
  std::atomic<int> granted{0}, denied{0}, other{0};
  std::barrier start(racers);
  std::vector<std::thread> threads;
  for (int i = 0; i < racers; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      try {
        clients[static_cast<size_t>(i)]->checkout("demo");
        ++granted;
      } catch (const licd::client::refused& e) {
        ++(e.code_text() == "NO_SEATS" ? denied : other);
      } catch (...) {
        ++other;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  CHECK(granted == 5);
  CHECK(denied == racers - 5);
  CHECK(other == 0);
  CHECK(used_seats(*s.licd) == 5);
}
