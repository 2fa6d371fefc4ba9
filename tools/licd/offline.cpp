// What licd does without serving: --make-tls-cert, --check-config, --verify and
// --remove-license. Each runs and exits with a status.
#include "tools/licd/offline.hpp"

#include "actors/server.hpp"

#include "engine/ed25519.hpp"
#include "engine/license_code.hpp"
#include "net/tls_stream.hpp"
#include "storage/data_dir_layout.hpp"
#include "storage/database.hpp"
#include "storage/files.hpp"
#include "tools/licd/data_dir.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

namespace licd {

namespace {

/// `licd --remove-license=ID`: removes an installed license from a stopped licd's data dir (for
/// a license whose vendor key is gone, which licadmin cannot remove because licd will not start
/// without it). Logged in the activity log like a removal through the admin API.
int remove_license_from(const licd::server_options& opts, const std::string& id_hex) {
  uint64_t id = 0;
  if (!licd::engine::parse_hex64(id_hex, id)) {
    std::fprintf(stderr, "licd: --remove-license takes a license id (16 hex digits)\n");
    return 2;
  }
  licd::data_dir dir(opts.data_dir, false);
  licd::storage::database::options dbo;
  dbo.dir = opts.data_dir;
  dbo.map_size = opts.map_size;
  licd::storage::database db(dbo);
  for (const auto& rec : db.licenses()) {
    if (rec.id != id)
      continue;
    licd::storage::change_set cs;
    cs.erase_licenses.push_back(id);
    cs.erase_activations.push_back(id);
    licd::engine::event e;
    e.at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
    e.kind = licd::engine::event_kind::license_removed;
    auto decoded = licd::engine::decode_code(rec.code);
    if (auto* d = std::get_if<licd::engine::decoded_code>(&decoded)) {
      e.product = d->lic.product;
      e.detail = "license " + id_hex + ", " + std::to_string(d->lic.seats)
                 + " seats: removed with licd --remove-license";
    } else {
      e.detail = "license " + id_hex + ": removed with licd --remove-license";
    }
    cs.events.push_back(std::move(e));
    db.commit(cs);
    const auto& product = cs.events[0].product;
    std::printf("removed license %s%s%s from %s\n", id_hex.c_str(), product.empty() ? "" : " for ",
                product.c_str(), opts.data_dir.c_str());
    return 0;
  }
  std::fprintf(stderr, "licd: no license %s in %s\n", id_hex.c_str(), opts.data_dir.c_str());
  return 3;
}

} // namespace

int make_tls_cert(const licd_config& cfg) {
  const auto& opts = cfg.server;
  try {
    std::filesystem::create_directories(opts.data_dir);
    licd::storage::data_dir_layout files(opts.data_dir);
    auto cert = opts.tls_cert.empty() ? files.tls_cert_file() : opts.tls_cert;
    auto key = opts.tls_key.empty() ? files.tls_key_file() : opts.tls_key;
    auto fp = licd::net::make_self_signed(cert, key, cfg.tls_name);
    std::printf("wrote %s and %s (mode 0600) for %s\nSHA-256 fingerprint (clients pin it): %s\n"
                "serve with: licd --tls-cert=%s --tls-key=%s\n",
                cert.c_str(), key.c_str(), cfg.tls_name.c_str(), fp.c_str(), cert.c_str(),
                key.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "licd: %s\n", e.what());
    return 1;
  }
}

int check_config(const licd_config& cfg) {
  const auto& opts = cfg.server;
  try {
    for (const auto& path : opts.vendor_keys)
      licd::engine::ed25519::public_key::from_pem(licd::files::read_file(path));
    // The certificates as licd will load them: readable, PEM, the key the certificate's.
    if (!opts.tls_cert.empty())
      std::printf("client port TLS: certificate %s, SHA-256 %s\n", opts.tls_cert.c_str(),
                  licd::net::tls_context::load(opts.tls_cert, opts.tls_key)->fingerprint().c_str());
    if (!cfg.admin.tls_cert.empty())
      std::printf(
        "admin port TLS: certificate %s, SHA-256 %s\n", cfg.admin.tls_cert.c_str(),
        licd::net::tls_context::load(cfg.admin.tls_cert, cfg.admin.tls_key)->fingerprint().c_str());
    if (!opts.policy_file.empty()) {
      auto [doc, problems] = licd::read_policy_file(opts.policy_file);
      for (const auto& p : problems)
        std::fprintf(stderr, "licd: %s:%s %s\n", opts.policy_file.c_str(),
                     p.line == 0 ? "" : std::to_string(p.line).append(":").c_str(),
                     p.message.c_str());
      if (!problems.empty())
        return 1;
      std::printf("site policy %s: %zu rules, %zu groups\n", opts.policy_file.c_str(),
                  doc->rules().size(), doc->groups());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "licd: %s\n", e.what());
    return 1;
  }
  std::printf("configuration ok\n");
  return 0;
}

int verify(const licd_config& cfg) {
  const auto& opts = cfg.server;
  try {
    auto report = licd::storage::verify_data_dir(opts.data_dir, opts.map_size);
    if (!report.problems.empty()) {
      std::fprintf(stderr, "licd: %s\n",
                   licd::storage::damage_message(opts.data_dir, report).c_str());
      return 1;
    }
    if (report.records.empty()) {
      std::fprintf(stderr, "licd: %s holds no licd data (no data.mdb)\n", opts.data_dir.c_str());
      return 1;
    }
    std::string counts;
    for (const auto& [table, n] : report.records)
      counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + table;
    std::printf("%s: intact (format %u; records: %s)\n", opts.data_dir.c_str(), report.format,
                counts.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "licd: %s\n", e.what());
    return 1;
  }
}

int remove_license(const licd_config& cfg) {
  const auto& opts = cfg.server;
  try {
    return remove_license_from(opts, cfg.license_to_remove);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "licd: %s\n", e.what());
    return 1;
  }
}

} // namespace licd
