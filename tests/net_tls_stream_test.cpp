// net::tls_stream on both ends, in memory: a client verifying the server by a CA file or a pin
// against the server's side, the bytes shuttled by hand. No sockets.

#include "net/tls_stream.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <openssl/ssl.h>

#include <memory>
#include <string>

using licd::net::tls_context;
using licd::net::tls_stream;

namespace {

struct certificate {
  licd::test::temp_dir dir;
  std::string cert = dir.path() + "/tls.crt";
  std::string key = dir.path() + "/tls.key";
  std::string fingerprint;
  explicit certificate(const std::string& name)
    : fingerprint(licd::net::make_self_signed(cert, key, name)) {}
};

/// Passes bytes both ways until neither side has anything to say; false if a side failed.
bool shuttle(tls_stream& client, tls_stream& server, std::string& client_plain,
             std::string& server_plain) {
  for (int round = 0; round < 20; ++round) {
    auto to_server = client.take_output();
    auto to_client = server.take_output();
    if (to_server.empty() && to_client.empty())
      return true;
    if (!server.feed(to_server, server_plain) || !client.feed(to_client, client_plain))
      return false;
  }
  return false;
}

} // namespace

TEST_CASE("a TLS client verified by the CA file and host name talks to the server",
          "[net][tls]") {
  certificate c("127.0.0.1");
  auto server_ctx = tls_context::load(c.cert, c.key);
  tls_stream server(server_ctx);
  tls_stream client(tls_context::client(c.cert, ""), "127.0.0.1");
  CHECK_FALSE(client.established());
  REQUIRE(client.write("HELLO 1 version=1\n")); // queued until the handshake is done
  std::string client_plain, server_plain;
  REQUIRE(shuttle(client, server, client_plain, server_plain));
  CHECK(client.established());
  CHECK(server.established());
  CHECK(server_plain == "HELLO 1 version=1\n");
  REQUIRE(server.write("OK 1 version=1\n"));
  REQUIRE(shuttle(client, server, client_plain, server_plain));
  CHECK(client_plain == "OK 1 version=1\n");
  server.shutdown(); // close_notify: the client hears that the server ended the session
  CHECK_FALSE(client.feed(server.take_output(), client_plain));
  CHECK(client.error() == "the server closed the TLS session");
}

TEST_CASE("a TLS client refuses a server whose certificate is not the one it trusts",
          "[net][tls]") {
  certificate c("127.0.0.1");
  tls_stream server(tls_context::load(c.cert, c.key));
  std::string client_plain, server_plain;

  SECTION("the CA file names another host") {
    tls_stream client(tls_context::client(c.cert, ""), "licserver.example");
    client.write("HELLO 1 version=1\n");
    CHECK_FALSE(shuttle(client, server, client_plain, server_plain));
    CHECK_THAT(client.error(), Catch::Contains("certificate was refused"));
  }
  SECTION("another CA") {
    certificate other("127.0.0.1");
    tls_stream client(tls_context::client(other.cert, ""), "127.0.0.1");
    CHECK_FALSE(shuttle(client, server, client_plain, server_plain));
    CHECK_THAT(client.error(), Catch::Contains("certificate was refused"));
  }
  SECTION("another pin") {
    auto wrong = c.fingerprint;
    wrong[5] = wrong[5] == 'a' ? 'b' : 'a';
    tls_stream client(tls_context::client("", wrong), "127.0.0.1");
    client.write("HELLO 1 version=1\n");
    CHECK_FALSE(shuttle(client, server, client_plain, server_plain));
    CHECK_THAT(client.error(), Catch::Contains("does not match the pinned fingerprint"));
    CHECK(server_plain.empty()); // nothing was sent to a server it does not trust
  }
  CHECK(client_plain.empty());
}

TEST_CASE("a TLS client pins the fingerprint as people paste it", "[net][tls]") {
  certificate c("licserver.example"); // a pin alone does not check the host name
  std::string pasted;
  for (size_t i = 0; i < c.fingerprint.size(); i += 2)
    pasted += (i > 0 ? ":" : "") + c.fingerprint.substr(i, 2);
  for (auto& ch : pasted)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  tls_stream server(tls_context::load(c.cert, c.key));
  tls_stream client(tls_context::client("", pasted), "127.0.0.1");
  client.write("PING 1\n");
  std::string client_plain, server_plain;
  REQUIRE(shuttle(client, server, client_plain, server_plain));
  CHECK(server_plain == "PING 1\n");
}

TEST_CASE("a TLS client context needs something to verify the server by", "[net][tls]") {
  CHECK_THROWS_WITH(tls_context::client("", ""),
                    Catch::Contains("needs a CA file or a pinned certificate fingerprint"));
  CHECK_THROWS_WITH(tls_context::client("", "abc"), Catch::Contains("not 64 hex digits"));
  CHECK_THROWS_WITH(tls_context::client("", std::string(64, 'g')),
                    Catch::Contains("not 64 hex digits"));
  CHECK_THROWS_WITH(tls_context::client("/nonexistent/ca.pem", ""),
                    Catch::Contains("cannot read the CA file /nonexistent/ca.pem"));
}

TEST_CASE("the server issues no session tickets, caches no sessions and frees idle buffers",
          "[net][tls]") {
  // Clients never resume a session: tickets and a session cache would be work and memory for
  // nothing; an idle connection (a client renews every TTL/3) needs no record buffers.
  certificate c("127.0.0.1");
  auto server_ctx = tls_context::load(c.cert, c.key);
  auto client_ctx = tls_context::client(c.cert, "");
  for (int i = 0; i < 5; ++i) {
    tls_stream server(server_ctx);
    tls_stream client(client_ctx, "127.0.0.1");
    client.write("PING 1\n");
    std::string client_plain, server_plain;
    REQUIRE(shuttle(client, server, client_plain, server_plain));
    REQUIRE(server_plain == "PING 1\n");
  }
  auto* ctx = static_cast<SSL_CTX*>(server_ctx->native());
  CHECK(SSL_CTX_get_session_cache_mode(ctx) == SSL_SESS_CACHE_OFF);
  CHECK(SSL_CTX_get_num_tickets(ctx) == 0);
  CHECK((SSL_CTX_get_mode(ctx) & SSL_MODE_RELEASE_BUFFERS) != 0);
}
