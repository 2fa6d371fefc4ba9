// licclient: a thin command line over the client library.
// Exit status: 0 success, 2 usage error, 3 refused by the server (no free seat, unknown product,
// unknown lease, ...), 4 server unreachable or connection lost, 1 anything else.

#include "client/connection.hpp"
#include "licd/version.hpp"

#include "tools/common/cli.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace {

constexpr int exit_usage = licd::tools::exit_usage;
constexpr int exit_refused = 3;
constexpr int exit_unreachable = 4;

std::string this_host() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0')
    return "unknown-host";
  return buf;
}

std::string this_user() {
  if (auto* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr)
    return pw->pw_name;
  if (const char* u = std::getenv("USER"))
    return u;
  return "unknown-user";
}

int fail(bool json, int code, const std::string& kind, const std::string& message) {
  if (json)
    std::cout << nlohmann::json{{"error", kind}, {"message", message}}.dump() << '\n';
  else
    std::cerr << "licclient: " << message << '\n';
  return code;
}

} // namespace

int main(int argc, char** argv) {
  std::string server = "127.0.0.1:27600";
  if (const char* env = std::getenv("LICD_SERVER"))
    server = env;
  std::string computer = this_host();
  std::string user = this_user();
  bool json = false;
  std::string product;
  std::string lease;

  CLI::App app{"licclient: check floating licenses out of a licd server"};
  app.set_version_flag("--version", std::string("licclient ") + licd::version);
  app.add_option("--server", server, "HOST:PORT of the licd server ($LICD_SERVER)")
    ->capture_default_str();
  app.add_option("--computer", computer, "computer name to present (default: this host)");
  app.add_option("--user", user, "user name to present (default: the current user)");
  app.add_flag("--json", json, "print one JSON object");
  app.require_subcommand(1);
  auto* co = app.add_subcommand("checkout", "check a seat out");
  co->add_option("PRODUCT", product, "product name")->required();
  co->add_option("--computer", computer, "computer name to present (default: this host)");
  co->add_option("--user", user, "user name to present (default: the current user)");
  auto* rn = app.add_subcommand("renew", "renew a lease");
  rn->add_option("LEASE", lease, "lease id")->required();
  auto* rl = app.add_subcommand("release", "release a lease");
  rl->add_option("LEASE", lease, "lease id")->required();
  auto* st = app.add_subcommand("status", "seats and seats in use per product");
  st->add_option("PRODUCT", product, "only this product");

  if (auto stop = licd::tools::parse_command_line(app, argc, argv))
    return *stop;

  try {
    auto [host, port] = licd::client::parse_endpoint(server);
    licd::client::connection conn(host, port);
    conn.hello(computer, user, std::to_string(getpid()));
    if (co->parsed()) {
      auto g = conn.checkout(product);
      if (json)
        std::cout << nlohmann::json{{"lease", g.lease},     {"product", g.product},
                                    {"expires_in", g.expires_in}, {"seats", g.seats},
                                    {"used", g.used}}
                       .dump()
                  << '\n';
      else
        std::cout << "lease " << g.lease << " for " << g.product << ", expires in "
                  << g.expires_in << " s (" << g.used << " of " << g.seats
                  << " seats in use)\n";
    } else if (rn->parsed()) {
      auto left = conn.renew(lease);
      if (json)
        std::cout << nlohmann::json{{"lease", lease}, {"expires_in", left}}.dump() << '\n';
      else
        std::cout << "lease " << lease << " renewed, expires in " << left << " s\n";
    } else if (rl->parsed()) {
      conn.release(lease);
      if (json)
        std::cout << nlohmann::json{{"lease", lease}, {"released", true}}.dump() << '\n';
      else
        std::cout << "lease " << lease << " released\n";
    } else if (st->parsed()) {
      auto all = conn.status(product);
      if (json) {
        auto arr = nlohmann::json::array();
        for (const auto& p : all)
          arr.push_back({{"product", p.product}, {"seats", p.seats}, {"used", p.used}});
        std::cout << nlohmann::json{{"products", arr}}.dump() << '\n';
      } else {
        std::printf("%-24s %8s %8s\n", "PRODUCT", "SEATS", "USED");
        for (const auto& p : all)
          std::printf("%-24s %8u %8u\n", p.product.c_str(), p.seats, p.used);
      }
    }
  } catch (const std::invalid_argument& e) {
    return fail(json, exit_usage, "USAGE", e.what());
  } catch (const licd::client::refused& e) {
    return fail(json, exit_refused, e.code(), e.message());
  } catch (const licd::client::connection_error& e) {
    return fail(json, exit_unreachable, "UNREACHABLE", e.what());
  } catch (const std::exception& e) {
    return fail(json, 1, "ERROR", e.what());
  }
  return 0;
}
