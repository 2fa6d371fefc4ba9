#pragma once

#include <string_view>

namespace licd::engine {

/// Longest product name, in bytes.
inline constexpr size_t max_product_name = 64;
/// Longest computer, user or instance name, in bytes.
inline constexpr size_t max_identity_name = 128;

/// A product name: 1-64 of [A-Za-z0-9._-], starting with a letter or digit.
bool valid_product_name(std::string_view name);

/// A computer, user or instance name: 1-128 bytes, none of them a control character,
/// a space or '=' (bytes >= 0x80 are allowed so UTF-8 names pass).
bool valid_identity_name(std::string_view name);

} // namespace licd::engine
