// licclient: a thin command line over the client library.
// Exit status: 0 success, 2 usage error, 3 refused (by the server: no free seat, unknown product,
// unknown lease, ...; or a stand-alone code, response or license that does not pass), 4 server
// unreachable or connection lost, 1 anything else.

#include "client/connection.hpp"
#include "client/standalone.hpp"
#include "platform/machine.hpp"
#include "storage/files.hpp"
#include "licd/version.hpp"

#include "tools/common/cli.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>

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

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words)
    out += (out.empty() ? "" : " ") + w;
  if (out == "-")
    out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  return out;
}

/// The stand-alone commands: no server, no network.
struct standalone_cli {
  CLI::App* group = nullptr;
  CLI::App *add = nullptr, *activate = nullptr, *list = nullptr, *check = nullptr,
           *remove = nullptr;
  std::vector<std::string> vendor_keys;
  std::string file = licd::client::standalone_store::default_path();
  std::vector<std::string> words;
  std::string target, response;

  void define(CLI::App& app) {
    group = app.add_subcommand("standalone", "stand-alone licenses on this workstation (no server)")
              ->require_subcommand(1);
    group->add_option("--vendor-key", vendor_keys,
                      "the vendor's public key file (PEM); repeat for several vendors")
      ->required();
    group->add_option("--file", file, "the license file ($LICD_STANDALONE_FILE)")
      ->capture_default_str();
    add = group->add_subcommand("add", "verify and store a stand-alone license code");
    add->add_option("CODE", words, "the code (several words are joined; - reads stdin)")
      ->required();
    activate = group->add_subcommand(
      "activate", "print the activation request for the vendor, or apply its --response");
    activate->add_option("PRODUCT", target, "product name or license id")->required();
    activate->add_option("--response", response, "the vendor's activation response");
    list = group->add_subcommand("list", "stored licenses with their states here");
    check = group->add_subcommand("check", "exit 0 if the product has an active license here");
    check->add_option("PRODUCT", target)->required();
    remove = group->add_subcommand("remove", "forget a stored license");
    remove->add_option("ID", target)->required();
  }

  int run(bool json) {
    using namespace licd;
    client::standalone_context ctx;
    for (const auto& path : vendor_keys) {
      auto pub = engine::ed25519::public_key::from_pem(files::read_file(path));
      ctx.keys.emplace(pub.key_id(), pub);
    }
    auto machine = platform::probe_machine();
    ctx.machine = machine.facts;
    using namespace std::chrono;
    ctx.today = static_cast<int32_t>(
      duration_cast<hours>(system_clock::now().time_since_epoch()).count() / 24);
    if (check->parsed()) {
      auto v = client::check_standalone(target, ctx, file);
      if (json)
        std::cout << nlohmann::json{{"product", target}, {"ok", v.ok}, {"message", v.message}}
                       .dump()
                  << '\n';
      else
        std::cout << v.message << '\n';
      return v.ok ? 0 : exit_refused;
    }
    client::standalone_store store(file);
    if (add->parsed()) {
      auto lic = store.add(join(words), ctx);
      if (json)
        std::cout << nlohmann::json{{"id", lic.id_hex()}, {"product", lic.product},
                                    {"state", "not activated"}}
                       .dump()
                  << '\n';
      else
        std::cout << "stored stand-alone license " << lic.id_hex() << " for " << lic.product
                  << "; activate it with: licclient standalone activate " << lic.product << '\n';
    } else if (activate->parsed() && response.empty()) {
      auto request = store.request(target, ctx);
      if (json)
        std::cout << nlohmann::json{{"request", request}}.dump() << '\n';
      else
        std::cout << "Send this activation request to the vendor:\n\n" << request
                  << "\n\nthen apply the response with:\n  licclient standalone activate "
                  << target << " --response=LICD-...\n";
    } else if (activate->parsed()) {
      auto lic = store.activate(target, response, ctx);
      if (json)
        std::cout << nlohmann::json{{"id", lic.id_hex()}, {"product", lic.product},
                                    {"state", "active"}}
                       .dump()
                  << '\n';
      else
        std::cout << "stand-alone license " << lic.id_hex() << " for " << lic.product
                  << " is active on this machine\n";
    } else if (list->parsed()) {
      auto all = store.list(ctx);
      auto arr = nlohmann::json::array();
      for (const auto& l : all) {
        const auto& lic = l.inst.lic;
        arr.push_back({{"id", lic.id_hex()},
                       {"product", lic.product},
                       {"state", std::string(engine::to_string(l.state))},
                       {"expires", lic.expires_day == 0 ? "never"
                                                        : engine::format_date(lic.expires_day)},
                       {"customer", lic.customer}});
      }
      if (json) {
        std::cout << nlohmann::json{{"file", store.path()}, {"licenses", arr}}.dump() << '\n';
      } else {
        std::printf("%-16s  %-20s  %-18s  %s\n", "ID", "PRODUCT", "STATE", "EXPIRES");
        for (const auto& l : arr)
          std::printf("%-16s  %-20s  %-18s  %s\n", l["id"].get<std::string>().c_str(),
                      l["product"].get<std::string>().c_str(),
                      l["state"].get<std::string>().c_str(),
                      l["expires"].get<std::string>().c_str());
        for (const auto& w : machine.warnings)
          std::cerr << "licclient: hardware binding: " << w << '\n';
      }
    } else if (remove->parsed()) {
      if (!store.remove(target))
        throw client::standalone_error("not_found", "no stored stand-alone license " + target);
      std::cout << (json ? nlohmann::json{{"id", target}, {"removed", true}}.dump()
                         : "removed stand-alone license " + target)
                << '\n';
    }
    return 0;
  }
};

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

  standalone_cli sa;
  sa.define(app);

  if (auto stop = licd::tools::parse_command_line(app, argc, argv))
    return *stop;

  try {
    if (sa.group->parsed())
      return sa.run(json);
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
  } catch (const licd::client::standalone_error& e) {
    return fail(json, exit_refused, e.code(), e.what());
  } catch (const licd::client::connection_error& e) {
    return fail(json, exit_unreachable, "UNREACHABLE", e.what());
  } catch (const std::exception& e) {
    return fail(json, 1, "ERROR", e.what());
  }
  return 0;
}
