#include "net/replies.hpp"

#include <catch2/catch.hpp>

namespace proto = licd::net::protocol;
using licd::engine::lease_id;

namespace {

const lease_id lease = *lease_id::from_hex("6595d52562b8ec7e3299c55fec0e4bbd");

proto::reply parsed(const std::string& line) {
  auto r = proto::parse_reply(line);
  INFO(line);
  REQUIRE(r);
  return *r;
}

template <class T, class Read>
void survives_a_round_trip(const T& value, Read read) {
  auto line = proto::format("id-7", value);
  INFO(line);
  auto r = parsed(line);
  CHECK(r.id == "id-7");
  auto back = read(r);
  REQUIRE(back);
  CHECK(*back == value);
}

} // namespace

TEST_CASE("replies are formatted as docs/PROTOCOL.md shows them", "[net][replies]") {
  CHECK(proto::format("1", proto::hello_ok{1, "licd/0.1.0", 600})
        == "OK 1 version=1 server=licd/0.1.0 ttl=600");
  CHECK(proto::format("2", proto::checkout_ok{lease, "cad", 600, 10, 4})
        == "OK 2 lease=6595d52562b8ec7e3299c55fec0e4bbd product=cad expires_in=600 seats=10 used=4");
  CHECK(proto::format("3", proto::renew_ok{lease, 600})
        == "OK 3 lease=6595d52562b8ec7e3299c55fec0e4bbd expires_in=600");
  CHECK(proto::format("5", proto::release_ok{lease}) == "OK 5 lease=6595d52562b8ec7e3299c55fec0e4bbd");
  CHECK(proto::format("7", proto::status_ok{{{"cad", 3, 10}, {"demo", 0, 5}}})
        == "OK 7 cad=3/10 demo=0/5");
  CHECK(proto::format("7", proto::status_ok{}) == "OK 7");
  CHECK(proto::format("9", proto::queue_place{"cad", 3, 12})
        == "OK 9 product=cad position=3 waiting=12");
  CHECK(proto::format_queued("8", proto::queue_place{"cad", 12, 12})
        == "QUEUED 8 product=cad position=12 waiting=12");
}

TEST_CASE("a QUEUED line reads as a place in line, not as a reply", "[net][replies]") {
  auto r = parsed("QUEUED 8 product=cad position=2 waiting=5");
  CHECK_FALSE(r.ok);
  CHECK(r.queued);
  CHECK(r.id == "8");
  CHECK_FALSE(proto::read_checkout(r));
  auto place = proto::read_queue_place(r);
  REQUIRE(place);
  CHECK(*place == proto::queue_place{"cad", 2, 5});
  CHECK_FALSE(parsed("OK 8 product=cad position=2 waiting=5").queued);
  CHECK_FALSE(proto::read_queue_place(parsed("QUEUED 8 product=cad position=x waiting=5")));
  CHECK_FALSE(proto::read_queue_place(parsed("ERR 8 NO_SEATS product=cad position=2 waiting=5")));
}

TEST_CASE("every typed reply survives a round trip", "[net][replies]") {
  survives_a_round_trip(proto::hello_ok{1, "licd/0.1.0", 600}, proto::read_hello);
  survives_a_round_trip(proto::checkout_ok{lease, "cad", 600, 10, 4}, proto::read_checkout);
  survives_a_round_trip(proto::checkout_ok{lease, "x", 0, 4294967295u, 0}, proto::read_checkout);
  survives_a_round_trip(proto::renew_ok{lease, 1}, proto::read_renew);
  survives_a_round_trip(proto::release_ok{lease}, proto::read_release);
  survives_a_round_trip(proto::status_ok{{{"cad", 3, 10}, {"demo", 0, 5}}}, proto::read_status);
  survives_a_round_trip(proto::status_ok{}, proto::read_status);
  survives_a_round_trip(proto::queue_place{"cad", 1, 10000}, proto::read_queue_place);
}

TEST_CASE("reading a reply ignores fields it does not know, in any order", "[net][replies]") {
  auto r = parsed("OK 2 used=4 future=yes seats=10 expires_in=600 product=cad "
                  "lease=6595D52562B8EC7E3299C55FEC0E4BBD");
  auto c = proto::read_checkout(r);
  REQUIRE(c);
  CHECK(*c == proto::checkout_ok{lease, "cad", 600, 10, 4});
}

TEST_CASE("a reply missing a field or with an unreadable one does not read", "[net][replies]") {
  CHECK_FALSE(proto::read_checkout(parsed("OK 2 lease=6595d52562b8ec7e3299c55fec0e4bbd product=cad "
                                          "expires_in=600 seats=10")));
  CHECK_FALSE(proto::read_checkout(parsed("OK 2 lease=6595d525 product=cad expires_in=600 "
                                          "seats=10 used=4")));
  CHECK_FALSE(proto::read_renew(parsed("OK 3 lease=6595d52562b8ec7e3299c55fec0e4bbd "
                                       "expires_in=-1")));
  CHECK_FALSE(proto::read_renew(parsed("OK 3 lease=6595d52562b8ec7e3299c55fec0e4bbd "
                                       "expires_in=4294967296")));
  CHECK_FALSE(proto::read_renew(parsed("OK 3 lease=6595d52562b8ec7e3299c55fec0e4bbd "
                                       "expires_in=+5")));
  CHECK_FALSE(proto::read_hello(parsed("OK 1 version=1 server= ttl=600")));
  CHECK_FALSE(proto::read_release(parsed("OK 5")));
  CHECK_FALSE(proto::read_status(parsed("OK 7 cad=3/")));
  CHECK_FALSE(proto::read_status(parsed("OK 7 cad=3")));
  CHECK_FALSE(proto::read_status(parsed("OK 7 cad=a/10")));
}

TEST_CASE("an ERR line reads as no typed reply", "[net][replies]") {
  auto r = parsed("ERR 4 NO_SEATS all 2 seats of viewer are in use");
  CHECK_FALSE(r.ok);
  CHECK(r.code == "NO_SEATS");
  CHECK(r.message == "all 2 seats of viewer are in use");
  CHECK_FALSE(proto::read_status(r));
  CHECK_FALSE(proto::read_release(r));
}

TEST_CASE("reply numbers are plain decimal and fit 32 bits", "[net][replies]") {
  CHECK(proto::read_u32("0") == 0u);
  CHECK(proto::read_u32("4294967295") == 4294967295u);
  CHECK(proto::read_u32("007") == 7u);
  CHECK_FALSE(proto::read_u32(""));
  CHECK_FALSE(proto::read_u32("4294967296"));
  CHECK_FALSE(proto::read_u32("12a"));
  CHECK_FALSE(proto::read_u32(" 1"));
}
