#pragma once

#include "engine/errc.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace licd::engine {

/// The one JSON shape of an error, in the admin API and in every tool's --json output:
/// `{"error": {"code": "NO_SEATS", "message": "..."}}`.
inline nlohmann::json error_json(errc code, const std::string& message) {
  return nlohmann::json{{"error", {{"code", std::string(name(code))}, {"message", message}}}};
}

} // namespace licd::engine
