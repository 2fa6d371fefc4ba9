#include "engine/names.hpp"

namespace licd::engine {

namespace {

bool is_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

} // namespace

bool valid_product_name(std::string_view name) {
  if (name.empty() || name.size() > max_product_name)
    return false;
  if (!is_alnum(static_cast<unsigned char>(name.front())))
    return false;
  for (unsigned char c : name)
    if (!is_alnum(c) && c != '.' && c != '_' && c != '-')
      return false;
  return true;
}

bool valid_identity_name(std::string_view name) {
  if (name.empty() || name.size() > max_identity_name || !valid_utf8(name))
    return false;
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c <= 0x20 || c == 0x7F || c == '=')
      return false;
    // C1 controls, U+0080-U+009F: 0xC2 followed by 0x80-0x9F.
    if (c == 0xC2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) < 0xA0)
      return false;
  }
  return true;
}

bool valid_utf8(std::string_view text) {
  size_t i = 0;
  auto byte = [&](size_t at) { return static_cast<unsigned char>(text[at]); };
  auto continuation = [&](size_t at, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return at < text.size() && byte(at) >= lo && byte(at) <= hi;
  };
  while (i < text.size()) {
    auto c = byte(i);
    if (c < 0x80) {
      i += 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      if (!continuation(i + 1))
        return false;
      i += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      // E0: no overlong (second byte A0-BF); ED: no surrogates (second byte 80-9F).
      unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
      if (!continuation(i + 1, lo, hi) || !continuation(i + 2))
        return false;
      i += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      // F0: no overlong (90-BF); F4: nothing above U+10FFFF (80-8F).
      unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
      if (!continuation(i + 1, lo, hi) || !continuation(i + 2) || !continuation(i + 3))
        return false;
      i += 4;
    } else {
      return false; // a stray continuation byte, C0/C1 (overlong), or F5-FF
    }
  }
  return true;
}

} // namespace licd::engine
