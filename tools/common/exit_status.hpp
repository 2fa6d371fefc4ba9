#pragma once

#include "engine/errc.hpp"
#include "engine/errc_json.hpp"

#include <iostream>
#include <string>
#include <string_view>

/// The tools' exit statuses (licclient, licadmin, licgen), and the one table from errors to them.
namespace licd::tools {

inline constexpr int exit_failure = 1;     ///< anything else
inline constexpr int exit_usage = 2;       ///< a usage error, a bad argument
inline constexpr int exit_refused = 3;     ///< refused: by the server, or a code that does not pass
inline constexpr int exit_unreachable = 4; ///< the server cannot be reached, or the link broke
inline constexpr int exit_unauthorized = 5; ///< the admin token was refused (or may not change)

inline int exit_status(engine::errc code) {
  using engine::errc;
  switch (code) {
    case errc::bad_argument:
    case errc::bad_request:
      return exit_usage;
    case errc::unreachable:
    case errc::tls_failed:
    case errc::timeout:
    case errc::too_many_connections:
    case errc::not_leader:
    case errc::tls_required:
      return exit_unreachable;
    case errc::unauthorized:
    case errc::forbidden:
      return exit_unauthorized;
    case errc::server_error:
    case errc::not_confirmed:
    case errc::failed:
      return exit_failure;
    default:
      return exit_refused;
  }
}

/// Reports an error the one way every tool does: `{"error": {"code", "message"}}` on stdout with
/// --json, else "TOOL: message" on stderr. Returns the exit status for it.
inline int report_error(std::string_view tool, bool json, engine::errc code,
                        const std::string& message) {
  if (json)
    std::cout << engine::error_json(code, message).dump() << '\n';
  else
    std::cerr << tool << ": " << message << '\n';
  return exit_status(code);
}

} // namespace licd::tools
