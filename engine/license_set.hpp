#pragma once

#include "engine/license_code.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace licd::engine {

/// Where an installed license stands. Only `active` licenses count seats.
enum class license_state {
  active,
  expired,   ///< past its expiry date
  untrusted, ///< its vendor key is no longer configured (or its signature no longer checks)
};

std::string_view to_string(license_state s);

/// A license code installed on this server.
struct installed_license {
  license lic;
  std::string code;          ///< canonical text
  int64_t installed_at_ms = 0;
  bool verified = true;      ///< signature checked against a configured key
};

/// The licenses a server holds, and the seats they add up to. Pure: the day is passed in.
class license_set {
public:
  /// False (and nothing changes) when a license with that id is installed already.
  bool add(installed_license l);
  std::optional<installed_license> remove(uint64_t id);
  const installed_license* find(uint64_t id) const;

  license_state state(const installed_license& l, int32_t today) const;

  /// Seats per product from active licenses; every product with any license appears (0 seats
  /// when none of its licenses is active).
  std::map<std::string, uint32_t> seats(int32_t today) const;

  /// Oldest installed first.
  std::vector<installed_license> list() const;
  size_t size() const { return by_id_.size(); }

private:
  std::map<uint64_t, installed_license> by_id_;
};

} // namespace licd::engine
