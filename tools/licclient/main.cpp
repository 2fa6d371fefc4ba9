// licclient: a thin command line over the client library.
// Exit status: 0 success, 2 usage error, 3 refused (by the server: no free seat, unknown product,
// unknown lease, ...; or a stand-alone code, response or license that does not pass), 4 server
// unreachable or connection lost, 1 anything else.

#include "client/config.hpp"
#include "client/connection.hpp"
#include "client/discovery.hpp"
#include "client/seat.hpp"
#include "client/standalone.hpp"
#include "platform/host.hpp"
#include "platform/machine.hpp"
#include "storage/files.hpp"
#include "licd/version.hpp"

#include "tools/common/cli.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <thread>

namespace {

using licd::engine::errc;
using licd::tools::exit_refused;
using licd::tools::exit_unreachable;

int fail(bool json, errc code, const std::string& message) {
  return licd::tools::report_error("licclient", json, code, message);
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
    ctx.today = licd::platform::today_day();
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
        throw client::standalone_error(errc::not_found, "no stored stand-alone license " + target);
      std::cout << (json ? nlohmann::json{{"id", target}, {"removed", true}}.dump()
                         : "removed stand-alone license " + target)
                << '\n';
    }
    return 0;
  }
};

/// Where to connect for `product` (empty: any server): --server, $LICD_SERVER or the product's
/// mode config (configured_servers), else the first server discovery finds (with a free seat,
/// if asked for a product).
std::vector<std::string> resolve_servers(const std::string& flag, const std::string& product,
                                         const licd::client::discovery_options& dopts) {
  using namespace licd::client;
  auto configured = configured_servers(
    flag.empty() ? std::vector<std::string>{} : parse_server_list(flag),
    product.empty() ? product_mode{} : load_mode_config().for_product(product));
  if (!configured.empty())
    return configured;
  auto found = discover(product.empty() ? std::vector<std::string>{}
                                        : std::vector<std::string>{product},
                        dopts);
  if (found.empty())
    throw connection_error("no licd answered the discovery broadcast on port "
                           + std::to_string(dopts.port)
                           + " (give the server with --server=HOST:PORT or $LICD_SERVER)");
  if (!product.empty())
    if (auto best = choose(found, product))
      return {best->endpoint()};
  return {found.front().endpoint()};
}

/// Connects to the first server of the list that answers.
std::unique_ptr<licd::client::connection> connect_first(const std::vector<std::string>& servers,
                                                        const licd::client::tls_options& tls) {
  std::string why;
  for (const auto& s : servers) {
    try {
      auto [host, port] = licd::client::parse_endpoint(s);
      return std::make_unique<licd::client::connection>(host, port,
                                                        std::chrono::milliseconds(5000), tls);
    } catch (const licd::client::tls_error&) {
      throw; // a certificate that does not pass is not a reason to try the next server
    } catch (const licd::client::connection_error& e) {
      why = e.what();
    }
  }
  throw licd::client::connection_error(why.empty() ? "no server given" : why);
}

} // namespace

