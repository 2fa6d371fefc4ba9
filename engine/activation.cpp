#include "engine/activation.hpp"

namespace licd::engine {

namespace {

code_error error(errc p, std::string message) {
  return code_error{p, std::move(message)};
}

std::variant<block, code_error> decode_kind(std::string_view text, block_kind wanted) {
  auto b = decode_block(text);
  if (auto* blk = std::get_if<block>(&b); blk != nullptr && blk->kind != wanted)
    return error(errc::wrong_kind, "this is " + std::string(describe(blk->kind)) + ", not "
                                     + std::string(describe(wanted)));
  return b;
}

void put_factors(std::string& out, const fingerprint& fp) {
  out.push_back(static_cast<char>(fp.size()));
  for (const auto& f : fp) {
    out.push_back(static_cast<char>(f.kind));
    put_uint(out, f.hash, 8);
  }
}

bool read_factors(byte_reader& r, fingerprint& fp) {
  uint64_t n = 0;
  if (!r.uint(1, n))
    return false;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t kind = 0;
    factor f;
    if (!r.uint(1, kind) || !r.uint(8, f.hash) || kind < 1 || kind > 5)
      return false;
    f.kind = static_cast<factor_kind>(kind);
    fp.push_back(f);
  }
  return true;
}

bool read_type(byte_reader& r, license_type& t) {
  uint64_t x = 0;
  if (!r.uint(1, x) || x > 1)
    return false;
  t = static_cast<license_type>(x);
  return true;
}

bool valid_key(const std::string& k) {
  return k.empty() || k.size() == 32;
}

} // namespace

std::string encode_request(const activation_request& r) {
  std::string body;
  put_uint(body, r.license_id, 8);
  body.push_back(static_cast<char>(r.type));
  put_uint(body, r.nonce, 8);
  put_str8(body, r.product);
  put_str8(body, r.requester_key);
  put_factors(body, r.factors);
  return encode_block(record_header(block_kind::activation_request, 0, body.size(), false)
                      + body);
}

std::variant<activation_request, code_error> decode_request(std::string_view text) {
  auto b = decode_kind(text, block_kind::activation_request);
  if (auto* err = std::get_if<code_error>(&b))
    return *err;
  const auto& rec = std::get<block>(b).record;
  byte_reader r(rec, record_header_size);
  activation_request out;
  if (!r.uint(8, out.license_id) || !read_type(r, out.type) || !r.uint(8, out.nonce)
      || !r.str8(out.product) || !r.str8(out.requester_key) || !valid_key(out.requester_key)
      || !read_factors(r, out.factors) || r.remaining() != 0)
    return error(errc::malformed, "the activation request is damaged");
  return out;
}

std::string issue_response(const activation_request& req, const ed25519::private_key& vendor,
                           int32_t today) {
  std::string body;
  put_uint(body, req.license_id, 8);
  put_uint(body, vendor.public_part().key_id(), 8);
  body.push_back(static_cast<char>(req.type));
  put_uint(body, req.nonce, 8);
  put_str8(body, req.requester_key);
  put_uint(body, static_cast<uint64_t>(today), 2);
  put_factors(body, req.factors);
  auto rec = record_header(block_kind::activation_response, 0, body.size(), true) + body;
  return encode_block(rec + vendor.sign(rec));
}

namespace {

std::variant<activation_response, code_error> parse_response(std::string record,
                                                             const key_ring& keys) {
  byte_reader r(record, record_header_size);
  activation_response out;
  uint64_t day = 0;
  if (!r.uint(8, out.license_id) || !r.uint(8, out.key_id) || !read_type(r, out.type)
      || !r.uint(8, out.nonce) || !r.str8(out.requester_key) || !valid_key(out.requester_key)
      || !r.uint(2, day) || !read_factors(r, out.factors) || r.remaining() != signature_size)
    return error(errc::malformed, "the activation response is damaged");
  out.issued_day = static_cast<int32_t>(day);
  auto signed_size = r.pos();
  if (auto err = verify_signed("activation response", out.key_id,
                               std::string_view(record).substr(0, signed_size),
                               std::string_view(record).substr(signed_size), keys))
    return *err;
  out.record = std::move(record);
  return out;
}

} // namespace

std::variant<activation_response, code_error> check_response(std::string_view text,
                                                             const key_ring& keys) {
  auto b = decode_kind(text, block_kind::activation_response);
  if (auto* err = std::get_if<code_error>(&b))
    return *err;
  return parse_response(std::move(std::get<block>(b).record), keys);
}

std::string issue_receipt(const activation_response& activation, int64_t released_at_ms,
                          const ed25519::private_key& requester) {
  std::string body;
  put_uint(body, static_cast<uint64_t>(released_at_ms), 8);
  put_uint(body, activation.record.size(), 2);
  body += activation.record;
  auto rec = record_header(block_kind::release_receipt, 0, body.size(), true) + body;
  return encode_block(rec + requester.sign(rec));
}

std::variant<release_receipt, code_error> check_receipt(std::string_view text,
                                                        const key_ring& keys) {
  auto b = decode_kind(text, block_kind::release_receipt);
  if (auto* err = std::get_if<code_error>(&b))
    return *err;
  const auto& rec = std::get<block>(b).record;
  byte_reader r(rec, record_header_size);
  uint64_t at = 0, len = 0;
  std::string inner;
  if (!r.uint(8, at) || !r.uint(2, len) || !r.raw(static_cast<size_t>(len), inner)
      || r.remaining() != signature_size || inner.size() < record_header_size
      || inner[3] != static_cast<char>(block_kind::activation_response))
    return error(errc::malformed, "the release receipt is damaged");
  auto signed_size = r.pos();
  auto activation = parse_response(std::move(inner), keys);
  if (auto* err = std::get_if<code_error>(&activation))
    return code_error{err->problem, "the activation inside the receipt: " + err->message};
  release_receipt out;
  out.activation = std::move(std::get<activation_response>(activation));
  out.released_at_ms = static_cast<int64_t>(at);
  if (out.activation.requester_key.empty())
    return error(errc::malformed,
                 "the activation inside the receipt names no server key to check it with");
  auto server = ed25519::public_key::from_raw(out.activation.requester_key);
  if (!server.verify(std::string_view(rec).substr(0, signed_size),
                     std::string_view(rec).substr(signed_size)))
    return error(errc::bad_signature,
                 "the receipt's signature does not match the server that was activated: it was "
                 "altered, mistyped or made elsewhere");
  return out;
}

} // namespace licd::engine
