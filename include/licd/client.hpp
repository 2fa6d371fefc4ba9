#pragma once

// licd client library, C++ API. One product license an application holds while it runs: a
// floating seat from a licd server (renewed in the background, kept through network blips and
// server restarts, released on destruction) or a stand-alone license checked offline, as the
// product's license mode says (docs/CLIENT.md: where the mode config files are).
//
// Header-only, over the C API (licd/client.h): the library's ABI is C, so this header works
// with whatever C++17 compiler and standard library the application uses (MSVC, MinGW, GCC,
// clang), on Windows against licd.dll as on Linux against liblicdclient.so.
// docs/CLIENT.md shows how to use it and what the application sees when things go wrong.

#include <licd/client.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace licd {

/// Why a license could not be had. `code()` is one of: NO_SEATS, UNKNOWN_PRODUCT, DISCONNECTED,
/// UNREACHABLE, TLS_FAILED, NOT_LICENSED (stand-alone), BAD_ARGUMENT, FAILED (and the server's
/// other protocol error codes, docs/ERRORS.md). `status()` is the C API's status.
class license_error : public std::runtime_error {
public:
  license_error(std::string code, const std::string& message, licd_status status = LICD_ERROR)
    : std::runtime_error(message), code_(std::move(code)), status_(status) {}
  const std::string& code() const { return code_; }
  licd_status status() const { return status_; }

private:
  std::string code_;
  licd_status status_;
};

enum class license_event {
  connection_lost = LICD_EVENT_CONNECTION_LOST, ///< the server stopped answering; the seat is
                                                ///< still held, renewals retry
  reconnected = LICD_EVENT_RECONNECTED,         ///< the server answers again; same lease renewed
  lost = LICD_EVENT_LOST, ///< the server says the lease is gone, or a whole TTL passed silent
  regained = LICD_EVENT_REGAINED, ///< a seat is held again
  queued = LICD_EVENT_QUEUED,     ///< acquiring: waiting in the server's queue ("position N of M")
};

struct license_options {
  /// Servers "host:port", tried in order. Empty: $LICD_SERVER, else the mode config's list,
  /// else automatic discovery by UDP broadcast.
  std::vector<std::string> servers;
  uint16_t discovery_port = 27600;
  std::string computer; ///< default: the host name
  std::string user;     ///< default: the current user
  std::chrono::milliseconds timeout{30'000}; ///< how long acquire waits for a seat (in the queue)
  /// TLS: set one of these to talk TLS, verified against a CA (or the self-signed certificate
  /// itself) or a pinned SHA-256 fingerprint.
  std::string tls_ca_file;
  std::string tls_pin_sha256;
  /// Stand-alone mode: the vendor public key files (PEM) the licenses must be signed with.
  std::vector<std::string> vendor_keys;
  std::string standalone_file; ///< default: $LICD_STANDALONE_FILE or the per-machine file
  /// Mode config files; default: $LICD_SYSTEM_CONFIG or the system-wide file, and
  /// $LICD_USER_CONFIG or the user's file (docs/CLIENT.md).
  std::string system_config;
  std::string user_config;
  /// Called from the renewal thread (network mode). Keep it short; what it throws is dropped.
  std::function<void(license_event, const std::string& detail)> on_event;
};

class product_license {
public:
  /// Acquires the product's license in its configured mode. Throws license_error.
  explicit product_license(const std::string& product, license_options opts = {})
    : product_(product) {
    std::unique_ptr<licd_options, void (*)(licd_options*)> o(licd_options_new(),
                                                             &licd_options_free);
    if (!o)
      throw std::bad_alloc();
    auto set = [&o](const char* key, const std::string& value) {
      if (licd_options_set(o.get(), key, value.c_str()) != LICD_OK)
        throw license_error("BAD_ARGUMENT", std::string("bad value for ") + key + ": " + value,
                            LICD_BAD_ARGUMENT);
    };
    std::string servers;
    for (const auto& s : opts.servers)
      servers += (servers.empty() ? "" : ",") + s;
    if (!servers.empty())
      set("server", servers);
    set("discovery_port", std::to_string(opts.discovery_port));
    set("timeout_ms", std::to_string(opts.timeout.count()));
    const std::pair<const char*, const std::string*> texts[] = {
      {"computer", &opts.computer},
      {"user", &opts.user},
      {"tls_ca_file", &opts.tls_ca_file},
      {"tls_pin_sha256", &opts.tls_pin_sha256},
      {"standalone_file", &opts.standalone_file},
      {"system_config", &opts.system_config},
      {"user_config", &opts.user_config}};
    for (const auto& [key, value] : texts)
      if (!value->empty())
        set(key, *value);
    for (const auto& k : opts.vendor_keys)
      set("vendor_key", k);
    if (opts.on_event)
      on_event_ = std::make_unique<event_fn>(std::move(opts.on_event));
    char message[1024] = {};
    auto status = licd_acquire(product.c_str(), o.get(), on_event_ ? &deliver : nullptr,
                               on_event_.get(), &handle_, message, sizeof message);
    if (status != LICD_OK) {
      // The message is "CODE: why" (licd/client.h).
      std::string text = message;
      auto colon = text.find(": ");
      if (colon == std::string::npos)
        throw license_error(licd_status_name(status), text, status);
      throw license_error(text.substr(0, colon), text.substr(colon + 2), status);
    }
  }

  /// Releases the seat (network mode).
  ~product_license() {
    licd_release(handle_); // joins the renewal thread before on_event_ goes
  }
  product_license(const product_license&) = delete;
  product_license& operator=(const product_license&) = delete;

  const std::string& product() const { return product_; }
  /// "network" or "standalone".
  std::string mode() const { return text(&licd_mode); }
  /// Stand-alone: true until release().
  bool held() const { return licd_held(handle_) != 0; }
  /// Network: the lease id; stand-alone: the license id.
  std::string lease() const { return text(&licd_lease); }
  /// Network: "host:port"; stand-alone: empty.
  std::string server() const { return text(&licd_server); }
  /// Network: when the lease lapses unless renewed; stand-alone: time_point::max().
  std::chrono::steady_clock::time_point expires_at() const {
    auto ms = licd_expires_in_ms(handle_);
    return ms < 0 ? std::chrono::steady_clock::time_point::max()
                  : std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  }
  /// Gives the seat back now (idempotent).
  void release() { licd_return(handle_); }

private:
  using event_fn = std::function<void(license_event, const std::string&)>;

  /// A text property, copied while no other thread of ours asks (the C string lives until the
  /// next call on the handle).
  std::string text(const char* (*get)(const licd_license*)) const {
    std::lock_guard<std::mutex> lock(mu_);
    return get(handle_);
  }

  static void deliver(licd_event event, const char* detail, void* user_data) {
    try {
      (*static_cast<event_fn*>(user_data))(static_cast<license_event>(event),
                                           detail != nullptr ? detail : "");
    } catch (...) { // an exception must not unwind into the library's C frames
    }
  }

  std::string product_;
  std::unique_ptr<event_fn> on_event_;
  licd_license* handle_ = nullptr;
  mutable std::mutex mu_;
};

} // namespace licd
