// licclient servers, mode show, mode set: what this workstation finds on the network and how it
// is configured to license each product.

#include "tools/licclient/commands.hpp"

#include "client/config.hpp"

#include <iostream>

namespace licd::licclient {
namespace {

class workstation_group final : public command_group {
public:
  void define(CLI::App& app, globals& g) override {
    g_ = &g;
    servers_ = app.add_subcommand("servers", "every server that answers discovery");
    servers_->add_option("PRODUCT", wanted_, "show these products' seats (default: all)");
    auto* mode = app.add_subcommand("mode", "the license mode of products on this workstation")
                   ->require_subcommand(1);
    mode_show_ = mode->add_subcommand("show", "each product's mode and where it comes from");
    mode_show_->add_option("PRODUCT", product_);
    mode_set_ = mode->add_subcommand("set", "set a product's mode (in your user config)");
    mode_set_->add_option("PRODUCT", product_)->required();
    mode_set_->add_option("MODE", new_mode_, "network or standalone")
      ->required()
      ->check(CLI::IsMember({"network", "standalone"}));
    mode_set_->add_option("--server", mode_servers_, "auto, or HOST:PORT[,HOST:PORT...]")
      ->capture_default_str();
    mode_set_->add_flag("--system", system_wide_, "write the system-wide file instead (root)");
  }

  bool parsed() const override {
    return servers_->parsed() || mode_show_->parsed() || mode_set_->parsed();
  }

  int run() override {
    if (servers_->parsed())
      return servers();
    if (mode_show_->parsed())
      return mode_show();
    auto path = system_wide_ ? client::system_config_path() : client::user_config_path();
    client::set_product_mode(path, product_, new_mode_, client::parse_server_list(mode_servers_));
    print(*g_, {{"product", product_}, {"mode", new_mode_}, {"file", path}},
          product_ + " now uses a " + new_mode_ + " license (" + path + ")");
    return 0;
  }

private:
  int servers() {
    auto dopts = g_->discovery;
    dopts.gather_all = true;
    auto found = client::discover(wanted_, dopts);
    auto arr = nlohmann::json::array();
    std::string text;
    for (const auto& f : found) {
      auto products = nlohmann::json::array();
      text += f.endpoint() + "  " + f.name + (f.tls ? "  (TLS)" : "") + "\n";
      for (const auto& p : f.products) {
        products.push_back({{"product", p.product}, {"seats", p.seats}, {"free", p.free}});
        text += "    " + p.product + ": " + std::to_string(p.free) + " of "
                + std::to_string(p.seats) + " seats free\n";
      }
      arr.push_back(
        {{"server", f.endpoint()}, {"name", f.name}, {"tls", f.tls}, {"products", products}});
    }
    if (g_->json)
      std::cout << nlohmann::json{{"servers", arr}}.dump() << '\n';
    else
      std::cout << text;
    return found.empty() ? tools::exit_unreachable : 0;
  }

  int mode_show() {
    auto cfg = client::load_mode_config();
    std::vector<std::string> names;
    if (!product_.empty())
      names.push_back(product_);
    else
      for (const auto& kv : cfg.products)
        names.push_back(kv.first);
    auto arr = nlohmann::json::array();
    std::string text;
    for (const auto& n : names) {
      auto m = cfg.for_product(n);
      std::string list;
      for (const auto& s : m.servers)
        list += (list.empty() ? "" : ",") + s;
      std::string server = m.mode == "standalone" ? "" : list.empty() ? "auto" : list;
      std::string from = m.source.empty() ? "default" : m.source;
      arr.push_back({{"product", n}, {"mode", m.mode}, {"server", server}, {"from", from}});
      text += n + ": " + m.mode + (server.empty() ? "" : " (server " + server + ")") + "  [" + from
              + "]\n";
    }
    if (g_->json)
      std::cout << nlohmann::json{{"products", arr}}.dump() << '\n';
    else
      std::cout << text;
    return 0;
  }

  globals* g_ = nullptr;
  CLI::App *servers_ = nullptr, *mode_show_ = nullptr, *mode_set_ = nullptr;
  std::vector<std::string> wanted_;
  std::string product_, new_mode_, mode_servers_ = "auto";
  bool system_wide_ = false;
};

} // namespace

std::unique_ptr<command_group> workstation_commands() {
  return std::make_unique<workstation_group>();
}

} // namespace licd::licclient
