// The C API, the client library's whole ABI, over client::product_license: exceptions never
// cross it.

#include "licd/client.h"

#include "client/config.hpp"
#include "client/product_license.hpp"
#include "engine/errc.hpp"

#include <cstring>
#include <mutex>
#include <string>

struct licd_options {
  licd::client::license_options opts;
};

struct licd_license {
  std::unique_ptr<licd::client::product_license> lic;
  std::mutex mu;
  std::string lease, mode, server; ///< what the accessors last returned
};

namespace {

void copy_message(char* out, size_t size, const std::string& text) {
  if (out == nullptr || size == 0)
    return;
  auto n = std::min(size - 1, text.size());
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
}

/// The C API's status for an error code (a license_error's code()).
licd_status status_of(const std::string& code) {
  using licd::engine::errc;
  switch (licd::engine::errc_from_name(code).value_or(errc::server_error)) {
    case errc::no_seats:
      return LICD_NO_SEATS;
    case errc::unreachable:
      return LICD_UNREACHABLE;
    case errc::tls_failed:
      return LICD_TLS;
    case errc::not_licensed:
      return LICD_NOT_LICENSED;
    case errc::bad_argument:
      return LICD_BAD_ARGUMENT;
    default:
      return LICD_REFUSED;
  }
}

licd_event to_c(licd::client::seat_event e) {
  using licd::client::seat_event;
  switch (e) {
    case seat_event::connection_lost:
      return LICD_EVENT_CONNECTION_LOST;
    case seat_event::reconnected:
      return LICD_EVENT_RECONNECTED;
    case seat_event::lost:
      return LICD_EVENT_LOST;
    case seat_event::queued:
      return LICD_EVENT_QUEUED;
    case seat_event::regained:
      break;
  }
  return LICD_EVENT_REGAINED;
}

/// One of the license's text properties as a C string, kept in the handle's `slot` (valid until
/// the next call on the handle, include/licd/client.h).
template <class Get>
const char* text_property(const licd_license* lic, std::string licd_license::*slot, Get get) {
  // The accessors take a const handle but keep what they return in it, under its mutex.
  if (lic == nullptr)
    return "";
  auto* l = const_cast<licd_license*>(lic);
  std::lock_guard<std::mutex> g(l->mu);
  l->*slot = get(*l->lic);
  return (l->*slot).c_str();
}

} // namespace

extern "C" {

licd_options* licd_options_new(void) {
  return new (std::nothrow) licd_options();
}

void licd_options_free(licd_options* opts) {
  delete opts;
}

licd_status licd_options_set(licd_options* o, const char* key, const char* value) {
  if (o == nullptr || key == nullptr || value == nullptr)
    return LICD_BAD_ARGUMENT;
  std::string k = key, v = value;
  auto& opts = o->opts;
  try {
    if (k == "server")
      opts.servers = licd::client::parse_server_list(v);
    else if (k == "discovery_port")
      opts.discovery_port = static_cast<uint16_t>(std::stoul(v));
    else if (k == "computer")
      opts.computer = v;
    else if (k == "user")
      opts.user = v;
    else if (k == "timeout_ms")
      opts.timeout = std::chrono::milliseconds(std::stoul(v));
    else if (k == "tls_ca_file")
      opts.tls_ca_file = v;
    else if (k == "tls_pin_sha256")
      opts.tls_pin_sha256 = v;
    else if (k == "vendor_key")
      opts.vendor_keys.push_back(v);
    else if (k == "standalone_file")
      opts.standalone_file = v;
    else if (k == "system_config")
      opts.system_config = v;
    else if (k == "user_config")
      opts.user_config = v;
    else
      return LICD_BAD_ARGUMENT;
  } catch (const std::exception&) {
    return LICD_BAD_ARGUMENT;
  }
  return LICD_OK;
}

licd_status licd_acquire(const char* product, const licd_options* opts, licd_event_fn on_event,
                         void* user_data, licd_license** out, char* message,
                         size_t message_size) {
  if (out != nullptr)
    *out = nullptr;
  if (product == nullptr || out == nullptr) {
    copy_message(message, message_size, "product and out are required");
    return LICD_BAD_ARGUMENT;
  }
  try {
    auto o = opts != nullptr ? opts->opts : licd::client::license_options{};
    if (on_event != nullptr)
      o.on_event = [on_event, user_data](licd::client::seat_event e, const std::string& detail) {
        on_event(to_c(e), detail.c_str(), user_data);
      };
    auto handle = std::make_unique<licd_license>();
    handle->lic = std::make_unique<licd::client::product_license>(product, std::move(o));
    *out = handle.release();
    copy_message(message, message_size, "");
    return LICD_OK;
  } catch (const licd::client::license_error& e) {
    copy_message(message, message_size, e.code() + ": " + e.what());
    return status_of(e.code());
  } catch (const std::exception& e) {
    copy_message(message, message_size,
                 std::string(licd::engine::name(licd::engine::errc::failed)) + ": " + e.what());
    return LICD_ERROR;
  }
}

int licd_held(const licd_license* lic) {
  return lic != nullptr && lic->lic->held() ? 1 : 0;
}

const char* licd_lease(const licd_license* lic) {
  return text_property(lic, &licd_license::lease,
                       [](const licd::client::product_license& p) { return p.lease(); });
}

const char* licd_mode(const licd_license* lic) {
  return text_property(lic, &licd_license::mode,
                       [](const licd::client::product_license& p) { return p.mode(); });
}

const char* licd_server(const licd_license* lic) {
  return text_property(lic, &licd_license::server,
                       [](const licd::client::product_license& p) { return p.server(); });
}

long long licd_expires_in_ms(const licd_license* lic) {
  if (lic == nullptr)
    return 0;
  auto at = lic->lic->expires_at();
  if (at == std::chrono::steady_clock::time_point::max())
    return -1;
  auto left =
    std::chrono::duration_cast<std::chrono::milliseconds>(at - std::chrono::steady_clock::now());
  return std::max<long long>(0, left.count());
}

void licd_return(licd_license* lic) {
  if (lic != nullptr)
    lic->lic->release();
}

void licd_release(licd_license* lic) {
  delete lic; // the product_license releases its seat
}

const char* licd_status_name(licd_status status) {
  switch (status) {
    case LICD_OK:
      return "LICD_OK";
    case LICD_NO_SEATS:
      return "LICD_NO_SEATS";
    case LICD_UNREACHABLE:
      return "LICD_UNREACHABLE";
    case LICD_TLS:
      return "LICD_TLS";
    case LICD_NOT_LICENSED:
      return "LICD_NOT_LICENSED";
    case LICD_REFUSED:
      return "LICD_REFUSED";
    case LICD_BAD_ARGUMENT:
      return "LICD_BAD_ARGUMENT";
    case LICD_ERROR:
      return "LICD_ERROR";
  }
  return "LICD_UNKNOWN";
}

} // extern "C"
