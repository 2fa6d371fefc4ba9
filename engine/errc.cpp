#include "engine/errc.hpp"

#include <array>
#include <cctype>

namespace licd::engine {

namespace {

constexpr std::array<std::string_view, 56> names = {
  "BAD_REQUEST",
  "LINE_TOO_LONG",
  "UNKNOWN_COMMAND",
  "NO_HELLO",
  "BAD_VERSION",
  "UNKNOWN_PRODUCT",
  "NO_SEATS",
  "UNKNOWN_LEASE",
  "DISCONNECTED",
  "TOO_MANY_LEASES",
  "UNKNOWN_COMPUTER",
  "RESERVED",
  "LIMIT",
  "EXCLUDED",
  "NOT_WAITING",
  "STORAGE_ERROR",
  "STORAGE_FULL",
  "SERVER_ERROR",
  "TOO_MANY_CONNECTIONS",
  "TIMEOUT",
  "TLS_REQUIRED",
  "NOT_LEADER",
  "NOT_A_CODE",
  "TEXT_BEFORE",
  "TEXT_AFTER",
  "TRUNCATED",
  "MALFORMED",
  "UNKNOWN_KEY",
  "BAD_SIGNATURE",
  "WRONG_KIND",
  "NOT_FOUND",
  "DUPLICATE",
  "ACTIVATED",
  "ALREADY_ACTIVE",
  "NOT_REQUIRED",
  "NOT_ACTIVATED",
  "HARDWARE_MISMATCH",
  "WRONG_LICENSE",
  "WRONG_SERVER",
  "STALE_RESPONSE",
  "WRONG_MACHINE",
  "UNTRUSTED",
  "STANDALONE_MODE",
  "NOT_LICENSED",
  "UNSAFE_FILE",
  "UNREADABLE",
  "UNWRITABLE",
  "CORRUPT",
  "BAD_ARGUMENT",
  "UNREACHABLE",
  "TLS_FAILED",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "REQUEST_TOO_LARGE",
  "NOT_CONFIRMED",
  "FAILED",
};
static_assert(names.back() == "FAILED" && static_cast<size_t>(errc::failed) + 1 == names.size(),
              "one name per errc value, in order");

} // namespace

std::string_view name(errc code) {
  return names[static_cast<size_t>(code)];
}

std::optional<errc> errc_from_name(std::string_view text) {
  for (size_t i = 0; i < names.size(); ++i) {
    auto n = names[i];
    if (n.size() != text.size())
      continue;
    bool same = true;
    for (size_t j = 0; j < n.size() && same; ++j)
      same = std::toupper(static_cast<unsigned char>(text[j])) == n[j];
    if (same)
      return static_cast<errc>(i);
  }
  return std::nullopt;
}

} // namespace licd::engine
