#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

/// Ed25519 keys and signatures through OpenSSL 3 (EVP_DigestSign with a NULL digest).
/// Keys travel as PEM (PKCS#8 private, SubjectPublicKeyInfo public), so `openssl pkey` reads them.
namespace licd::engine::ed25519 {

/// An EVP_PKEY, shared: keys never change after they are made.
using pkey_ptr = std::shared_ptr<void>;

/// A vendor's public key: verifies signatures.
class public_key {
public:
  /// Parses a PEM public key; throws std::runtime_error if it is not an Ed25519 public key.
  static public_key from_pem(std::string_view pem);
  /// From the 32 raw key bytes; throws std::runtime_error on anything else.
  static public_key from_raw(std::string_view raw);
  std::string to_pem() const;
  /// The 32 raw key bytes.
  std::string raw() const;
  /// First 8 bytes of SHA-256 over the raw key: names the key inside license codes.
  uint64_t key_id() const;
  bool verify(std::string_view message, std::string_view signature) const;

private:
  pkey_ptr key_;
};

/// A vendor's private key: signs.
class private_key {
public:
  static private_key generate();
  /// Parses a PEM private key; throws std::runtime_error if it is not an Ed25519 private key.
  static private_key from_pem(std::string_view pem);
  std::string to_pem() const;
  public_key public_part() const;
  /// The 64-byte signature.
  std::string sign(std::string_view message) const;

private:
  pkey_ptr key_;
};

/// SHA-256 of the bytes (32 raw bytes).
std::string sha256(std::string_view bytes);

} // namespace licd::engine::ed25519
