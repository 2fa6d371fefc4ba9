#pragma once

#include "engine/ed25519.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

/// License codes: what a vendor signs and a site installs. Pure encoding and checking; the keys
/// come in as values. Format (docs/LICENSES.md): "LICD-" then Crockford base32 (no I, L, O, U)
/// in dash-separated groups of five, carrying a binary record and its Ed25519 signature.
namespace licd::engine {

/// What a license grants.
struct license {
  uint64_t id = 0;        ///< random, unique per code
  uint64_t key_id = 0;    ///< which vendor key signed it (ed25519::public_key::key_id)
  std::string product;
  uint32_t seats = 0;
  int32_t issued_day = 0;  ///< days since 1970-01-01 (UTC)
  int32_t expires_day = 0; ///< last valid day, days since 1970-01-01; 0 = never expires
  std::string customer;

  /// 16 lowercase hex digits.
  std::string id_hex() const;
  /// True when the license no longer counts on `today` (days since the epoch).
  bool expired_on(int32_t today) const { return expires_day != 0 && today > expires_day; }
};

/// Why a text is not an acceptable license code. Each gets its own message.
enum class code_problem {
  not_a_code,    ///< no "LICD-" marker at all
  text_before,   ///< other text in front of the code
  text_after,    ///< other text behind the code
  truncated,     ///< fewer characters than the code declares
  malformed,     ///< the characters do not make a valid record
  unknown_key,   ///< signed by a key this server does not trust
  bad_signature, ///< the signature does not match: altered or mistyped
};

std::string_view to_string(code_problem p);

struct code_error {
  code_problem problem;
  std::string message;
};

/// A code taken apart, not yet checked against keys.
struct decoded_code {
  license lic;
  std::string signed_bytes; ///< the record the signature covers
  std::string signature;
  std::string canonical;    ///< the code in its canonical text form
};

/// Takes a code apart. Whitespace, line breaks, dashes and letter case do not matter;
/// any other text around the code is refused.
std::variant<decoded_code, code_error> decode_code(std::string_view text);

/// Trusted vendor keys by key id.
using key_ring = std::map<uint64_t, ed25519::public_key>;

/// Decodes and verifies against the ring.
std::variant<license, code_error> check_code(std::string_view text, const key_ring& keys);

/// Signs a license (its key_id is set from the key) and returns the code text.
std::string issue_code(license lic, const ed25519::private_key& key);

/// 16 lowercase hex digits (license ids, key ids).
std::string hex64(uint64_t x);

/// "YYYY-MM-DD" <-> days since 1970-01-01. nullopt on a malformed or impossible date.
std::optional<int32_t> parse_date(std::string_view text);
std::string format_date(int32_t day);

} // namespace licd::engine
