#pragma once
// One product license an application holds while it runs, in the product's configured mode: a
// floating seat (client::seat) or a stand-alone license checked offline. The C API
// (client/c_api.cpp) is its only user: applications see it through licd/client.h, and through
// the header-only C++ layer over it, licd/client.hpp.

#include "client/seat.hpp"
#include "engine/license_code.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace licd::client {

/// Why a license could not be had; `code()` is an errc's name (docs/ERRORS.md).
class license_error : public std::runtime_error {
public:
  license_error(std::string code, const std::string& message)
    : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

private:
  std::string code_;
};

/// The C API's options (licd_options_set's keys), defaults as include/licd/client.h says.
struct license_options {
  std::vector<std::string> servers;
  uint16_t discovery_port = 27600;
  std::string computer;
  std::string user;
  std::chrono::milliseconds timeout{30'000};
  std::string tls_ca_file;
  std::string tls_pin_sha256;
  std::vector<std::string> vendor_keys;
  std::string standalone_file;
  std::string system_config;
  std::string user_config;
  std::function<void(seat_event, const std::string& detail)> on_event;
};

class product_license {
public:
  /// Acquires the product's license in its configured mode. Throws license_error.
  product_license(const std::string& product, license_options opts);
  ~product_license();
  product_license(const product_license&) = delete;
  product_license& operator=(const product_license&) = delete;

  std::string mode() const;
  bool held() const;
  std::string lease() const;
  std::string server() const;
  std::chrono::steady_clock::time_point expires_at() const;
  void release();

private:
  std::string mode_;
  std::unique_ptr<seat> seat_; ///< network mode
  engine::license standalone_; ///< stand-alone mode
};

} // namespace licd::client
