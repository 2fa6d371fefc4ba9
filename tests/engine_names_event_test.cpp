#include "engine/event.hpp"
#include "engine/fields.hpp"
#include "engine/names.hpp"

#include <catch2/catch.hpp>

using namespace licd::engine;

TEST_CASE("product names are short identifiers", "[engine][names]") {
  CHECK(valid_product_name("demo"));
  CHECK(valid_product_name("CAD-2027.pro_x"));
  CHECK(valid_product_name(std::string(64, 'a')));
  CHECK_FALSE(valid_product_name(std::string(65, 'a')));
  CHECK_FALSE(valid_product_name(""));
  CHECK_FALSE(valid_product_name("-lead"));
  CHECK_FALSE(valid_product_name("with space"));
  CHECK_FALSE(valid_product_name("a=b"));
  CHECK_FALSE(valid_product_name("a/b"));
}

TEST_CASE("identity names allow UTF-8 but no spaces, controls or '='", "[engine][names]") {
  CHECK(valid_identity_name("ws-042.example.com"));
  CHECK(valid_identity_name("J\xC3\xBCrgen"));
  CHECK_FALSE(valid_identity_name(""));
  CHECK_FALSE(valid_identity_name("a b"));
  CHECK_FALSE(valid_identity_name("a\tb"));
  CHECK_FALSE(valid_identity_name("a=b"));
  CHECK_FALSE(valid_identity_name(std::string(129, 'x')));
}

TEST_CASE("identity names that are not valid UTF-8 are refused", "[engine][names]") {
  CHECK_FALSE(valid_identity_name("bad\xff\xfe"));   // bytes that never occur in UTF-8
  CHECK_FALSE(valid_identity_name("\xc3("));          // a lead byte without its continuation
  CHECK_FALSE(valid_identity_name("a\xc3"));          // cut short at the end
  CHECK_FALSE(valid_identity_name("\xc0\xaf"));       // an overlong '/'
  CHECK_FALSE(valid_identity_name("\xe0\x80\xaf"));   // an overlong '/' in three bytes
  CHECK_FALSE(valid_identity_name("\xed\xa0\x80"));   // a UTF-16 surrogate, U+D800
  CHECK_FALSE(valid_identity_name("\xf4\x90\x80\x80")); // above U+10FFFF
  CHECK_FALSE(valid_identity_name("\x80" "abc"));         // a stray continuation byte
  CHECK_FALSE(valid_identity_name("a\xc2\x85" "b"));      // U+0085, a C1 control
  CHECK(valid_identity_name("\xe6\x97\xa5\xe6\x9c\xac")); // CJK
  CHECK(valid_identity_name("\xf0\x9f\x92\xbb"));    // U+1F4BB, four bytes
  CHECK(valid_identity_name("\xc2\xa0" "x"));            // U+00A0 is not a control
  CHECK(valid_utf8(""));
  CHECK_FALSE(valid_utf8("\xf5\x80\x80\x80"));
}

TEST_CASE("stored records split into exactly their number of fields", "[engine][fields]") {
  auto three = split_tabs<3>("a\t\tb");
  REQUIRE(three);
  CHECK((*three)[0] == "a");
  CHECK((*three)[1].empty());
  CHECK((*three)[2] == "b");
  CHECK_FALSE(split_tabs<3>("a\tb"));         // fewer
  CHECK_FALSE(split_tabs<3>("a\tb\tc\td"));   // more
  CHECK_FALSE(split_tabs<3>("a\tb\tc\t"));    // a trailing tab is a fourth (empty) field
  auto one = split_tabs<1>("");
  REQUIRE(one);
  CHECK((*one)[0].empty());
  CHECK_FALSE(split_tabs<1>("\t"));
  auto two = split_tabs<2>("\t");
  REQUIRE(two);
  CHECK(((*two)[0].empty() && (*two)[1].empty()));
}

TEST_CASE("events survive their stored form", "[engine][event]") {
  event e;
  e.at_ms = 1790000000123;
  e.kind = event_kind::denied;
  e.product = "cad";
  e.computer = "ws1";
  e.user = "alice";
  e.detail = "all 5 seats\tin use\n";
  auto back = decode_event(encode(e));
  REQUIRE(back);
  CHECK(back->at_ms == e.at_ms);
  CHECK(back->kind == event_kind::denied);
  CHECK(back->product == "cad");
  CHECK(back->computer == "ws1");
  CHECK(back->user == "alice");
  CHECK(back->lease.empty());
  CHECK(back->detail == "all 5 seats in use "); // tabs and newlines flattened
  CHECK_FALSE(decode_event("garbage"));
  CHECK_FALSE(decode_event("12\tnot-a-kind\ta\tb\tc\td\te"));
  for (auto k : {event_kind::granted, event_kind::renewed, event_kind::released,
                 event_kind::expired, event_kind::started, event_kind::stopped,
                 event_kind::license_state, event_kind::license_deactivated,
                 event_kind::seats_reduced})
    CHECK(event_kind_from_string(to_string(k)) == k);
}
