#include "client/product_license.hpp"

#include "client/config.hpp"
#include "client/standalone.hpp"
#include "platform/host.hpp"
#include "platform/machine.hpp"
#include "storage/files.hpp"

namespace licd::client {
namespace {

/// license_error's code: the errc's name.
std::string code_name(engine::errc code) {
  return std::string(engine::name(code));
}

} // namespace

product_license::product_license(const std::string& product, license_options opts) {
  mode_config config;
  try {
    config =
      load_mode_config(opts.system_config.empty() ? system_config_path() : opts.system_config,
                       opts.user_config.empty() ? user_config_path() : opts.user_config);
  } catch (const std::exception& e) {
    throw license_error(code_name(engine::errc::bad_argument), e.what());
  }
  auto mode = config.for_product(product);
  mode_ = mode.mode;
  if (mode.mode == "standalone") {
    standalone_context ctx;
    try {
      for (const auto& path : opts.vendor_keys) {
        auto pub = engine::ed25519::public_key::from_pem(files::read_file(path));
        ctx.keys.emplace(pub.key_id(), pub);
      }
    } catch (const std::exception& e) {
      throw license_error(code_name(engine::errc::bad_argument), e.what());
    }
    ctx.machine = platform::probe_machine().facts;
    ctx.today = platform::today_day();
    auto v = check_standalone(product, ctx,
                              opts.standalone_file.empty() ? standalone_store::default_path()
                                                           : opts.standalone_file);
    if (!v.ok)
      throw license_error(code_name(engine::errc::not_licensed), v.message);
    standalone_ = v.lic;
    return;
  }
  seat_options so;
  so.product = product;
  try {
    so.servers = configured_servers(opts.servers, mode); // empty: discovery
  } catch (const std::invalid_argument& e) {
    throw license_error(code_name(engine::errc::bad_argument), e.what());
  }
  so.discovery.port = opts.discovery_port;
  so.computer = opts.computer;
  so.user = opts.user;
  so.acquire_timeout = opts.timeout;
  if (!opts.tls_ca_file.empty() || !opts.tls_pin_sha256.empty()) {
    so.tls.enabled = true;
    so.tls.ca_file = opts.tls_ca_file;
    so.tls.pin_sha256 = opts.tls_pin_sha256;
  }
  so.on_event = std::move(opts.on_event);
  try {
    seat_ = std::make_unique<seat>(std::move(so));
  } catch (const refused& e) {
    throw license_error(e.code_text(), e.message());
  } catch (const tls_error& e) {
    throw license_error(code_name(engine::errc::tls_failed), e.what());
  } catch (const connection_error& e) {
    throw license_error(code_name(engine::errc::unreachable), e.what());
  }
}

product_license::~product_license() = default;

std::string product_license::mode() const {
  return mode_;
}

bool product_license::held() const {
  return seat_ ? seat_->held() : standalone_.id != 0;
}

std::string product_license::lease() const {
  return seat_ ? seat_->lease() : standalone_.id_hex();
}

std::string product_license::server() const {
  return seat_ ? seat_->server() : std::string{};
}

std::chrono::steady_clock::time_point product_license::expires_at() const {
  return seat_ ? seat_->expires_at() : std::chrono::steady_clock::time_point::max();
}

void product_license::release() {
  if (seat_)
    seat_->release();
  standalone_ = {};
}

} // namespace licd::client
