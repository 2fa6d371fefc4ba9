#include "engine/license_code.hpp"

#include <array>
#include <cctype>
#include <cstdio>

namespace licd::engine {

namespace {

constexpr std::string_view marker = "LICD";
constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr uint8_t format_version = 1;
constexpr size_t header_size = 29; // version, length, kind, flags, ids, days, seats
constexpr size_t signature_size = 64;
constexpr size_t group = 5;

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

void put(std::string& out, uint64_t x, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xFF));
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

code_error error(code_problem p, std::string message) {
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

std::string signed_record(const license& lic) {
  std::string rec;
  rec.push_back(static_cast<char>(format_version));
  size_t total = header_size + 1 + lic.product.size() + 1 + lic.customer.size() + signature_size;
  put(rec, total, 2);
  rec.push_back(0); // kind: network license
  rec.push_back(0); // flags
  put(rec, lic.id, 8);
  put(rec, lic.key_id, 8);
  put(rec, static_cast<uint64_t>(lic.issued_day), 2);
  put(rec, static_cast<uint64_t>(lic.expires_day), 2);
  put(rec, lic.seats, 4);
  rec.push_back(static_cast<char>(lic.product.size()));
  rec.append(lic.product);
  rec.push_back(static_cast<char>(lic.customer.size()));
  rec.append(lic.customer);
  return rec;
}

} // namespace

std::string hex64(uint64_t x) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(x));
  return buf;
}

std::string license::id_hex() const {
  return hex64(id);
}

std::string_view to_string(code_problem p) {
  static constexpr std::array<std::string_view, 7> names = {
    "not_a_code", "text_before", "text_after", "truncated", "malformed", "unknown_key",
    "bad_signature"};
  return names[static_cast<size_t>(p)];
}

std::variant<decoded_code, code_error> decode_code(std::string_view text) {
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
    return error(code_problem::not_a_code,
                 "this is not a licd license code: a code starts with LICD-");
  auto before = text.substr(0, start);
  for (char c : before)
    if (!std::isspace(static_cast<unsigned char>(c)))
      return error(code_problem::text_before,
                   "there is other text before the code (\"" + snippet(before)
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
        return error(code_problem::malformed,
                     "unsupported code format " + std::to_string(static_cast<uint8_t>(head[0]))
                       + " (this licd reads format 1), or a mistyped code");
      auto total = static_cast<size_t>(get(head, 1, 2));
      if (total < header_size + 2 + signature_size)
        return error(code_problem::malformed, "the code's length field is damaged");
      needed = symbols_for(total);
      length_known = true;
    }
  }
  if (symbols.size() < needed) {
    if (pos < text.size() && symbol_value(text[pos]) < 0 && length_known)
      return error(code_problem::truncated,
                   "the code is cut short (" + std::to_string(symbols.size()) + " of "
                     + std::to_string(needed) + " characters) and followed by other text");
    return error(code_problem::truncated, "the code is cut short: it has "
                                            + std::to_string(symbols.size()) + " of "
                                            + std::to_string(needed) + " characters");
  }
  auto after = text.substr(pos);
  for (size_t i = 0; i < after.size(); ++i)
    if (!is_filler(after[i]))
      return error(code_problem::text_after,
                   "there is other text after the code (\"" + snippet(after.substr(i))
                     + "\"): paste only the code");
  auto bytes = from_base32(symbols);
  auto total = static_cast<size_t>(get(bytes, 1, 2));
  bytes.resize(total);
  decoded_code d;
  auto& lic = d.lic;
  lic.id = get(bytes, 5, 8);
  lic.key_id = get(bytes, 13, 8);
  lic.issued_day = static_cast<int32_t>(get(bytes, 21, 2));
  lic.expires_day = static_cast<int32_t>(get(bytes, 23, 2));
  lic.seats = static_cast<uint32_t>(get(bytes, 25, 4));
  size_t at = header_size;
  size_t product_len = static_cast<unsigned char>(bytes[at++]);
  if (at + product_len + 1 + signature_size > total)
    return error(code_problem::malformed, "the code's product field is damaged");
  lic.product = bytes.substr(at, product_len);
  at += product_len;
  size_t customer_len = static_cast<unsigned char>(bytes[at++]);
  if (at + customer_len + signature_size != total)
    return error(code_problem::malformed, "the code's customer field is damaged");
  lic.customer = bytes.substr(at, customer_len);
  at += customer_len;
  if (bytes[3] != 0)
    return error(code_problem::malformed, "this code is not a network license code");
  d.signed_bytes = bytes.substr(0, at);
  d.signature = bytes.substr(at, signature_size);
  std::string upper;
  for (char c : symbols)
    upper.push_back(alphabet[static_cast<size_t>(symbol_value(c))]);
  d.canonical = canonical_text(upper);
  return d;
}

std::variant<license, code_error> check_code(std::string_view text, const key_ring& keys) {
  auto d = decode_code(text);
  if (auto* err = std::get_if<code_error>(&d))
    return *err;
  auto& code = std::get<decoded_code>(d);
  auto key = keys.find(code.lic.key_id);
  if (key == keys.end()) {
    return error(code_problem::unknown_key,
                 std::string("the code is signed by a vendor key this server does not trust (key id ")
                   + hex64(code.lic.key_id) + "): add the vendor's public key with --vendor-key");
  }
  if (!key->second.verify(code.signed_bytes, code.signature))
    return error(code_problem::bad_signature,
                 "the code's signature does not match: it was altered or mistyped");
  return code.lic;
}

std::string issue_code(license lic, const ed25519::private_key& key) {
  lic.key_id = key.public_part().key_id();
  auto rec = signed_record(lic);
  auto sig = key.sign(rec);
  return canonical_text(to_base32(rec + sig));
}

std::optional<int32_t> parse_date(std::string_view text) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  std::string s(text);
  if (s.size() != 10 || std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
    return std::nullopt;
  if (y < 1970 || y > 2149 || m < 1 || m > 12 || d < 1)
    return std::nullopt;
  static constexpr int days_in[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > days_in[m - 1] + (m == 2 && leap ? 1 : 0))
    return std::nullopt;
  // Days from civil (Howard Hinnant's algorithm).
  y -= m <= 2;
  int era = (y >= 0 ? y : y - 399) / 400;
  int yoe = y - era * 400;
  int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::string format_date(int32_t day) {
  int z = day + 719468;
  int era = (z >= 0 ? z : z - 146096) / 146097;
  int doe = z - era * 146097;
  int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int y = yoe + era * 400;
  int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int mp = (5 * doy + 2) / 153;
  int d = doy - (153 * mp + 2) / 5 + 1;
  int m = mp + (mp < 10 ? 3 : -9);
  y += m <= 2;
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
  return buf;
}

} // namespace licd::engine
