#include "engine/code_block.hpp"

#include <array>
#include <cctype>
#include <cstdio>

namespace licd::engine {

namespace {

constexpr std::string_view marker = "LICD";
constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr uint8_t format_version = 1;
constexpr size_t group = 5;
constexpr uint8_t max_kind = static_cast<uint8_t>(block_kind::release_receipt);

/// The value of a base32 character, tolerating case and the look-alikes O, I and L.
int symbol_value(char c) {
  c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (c == 'O')
    c = '0';
  if (c == 'I' || c == 'L')
    c = '1';
  auto pos = alphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

bool is_filler(char c) {
  return c == '-' || std::isspace(static_cast<unsigned char>(c));
}

std::string to_base32(std::string_view bytes) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(alphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0)
    out.push_back(alphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

std::string from_base32(std::string_view symbols) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : symbols) {
    buffer = (buffer << 5) | static_cast<uint32_t>(symbol_value(c));
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

size_t symbols_for(size_t bytes) {
  return (bytes * 8 + 4) / 5;
}

uint64_t get(std::string_view in, size_t at, int bytes) {
  uint64_t x = 0;
  for (int i = 0; i < bytes; ++i)
    x = (x << 8) | static_cast<unsigned char>(in[at + static_cast<size_t>(i)]);
  return x;
}

std::string snippet(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 40))
    out.push_back(std::isspace(static_cast<unsigned char>(c)) ? ' ' : c);
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  if (text.size() > 40)
    out += "...";
  return out;
}

code_error error(errc p, std::string message) {
  return code_error{p, std::move(message)};
}

std::string canonical_text(std::string_view symbols) {
  std::string out(marker);
  for (size_t i = 0; i < symbols.size(); i += group) {
    out.push_back('-');
    out.append(symbols.substr(i, group));
  }
  return out;
}

} // namespace

std::string_view describe(block_kind k) {
  switch (k) {
    case block_kind::network_license:
      return "a network license code";
    case block_kind::standalone_license:
      return "a stand-alone license code";
    case block_kind::activation_request:
      return "an activation request";
    case block_kind::activation_response:
      return "an activation response";
    case block_kind::release_receipt:
      return "a release receipt";
  }
  return "an unknown kind of code";
}

std::variant<block, code_error> decode_block(std::string_view text) {
  // Find the marker, in any letter case.
  size_t start = std::string_view::npos;
  for (size_t i = 0; i + marker.size() <= text.size(); ++i) {
    bool match = true;
    for (size_t j = 0; j < marker.size() && match; ++j)
      match = std::toupper(static_cast<unsigned char>(text[i + j])) == marker[j];
    if (match) {
      start = i;
      break;
    }
  }
  if (start == std::string_view::npos)
    return error(errc::not_a_code, "this is not a licd code: a code starts with LICD-");
  auto before = text.substr(0, start);
  for (char c : before)
    if (!std::isspace(static_cast<unsigned char>(c)))
      return error(errc::text_before, "there is other text before the code (\"" + snippet(before)
                                        + "\"): paste only the code, from LICD- to its last group");
  // Gather symbols: first the 5 that hold version and length, then as many as declared.
  std::string symbols;
  size_t pos = start + marker.size();
  size_t needed = symbols_for(3);
  bool length_known = false;
  while (symbols.size() < needed) {
    while (pos < text.size() && is_filler(text[pos]))
      ++pos;
    if (pos >= text.size() || symbol_value(text[pos]) < 0)
      break;
    symbols.push_back(text[pos++]);
    if (!length_known && symbols.size() == symbols_for(3)) {
      auto head = from_base32(symbols);
      if (static_cast<uint8_t>(head[0]) != format_version)
        return error(errc::malformed, "unsupported code format "
                                        + std::to_string(static_cast<uint8_t>(head[0]))
                                        + " (this licd reads format 1), or a mistyped code");
      auto total = static_cast<size_t>(get(head, 1, 2));
      if (total < record_header_size + 8)
        return error(errc::malformed, "the code's length field is damaged");
      needed = symbols_for(total);
      length_known = true;
    }
  }
  if (symbols.size() < needed) {
    if (pos < text.size() && symbol_value(text[pos]) < 0 && length_known)
      return error(errc::truncated, "the code is cut short (" + std::to_string(symbols.size())
                                      + " of " + std::to_string(needed)
                                      + " characters) and followed by other text");
    return error(errc::truncated, "the code is cut short: it has " + std::to_string(symbols.size())
                                    + " of " + std::to_string(needed) + " characters");
  }
  auto after = text.substr(pos);
  for (size_t i = 0; i < after.size(); ++i)
    if (!is_filler(after[i]))
      return error(errc::text_after, "there is other text after the code (\""
                                       + snippet(after.substr(i)) + "\"): paste only the code");
  block b;
  b.record = from_base32(symbols);
  b.record.resize(static_cast<size_t>(get(b.record, 1, 2)));
  auto kind = static_cast<uint8_t>(b.record[3]);
  if (kind > max_kind)
    return error(errc::malformed,
                 "the code's kind (" + std::to_string(kind) + ") is unknown to this licd");
  b.kind = static_cast<block_kind>(kind);
  b.flags = static_cast<uint8_t>(b.record[4]);
  std::string upper;
  for (char c : symbols)
    upper.push_back(alphabet[static_cast<size_t>(symbol_value(c))]);
  b.canonical = canonical_text(upper);
  return b;
}

std::string record_header(block_kind kind, uint8_t flags, size_t body_size, bool is_signed) {
  std::string h;
  h.push_back(static_cast<char>(format_version));
  put_uint(h, record_header_size + body_size + (is_signed ? signature_size : 0), 2);
  h.push_back(static_cast<char>(kind));
  h.push_back(static_cast<char>(flags));
  return h;
}

std::string encode_block(std::string_view record) {
  return canonical_text(to_base32(record));
}

void put_uint(std::string& out, uint64_t x, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xFF));
}

void put_str8(std::string& out, std::string_view s) {
  auto n = s.size() < 255 ? s.size() : 255;
  out.push_back(static_cast<char>(n));
  out.append(s.substr(0, n));
}

bool byte_reader::uint(int bytes, uint64_t& out) {
  if (remaining() < static_cast<size_t>(bytes))
    return false;
  out = get(bytes_, at_, bytes);
  at_ += static_cast<size_t>(bytes);
  return true;
}

bool byte_reader::str8(std::string& out) {
  uint64_t n = 0;
  return uint(1, n) && raw(static_cast<size_t>(n), out);
}

bool byte_reader::raw(size_t n, std::string& out) {
  if (remaining() < n)
    return false;
  out.assign(bytes_.substr(at_, n));
  at_ += n;
  return true;
}

std::string hex64(uint64_t x) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(x));
  return buf;
}

bool parse_hex64(std::string_view text, uint64_t& out) {
  if (text.size() != 16 || text.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos)
    return false;
  out = std::stoull(std::string(text), nullptr, 16);
  return true;
}

} // namespace licd::engine
