#include "storage/seal.hpp"

#include <zlib.h>

#include <cstdint>

namespace licd::storage {

namespace {

uint32_t crc_of(std::string_view key, std::string_view record) {
  auto crc = ::crc32(0L, nullptr, 0);
  crc = ::crc32(crc, reinterpret_cast<const Bytef*>(key.data()), static_cast<uInt>(key.size()));
  crc = ::crc32(crc, reinterpret_cast<const Bytef*>(record.data()),
                static_cast<uInt>(record.size()));
  return static_cast<uint32_t>(crc);
}

} // namespace

std::string sealed(std::string_view key, std::string_view record) {
  std::string out(record);
  auto crc = crc_of(key, record);
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((crc >> shift) & 0xFF));
  return out;
}

/// The record inside a stored value, when its seal matches.
std::optional<std::string_view> unsealed(std::string_view key, std::string_view stored) {
  if (stored.size() < seal_size)
    return std::nullopt;
  auto record = stored.substr(0, stored.size() - seal_size);
  uint32_t crc = 0;
  for (char c : stored.substr(record.size()))
    crc = (crc << 8) | static_cast<unsigned char>(c);
  if (crc != crc_of(key, record))
    return std::nullopt;
  return record;
}

std::string printable_key(std::string_view key) {
  bool text = !key.empty();
  for (unsigned char c : key)
    text = text && c >= 0x20 && c < 0x7F;
  if (text)
    return std::string(key);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : key) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

} // namespace licd::storage
