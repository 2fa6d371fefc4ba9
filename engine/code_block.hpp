#pragma once

#include "engine/errc.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

/// The text form every licd code shares: license codes, activation requests and responses,
/// release receipts. "LICD-" then Crockford base32 (no I, L, O, U) in dash-separated groups of
/// five, carrying one binary record: version (1 byte), total length (2), kind (1), flags (1),
/// the kind's body, and for signed kinds a 64-byte Ed25519 signature over everything before it.
/// Pure encoding: nothing here knows keys. Layouts: docs/LICENSES.md.
namespace licd::engine {

/// What a block holds. The numbers are part of the format.
enum class block_kind : uint8_t {
  network_license = 0,
  standalone_license = 1,
  activation_request = 2,
  activation_response = 3,
  release_receipt = 4,
};

/// "a network license code", "an activation request", ... for messages.
std::string_view describe(block_kind k);

struct code_error {
  errc problem; ///< not_a_code, text_before, ..., wrong_kind
  std::string message;
};

inline constexpr size_t record_header_size = 5;
inline constexpr size_t signature_size = 64;

/// A code's record, taken out of its text but not interpreted.
struct block {
  block_kind kind = block_kind::network_license;
  uint8_t flags = 0;
  std::string record;    ///< the whole record, header included
  std::string canonical; ///< the code in its canonical text form
};

/// Takes a code's text apart. Whitespace, line breaks, dashes and letter case do not matter;
/// any other text around the code is refused, saying where.
std::variant<block, code_error> decode_block(std::string_view text);

/// A record's header for a body of `body_size` bytes (plus a signature when `is_signed`).
std::string record_header(block_kind kind, uint8_t flags, size_t body_size, bool is_signed);

/// The canonical text of a complete record.
std::string encode_block(std::string_view record);

/// Big-endian fields and 1-byte-length strings, the building blocks of record bodies.
void put_uint(std::string& out, uint64_t x, int bytes);
void put_str8(std::string& out, std::string_view s); ///< at most 255 bytes

class byte_reader {
public:
  explicit byte_reader(std::string_view bytes, size_t at = 0) : bytes_(bytes), at_(at) {}
  bool uint(int bytes, uint64_t& out);
  bool str8(std::string& out);
  bool raw(size_t n, std::string& out);
  size_t remaining() const { return bytes_.size() - at_; }
  size_t pos() const { return at_; }

private:
  std::string_view bytes_;
  size_t at_;
};

/// 16 lowercase hex digits (license ids, key ids).
std::string hex64(uint64_t x);
/// 16 hex digits back to a number; false on anything else.
bool parse_hex64(std::string_view text, uint64_t& out);

} // namespace licd::engine
