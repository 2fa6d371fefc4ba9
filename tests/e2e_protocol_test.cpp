// End to end: the wire protocol's error handling, and licclient's exit codes and JSON.

#include "e2e_support.hpp"
#include "net/tls_stream.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

using namespace licd::test;
using licd::client::connection;

TEST_CASE("malformed and oversized lines get error replies while others are served",
          "[e2e][protocol]") {
  server_fixture s;
  connection bad("127.0.0.1", s.licd->port());
  auto good = connect_as(*s.licd, "good");

  CHECK(bad.roundtrip("garbage").rfind("ERR - BAD_REQUEST", 0) == 0);
  CHECK(bad.roundtrip("what is this").rfind("ERR is UNKNOWN_COMMAND", 0) == 0);
  CHECK(bad.roundtrip("FROB 7").rfind("ERR 7 UNKNOWN_COMMAND", 0) == 0);
  CHECK(bad.roundtrip("CHECKOUT 8 demo").rfind("ERR 8 NO_HELLO", 0) == 0);
  CHECK(bad.roundtrip("HELLO 9 version=2 computer=a user=b").rfind("ERR 9 BAD_VERSION", 0) == 0);
  CHECK(bad.roundtrip("RENEW 10 nothex").rfind("ERR 10 BAD_REQUEST", 0) == 0);
  CHECK(bad.roundtrip(std::string("PING 11\x07")).rfind("ERR - BAD_REQUEST", 0) == 0);
  CHECK(good->checkout("demo").used == 1);

  // 100 KB without a newline, then the rest of the line: one error, nothing else.
  bad.send_raw(std::string(100000, 'A'));
  CHECK(good->checkout("demo", "good2").used == 2);
  CHECK(bad.roundtrip("AAAA").rfind("ERR - LINE_TOO_LONG", 0) == 0);
  // Binary garbage with embedded NULs and a newline.
  bad.send_raw(std::string("\x00\xff\xfe garbage\x00\n", 13));
  CHECK(bad.read_line().rfind("ERR - BAD_REQUEST", 0) == 0);
  // The connection still works after all of it.
  CHECK(bad.roundtrip("PING 12") == "OK 12");
  CHECK(bad.roundtrip("ping 13") == "OK 13"); // commands are case-insensitive
  CHECK(good->checkout("demo", "good3").used == 3);
}

TEST_CASE("pipelined requests are all answered, each with its id", "[e2e][protocol]") {
  server_fixture s;
  connection c("127.0.0.1", s.licd->port());
  c.send_raw("HELLO h version=1 computer=ws1 user=alice\n"
             "CHECKOUT a demo\nCHECKOUT b demo computer=ws2\nSTATUS c demo\n"
             "CHECKOUT d nope\nPING e\nQUIT f\nPING never\n");
  std::set<std::string> ids;
  std::string granted_a;
  for (int i = 0; i < 7; ++i) {
    auto r = licd::net::protocol::parse_reply(c.read_line());
    REQUIRE(r);
    ids.insert(r->id);
    if (r->id == "a" || r->id == "b")
      CHECK(r->ok);
    if (r->id == "d")
      CHECK(r->code == "UNKNOWN_PRODUCT");
  }
  CHECK(ids == std::set<std::string>{"h", "a", "b", "c", "d", "e", "f"});
  // QUIT closes the connection once every earlier request has its reply.
  CHECK_THROWS_AS(c.read_line(), licd::client::connection_error);
  CHECK(used_seats(*s.licd) == 2);
}

