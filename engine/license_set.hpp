#pragma once

#include "engine/fingerprint.hpp"
#include "engine/license_code.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace licd::engine {

/// Where an installed license stands. Only `active` licenses count seats.
enum class license_state {
  active,
  expired,           ///< past its expiry date
  untrusted,         ///< its vendor key is no longer configured (or its signature fails)
  not_activated,     ///< needs an activation response for this server
  hardware_mismatch, ///< activated, but for other hardware (the data dir was moved)
  clock_error,       ///< has an expiry date and the clock went back beyond the tolerance
};

/// "active", "not activated", "hardware mismatch", ... as people and the admin API see it.
std::string_view to_string(license_state s);

/// What to do about a state, in one sentence (empty for `active`).
std::string_view advice(license_state s);

/// A license code installed on this server.
struct installed_license {
  license lic;
  std::string code;          ///< canonical text
  int64_t installed_at_ms = 0;
  bool verified = true;      ///< signature checked against a configured key
  // Activation (only for licenses that require it).
  std::string activation;    ///< the accepted response's canonical text; empty: not activated
  int32_t activated_day = 0; ///< the day the vendor issued that response (days since 1970-01-01)
  fingerprint_match hardware; ///< how the activation matches this machine (checked at load)
  uint64_t pending_nonce = 0; ///< the nonce of the request last printed, 0: none
};

/// What a license's state depends on besides the license.
struct state_context {
  state_context(int32_t day = 0) : today(day) {} // NOLINT: a day alone is the common case
  int32_t today = 0;        ///< days since 1970-01-01
  bool clock_error = false; ///< the wall clock went back beyond the tolerance
};

/// The licenses a server holds, and the seats they add up to. Pure: the day is passed in.
class license_set {
public:
  /// False (and nothing changes) when a license with that id is installed already.
  bool add(installed_license l);
  std::optional<installed_license> remove(uint64_t id);
  const installed_license* find(uint64_t id) const;
  installed_license* find(uint64_t id);

  static license_state state(const installed_license& l, const state_context& ctx);

  /// Seats per product from active licenses; every product with any license appears (0 seats
  /// when none of its licenses is active).
  std::map<std::string, uint32_t> seats(const state_context& ctx) const;

  /// Oldest installed first.
  std::vector<installed_license> list() const;
  size_t size() const { return by_id_.size(); }

private:
  std::map<uint64_t, installed_license> by_id_;
};

} // namespace licd::engine
