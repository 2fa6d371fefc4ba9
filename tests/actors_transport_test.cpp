// The session's transport (actors/transport.cpp) over real loopback TCP connections, with CAF's
// write buffer played by a string.
#include "actors/transport.hpp"
#include "net/listen_socket.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

using licd::transport;

namespace {

/// CAF's side: what the transport queued with it, and whether it closed.
struct caf_buffer : licd::caf_connection {
  std::string queued;
  bool closed = false;
  void queue(std::string_view bytes) override { queued.append(bytes); }
  void close() override { closed = true; }
};

/// A connected loopback TCP pair: `server` (the transport's side) and `client`.
struct tcp_pair {
  int server = -1;
  int client = -1;
  tcp_pair() {
    auto l = licd::net::open_listen_socket("127.0.0.1", 0);
    client = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(l.port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    pollfd p{l.fd, POLLIN, 0};
    REQUIRE(::poll(&p, 1, 5000) == 1);
    server = ::accept(l.fd, nullptr, nullptr);
    REQUIRE(server >= 0);
    ::close(l.fd);
  }
  ~tcp_pair() {
    if (server >= 0)
      ::close(server);
    if (client >= 0)
      ::close(client);
  }
  /// Reads what the client has been sent until `n` bytes or nothing more comes for 200 ms.
  std::string read_client(size_t n = 65536) const {
    std::string out;
    char buf[65536];
    while (out.size() < n) {
      pollfd p{client, POLLIN, 0};
      if (::poll(&p, 1, 200) != 1)
        break;
      auto got = ::recv(client, buf, sizeof(buf), 0);
      if (got <= 0)
        break;
      out.append(buf, static_cast<size_t>(got));
    }
    return out;
  }
};

} // namespace

TEST_CASE("transport: a reply goes straight into the socket while nothing is queued",
          "[transport]") {
  tcp_pair c;
  caf_buffer caf;
  transport t(c.server, nullptr, caf);
  REQUIRE(t.write_line("OK 1 version=1"));
  REQUIRE(t.write_line("OK 2"));
  CHECK(c.read_client() == "OK 1 version=1\nOK 2\n");
  CHECK(caf.queued.empty());
  CHECK(t.queued() == 0);
}

TEST_CASE("transport: what the kernel does not take waits with CAF, and later lines wait behind "
          "it, in order",
          "[transport]") {
  tcp_pair c;
  caf_buffer caf;
  transport t(c.server, nullptr, caf);
  // The client does not read: the kernel's buffers fill, and the rest goes to CAF.
  std::string line(4000, 'x');
  while (t.queued() == 0)
    REQUIRE(t.write_line(line));
  auto before = caf.queued.size();
  REQUIRE(t.write_line("OK last"));
  CHECK(caf.queued.size() == before + 8); // all of it, behind what waits (not into the socket)
  CHECK(caf.queued.substr(before) == "OK last\n");
  CHECK_FALSE(t.too_far_behind());
  t.written(caf.queued.size()); // CAF wrote it all out
  CHECK(t.queued() == 0);
}

TEST_CASE("transport: a client that leaves more than 1 MiB unread is too far behind, and its "
          "connection is reset",
          "[transport]") {
  tcp_pair c;
  caf_buffer caf;
  transport t(c.server, nullptr, caf);
  std::string line(4000, 'y');
  while (!t.too_far_behind())
    REQUIRE(t.write_line(line));
  CHECK(t.queued() > transport::max_unsent_bytes);
  t.close(true, false); // cut off with replies unread: a reset, not a graceful close
  CHECK(caf.closed);
  ::close(c.server); // CAF's descriptor, closed by CAF
  c.server = -1;
  char buf[65536];
  ssize_t got = 0;
  int err = 0;
  do {
    got = ::recv(c.client, buf, sizeof(buf), 0);
    err = errno;
  } while (got > 0);
  CHECK(got < 0);
  CHECK(err == ECONNRESET);
}

TEST_CASE("transport: a server's close with everything read is graceful", "[transport]") {
  tcp_pair c;
  caf_buffer caf;
  transport t(c.server, nullptr, caf);
  REQUIRE(t.write_line("ERR - TIMEOUT nothing heard"));
  CHECK(c.read_client() == "ERR - TIMEOUT nothing heard\n");
  t.close(true, false);
  ::close(c.server); // CAF's descriptor, closed by CAF
  c.server = -1;
  char buf[16];
  CHECK(::recv(c.client, buf, sizeof(buf), 0) == 0); // an orderly end of stream
}

TEST_CASE("transport: after the client's half-close, replies owed still go out on its own "
          "descriptor",
          "[transport]") {
  tcp_pair c;
  caf_buffer caf;
  transport t(c.server, nullptr, caf);
  CHECK_FALSE(t.keep_for_replies(false)); // nothing owed: nothing to keep
  REQUIRE(::shutdown(c.client, SHUT_WR) == 0);
  REQUIRE(t.keep_for_replies(true));
  CHECK(t.peer_closed());
  ::close(c.server); // CAF drops the connection and closes its descriptor
  c.server = -1;
  REQUIRE(t.write_line("OK 7 lease=x"));
  t.close(false, false); // closes the transport's own duplicate
  CHECK(c.read_client() == "OK 7 lease=x\n");
  char buf[16];
  CHECK(::recv(c.client, buf, sizeof(buf), 0) == 0);
}

TEST_CASE("transport: plain text on a TLS port is told TLS_REQUIRED", "[transport][tls]") {
  licd::test::temp_dir tmp;
  licd::net::make_self_signed(tmp.path() + "/c.crt", tmp.path() + "/c.key", "localhost");
  auto ctx = licd::net::tls_context::load(tmp.path() + "/c.crt", tmp.path() + "/c.key");
  tcp_pair c;
  caf_buffer caf;
  transport t(c.server, ctx, caf);
  std::string plain;
  CHECK(t.receive("HELLO 1 version=1 computer=a user=b\n", plain)
        == transport::received::tls_required);
  CHECK(plain.empty());
  CHECK_THAT(c.read_client(), Catch::StartsWith("ERR - TLS_REQUIRED this port speaks TLS"));
  // A TLS client's first bytes (a handshake record) are taken, not refused; garbage after the
  // record header fails the session.
  tcp_pair d;
  transport u(d.server, ctx, caf);
  CHECK(u.receive(std::string("\x16\x03\x01\x00\x05hello", 10), plain)
        == transport::received::failed);
  CHECK_FALSE(u.error().empty());
}

TEST_CASE("transport: plain TCP passes the bytes through", "[transport]") {
  tcp_pair c;
  caf_buffer caf;
  transport t(c.server, nullptr, caf);
  std::string plain;
  CHECK(t.receive("PING 1\nPI", plain) == transport::received::ok);
  CHECK(t.receive("NG 2\n", plain) == transport::received::ok);
  CHECK(plain == "PING 1\nPING 2\n");
}