TEST_CASE("pipelined replies that come back out of order each answer their own request",
          "[e2e][protocol]") {
  // A CHECKOUT waits for the disk while a RENEW is answered from memory: the replies of one
  // connection overtake each other, and each must still carry its own request's lease and fields.
  server_fixture s;
  auto c = connect_as(*s.licd, "ws1");
  auto kept = c->checkout("demo").lease;
  auto gone = c->checkout("demo", "ws2").lease;
  auto unknown = std::string(32, '0');
  c->send_raw("CHECKOUT a demo computer=ws3\nRENEW b " + kept + "\nRELEASE c " + gone
              + "\nRENEW d " + unknown + "\nCHECKOUT e demo computer=ws4\nRENEW f " + kept
              + "\n");
  std::map<std::string, licd::net::protocol::reply> by_id;
  for (int i = 0; i < 6; ++i) {
    auto r = licd::net::protocol::parse_reply(c->read_line());
    REQUIRE(r);
    by_id[r->id] = *r;
  }
  REQUIRE(by_id.size() == 6);
  for (const auto* id : {"a", "e"}) {
    INFO("checkout " << id);
    CHECK(by_id[id].ok);
    CHECK(by_id[id].get("product") == "demo");
    CHECK(by_id[id].get("lease") != kept);
    CHECK(by_id[id].get("lease") != gone);
  }
  CHECK(by_id["a"].get("lease") != by_id["e"].get("lease"));
  for (const auto* id : {"b", "f"}) {
    INFO("renew " << id);
    CHECK(by_id[id].ok);
    CHECK(by_id[id].get("lease") == kept);
    CHECK(by_id[id].get("expires_in"));
    CHECK_FALSE(by_id[id].get("product"));
  }
  CHECK(by_id["c"].ok);
  CHECK(by_id["c"].get("lease") == gone);
  CHECK_FALSE(by_id["c"].get("expires_in"));
  CHECK(by_id["d"].code == "UNKNOWN_LEASE");
  CHECK(used_seats(*s.licd) == 3); // ws1, ws3, ws4
}

TEST_CASE("a client that vanishes mid-request does not disturb the server", "[e2e][protocol]") {
  server_fixture s;
  for (int i = 0; i < 20; ++i) {
    connection c("127.0.0.1", s.licd->port());
    c.send_raw("HELLO 1 version=1 computer=ghost user=x\nCHECKOUT 2 demo\n");
  } // closed without reading
  auto c = connect_as(*s.licd, "real");
  CHECK(c->checkout("demo").used <= 2); // ghost's grants share one seat
  CHECK(c->roundtrip("PING 1") == "OK 1");
}

namespace {

/// Sends `requests` on a new connection to 127.0.0.1:`port` (over TLS when `tls` is a client
/// context), closes the sending side (shutdown(SHUT_WR), as `printf ... | nc -N` does) and
/// returns everything read, as plaintext, until the server closes (at most 10 s).
std::string send_then_half_close(uint16_t port, const std::string& requests,
                                 std::shared_ptr<licd::net::tls_context> tls = nullptr) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  timeval patience{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof(patience));
  auto send_all = [&](const std::string& bytes) {
    REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL)
            == static_cast<ssize_t>(bytes.size()));
  };
  std::unique_ptr<licd::net::tls_stream> layer;
  std::string got;
  char buf[4096];
  if (tls) { // handshake first; the requests go as records once it is done
    layer = std::make_unique<licd::net::tls_stream>(tls, "127.0.0.1");
    REQUIRE(layer->write(requests));
    while (!layer->established()) {
      send_all(layer->take_output());
      auto n = ::recv(fd, buf, sizeof(buf), 0);
      REQUIRE(n > 0);
      REQUIRE(layer->feed(std::string_view(buf, static_cast<size_t>(n)), got));
    }
    send_all(layer->take_output());
  } else {
    send_all(requests);
  }
  ::shutdown(fd, SHUT_WR);
  for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) {
    if (!layer) {
      got.append(buf, static_cast<size_t>(n));
    } else if (!layer->feed(std::string_view(buf, static_cast<size_t>(n)), got)) {
      CHECK(layer->error() == "the server closed the TLS session"); // its close_notify
      break;
    }
  }
  ::close(fd);
  return got;
}

size_t open_files(int pid) {
  auto dir = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd");
  return static_cast<size_t>(std::distance(dir, std::filesystem::directory_iterator{}));
}

} // namespace

