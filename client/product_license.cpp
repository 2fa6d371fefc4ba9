#include "licd/client.hpp"

#include "client/config.hpp"
#include "client/seat.hpp"
#include "client/standalone.hpp"
#include "platform/host.hpp"
#include "platform/machine.hpp"
#include "storage/files.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace licd {

struct product_license::impl {
  std::string product;
  std::string mode;
  std::unique_ptr<client::seat> seat;  ///< network mode
  engine::license standalone;          ///< stand-alone mode
};

namespace {

/// license_error's code: the errc's name.
std::string code_name(engine::errc code) {
  return std::string(engine::name(code));
}

license_event to_public(client::seat_event e) {
  switch (e) {
    case client::seat_event::connection_lost:
      return license_event::connection_lost;
    case client::seat_event::reconnected:
      return license_event::reconnected;
    case client::seat_event::lost:
      return license_event::lost;
    case client::seat_event::regained:
      break;
  }
  return license_event::regained;
}

} // namespace

product_license::product_license(const std::string& product, license_options opts)
  : impl_(std::make_unique<impl>()) {
  impl_->product = product;
  client::mode_config config;
  try {
    config = client::load_mode_config(
      opts.system_config.empty() ? client::system_config_path() : opts.system_config,
      opts.user_config.empty() ? client::user_config_path() : opts.user_config);
  } catch (const std::exception& e) {
    throw license_error(code_name(engine::errc::bad_argument), e.what());
  }
  auto mode = config.for_product(product);
  impl_->mode = mode.mode;
  if (mode.mode == "standalone") {
    client::standalone_context ctx;
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
    auto v = client::check_standalone(product, ctx,
                                      opts.standalone_file.empty()
                                        ? client::standalone_store::default_path()
                                        : opts.standalone_file);
    if (!v.ok)
      throw license_error(code_name(engine::errc::not_licensed), v.message);
    impl_->standalone = v.lic;
    return;
  }
  client::seat_options so;
  so.product = product;
  try {
    so.servers = client::configured_servers(opts.servers, mode); // empty: discovery
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
  if (opts.on_event) {
    auto fn = opts.on_event;
    so.on_event = [fn](client::seat_event e, const std::string& d) { fn(to_public(e), d); };
  }
  try {
    impl_->seat = std::make_unique<client::seat>(std::move(so));
  } catch (const client::refused& e) {
    throw license_error(e.code_text(), e.message());
  } catch (const client::tls_error& e) {
    throw license_error(code_name(engine::errc::tls_failed), e.what());
  } catch (const client::connection_error& e) {
    throw license_error(code_name(engine::errc::unreachable), e.what());
  }
}

product_license::~product_license() = default;

const std::string& product_license::product() const {
  return impl_->product;
}

std::string product_license::mode() const {
  return impl_->mode;
}

bool product_license::held() const {
  return impl_->seat ? impl_->seat->held() : impl_->standalone.id != 0;
}

std::string product_license::lease() const {
  return impl_->seat ? impl_->seat->lease() : impl_->standalone.id_hex();
}

std::string product_license::server() const {
  return impl_->seat ? impl_->seat->server() : std::string{};
}

std::chrono::steady_clock::time_point product_license::expires_at() const {
  return impl_->seat ? impl_->seat->expires_at() : std::chrono::steady_clock::time_point::max();
}

void product_license::release() {
  if (impl_->seat)
    impl_->seat->release();
}

} // namespace licd
