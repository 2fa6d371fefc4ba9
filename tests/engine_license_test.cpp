#include "engine/license_code.hpp"

#include <catch2/catch.hpp>

#include <cctype>

using namespace licd::engine;

namespace {

struct vendor {
  ed25519::private_key key = ed25519::private_key::generate();
  key_ring ring() const { return {{key.public_part().key_id(), key.public_part()}}; }
};

license sample(uint32_t seats = 5) {
  license l;
  l.id = 0x0123456789abcdefull;
  l.product = "cad";
  l.seats = seats;
  l.issued_day = *parse_date("2026-11-27");
  l.expires_day = *parse_date("2027-12-31");
  l.customer = "ACME Engineering GmbH";
  return l;
}

license checked(const std::string& code, const key_ring& ring) {
  auto r = check_code(code, ring);
  if (auto* e = std::get_if<code_error>(&r))
    FAIL("refused: " << e->message);
  return std::get<license>(r);
}

code_error refused(const std::string& code, const key_ring& ring) {
  auto r = check_code(code, ring);
  REQUIRE(std::holds_alternative<code_error>(r));
  return std::get<code_error>(r);
}

} // namespace

TEST_CASE("an issued code carries every field and verifies", "[engine][license]") {
  vendor v;
  auto code = issue_code(sample(), v.key);
  CHECK(code.rfind("LICD-", 0) == 0);
  for (char c : code.substr(5))
    CHECK((c == '-' || std::string_view("0123456789ABCDEFGHJKMNPQRSTVWXYZ").find(c)
                         != std::string_view::npos));
  auto lic = checked(code, v.ring());
  CHECK(lic.id == 0x0123456789abcdefull);
  CHECK(lic.id_hex() == "0123456789abcdef");
  CHECK(lic.product == "cad");
  CHECK(lic.seats == 5);
  CHECK(format_date(lic.issued_day) == "2026-11-27");
  CHECK(format_date(lic.expires_day) == "2027-12-31");
  CHECK(lic.customer == "ACME Engineering GmbH");
  CHECK(lic.key_id == v.key.public_part().key_id());
}

TEST_CASE("whitespace, line breaks and letter case inside a code are tolerated",
          "[engine][license]") {
  vendor v;
  auto code = issue_code(sample(), v.key);
  std::string mangled = "\n  ";
  for (size_t i = 0; i < code.size(); ++i) {
    mangled.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(code[i]))));
    if (i % 23 == 22)
      mangled += "\r\n  ";
  }
  mangled += "\n\n";
  CHECK(checked(mangled, v.ring()).seats == 5);
  auto d = decode_code(mangled);
  REQUIRE(std::holds_alternative<decoded_code>(d));
  CHECK(std::get<decoded_code>(d).canonical == code);
}

TEST_CASE("a tampered code is refused for its signature", "[engine][license]") {
  vendor v;
  auto code = issue_code(sample(), v.key);
  // Change one symbol in the middle (the seats live there too).
  auto pos = code.size() / 3;
  while (code[pos] == '-')
    ++pos;
  code[pos] = code[pos] == 'A' ? 'B' : 'A';
  auto e = refused(code, v.ring());
  CHECK(e.problem == errc::bad_signature);
  CHECK_THAT(e.message, Catch::Contains("altered or mistyped"));
}

TEST_CASE("a code signed by an unknown key is refused as such", "[engine][license]") {
  vendor v, stranger;
  auto e = refused(issue_code(sample(), stranger.key), v.ring());
  CHECK(e.problem == errc::unknown_key);
  CHECK_THAT(e.message, Catch::Contains("not trusted here"));
}

TEST_CASE("a truncated code is refused as cut short", "[engine][license]") {
  vendor v;
  auto code = issue_code(sample(), v.key);
  auto e = refused(code.substr(0, code.size() - 12), v.ring());
  CHECK(e.problem == errc::truncated);
  CHECK_THAT(e.message, Catch::Contains("cut short"));
  CHECK(refused("LICD-", v.ring()).problem == errc::truncated);
}

TEST_CASE("text pasted around a code is refused, saying where", "[engine][license]") {
  vendor v;
  auto code = issue_code(sample(), v.key);
  auto before = refused("Dear customer, your code is " + code, v.ring());
  CHECK(before.problem == errc::text_before);
  CHECK_THAT(before.message, Catch::Contains("Dear customer"));
  auto after = refused(code + "\n\nBest regards, the vendor", v.ring());
  CHECK(after.problem == errc::text_after);
  CHECK_THAT(after.message, Catch::Contains("Best regards"));
  auto punct = refused(code + ".", v.ring());
  CHECK(punct.problem == errc::text_after);
  CHECK(refused("no code here", v.ring()).problem == errc::not_a_code);
  CHECK(refused("", v.ring()).problem == errc::not_a_code);
}

TEST_CASE("garbage after the marker is refused, not crashed on", "[engine][license]") {
  vendor v;
  for (const char* text : {"LICD-00000-00000-00000", "LICD-ZZZZZ-ZZZZZ", "LICD-1ZZZZ-ZZZZZ",
                           "LICD-!!!", "LICD-0G000"}) {
    INFO(text);
    auto r = check_code(text, v.ring());
    CHECK(std::holds_alternative<code_error>(r));
  }
}

TEST_CASE("expiry counts whole days and zero means perpetual", "[engine][license]") {
  auto l = sample();
  CHECK_FALSE(l.expired_on(*parse_date("2027-12-31")));
  CHECK(l.expired_on(*parse_date("2028-01-01")));
  l.expires_day = 0;
  CHECK_FALSE(l.expired_on(*parse_date("2149-01-01")));
}

TEST_CASE("dates parse and print as YYYY-MM-DD", "[engine][license]") {
  CHECK(parse_date("1970-01-01") == 0);
  CHECK(parse_date("2000-03-01") == 11017);
  CHECK(parse_date("2024-02-29"));
  CHECK_FALSE(parse_date("2023-02-29"));
  CHECK_FALSE(parse_date("2023-13-01"));
  CHECK_FALSE(parse_date("2023-1-1"));
  CHECK_FALSE(parse_date("yesterday"));
  for (int day : {0, 11016, 11017, 20000, 65000})
    CHECK(parse_date(format_date(day)) == day);
}

TEST_CASE("keys survive PEM and sign only what they signed", "[engine][ed25519]") {
  auto key = ed25519::private_key::generate();
  auto again = ed25519::private_key::from_pem(key.to_pem());
  auto pub = ed25519::public_key::from_pem(key.public_part().to_pem());
  CHECK(pub.key_id() == again.public_part().key_id());
  auto sig = again.sign("message");
  CHECK(sig.size() == 64);
  CHECK(pub.verify("message", sig));
  CHECK_FALSE(pub.verify("massage", sig));
  CHECK_THROWS(ed25519::public_key::from_pem("not a key"));
  CHECK_THROWS(ed25519::private_key::from_pem(pub.to_pem()));
}
