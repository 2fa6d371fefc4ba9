#include "engine/license_set.hpp"

#include <catch2/catch.hpp>

using namespace licd::engine;

namespace {

installed_license make(uint64_t id, const std::string& product, uint32_t seats,
                       int32_t expires_day = 0, bool verified = true, int64_t at = 0) {
  installed_license l;
  l.lic.id = id;
  l.lic.product = product;
  l.lic.seats = seats;
  l.lic.expires_day = expires_day;
  l.verified = verified;
  l.installed_at_ms = at;
  return l;
}

constexpr int32_t today = 20000;

} // namespace

TEST_CASE("codes for one product add up their seats", "[engine][license_set]") {
  license_set set;
  REQUIRE(set.add(make(1, "cad", 5)));
  REQUIRE(set.add(make(2, "cad", 3)));
  REQUIRE(set.add(make(3, "viewer", 2)));
  auto seats = set.seats(today);
  CHECK(seats["cad"] == 8);
  CHECK(seats["viewer"] == 2);
}

TEST_CASE("the same license id is refused a second time", "[engine][license_set]") {
  license_set set;
  REQUIRE(set.add(make(1, "cad", 5)));
  CHECK_FALSE(set.add(make(1, "cad", 500)));
  CHECK(set.seats(today)["cad"] == 5);
  CHECK(set.size() == 1);
}

TEST_CASE("expired and untrusted codes count no seats but keep their product",
          "[engine][license_set]") {
  license_set set;
  set.add(make(1, "cad", 5, today - 1));
  set.add(make(2, "cad", 3, today));       // valid through today
  set.add(make(3, "cam", 4, 0, false));    // key no longer trusted
  auto seats = set.seats(today);
  CHECK(seats["cad"] == 3);
  REQUIRE(seats.count("cam") == 1);
  CHECK(seats["cam"] == 0);
  CHECK(set.state(*set.find(1), today) == license_state::expired);
  CHECK(set.state(*set.find(2), today) == license_state::active);
  CHECK(set.state(*set.find(2), today + 1) == license_state::expired);
  CHECK(set.state(*set.find(3), today) == license_state::untrusted);
}

TEST_CASE("removing a code lowers its product's seats", "[engine][license_set]") {
  license_set set;
  set.add(make(1, "cad", 5, 0, true, 10));
  set.add(make(2, "cad", 3, 0, true, 20));
  auto removed = set.remove(2);
  REQUIRE(removed);
  CHECK(removed->lic.seats == 3);
  CHECK(set.seats(today)["cad"] == 5);
  CHECK_FALSE(set.remove(2));
  set.remove(1);
  CHECK(set.seats(today).empty());
}

TEST_CASE("licenses are listed oldest first", "[engine][license_set]") {
  license_set set;
  set.add(make(9, "b", 1, 0, true, 300));
  set.add(make(1, "a", 1, 0, true, 200));
  set.add(make(5, "c", 1, 0, true, 100));
  auto all = set.list();
  REQUIRE(all.size() == 3);
  CHECK(all[0].lic.id == 5);
  CHECK(all[1].lic.id == 1);
  CHECK(all[2].lic.id == 9);
}
