#pragma once

#include <string_view>

namespace licd::engine {

/// Longest product name, in bytes.
inline constexpr size_t max_product_name = 64;
/// Longest computer, user or instance name, in bytes.
inline constexpr size_t max_identity_name = 128;

/// A product name: 1-64 of [A-Za-z0-9._-], starting with a letter or digit.
bool valid_product_name(std::string_view name);

/// A computer, user or instance name: 1-128 bytes of valid UTF-8, none of them a control
/// character (C0, DEL or C1), a space or '='.
bool valid_identity_name(std::string_view name);

/// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
/// above U+10FFFF).
bool valid_utf8(std::string_view text);

} // namespace licd::engine
