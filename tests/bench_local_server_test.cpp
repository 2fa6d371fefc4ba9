#include "bench/licbench/local_server.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace licd::bench;

TEST_CASE("a listening socket's inode is found in /proc/net/tcp by its port", "[bench][local]") {
  const char* text =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
    "   0: 0100007F:9CFD 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
    "0 10468261 1 000000005d90757c 100 0 0 10 0\n"
    "   1: 0100007F:6BA0 0100007F:9CFD 01 00000000:00000000 00:00000000 00000000     0        "
    "0 555 1 000000003f2bade3 20 4 30 10 -1\n"
    "   2: 00000000:6BA0 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
    "0 135 1 000000003f2bade3 100 0 0 10 0\n";
  CHECK(listening_inode(text, 0x9CFD) == 10468261u);
  CHECK(listening_inode(text, 0x6BA0) == 135u); // the listener, not the connection on it
  CHECK_FALSE(listening_inode(text, 27600));
  CHECK_FALSE(listening_inode("", 27600));
  CHECK_FALSE(listening_inode("header only\n garbage line\n", 27600));
}

TEST_CASE("loopback hosts are told from others", "[bench][local]") {
  CHECK(is_loopback("127.0.0.1"));
  CHECK(is_loopback("127.1.2.3"));
  CHECK(is_loopback("::1"));
  CHECK(is_loopback("localhost"));
  CHECK_FALSE(is_loopback("10.0.0.1"));
  CHECK_FALSE(is_loopback("::"));
  CHECK_FALSE(is_loopback("licd.example.com"));
}

TEST_CASE("the process listening on a port is found", "[bench][local]") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  socklen_t len = sizeof(a);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  auto port = ntohs(a.sin_port);
  CHECK(find_listening_pid(port) == 0); // bound, not yet listening
  REQUIRE(::listen(fd, 1) == 0);
  CHECK(find_listening_pid(port) == ::getpid());
  ::close(fd);
  CHECK(find_listening_pid(port) == 0);
}
