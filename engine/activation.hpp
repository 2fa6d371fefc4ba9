#pragma once

#include "engine/code_block.hpp"
#include "engine/fingerprint.hpp"
#include "engine/license_code.hpp"

#include <cstdint>
#include <string>
#include <variant>

/// Activation: the exchange that binds a license to one machine, and the receipt that unbinds
/// it. The machine makes a request (license id, a fresh nonce, its fingerprint, its own public
/// key); the vendor signs a response over all of it; the machine accepts only a response to its
/// current request. On deactivation the machine signs a release receipt around the response, so
/// the vendor can check, offline, that this very activation was given up. Pure codecs and checks.
namespace licd::engine {

struct activation_request {
  uint64_t license_id = 0;
  license_type type = license_type::network;
  uint64_t nonce = 0;        ///< fresh per request: an older response does not fit a newer one
  std::string product;       ///< for the vendor's eyes
  std::string requester_key; ///< raw Ed25519 public key of the server (empty: none)
  fingerprint factors;
};

std::string encode_request(const activation_request& r);
std::variant<activation_request, code_error> decode_request(std::string_view text);

struct activation_response {
  uint64_t license_id = 0;
  uint64_t key_id = 0; ///< the vendor key that signed it
  license_type type = license_type::network;
  uint64_t nonce = 0;
  std::string requester_key;
  int32_t issued_day = 0;
  fingerprint factors;
  std::string record; ///< the whole signed record, signature included
};

/// The vendor's answer to a request, signed with its key.
std::string issue_response(const activation_request& req, const ed25519::private_key& vendor,
                           int32_t today);

/// Decodes and verifies a response against the vendor keys.
std::variant<activation_response, code_error> check_response(std::string_view text,
                                                             const key_ring& keys);

/// A deactivation's proof: the activation given up, signed by the machine that held it.
struct release_receipt {
  activation_response activation;
  int64_t released_at_ms = 0;
};

/// Signed by the requester's private key (the one whose public part is in the response).
std::string issue_receipt(const activation_response& activation, int64_t released_at_ms,
                          const ed25519::private_key& requester);

/// Verifies the response inside against the vendor keys and the receipt against the requester
/// key named in that response.
std::variant<release_receipt, code_error> check_receipt(std::string_view text,
                                                        const key_ring& keys);

} // namespace licd::engine
