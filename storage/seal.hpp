#pragma once

#include <optional>
#include <string>
#include <string_view>

/// How licd's stored records are sealed against silent damage (LMDB checksums nothing): a
/// stored value is the record followed by 4 bytes, the CRC-32 (zlib) of the key and the record,
/// big-endian. A flipped byte in a record or in its key breaks the seal.
namespace licd::storage {

inline constexpr size_t seal_size = 4;

std::string sealed(std::string_view key, std::string_view record);
/// The record inside a stored value, when its seal matches.
std::optional<std::string_view> unsealed(std::string_view key, std::string_view stored);
/// A key as text for messages: itself when printable, else hex.
std::string printable_key(std::string_view key);

} // namespace licd::storage
