#pragma once

#include "engine/errc.hpp"
#include "engine/lease_id.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

/// The text wire protocol v1 (docs/PROTOCOL.md): pure parsing and formatting, no I/O.
namespace licd::net::protocol {

/// Longest request or reply line in bytes, not counting the LF.
inline constexpr size_t max_line = 1024;
/// Longest request id.
inline constexpr size_t max_request_id = 32;
/// The longest a CHECKOUT may wait in a product's queue (`wait=SECONDS`): a day.
inline constexpr uint32_t max_wait_seconds = 86'400;

enum class command { hello, checkout, renew, release, status, ping, quit };

/// The error codes a reply carries: engine::errc, shown by its name (`NO_SEATS`). The ones the
/// protocol sends are listed in docs/PROTOCOL.md, "Error codes".
using error_code = engine::errc;

/// The code as it goes on the wire.
inline std::string_view to_string(error_code code) {
  return engine::name(code);
}
/// The code for a wire text; nullopt for one this side does not know.
inline std::optional<error_code> error_code_from_string(std::string_view text) {
  return engine::errc_from_name(text);
}

/// A parsed, validated request. Which fields are set depends on `cmd`.
struct request {
  command cmd = command::ping;
  std::string id;
  std::string product;                   ///< CHECKOUT; STATUS (optional)
  std::optional<engine::lease_id> lease; ///< RENEW, RELEASE
  std::optional<int> version;            ///< HELLO
  std::optional<std::string> computer;   ///< HELLO (required), CHECKOUT (optional override)
  std::optional<std::string> user;       ///< HELLO (required), CHECKOUT (optional override)
  std::optional<std::string> instance;   ///< HELLO, CHECKOUT (optional)
  uint32_t wait = 0; ///< CHECKOUT: seconds it may wait in the product's queue (0: refuse at once)
  std::optional<std::string> queue; ///< STATUS: the id of a waiting CHECKOUT (its place in line)
};

/// Why a line was refused. `id` is the request id when one could be read, else "-".
struct parse_error {
  std::string id;
  error_code code;
  std::string message;
};

std::variant<request, parse_error> parse_request(std::string_view line);

/// A reply's key=value field.
using field = std::pair<std::string, std::string>;

/// "OK <id> k=v k=v ..." (no trailing LF).
std::string format_ok(std::string_view id, const std::vector<field>& fields = {});

/// Builds the same line as format_ok field by field, in one string (the hot replies: checkout,
/// renew, release).
class ok_line {
public:
  /// `word`: "OK", or "QUEUED" for the line a waiting CHECKOUT gets before its reply.
  explicit ok_line(std::string_view id, std::string_view word = "OK");
  ok_line& add(std::string_view key, std::string_view value);
  ok_line& add(std::string_view key, uint64_t value);
  /// The line, without a trailing LF.
  std::string take() { return std::move(out_); }

private:
  std::string out_;
};
/// "ERR <id> <CODE> <message>" (no trailing LF; newlines in the message become spaces).
std::string format_error(std::string_view id, error_code code, std::string_view message);

/// A parsed reply line (for clients): `OK`, `ERR`, or the `QUEUED` line a waiting CHECKOUT
/// gets before its reply (ok false, queued true, its fields in `fields`).
struct reply {
  bool ok = false;
  bool queued = false;
  std::string id;
  std::string code;    ///< ERR only: the code as sent (a newer server may send new codes)
  std::string message; ///< ERR only
  std::vector<field> fields; ///< OK only, in order

  /// The first field with that key.
  std::optional<std::string> get(std::string_view key) const;
};

std::optional<reply> parse_reply(std::string_view line);

} // namespace licd::net::protocol
