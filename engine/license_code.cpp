#include "engine/license_code.hpp"

#include <cstdio>

namespace licd::engine {

namespace {

code_error error(errc p, std::string message) {
  return code_error{p, std::move(message)};
}

std::string signed_record(const license& lic) {
  std::string body;
  put_uint(body, lic.id, 8);
  put_uint(body, lic.key_id, 8);
  put_uint(body, static_cast<uint64_t>(lic.issued_day), 2);
  put_uint(body, static_cast<uint64_t>(lic.expires_day), 2);
  put_uint(body, lic.seats, 4);
  put_str8(body, lic.product);
  put_str8(body, lic.customer);
  bool standalone = lic.type == license_type::standalone;
  uint8_t flags = (lic.activation_required || standalone) ? flag_activation_required : 0;
  return record_header(standalone ? block_kind::standalone_license : block_kind::network_license,
                       flags, body.size(), true)
         + body;
}

} // namespace

std::string license::id_hex() const {
  return hex64(id);
}

std::variant<decoded_code, code_error> decode_code(std::string_view text) {
  auto b = decode_block(text);
  if (auto* err = std::get_if<code_error>(&b))
    return *err;
  auto& blk = std::get<block>(b);
  if (blk.kind != block_kind::network_license && blk.kind != block_kind::standalone_license)
    return error(errc::wrong_kind,
                 "this is " + std::string(describe(blk.kind)) + ", not a license code");
  decoded_code d;
  auto& lic = d.lic;
  lic.type = blk.kind == block_kind::standalone_license ? license_type::standalone
                                                        : license_type::network;
  lic.activation_required = (blk.flags & flag_activation_required) != 0
                            || lic.type == license_type::standalone;
  byte_reader r(blk.record, record_header_size);
  uint64_t issued = 0, expires = 0, seats = 0;
  if (!r.uint(8, lic.id) || !r.uint(8, lic.key_id) || !r.uint(2, issued) || !r.uint(2, expires)
      || !r.uint(4, seats))
    return error(errc::malformed, "the code is too short for a license");
  lic.issued_day = static_cast<int32_t>(issued);
  lic.expires_day = static_cast<int32_t>(expires);
  lic.seats = static_cast<uint32_t>(seats);
  if (!r.str8(lic.product) || r.remaining() < signature_size + 1)
    return error(errc::malformed, "the code's product field is damaged");
  if (!r.str8(lic.customer) || r.remaining() != signature_size)
    return error(errc::malformed, "the code's customer field is damaged");
  d.signed_bytes = blk.record.substr(0, r.pos());
  d.signature = blk.record.substr(r.pos());
  d.canonical = std::move(blk.canonical);
  return d;
}

std::optional<code_error> verify_signed(std::string_view what, uint64_t key_id,
                                        std::string_view signed_bytes,
                                        std::string_view signature, const key_ring& keys) {
  auto key = keys.find(key_id);
  if (key == keys.end())
    return error(errc::unknown_key,
                 "the " + std::string(what) + " is signed by a vendor key not trusted here (key id "
                   + hex64(key_id) + "): add the vendor's public key with --vendor-key");
  if (!key->second.verify(signed_bytes, signature))
    return error(errc::bad_signature, "the " + std::string(what)
                                        + "'s signature does not match: it was altered "
                                          "or mistyped");
  return std::nullopt;
}

std::variant<license, code_error> check_code(std::string_view text, const key_ring& keys) {
  auto d = decode_code(text);
  if (auto* err = std::get_if<code_error>(&d))
    return *err;
  auto& code = std::get<decoded_code>(d);
  if (auto err = verify_signed("code", code.lic.key_id, code.signed_bytes, code.signature, keys))
    return *err;
  return code.lic;
}

std::variant<license, code_error> check_code_of_type(std::string_view text, const key_ring& keys,
                                                     license_type wanted) {
  auto r = check_code(text, keys);
  auto* lic = std::get_if<license>(&r);
  if (lic == nullptr || lic->type == wanted)
    return r;
  if (lic->type == license_type::standalone)
    return error(errc::wrong_kind,
                 "this is a stand-alone license code, for one workstation: install it there with "
                 "`licclient standalone add`; a license server cannot use it");
  return error(errc::wrong_kind,
               "this is a network license code: install it on the license server with "
               "`licadmin licenses add`; it cannot be used stand-alone");
}

std::string issue_code(license lic, const ed25519::private_key& key) {
  lic.key_id = key.public_part().key_id();
  auto rec = signed_record(lic);
  return encode_block(rec + key.sign(rec));
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