TEST_CASE("a client that closes its sending side still gets every reply owed, then EOF",
          "[e2e][protocol]") {
  server_fixture s;
  auto got = send_then_half_close(s.licd->port(),
                                  "HELLO 1 version=1 computer=piped user=sh\nCHECKOUT 2 demo\n"
                                  "STATUS 3 demo\nRENEW 4 " + std::string(32, '0')
                                    + "\nPING 5\n");
  INFO(got);
  std::map<std::string, licd::net::protocol::reply> by_id;
  std::istringstream lines(got);
  for (std::string line; std::getline(lines, line);) {
    auto r = licd::net::protocol::parse_reply(line);
    REQUIRE(r);
    by_id[r->id] = *r;
  }
  REQUIRE(by_id.size() == 5); // the server closed after the last one: the read saw EOF
  CHECK(by_id["1"].ok);
  CHECK(by_id["2"].ok); // a durable grant, answered after the client's half-close
  CHECK(by_id["3"].ok);
  CHECK(by_id["4"].code == "UNKNOWN_LEASE");
  CHECK(by_id["5"].ok);
  // The lease in the reply is real: its holder can give it back.
  auto lease = by_id["2"].get("lease").value_or("");
  REQUIRE(lease.size() == 32);
  CHECK(used_seats(*s.licd) == 1);
  auto c = connect_as(*s.licd, "piped");
  c->release(lease);
  CHECK(used_seats(*s.licd) == 0);

  SECTION("no socket is left open, whether the client half-closes or vanishes") {
    auto before = open_files(s.licd->pid());
    std::string who = "computer=p"; // one computer's leases share a seat (at most 64 of them)
    for (int i = 0; i < 30; ++i) {
      CHECK(send_then_half_close(s.licd->port(), "HELLO 1 version=1 " + who + " user=sh\n"
                                                   "CHECKOUT 2 demo\nRELEASE 3 "
                                                   + std::string(32, 'f') + "\n")
              .find("OK 2 lease=")
            != std::string::npos);
      connection gone("127.0.0.1", s.licd->port()); // closed at once, replies unread
      gone.send_raw("HELLO 1 version=1 " + who + " user=x\nCHECKOUT 2 demo\nSTATUS 3\n");
    }
    CHECK(eventually([&] { return open_files(s.licd->pid()) <= before; },
                     std::chrono::seconds(10)));
    CHECK(c->roundtrip("PING 9") == "OK 9");
  }
}

TEST_CASE("over TLS too, a client that closes its sending side gets the replies owed",
          "[e2e][protocol][tls]") {
  temp_dir tmp;
  auto [cert, key, pin] = make_tls_cert(tmp.path());
  server_fixture s({"--demo", "--tls-cert=" + cert, "--tls-key=" + key});
  auto got = send_then_half_close(s.licd->port(),
                                  "HELLO 1 version=1 computer=piped user=sh\nCHECKOUT 2 demo\n"
                                  "PING 3\n",
                                  licd::net::tls_context::client(cert, ""));
  INFO(got);
  CHECK(got.find("OK 1 version=1") != std::string::npos);
  CHECK(got.find("OK 2 lease=") != std::string::npos); // answered after the half-close
  CHECK(got.find("OK 3") != std::string::npos);
  licd::client::connection check("127.0.0.1", s.licd->port(), std::chrono::milliseconds(5000),
                                 licd::client::tls_options{true, cert, ""});
  CHECK(check.status("demo").at(0).used == 1);
}

