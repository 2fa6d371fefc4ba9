// licclient checkout, renew, release, status, hold: the commands that talk to a licd server.

#include "tools/licclient/commands.hpp"

#include "client/config.hpp"
#include "client/seat.hpp"
#include "client/standalone.hpp"
#include "net/protocol.hpp"

#include "platform/host.hpp"
#include "tools/licclient/stop_signal.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>

namespace licd::licclient {
namespace {

using engine::errc;

/// Where to connect for `product` (empty: any server): --server, $LICD_SERVER or the product's
/// mode config (configured_servers), else the first server discovery finds (with a free seat,
/// if asked for a product).
std::vector<std::string> resolve_servers(const std::string& flag, const std::string& product,
                                         const client::discovery_options& dopts) {
  auto configured = client::configured_servers(
    flag.empty() ? std::vector<std::string>{} : client::parse_server_list(flag),
    product.empty() ? client::product_mode{} : client::load_mode_config().for_product(product));
  if (!configured.empty())
    return configured;
  auto found = client::discover(
    product.empty() ? std::vector<std::string>{} : std::vector<std::string>{product}, dopts);
  if (found.empty())
    throw client::connection_error("no licd answered the discovery broadcast on port "
                                   + std::to_string(dopts.port)
                                   + " (give the server with --server=HOST:PORT or $LICD_SERVER)");
  if (!product.empty())
    if (auto best = client::choose(found, product))
      return {best->endpoint()};
  return {found.front().endpoint()};
}

class lease_group final : public command_group {
public:
  void define(CLI::App& app, globals& g) override {
    g_ = &g;
    checkout_ = app.add_subcommand("checkout", "check a seat out");
    checkout_->add_option("PRODUCT", product_, "product name")->required();
    checkout_->add_option("--computer", g.computer,
                          "computer name to present (default: this host)");
    checkout_->add_option("--user", g.user, "user name to present (default: the current user)");
    checkout_
      ->add_option("--wait", wait_,
                   "when no seat is free, wait this many seconds in the server's queue for one")
      ->check(CLI::Range(0u, net::protocol::max_wait_seconds))
      ->capture_default_str();
    renew_ = app.add_subcommand("renew", "renew a lease");
    renew_->add_option("LEASE", lease_, "lease id")->required();
    release_ = app.add_subcommand("release", "release a lease");
    release_->add_option("LEASE", lease_, "lease id")->required();
    status_ = app.add_subcommand("status", "seats and seats in use per product");
    status_->add_option("PRODUCT", product_, "only this product");
    hold_ = app.add_subcommand(
      "hold", "check a seat out and keep it, renewing, until interrupted; prints lease events");
    hold_->add_option("PRODUCT", product_, "product name")->required();
    hold_
      ->add_option("--wait,--timeout", hold_timeout_,
                   "seconds to wait for a seat (in the server's queue when none is free)")
      ->capture_default_str();
  }

  bool parsed() const override {
    return checkout_->parsed() || renew_->parsed() || release_->parsed() || status_->parsed()
           || hold_->parsed();
  }

  int run() override {
    if (checkout_->parsed() || hold_->parsed()) {
      // A product this computer runs on a stand-alone license takes no network seat.
      auto mode = client::load_mode_config().for_product(product_);
      if (mode.mode == "standalone")
        throw client::standalone_error(
          errc::standalone_mode,
          product_ + " uses a stand-alone license on this computer (" + mode.source
            + "): no network seat is taken. Check it with `licclient standalone check " + product_
            + "`, or switch with `licclient mode set " + product_ + " network`");
    }
    if (hold_->parsed())
      return hold();
    // The first server that answers; a cluster's standby sends it on to the leader.
    auto conn =
      client::connect_and_hello(
        resolve_servers(g_->server_flag, checkout_->parsed() ? product_ : "", g_->discovery),
        g_->computer, g_->user, std::to_string(platform::process_id()),
        std::chrono::milliseconds(5000), g_->tls)
        .conn;
    if (checkout_->parsed()) {
      client::connection::waiting w;
      w.wait = std::chrono::seconds(wait_);
      w.on_queued = [this](uint32_t position, uint32_t waiting) {
        // stderr: stdout holds the one result (or its JSON).
        std::cerr << "licclient: no seat of " << product_ << " now; waiting in line, position "
                  << position << " of " << waiting << std::endl;
      };
      auto g = conn->checkout(product_, w);
      print(*g_,
            {{"lease", g.lease},
             {"product", g.product},
             {"expires_in", g.expires_in},
             {"seats", g.seats},
             {"used", g.used}},
            "lease " + g.lease + " for " + g.product + ", expires in "
              + std::to_string(g.expires_in) + " s (" + std::to_string(g.used) + " of "
              + std::to_string(g.seats) + " seats in use)");
    } else if (renew_->parsed()) {
      auto left = conn->renew(lease_);
      print(*g_, {{"lease", lease_}, {"expires_in", left}},
            "lease " + lease_ + " renewed, expires in " + std::to_string(left) + " s");
    } else if (release_->parsed()) {
      conn->release(lease_);
      print(*g_, {{"lease", lease_}, {"released", true}}, "lease " + lease_ + " released");
    } else if (status_->parsed()) {
      auto all = conn->status(product_);
      if (g_->json) {
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
    return 0;
  }

private:
  /// Checks a seat out, keeps it (the seat renews it) and prints its events until stopped
  /// (stop_signal), then releases it.
  int hold() {
    client::seat_options so;
    so.product = product_;
    so.servers = client::configured_servers( // empty: the seat discovers one
      g_->server_flag.empty() ? std::vector<std::string>{}
                              : client::parse_server_list(g_->server_flag),
      client::load_mode_config().for_product(product_));
    so.discovery = g_->discovery;
    so.computer = g_->computer;
    so.user = g_->user;
    so.tls = g_->tls;
    so.acquire_timeout = std::chrono::seconds(hold_timeout_);
    auto event = [this](const std::string& what, const std::string& lease,
                        const std::string& detail) {
      if (g_->json)
        std::cout << nlohmann::json{{"event", what}, {"lease", lease}, {"detail", detail}}.dump()
                  << std::endl;
      else
        std::cout << what << " " << lease << (detail.empty() ? "" : ": " + detail) << std::endl;
    };
    client::seat* current = nullptr;
    so.on_event = [&](client::seat_event e, const std::string& detail) {
      event(std::string(client::to_string(e)), current ? current->lease() : "", detail);
    };
    static stop_signal stop; // its waiting thread outlives this call
    // Waiting for a seat (NO_SEATS, an unreachable server) can take --timeout seconds: a stop
    // meanwhile ends licclient at once (no seat is held yet). Once one is held, a stop releases it.
    stop.exit_on_stop(true);
    client::seat held(std::move(so));
    stop.exit_on_stop(false);
    current = &held;
    event("acquired", held.lease(),
          "from " + held.server() + ", ttl " + std::to_string(held.ttl()) + " s");
    stop.wait();
    held.release();
    event("released", held.lease(), "");
    return 0;
  }

  globals* g_ = nullptr;
  CLI::App *checkout_ = nullptr, *renew_ = nullptr, *release_ = nullptr, *status_ = nullptr,
           *hold_ = nullptr;
  std::string product_, lease_;
  unsigned hold_timeout_ = 30;
  uint32_t wait_ = 0;
};

} // namespace

std::unique_ptr<command_group> lease_commands() {
  return std::make_unique<lease_group>();
}

} // namespace licd::licclient
