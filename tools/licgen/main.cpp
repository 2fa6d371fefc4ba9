// licgen: the vendor's tool. Makes Ed25519 vendor keys, issues signed license codes, and
// inspects codes. Exit status: 0 success, 2 usage error, 3 a code that does not verify, 1 other.

#include "engine/license_code.hpp"
#include "engine/names.hpp"
#include "licd/version.hpp"
#include "storage/files.hpp"

#include "tools/common/cli.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <openssl/rand.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <iterator>

namespace {

using namespace licd;

int32_t today() {
  using namespace std::chrono;
  return static_cast<int32_t>(
    duration_cast<hours>(system_clock::now().time_since_epoch()).count() / 24);
}

uint64_t random_license_id() {
  uint64_t id = 0;
  unsigned char b[8];
  if (RAND_bytes(b, sizeof(b)) != 1)
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  for (auto x : b)
    id = (id << 8) | x;
  return id;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words)
    out += (out.empty() ? "" : " ") + w;
  return out;
}

void print_license(const engine::license& l, bool json, const std::string& verified) {
  if (json) {
    nlohmann::json j{{"id", l.id_hex()},
                     {"product", l.product},
                     {"seats", l.seats},
                     {"issued", engine::format_date(l.issued_day)},
                     {"expires", l.expires_day == 0 ? "never" : engine::format_date(l.expires_day)},
                     {"customer", l.customer},
                     {"key_id", engine::hex64(l.key_id)},
                     {"signature", verified}};
    std::cout << j.dump() << '\n';
    return;
  }
  std::cout << "license id  " << l.id_hex() << "\nproduct     " << l.product << "\nseats       "
            << l.seats << "\nissued      " << engine::format_date(l.issued_day)
            << "\nexpires     "
            << (l.expires_day == 0 ? "never" : engine::format_date(l.expires_day))
            << "\ncustomer    " << l.customer << "\nvendor key  "
            << engine::hex64(l.key_id) << "\nsignature   " << verified << '\n';
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"licgen: vendor keys, license codes and their inspection"};
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

  std::vector<std::string> code_words;
  std::string pub_file;
  auto* inspect = app.add_subcommand("inspect", "decode a code (and verify it with --pub)");
  inspect->add_option("CODE", code_words, "the code (several words are joined; - reads stdin)")
    ->required();
  inspect->add_option("--pub", pub_file, "the vendor's public key file: verify the signature");

  if (auto stop = licd::tools::parse_command_line(app, argc, argv))
    return *stop;

  try {
    if (keygen->parsed()) {
      std::filesystem::create_directories(out_dir);
      auto key = engine::ed25519::private_key::generate();
      files::write_file(out_dir + "/vendor.key", key.to_pem(), 0600, !force);
      files::write_file(out_dir + "/vendor.pub", key.public_part().to_pem(), 0644, !force);
      std::cerr << "wrote " << out_dir << "/vendor.key (keep it secret) and " << out_dir
                << "/vendor.pub (give it to licd with --vendor-key)\n";
      return 0;
    }
    if (issue->parsed()) {
      engine::license l;
      l.id = random_license_id();
      l.product = product;
      l.seats = seats;
      l.customer = customer;
      if (!engine::valid_product_name(product)) {
        std::cerr << "licgen: product names are 1-64 of A-Z a-z 0-9 . _ -\n";
        return 2;
      }
      if (customer.size() > 255) {
        std::cerr << "licgen: the customer name may have at most 255 bytes\n";
        return 2;
      }
      auto issued_day = issued.empty() ? std::optional<int32_t>(today()) : engine::parse_date(issued);
      auto expires_day = expires.empty() ? std::optional<int32_t>(0) : engine::parse_date(expires);
      if (!issued_day || !expires_day) {
        std::cerr << "licgen: dates are YYYY-MM-DD\n";
        return 2;
      }
      l.issued_day = *issued_day;
      l.expires_day = *expires_day;
      auto key = engine::ed25519::private_key::from_pem(files::read_file(key_file));
      std::cout << engine::issue_code(l, key) << '\n';
      return 0;
    }
    std::string text = join(code_words);
    if (text == "-")
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (pub_file.empty()) {
      auto d = engine::decode_code(text);
      if (auto* err = std::get_if<engine::code_error>(&d)) {
        std::cerr << "licgen: " << err->message << '\n';
        return 3;
      }
      print_license(std::get<engine::decoded_code>(d).lic, json, "not checked (no --pub)");
      return 0;
    }
    auto pub = engine::ed25519::public_key::from_pem(files::read_file(pub_file));
    auto r = engine::check_code(text, {{pub.key_id(), pub}});
    if (auto* err = std::get_if<engine::code_error>(&r)) {
      std::cerr << "licgen: " << err->message << '\n';
      return 3;
    }
    print_license(std::get<engine::license>(r), json, "valid");
  } catch (const std::exception& e) {
    std::cerr << "licgen: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