namespace {

run_result licclient(const licd_process& p, std::vector<std::string> args) {
  std::vector<std::string> argv{LICCLIENT_BINARY, "--server=" + p.endpoint()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

} // namespace

TEST_CASE("licclient checks out, renews, releases and reports status as JSON",
          "[e2e][licclient]") {
  server_fixture s;
  auto co = licclient(*s.licd, {"--json", "checkout", "demo", "--computer=cli1", "--user=bob"});
  REQUIRE(co.status == 0);
  auto j = nlohmann::json::parse(co.out);
  CHECK(j["product"] == "demo");
  CHECK(j["expires_in"] == 600);
  std::string lease = j["lease"];
  CHECK(lease.size() == 32);

  // Global options may follow the subcommand.
  auto st = licclient(*s.licd, {"status", "--json"});
  REQUIRE(st.status == 0);
  auto sj = nlohmann::json::parse(st.out);
  REQUIRE(sj["products"].size() == 1);
  CHECK(sj["products"][0]["product"] == "demo");
  CHECK(sj["products"][0]["seats"] == 5);
  CHECK(sj["products"][0]["used"] == 1);

  auto rn = licclient(*s.licd, {"renew", lease, "--json"});
  REQUIRE(rn.status == 0);
  CHECK(nlohmann::json::parse(rn.out)["expires_in"] == 600);
  CHECK(licclient(*s.licd, {"release", lease}).status == 0);
  CHECK(used_seats(*s.licd) == 0);
  auto again = licclient(*s.licd, {"--json", "release", lease});
  CHECK(again.status == 3);
  CHECK(nlohmann::json::parse(again.out)["error"]["code"] == "UNKNOWN_LEASE");
  auto table = licclient(*s.licd, {"status"});
  CHECK(table.status == 0);
  CHECK(table.out.find("demo") != std::string::npos);
}

TEST_CASE("licclient exit codes: 3 denied, 4 unreachable, 2 usage", "[e2e][licclient]") {
  server_fixture s;
  for (int i = 1; i <= 5; ++i)
    REQUIRE(licclient(*s.licd, {"checkout", "demo", "--computer=c" + std::to_string(i)}).status
            == 0);
  auto denied = licclient(*s.licd, {"--json", "checkout", "demo", "--computer=c6"});
  CHECK(denied.status == 3);
  CHECK(nlohmann::json::parse(denied.out)["error"]["code"] == "NO_SEATS");
  CHECK(licclient(*s.licd, {"checkout", "unknown"}).status == 3);
  CHECK(licclient(*s.licd, {"frobnicate"}).status == 2);
  CHECK(licclient(*s.licd, {"checkout"}).status == 2);
  CHECK(run({LICCLIENT_BINARY, "--server=not a server", "status"}).status == 2);
  auto version = run({LICCLIENT_BINARY, "--version"});
  CHECK(version.status == 0);
  CHECK(version.out.find("licclient 0.") != std::string::npos);
  int port = s.licd->port();
  s.licd->kill();
  auto gone = run({LICCLIENT_BINARY, "--json", "--server=127.0.0.1:" + std::to_string(port),
                   "status"});
  CHECK(gone.status == 4);
  CHECK(nlohmann::json::parse(gone.out)["error"]["code"] == "UNREACHABLE");
}

TEST_CASE("licd reports its version and refuses bad options", "[e2e][licd]") {
  auto v = run({LICD_BINARY, "--version"});
  CHECK(v.status == 0);
  CHECK(v.out.find("licd 0.") != std::string::npos);
  CHECK(run({LICD_BINARY, "--lease-ttl=0"}).status == 2);
  CHECK(run({LICD_BINARY, "--no-such-option"}).status == 2);
  CHECK(run({LICD_BINARY, "--scheduler=fifo"}).status == 2);
}

TEST_CASE("licd refuses to run as root unless told to", "[e2e][licd]") {
  if (::geteuid() != 0) {
    WARN("SKIPPED: not running as root: the refusal cannot be seen here");
    return;
  }
  temp_dir tmp;
  auto r = run({"/bin/sh", "-c",
                std::string(LICD_BINARY) + " --data-dir=" + tmp.path()
                  + "/data --port=0 --admin-port=0 --discovery-port=0 2>&1"});
  CHECK(r.status == 1);
  CHECK(r.out.find("refusing to run as root") != std::string::npos);
  CHECK(r.out.find("--allow-root") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(tmp.path() + "/data/data.mdb")); // nothing was touched
}

TEST_CASE("licd serves with either scheduler policy", "[e2e][licd]") {
  for (const char* policy : {"--scheduler=stealing", "--scheduler=sharing"}) {
    INFO(policy);
    server_fixture s({"--demo", policy});
    auto c = connect_as(*s.licd, "ws1");
    auto lease = c->checkout("demo").lease;
    CHECK(c->renew(lease) == 600);
    c->release(lease);
    CHECK(used_seats(*s.licd) == 0);
  }
}

TEST_CASE("licd reads its options from a config file", "[e2e][licd]") {
  temp_dir tmp;
  auto cfg = tmp.path() + "/licd.conf";
  {
    std::ofstream out(cfg);
    out << "# licd test config\nlease-ttl = 7\ndemo = true\n";
  }
  licd_process p(tmp.path() + "/data", {"--config=" + cfg});
  auto c = connect_as(p, "ws1");
  CHECK(c->checkout("demo").expires_in == 7);
}

TEST_CASE("names that are not valid UTF-8 are refused with BAD_REQUEST and stored nowhere",
          "[e2e][protocol]") {
  server_fixture s;
  auto got = send_then_half_close(s.licd->port(),
                                  "HELLO 1 version=1 computer=bad\xff\xfe user=\xc3(\n"
                                  "HELLO 2 version=1 computer=ws1 user=ok\n"
                                  "CHECKOUT 3 demo user=\xed\xa0\x80\n"
                                  "CHECKOUT 4 demo computer=b\xc3\xa4r\n");
  INFO(got);
  CHECK_THAT(got, Catch::Contains("ERR 1 BAD_REQUEST HELLO: computer must be 1-128 bytes of "
                                   "valid UTF-8"));
  CHECK_THAT(got, Catch::Contains("OK 2 "));
  CHECK_THAT(got, Catch::Contains("ERR 3 BAD_REQUEST CHECKOUT: user must be"));
  CHECK_THAT(got, Catch::Contains("OK 4 lease=")); // UTF-8 itself is welcome
  CHECK(used_seats(*s.licd) == 1);                 // only the good checkout took a seat
}
