#pragma once

#include "client/connection.hpp"
#include "licd_process.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

namespace licd::test {

/// A temp dir with a data dir inside it, and the licd running on it.
struct server_fixture {
  temp_dir tmp;
  std::string data = tmp.path() + "/data";
  std::unique_ptr<licd_process> licd;
  std::vector<std::string> env; ///< added to licd's environment at every start

  explicit server_fixture(std::vector<std::string> args = {"--demo"},
                          std::vector<std::string> environment = {})
    : env(std::move(environment)) {
    start(std::move(args));
  }
  /// The server's log goes to stderr, which ctest --output-on-failure shows for failed tests.
  ~server_fixture() {
    if (licd)
      std::cerr << "---- licd log (" << licd->log_path() << ") ----\n" << licd->log();
  }
  void start(std::vector<std::string> args = {"--demo"}) {
    licd = std::make_unique<licd_process>(data, std::move(args), env);
  }
};

/// A self-signed TLS certificate for 127.0.0.1 made by `licd --make-tls-cert` in `dir`, and
/// the fingerprint licd printed for clients to pin.
struct tls_files {
  std::string cert, key, pin;
};
inline tls_files make_tls_cert(const std::string& dir) {
  tls_files f{dir + "/tls.crt", dir + "/tls.key", ""};
  auto made = run({LICD_BINARY, "--data-dir=" + dir + "/unused", "--make-tls-cert",
                   "--tls-cert=" + f.cert, "--tls-key=" + f.key, "--tls-name=127.0.0.1"});
  REQUIRE(made.status == 0);
  auto at = made.out.find("fingerprint (clients pin it): ");
  REQUIRE(at != std::string::npos);
  f.pin = made.out.substr(at + 30, 64);
  return f;
}

/// A connection that said HELLO as `computer`.
inline std::unique_ptr<client::connection> connect_as(const licd_process& p,
                                                      const std::string& computer,
                                                      const std::string& user = "tester") {
  auto c = std::make_unique<client::connection>("127.0.0.1", p.port());
  c->hello(computer, user, "1");
  return c;
}

/// The used seats of one product.
inline uint32_t used_seats(const licd_process& p, const std::string& product = "demo") {
  client::connection c("127.0.0.1", p.port());
  auto all = c.status(product);
  REQUIRE(all.size() == 1);
  return all[0].used;
}

/// Polls `pred` every 50 ms for up to `patience`; true as soon as it holds.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds patience) {
  auto until = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < until) {
    if (pred())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

/// The error code a refused request carries, or "" when it succeeded.
template <class F>
std::string refusal(F f) {
  try {
    f();
  } catch (const client::refused& e) {
    return e.code_text();
  }
  return "";
}

/// A port nobody listens on right now (TCP or UDP), for servers the tests restart on one port.
inline uint16_t free_port(int type = SOCK_STREAM) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

} // namespace licd::test
