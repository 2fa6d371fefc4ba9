#include "net/line_splitter.hpp"
#include "net/protocol.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace licd::net;
namespace proto = licd::net::protocol;

namespace {

struct collected {
  std::vector<std::string> lines;
  int too_long = 0;
  line_splitter::handler handler() {
    return {[this](std::string_view l) { lines.emplace_back(l); }, [this] { ++too_long; }};
  }
};

proto::request parse_ok(std::string_view line) {
  auto r = proto::parse_request(line);
  INFO(line);
  REQUIRE(std::holds_alternative<proto::request>(r));
  return std::get<proto::request>(r);
}

proto::parse_error parse_bad(std::string_view line) {
  auto r = proto::parse_request(line);
  INFO(line);
  REQUIRE(std::holds_alternative<proto::parse_error>(r));
  return std::get<proto::parse_error>(r);
}

} // namespace

TEST_CASE("the splitter joins lines cut across reads and drops CR", "[net][splitter]") {
  line_splitter s(16);
  collected c;
  auto h = c.handler();
  s.feed("PING 1\r\nPI", h);
  CHECK(s.buffered() == 2);
  s.feed("NG 2\n\nPING", h);
  s.feed(" 3\n", h);
  CHECK(c.lines == std::vector<std::string>{"PING 1", "PING 2", "", "PING 3"});
  CHECK(c.too_long == 0);
}

TEST_CASE("an oversized line is reported once and skipped", "[net][splitter]") {
  line_splitter s(8);
  collected c;
  auto h = c.handler();
  s.feed("12345678\n", h); // exactly the limit passes
  s.feed("123456789\n", h);
  s.feed(std::string(100, 'x'), h); // across several reads
  s.feed(std::string(100, 'x'), h);
  CHECK(s.buffered() == 0); // nothing is kept of it
  s.feed("xx\nok\n", h);
  CHECK(c.lines == std::vector<std::string>{"12345678", "ok"});
  CHECK(c.too_long == 2);
}

TEST_CASE("a line at the limit may end in CRLF", "[net][splitter]") {
  line_splitter s(4);
  collected c;
  auto h = c.handler();
  s.feed("abcd\r", h);
  s.feed("\n", h);
  CHECK(c.lines == std::vector<std::string>{"abcd"});
  CHECK(c.too_long == 0);
}

TEST_CASE("well-formed requests parse into their fields", "[net][protocol]") {
  auto hello = parse_ok("HELLO 1 version=1 computer=ws1 user=alice instance=77");
  CHECK(hello.cmd == proto::command::hello);
  CHECK(hello.id == "1");
  CHECK(hello.version == 1);
  CHECK(hello.computer == "ws1");
  CHECK(hello.user == "alice");
  CHECK(hello.instance == "77");

  auto co = parse_ok("checkout  a-7\tcad computer=relay-9");
  CHECK(co.cmd == proto::command::checkout);
  CHECK(co.id == "a-7");
  CHECK(co.product == "cad");
  CHECK(co.computer == "relay-9");
  CHECK_FALSE(co.user);

  auto rn = parse_ok("RENEW 3 0123456789abcdef0123456789abcdef");
  CHECK(rn.cmd == proto::command::renew);
  REQUIRE(rn.lease);
  CHECK(rn.lease->to_hex() == "0123456789abcdef0123456789abcdef");

  CHECK(co.wait == 0);
  auto waiting = parse_ok("CHECKOUT 8 cad wait=600");
  CHECK(waiting.wait == 600);
  CHECK(waiting.product == "cad");
  CHECK(parse_ok("CHECKOUT 8 cad wait=86400").wait == 86400);
  CHECK(parse_ok("CHECKOUT 8 cad wait=0").wait == 0);
  CHECK(parse_ok("STATUS 9 queue=8").queue == "8");
  CHECK(parse_ok("STATUS 4").product.empty());
  CHECK(parse_ok("STATUS 4 cad").product == "cad");
  CHECK(parse_ok("PING 5").cmd == proto::command::ping);
  CHECK(parse_ok("QUIT 6").cmd == proto::command::quit);
}

