#pragma once

#include <openssl/types.h>

#include <string>

/// OpenSSL facts as text, for the server's TLS and the client library alike.
namespace licd::net {

/// The oldest error on this thread's OpenSSL error queue, as text; clears the queue.
std::string openssl_last_error();

/// SHA-256 of a certificate (DER), 64 lowercase hex digits: what clients pin.
std::string sha256_fingerprint(X509* cert);

/// A fingerprint as a person pastes it (colons, either case) in the form above. Not checked.
std::string normalized_fingerprint(const std::string& text);

} // namespace licd::net
