#pragma once

#include "engine/code_block.hpp"
#include "engine/ed25519.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

/// License codes: what a vendor signs and a site installs (a network license, on a license
/// server) or a workstation installs (a stand-alone license). Pure encoding and checking; the
/// keys come in as values. Format: engine/code_block.hpp and docs/LICENSES.md.
namespace licd::engine {

enum class license_type : uint8_t { network, standalone };

/// Flag bits of a license record.
inline constexpr uint8_t flag_activation_required = 0x01;

/// What a license grants.
struct license {
  uint64_t id = 0;        ///< random, unique per code
  uint64_t key_id = 0;    ///< which vendor key signed it (ed25519::public_key::key_id)
  license_type type = license_type::network;
  bool activation_required = false; ///< always true for stand-alone licenses
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

/// A license code taken apart, not yet checked against keys.
struct decoded_code {
  license lic;
  std::string signed_bytes; ///< the record the signature covers
  std::string signature;
  std::string canonical;    ///< the code in its canonical text form
};

/// Takes a license code (of either type) apart. Other kinds of code are refused as wrong_kind.
std::variant<decoded_code, code_error> decode_code(std::string_view text);

/// Trusted vendor keys by key id.
using key_ring = std::map<uint64_t, ed25519::public_key>;

/// Checks a signature against the ring, with the messages licd and its tools print.
std::optional<code_error> verify_signed(std::string_view what, uint64_t key_id,
                                        std::string_view signed_bytes,
                                        std::string_view signature, const key_ring& keys);

/// Decodes and verifies against the ring (either type of license).
std::variant<license, code_error> check_code(std::string_view text, const key_ring& keys);

/// As check_code, and refuses a license of the other type with a message that says what it is
/// and where it belongs.
std::variant<license, code_error> check_code_of_type(std::string_view text, const key_ring& keys,
                                                     license_type wanted);

/// Signs a license (its key_id is set from the key) and returns the code text.
std::string issue_code(license lic, const ed25519::private_key& key);

/// "YYYY-MM-DD" <-> days since 1970-01-01. nullopt on a malformed or impossible date.
std::optional<int32_t> parse_date(std::string_view text);
std::string format_date(int32_t day);

} // namespace licd::engine