TEST_CASE("malformed requests are refused with a code and the id when readable",
          "[net][protocol]") {
  using ec = proto::error_code;
  auto e = parse_bad("FROB 9");
  CHECK(e.code == ec::unknown_command);
  CHECK(e.id == "9");
  CHECK(parse_bad("PING").id == "-");
  CHECK(parse_bad("PING bad/id").id == "-");
  CHECK(parse_bad(std::string("PING ") + std::string(33, '1')).code == ec::bad_request);
  CHECK(parse_bad("PING 1 extra").id == "1");
  CHECK(parse_bad("renew 4 nothex").message.rfind("renew: ", 0) == 0); // names the command
  CHECK(parse_bad("HELLO 1 computer=a user=b").message.find("version") != std::string::npos);
  CHECK(parse_bad("HELLO 1 version=x computer=a user=b").code == ec::bad_request);
  CHECK(parse_bad("HELLO 1 version=1 user=b").message.find("computer") != std::string::npos);
  CHECK(parse_bad("CHECKOUT 2").code == ec::bad_request);
  CHECK(parse_bad("CHECKOUT 2 a b").code == ec::bad_request);
  CHECK(parse_bad("CHECKOUT 2 bad/name").code == ec::bad_request);
  CHECK(parse_bad("CHECKOUT 2 cad version=1").code == ec::bad_request);
  CHECK(parse_bad("CHECKOUT 2 cad computer=").code == ec::bad_request);
  CHECK(parse_bad("RENEW 3 short").code == ec::bad_request);
  CHECK(parse_bad("RENEW 3").code == ec::bad_request);
  CHECK(parse_bad("RELEASE 3 computer=x").code == ec::bad_request);
  CHECK(parse_bad(std::string("PING 1\x01")).code == ec::bad_request);
  CHECK(parse_bad("STATUS 4 a b").code == ec::bad_request);
  // wait= only on CHECKOUT, 0 to a day; queue= only on STATUS, naming a request id.
  CHECK(parse_bad("CHECKOUT 2 cad wait=86401").message.find("wait must be") != std::string::npos);
  CHECK(parse_bad("CHECKOUT 2 cad wait=-1").code == ec::bad_request);
  CHECK(parse_bad("CHECKOUT 2 cad wait=").code == ec::bad_request);
  CHECK(parse_bad("CHECKOUT 2 cad wait=1s").code == ec::bad_request);
  CHECK(parse_bad("CHECKOUT 2 cad wait=99999999999").code == ec::bad_request);
  CHECK(parse_bad("HELLO 1 version=1 computer=a user=b wait=5").code == ec::bad_request);
  CHECK(parse_bad("STATUS 4 queue=bad/id").code == ec::bad_request);
  CHECK(parse_bad("STATUS 4 cad queue=7").message.find("no product") != std::string::npos);
  CHECK(parse_bad("CHECKOUT 2 cad queue=7").code == ec::bad_request);
}

TEST_CASE("an OK line built field by field", "[net][protocol]") {
  CHECK(proto::ok_line("9").take() == "OK 9");
  auto line = proto::ok_line("c1")
                .add("lease", "00ff")
                .add("expires_in", uint64_t{600})
                .add("used", uint64_t{0})
                .add("big", UINT64_MAX)
                .take();
  CHECK(line == "OK c1 lease=00ff expires_in=600 used=0 big=18446744073709551615");
  CHECK(line == proto::format_ok("c1", {{"lease", "00ff"},
                                        {"expires_in", "600"},
                                        {"used", "0"},
                                        {"big", "18446744073709551615"}}));
}

TEST_CASE("replies format and parse back", "[net][protocol]") {
  auto ok = proto::format_ok("7", {{"lease", "ab"}, {"seats", "5"}});
  CHECK(ok == "OK 7 lease=ab seats=5");
  auto r = proto::parse_reply(ok);
  REQUIRE(r);
  CHECK(r->ok);
  CHECK(r->id == "7");
  CHECK(r->get("seats") == "5");
  CHECK_FALSE(r->get("nope"));

  auto err = proto::format_error("8", proto::error_code::no_seats, "all 5 seats\nare in use");
  CHECK(err == "ERR 8 NO_SEATS all 5 seats are in use");
  auto e = proto::parse_reply(err);
  REQUIRE(e);
  CHECK_FALSE(e->ok);
  CHECK(e->code == "NO_SEATS");
  CHECK(e->message == "all 5 seats are in use");
  CHECK(proto::error_code_from_string(e->code) == proto::error_code::no_seats);
  CHECK(proto::format_error("9", proto::error_code::no_seats, "a\tb\x7f") == "ERR 9 NO_SEATS a b ");

  // Control characters are refused inside a reply (the fuzzer's "OK 1\r ": its id would lose
  // the CR when formatted again); a CR at the end is the line's CRLF.
  CHECK_FALSE(proto::parse_reply("OK 1\r "));
  CHECK_FALSE(proto::parse_reply("OK 1 lease=a\tb"));
  CHECK(proto::parse_reply("OK 1\r"));

  CHECK_FALSE(proto::parse_reply("HELLO"));
  CHECK_FALSE(proto::parse_reply("WHAT 1 x"));
  CHECK(proto::format_error("1", proto::error_code::server_error, std::string(5000, 'x')).size()
        == proto::max_line);
}

TEST_CASE("every error code has a distinct wire name", "[net][protocol]") {
  for (int i = 0; i <= static_cast<int>(proto::error_code::disconnected); ++i) {
    auto code = static_cast<proto::error_code>(i);
    CHECK(proto::error_code_from_string(proto::to_string(code)) == code);
  }
}
