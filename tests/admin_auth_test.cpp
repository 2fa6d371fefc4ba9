// The admin API's tokens and the License Manager's browser sessions (admin/auth.hpp).

#include "admin/auth.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace licd::admin;
using namespace std::chrono_literals;

TEST_CASE("a bearer header matches exactly its token", "[admin][auth]") {
  auto token = make_token();
  CHECK(token.size() == 64);
  CHECK(token != make_token());
  CHECK(token_matches("Bearer " + token, token));
  CHECK_FALSE(token_matches("Bearer " + token + "x", token));
  CHECK_FALSE(token_matches("Bearer " + token.substr(1), token));
  CHECK_FALSE(token_matches("bearer " + token, token));
  CHECK_FALSE(token_matches(token, token));
  CHECK_FALSE(token_matches("Bearer ", ""));
  CHECK_FALSE(same_secret("", ""));
  CHECK(same_secret("abc", "abc"));
  CHECK_FALSE(same_secret("abc", "abd"));
}

TEST_CASE("a token or a bearer header is the admin token, the read-only one, or neither",
          "[admin][auth]") {
  auto admin = make_token(), readonly = make_token();
  CHECK(token_role(admin, admin, readonly) == role::admin);
  CHECK(token_role(readonly, admin, readonly) == role::readonly);
  CHECK_FALSE(token_role(admin + "x", admin, readonly));
  CHECK_FALSE(token_role("", admin, "")); // no read-only token: an empty one is not it
  CHECK(token_role(admin, admin, "") == role::admin);
  CHECK(bearer_role("Bearer " + admin, admin, readonly) == role::admin);
  CHECK(bearer_role("Bearer " + readonly, admin, readonly) == role::readonly);
  CHECK_FALSE(bearer_role("Bearer " + readonly, admin, ""));
  CHECK_FALSE(bearer_role("Bearer ", admin, ""));
  CHECK_FALSE(bearer_role(readonly, admin, readonly));
}

TEST_CASE("the session cookie is read from a Cookie header among others", "[admin][auth]") {
  CHECK(cookie_value("licd_session=abc", "licd_session") == "abc");
  CHECK(cookie_value("a=1; licd_session=abc; b=2", "licd_session") == "abc");
  CHECK(cookie_value("a=1;licd_session=abc", "licd_session") == "abc");
  CHECK(cookie_value("xlicd_session=abc; licd_session_old=d", "licd_session").empty());
  CHECK(cookie_value("", "licd_session").empty());
  CHECK(cookie_value("licd_session", "licd_session").empty());
}

TEST_CASE("a change's Origin must be the server's own", "[admin][auth]") {
  CHECK(same_origin("http://127.0.0.1:27601", "127.0.0.1:27601", false));
  CHECK(same_origin("https://lic.example:27601", "lic.example:27601", true));
  CHECK_FALSE(same_origin("http://lic.example:27601", "lic.example:27601", true));
  CHECK_FALSE(same_origin("http://localhost:27601", "127.0.0.1:27601", false));
  CHECK_FALSE(same_origin("http://127.0.0.1:8080", "127.0.0.1:27601", false));
  CHECK_FALSE(same_origin("http://127.0.0.1:27601.evil", "127.0.0.1:27601", false));
  CHECK_FALSE(same_origin("null", "127.0.0.1:27601", false));
  CHECK_FALSE(same_origin("http://", "", false));
}

TEST_CASE("a session ends when idle, when old, on logout, or when crowded out", "[admin][auth]") {
  session_table t(1000ms, 5000ms, 3);
  auto a = t.open(role::admin, 0);
  CHECK(a.id.size() == 64);
  CHECK(a.csrf.size() == 64);
  CHECK(a.id != a.csrf);

  SECTION("used within the idle time it lives on, up to its maximum age") {
    for (int64_t now = 900; now < 5000; now += 900)
      REQUIRE(t.find(a.id, now));
    CHECK_FALSE(t.find(a.id, 5000));
    CHECK(t.size() == 0);
  }
  SECTION("idle for its idle time it is gone") {
    CHECK(t.find(a.id, 999));
    CHECK_FALSE(t.find(a.id, 1999));
    CHECK_FALSE(t.find(a.id, 2000));
  }
  SECTION("found, it keeps its role and CSRF token") {
    auto r = t.open(role::readonly, 10);
    auto found = t.find(r.id, 20);
    REQUIRE(found);
    CHECK(found->who == role::readonly);
    CHECK(found->csrf == r.csrf);
    CHECK(t.find(a.id, 20)->who == role::admin);
  }
  SECTION("logged out it is gone, and others stay") {
    auto b = t.open(role::admin, 0);
    t.close(a.id);
    CHECK_FALSE(t.find(a.id, 1));
    CHECK(t.find(b.id, 1));
  }
  SECTION("an unknown or empty id finds nothing") {
    CHECK_FALSE(t.find("", 1));
    CHECK_FALSE(t.find(a.csrf, 1));
  }
  SECTION("beyond its capacity the least recently used session goes") {
    auto b = t.open(role::admin, 10);
    auto c = t.open(role::admin, 20);
    CHECK(t.find(a.id, 30)); // a is now the most recent
    auto d = t.open(role::admin, 40);
    CHECK(t.size() == 3);
    CHECK_FALSE(t.find(b.id, 50));
    CHECK(t.find(a.id, 50));
    CHECK(t.find(c.id, 50));
    CHECK(t.find(d.id, 50));
  }
  SECTION("opening one drops the expired ones") {
    auto b = t.open(role::admin, 600);
    auto c = t.open(role::admin, 700);
    CHECK(t.size() == 3);
    t.open(role::admin, 1150); // a (used at 0) has been idle 1150 ms: it goes, not b
    CHECK(t.size() == 3);
    CHECK_FALSE(t.find(a.id, 1150));
    CHECK(t.find(b.id, 1150));
    CHECK(t.find(c.id, 1150));
  }
}

TEST_CASE("the session cookie is HttpOnly and SameSite=Strict, Secure under TLS", "[admin][auth]") {
  session_table t(1000ms, 12h, 10);
  auto s = t.open(role::admin, 0);
  auto plain = session_cookie(s, 12h, false);
  CHECK(plain == "licd_session=" + s.id + "; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict");
  CHECK(session_cookie(s, 12h, true) == plain + "; Secure");
  CHECK(expired_session_cookie(false).find("Max-Age=0") != std::string::npos);
  CHECK(expired_session_cookie(true).find("; Secure") != std::string::npos);
}