int main(int argc, char** argv) {
  std::string server_flag;
  std::string computer = licd::platform::host_name("unknown-host");
  std::string user = licd::platform::user_name("unknown-user");
  bool json = false;
  std::string product;
  std::string lease;
  licd::client::discovery_options dopts;
  licd::client::tls_options tls;

  CLI::App app{"licclient: floating licenses from a licd server, and stand-alone licenses"};
  licd::tools::global_options_anywhere(app);
  app.set_version_flag("--version", std::string("licclient ") + licd::version);
  app.add_option("--server", server_flag,
                 "HOST:PORT of the licd server, or a comma-separated list tried in order "
                 "(default: $LICD_SERVER, the product's mode config, else discovery)");
  app.add_option("--discovery-port", dopts.port, "UDP port of the discovery broadcast")
    ->capture_default_str();
  app.add_option("--discovery-target", dopts.targets,
                 "where to send the discovery query: a (directed) broadcast or a server's "
                 "address; repeat for several (default: every interface's broadcast address)");
  app.add_option("--computer", computer, "computer name to present (default: this host)");
  app.add_option("--user", user, "user name to present (default: the current user)");
  app.add_option("--tls-ca", tls.ca_file,
                 "speak TLS, verifying the server against this CA (or self-signed) certificate");
  app.add_option("--tls-pin", tls.pin_sha256,
                 "speak TLS, verifying the server by its certificate's SHA-256 fingerprint");
  app.add_flag("--json", json, "print JSON");
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
  auto* hold = app.add_subcommand(
    "hold", "check a seat out and keep it, renewing, until interrupted; prints lease events");
  hold->add_option("PRODUCT", product, "product name")->required();
  unsigned hold_timeout = 30;
  hold->add_option("--timeout", hold_timeout, "seconds to keep trying for a seat")
    ->capture_default_str();
  std::vector<std::string> wanted;
  auto* servers = app.add_subcommand("servers", "every server that answers discovery");
  servers->add_option("PRODUCT", wanted, "show these products' seats (default: all)");
  auto* mode = app.add_subcommand("mode", "the license mode of products on this workstation")
                 ->require_subcommand(1);
  auto* mode_show = mode->add_subcommand("show", "each product's mode and where it comes from");
  mode_show->add_option("PRODUCT", product);
  auto* mode_set = mode->add_subcommand("set", "set a product's mode (in your user config)");
  std::string new_mode, mode_servers = "auto";
  bool system_wide = false;
  mode_set->add_option("PRODUCT", product)->required();
  mode_set->add_option("MODE", new_mode, "network or standalone")
    ->required()
    ->check(CLI::IsMember({"network", "standalone"}));
  mode_set->add_option("--server", mode_servers, "auto, or HOST:PORT[,HOST:PORT...]")
    ->capture_default_str();
  mode_set->add_flag("--system", system_wide, "write the system-wide file instead (root)");
  standalone_cli sa;
  sa.define(app);

  if (auto stop = licd::tools::parse_command_line(app, argc, argv))
    return *stop;
  tls.enabled = !tls.ca_file.empty() || !tls.pin_sha256.empty();

  try {
    if (sa.group->parsed())
      return sa.run(json);
    if (servers->parsed()) {
      dopts.gather_all = true;
      auto found = licd::client::discover(wanted, dopts);
      auto arr = nlohmann::json::array();
      for (const auto& f : found) {
        auto products = nlohmann::json::array();
        for (const auto& p : f.products)
          products.push_back({{"product", p.product}, {"seats", p.seats}, {"free", p.free}});
        arr.push_back({{"server", f.endpoint()}, {"name", f.name}, {"tls", f.tls},
                       {"products", products}});
      }
      if (json) {
        std::cout << nlohmann::json{{"servers", arr}}.dump() << '\n';
      } else {
        for (const auto& f : found) {
          std::cout << f.endpoint() << "  " << f.name << (f.tls ? "  (TLS)" : "") << '\n';
          for (const auto& p : f.products)
            std::cout << "    " << p.product << ": " << p.free << " of " << p.seats
                      << " seats free\n";
        }
      }
      return found.empty() ? exit_unreachable : 0;
    }
    if (mode_show->parsed()) {
      auto cfg = licd::client::load_mode_config();
      std::vector<std::string> names;
      if (!product.empty())
        names.push_back(product);
      else
        for (const auto& kv : cfg.products)
          names.push_back(kv.first);
      auto arr = nlohmann::json::array();
      for (const auto& n : names) {
        auto m = cfg.for_product(n);
        std::string list;
        for (const auto& s : m.servers)
          list += (list.empty() ? "" : ",") + s;
        arr.push_back({{"product", n},
                       {"mode", m.mode},
                       {"server", m.mode == "standalone" ? "" : list.empty() ? "auto" : list},
                       {"from", m.source.empty() ? "default" : m.source}});
      }
      if (json) {
        std::cout << nlohmann::json{{"products", arr}}.dump() << '\n';
      } else {
        for (const auto& a : arr)
          std::cout << a["product"].get<std::string>() << ": " << a["mode"].get<std::string>()
                    << (a["server"].get<std::string>().empty()
                          ? ""
                          : " (server " + a["server"].get<std::string>() + ")")
                    << "  [" << a["from"].get<std::string>() << "]\n";
      }
      return 0;
    }
    if (mode_set->parsed()) {
      auto path = system_wide ? licd::client::system_config_path()
                              : licd::client::user_config_path();
      licd::client::set_product_mode(path, product, new_mode,
                                     licd::client::parse_server_list(mode_servers));
      std::cout << (json ? nlohmann::json{{"product", product}, {"mode", new_mode}, {"file", path}}
                             .dump()
                         : product + " now uses a " + new_mode + " license (" + path + ")")
                << '\n';
      return 0;
    }
    if (hold->parsed() || co->parsed()) {
      // A product this computer runs on a stand-alone license takes no network seat.
      auto mode = licd::client::load_mode_config().for_product(product);
      if (mode.mode == "standalone")
        return fail(json, errc::standalone_mode,
                    product + " uses a stand-alone license on this computer (" + mode.source
                      + "): no network seat is taken. Check it with `licclient standalone check "
                      + product + "`, or switch with `licclient mode set " + product + " network`");
    }
    if (hold->parsed()) {
      licd::client::seat_options so;
      so.product = product;
      so.servers = licd::client::configured_servers( // empty: the seat discovers one
        server_flag.empty() ? std::vector<std::string>{}
                            : licd::client::parse_server_list(server_flag),
        licd::client::load_mode_config().for_product(product));
      so.discovery = dopts;
      so.computer = computer;
      so.user = user;
      so.tls = tls;
      so.acquire_timeout = std::chrono::seconds(hold_timeout);
      auto print = [json](const std::string& event, const std::string& lease,
                          const std::string& detail) {
        if (json)
          std::cout << nlohmann::json{{"event", event}, {"lease", lease}, {"detail", detail}}.dump()
                    << std::endl;
        else
          std::cout << event << " " << lease << (detail.empty() ? "" : ": " + detail) << std::endl;
      };
      licd::client::seat* current = nullptr;
      so.on_event = [&](licd::client::seat_event e, const std::string& detail) {
        print(std::string(licd::client::to_string(e)), current ? current->lease() : "", detail);
      };
      sigset_t stop_set;
      sigemptyset(&stop_set);
      sigaddset(&stop_set, SIGINT);
      sigaddset(&stop_set, SIGTERM);
      pthread_sigmask(SIG_BLOCK, &stop_set, nullptr); // the renewal thread inherits the mask
      // Waiting for a seat (NO_SEATS, an unreachable server) can take --timeout seconds: a stop
      // signal meanwhile ends licclient at once (no seat is held yet). Once one is held, the
      // signal releases it below.
      std::atomic<bool> acquiring{true};
      std::thread([&acquiring, stop_set] {
        int sig = 0;
        sigwait(&stop_set, &sig);
        if (acquiring.load()) {
          std::cerr << "licclient: interrupted while waiting for a seat\n";
          std::_Exit(128 + sig);
        }
        // Held by now: hand the signal back to the main thread's sigwait.
        ::kill(::getpid(), sig);
      }).detach();
      licd::client::seat held(std::move(so));
      acquiring.store(false);
      current = &held;
      print("acquired", held.lease(),
            "from " + held.server() + ", ttl " + std::to_string(held.ttl()) + " s");
      int sig = 0;
      sigwait(&stop_set, &sig);
      held.release();
      print("released", held.lease(), "");
      return 0;
    }
    auto servers_to_try = resolve_servers(server_flag, co->parsed() ? product : "", dopts);
    auto conn = connect_first(servers_to_try, tls);
    conn->hello(computer, user, std::to_string(getpid()));
    auto& c = *conn;
    if (co->parsed()) {
      auto g = c.checkout(product);
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
      auto left = c.renew(lease);
      if (json)
        std::cout << nlohmann::json{{"lease", lease}, {"expires_in", left}}.dump() << '\n';
      else
        std::cout << "lease " << lease << " renewed, expires in " << left << " s\n";
    } else if (rl->parsed()) {
      c.release(lease);
      if (json)
        std::cout << nlohmann::json{{"lease", lease}, {"released", true}}.dump() << '\n';
      else
        std::cout << "lease " << lease << " released\n";
    } else if (st->parsed()) {
      auto all = c.status(product);
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
    return fail(json, errc::bad_argument, e.what());
  } catch (const licd::client::refused& e) {
    return fail(json, e.code(), e.message());
  } catch (const licd::client::standalone_error& e) {
    return fail(json, e.code(), e.what());
  } catch (const licd::client::tls_error& e) {
    return fail(json, errc::tls_failed, e.what());
  } catch (const licd::client::connection_error& e) {
    return fail(json, errc::unreachable, e.what());
  } catch (const std::exception& e) {
    return fail(json, errc::failed, e.what());
  }
  return 0;
}
