// licgen: the vendor's tool. Makes Ed25519 vendor keys, issues signed license codes, answers
// activation requests, checks release receipts, and inspects codes. Exit status
// (tools/common/exit_status.hpp): 0 success, 2 usage error, 3 a code that does not verify,
// 1 anything else.

#include "engine/activation.hpp"
#include "engine/lease_id.hpp"
#include "engine/license_code.hpp"
#include "engine/names.hpp"
#include "licd/version.hpp"
#include "platform/host.hpp"
#include "storage/files.hpp"

#include "tools/common/cli.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <iterator>

namespace {

using namespace licd;
using engine::errc;

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words)
    out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string type_name(engine::license_type t) {
  return t == engine::license_type::standalone ? "standalone" : "network";
}

/// The words of a code given on the command line, or stdin for "-".
std::string read_words(const std::vector<std::string>& words) {
  auto text = join(words);
  if (text == "-")
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  return text;
}

void print_license(const engine::license& l, bool json, const std::string& verified,
                   const std::string& code = "") {
  auto activation = l.activation_required ? "required" : "none";
  if (json) {
    nlohmann::json j{{"id", l.id_hex()},
                     {"type", type_name(l.type)},
                     {"activation", activation},
                     {"product", l.product},
                     {"seats", l.seats},
                     {"issued", engine::format_date(l.issued_day)},
                     {"expires", l.expires_day == 0 ? "never" : engine::format_date(l.expires_day)},
                     {"customer", l.customer},
                     {"key_id", engine::hex64(l.key_id)},
                     {"signature", verified}};
    if (!code.empty())
      j["code"] = code;
    std::cout << j.dump() << '\n';
    return;
  }
  std::cout << "license id  " << l.id_hex() << "\ntype        " << type_name(l.type)
            << "\nactivation  " << activation << "\nproduct     " << l.product << "\nseats       "
            << l.seats << "\nissued      " << engine::format_date(l.issued_day)
            << "\nexpires     "
            << (l.expires_day == 0 ? "never" : engine::format_date(l.expires_day))
            << "\ncustomer    " << l.customer << "\nvendor key  "
            << engine::hex64(l.key_id) << "\nsignature   " << verified << '\n';
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"licgen: vendor keys, license codes and their inspection"};
  licd::tools::global_options_anywhere(app);
  app.set_version_flag("--version", std::string("licgen ") + licd::version);
  app.require_subcommand(1);
  bool json = false;
  app.add_flag("--json", json, "print JSON");

  std::string out_dir;
  bool force = false;
  auto* keygen = app.add_subcommand("keygen", "write a new Ed25519 vendor key pair");
  keygen->add_option("--out", out_dir, "directory for vendor.key (mode 0600) and vendor.pub")
    ->required();
  keygen->add_flag("--force", force, "replace existing key files");

  std::string key_file, product, customer, expires, issued;
  uint32_t seats = 0;
  auto* issue = app.add_subcommand("issue", "print a signed license code");
  issue->add_option("--key", key_file, "the vendor's private key file")->required();
  issue->add_option("--product", product, "product name")->required();
  issue->add_option("--seats", seats, "number of seats")->required()->check(CLI::Range(1u, 1000000u));
  issue->add_option("--expires", expires, "last valid day, YYYY-MM-DD (default: never)");
  issue->add_option("--customer", customer, "customer name (at most 255 bytes)");
  issue->add_option("--issued", issued, "issue date, YYYY-MM-DD (default: today)");
  std::string type = "network", activation = "none";
  issue->add_option("--type", type, "network (for a license server) or standalone (one workstation)")
    ->check(CLI::IsMember({"network", "standalone"}))
    ->capture_default_str();
  issue->add_option("--activation", activation,
                    "required: the code counts only once activated on one machine (always so "
                    "for standalone)")
    ->check(CLI::IsMember({"none", "required"}))
    ->capture_default_str();

  std::vector<std::string> request_words;
  auto* activate = app.add_subcommand("activate", "answer an activation request: print the "
                                                  "signed activation response");
  activate->add_option("--key", key_file, "the vendor's private key file")->required();
  activate->add_option("REQUEST", request_words, "the request (several words are joined; - "
                                                 "reads stdin)")
    ->required();

  std::vector<std::string> receipt_words;
  std::string verify_key;
  auto* verify = app.add_subcommand("verify-release",
                                    "check a release receipt: was this activation given up?");
  verify->add_option("--pub", verify_key, "the vendor's public (or private) key file")->required();
  verify->add_option("RECEIPT", receipt_words, "the receipt (several words are joined; - reads "
                                               "stdin)")
    ->required();

  std::vector<std::string> code_words;
  std::string pub_file;
  auto* inspect = app.add_subcommand("inspect", "decode a code (and verify it with --pub)");
  inspect->add_option("CODE", code_words, "the code (several words are joined; - reads stdin)")
    ->required();
  inspect->add_option("--pub", pub_file, "the vendor's public key file: verify the signature");

  if (auto stop = licd::tools::parse_command_line(app, argc, argv))
    return *stop;

  auto fail = [&](errc code, const std::string& message) {
    return licd::tools::report_error("licgen", json, code, message);
  };
  try {
    if (keygen->parsed()) {
      std::filesystem::create_directories(out_dir);
      auto key = engine::ed25519::private_key::generate();
      files::write_file(out_dir + "/vendor.key", key.to_pem(), 0600, !force);
      files::write_file(out_dir + "/vendor.pub", key.public_part().to_pem(), 0644, !force);
      if (json)
        std::cout << nlohmann::json{{"private_key", out_dir + "/vendor.key"},
                                    {"public_key", out_dir + "/vendor.pub"}}
                       .dump()
                  << '\n';
      else
        std::cerr << "wrote " << out_dir << "/vendor.key (keep it secret) and " << out_dir
                  << "/vendor.pub (give it to licd with --vendor-key)\n";
      return 0;
    }
    if (issue->parsed()) {
      engine::license l;
      l.id = engine::random_u64();
      l.product = product;
      l.seats = seats;
      l.customer = customer;
      if (!engine::valid_product_name(product))
        return fail(errc::bad_argument, "product names are 1-64 of A-Z a-z 0-9 . _ -");
      if (customer.size() > 255)
        return fail(errc::bad_argument, "the customer name may have at most 255 bytes");
      auto issued_day = issued.empty() ? std::optional<int32_t>(platform::today_day()) : engine::parse_date(issued);
      auto expires_day = expires.empty() ? std::optional<int32_t>(0) : engine::parse_date(expires);
      if (!issued_day || !expires_day)
        return fail(errc::bad_argument, "dates are YYYY-MM-DD");
      l.issued_day = *issued_day;
      l.expires_day = *expires_day;
      l.type = type == "standalone" ? engine::license_type::standalone
                                    : engine::license_type::network;
      l.activation_required = activation == "required" || type == "standalone";
      auto key = engine::ed25519::private_key::from_pem(files::read_file(key_file));
      auto code = engine::issue_code(l, key);
      if (json)
        print_license(l, true, "valid", code);
      else
        std::cout << code << '\n';
      return 0;
    }
    if (activate->parsed()) {
      auto text = read_words(request_words);
      auto req = engine::decode_request(text);
      if (auto* err = std::get_if<engine::code_error>(&req))
        return fail(err->problem, err->message);
      auto& r = std::get<engine::activation_request>(req);
      auto key = engine::ed25519::private_key::from_pem(files::read_file(key_file));
      auto response = engine::issue_response(r, key, platform::today_day());
      if (json) {
        std::cout << nlohmann::json{{"license", engine::hex64(r.license_id)},
                                    {"type", type_name(r.type)},
                                    {"product", r.product},
                                    {"factors", r.factors.size()},
                                    {"response", response}}
                       .dump()
                  << '\n';
        return 0;
      }
      auto machines = engine::machines_of(r.factors);
      std::cerr << "activation of license " << engine::hex64(r.license_id) << " ("
                << type_name(r.type) << ", product " << r.product << ") on ";
      if (machines.size() > 1)
        std::cerr << "a cluster of " << machines.size() << " machines (any of them may serve it)";
      else
        std::cerr << "a machine with " << r.factors.size() << " hardware factors";
      std::cerr << ":\n";
      std::cout << response << '\n';
      return 0;
    }
    if (verify->parsed()) {
      auto text = read_words(receipt_words);
      auto pem = files::read_file(verify_key);
      auto pub = pem.find("PRIVATE KEY") != std::string::npos
                   ? engine::ed25519::private_key::from_pem(pem).public_part()
                   : engine::ed25519::public_key::from_pem(pem);
      auto r = engine::check_receipt(text, {{pub.key_id(), pub}});
      if (auto* err = std::get_if<engine::code_error>(&r))
        return fail(err->problem, "the receipt is not valid: " + err->message);
      const auto& rr = std::get<engine::release_receipt>(r);
      auto id = engine::hex64(rr.activation.license_id);
      auto when = engine::format_date(static_cast<int32_t>(rr.released_at_ms / 86'400'000));
      auto server = engine::hex64(
        engine::ed25519::public_key::from_raw(rr.activation.requester_key).key_id());
      if (json) {
        std::cout << nlohmann::json{{"license", id},
                                    {"released", when},
                                    {"server_key", server},
                                    {"activated", engine::format_date(rr.activation.issued_day)},
                                    {"valid", true}}
                       .dump()
                  << '\n';
        return 0;
      }
      std::cout << "valid release receipt: license " << id << " was deactivated on " << when
                << " by the server (key " << server << ") it was activated for on "
                << engine::format_date(rr.activation.issued_day)
                << ".\nIt may be activated on another machine.\n";
      return 0;
    }
    std::string text = read_words(code_words);
    if (pub_file.empty()) {
      auto d = engine::decode_code(text);
      if (auto* err = std::get_if<engine::code_error>(&d))
        return fail(err->problem, err->message);
      print_license(std::get<engine::decoded_code>(d).lic, json, "not checked (no --pub)");
      return 0;
    }
    auto pub = engine::ed25519::public_key::from_pem(files::read_file(pub_file));
    auto r = engine::check_code(text, {{pub.key_id(), pub}});
    if (auto* err = std::get_if<engine::code_error>(&r))
      return fail(err->problem, err->message);
    print_license(std::get<engine::license>(r), json, "valid");
  } catch (const std::exception& e) {
    return fail(errc::failed, e.what());
  }
  return 0;
}
