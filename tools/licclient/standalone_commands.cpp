// licclient standalone ...: stand-alone licenses on this workstation, no server, no network.

#include "tools/licclient/commands.hpp"

#include "client/standalone.hpp"
#include "platform/host.hpp"
#include "platform/machine.hpp"
#include "storage/files.hpp"

#include <cstdio>
#include <iostream>
#include <iterator>

namespace licd::licclient {
namespace {

using engine::errc;

/// The code's words joined by spaces; "-" reads the code from stdin.
std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words)
    out += (out.empty() ? "" : " ") + w;
  if (out == "-")
    out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  return out;
}

class standalone_group final : public command_group {
public:
  void define(CLI::App& app, globals& g) override {
    g_ = &g;
    group_ =
      app.add_subcommand("standalone", "stand-alone licenses on this workstation (no server)")
        ->require_subcommand(1);
    group_
      ->add_option("--vendor-key", vendor_keys_,
                   "the vendor's public key file (PEM); repeat for several vendors")
      ->required();
    group_->add_option("--file", file_, "the license file ($LICD_STANDALONE_FILE)")
      ->capture_default_str();
    add_ = group_->add_subcommand("add", "verify and store a stand-alone license code");
    add_->add_option("CODE", words_, "the code (several words are joined; - reads stdin)")
      ->required();
    activate_ = group_->add_subcommand(
      "activate", "print the activation request for the vendor, or apply its --response");
    activate_->add_option("PRODUCT", target_, "product name or license id")->required();
    activate_->add_option("--response", response_, "the vendor's activation response");
    list_ = group_->add_subcommand("list", "stored licenses with their states here");
    check_ = group_->add_subcommand("check", "exit 0 if the product has an active license here");
    check_->add_option("PRODUCT", target_)->required();
    remove_ = group_->add_subcommand("remove", "forget a stored license");
    remove_->add_option("ID", target_)->required();
  }

  bool parsed() const override { return group_->parsed(); }

  int run() override {
    client::standalone_context ctx;
    for (const auto& path : vendor_keys_) {
      auto pub = engine::ed25519::public_key::from_pem(files::read_file(path));
      ctx.keys.emplace(pub.key_id(), pub);
    }
    auto machine = platform::probe_machine();
    ctx.machine = machine.facts;
    ctx.today = platform::today_day();
    if (check_->parsed()) {
      auto v = client::check_standalone(target_, ctx, file_);
      print(*g_, {{"product", target_}, {"ok", v.ok}, {"message", v.message}}, v.message);
      return v.ok ? 0 : tools::exit_refused;
    }
    client::standalone_store store(file_);
    if (add_->parsed()) {
      auto lic = store.add(join(words_), ctx);
      print(*g_, {{"id", lic.id_hex()}, {"product", lic.product}, {"state", "not activated"}},
            "stored stand-alone license " + lic.id_hex() + " for " + lic.product
              + "; activate it with: licclient standalone activate " + lic.product);
    } else if (activate_->parsed() && response_.empty()) {
      auto request = store.request(target_, ctx);
      print(*g_, {{"request", request}},
            "Send this activation request to the vendor:\n\n" + request
              + "\n\nthen apply the response with:\n  licclient standalone activate " + target_
              + " --response=LICD-...");
    } else if (activate_->parsed()) {
      auto lic = store.activate(target_, response_, ctx);
      print(*g_, {{"id", lic.id_hex()}, {"product", lic.product}, {"state", "active"}},
            "stand-alone license " + lic.id_hex() + " for " + lic.product
              + " is active on this machine");
    } else if (list_->parsed()) {
      list(store, ctx, machine.warnings);
    } else if (remove_->parsed()) {
      if (!store.remove(target_))
        throw client::standalone_error(errc::not_found, "no stored stand-alone license " + target_);
      print(*g_, {{"id", target_}, {"removed", true}}, "removed stand-alone license " + target_);
    }
    return 0;
  }

private:
  void list(client::standalone_store& store, const client::standalone_context& ctx,
            const std::vector<std::string>& warnings) const {
    auto arr = nlohmann::json::array();
    for (const auto& l : store.list(ctx)) {
      const auto& lic = l.inst.lic;
      arr.push_back(
        {{"id", lic.id_hex()},
         {"product", lic.product},
         {"state", std::string(engine::to_string(l.state))},
         {"expires", lic.expires_day == 0 ? "never" : engine::format_date(lic.expires_day)},
         {"customer", lic.customer}});
    }
    if (g_->json) {
      std::cout << nlohmann::json{{"file", store.path()}, {"licenses", arr}}.dump() << '\n';
      return;
    }
    std::printf("%-16s  %-20s  %-18s  %s\n", "ID", "PRODUCT", "STATE", "EXPIRES");
    for (const auto& l : arr)
      std::printf("%-16s  %-20s  %-18s  %s\n", l["id"].get<std::string>().c_str(),
                  l["product"].get<std::string>().c_str(), l["state"].get<std::string>().c_str(),
                  l["expires"].get<std::string>().c_str());
    for (const auto& w : warnings)
      std::cerr << "licclient: hardware binding: " << w << '\n';
  }

  globals* g_ = nullptr;
  CLI::App* group_ = nullptr;
  CLI::App *add_ = nullptr, *activate_ = nullptr, *list_ = nullptr, *check_ = nullptr,
           *remove_ = nullptr;
  std::vector<std::string> vendor_keys_;
  std::string file_ = client::standalone_store::default_path();
  std::vector<std::string> words_;
  std::string target_, response_;
};

} // namespace

std::unique_ptr<command_group> standalone_commands() {
  return std::make_unique<standalone_group>();
}

} // namespace licd::licclient
