#include "engine/ed25519.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>

namespace licd::engine::ed25519 {

namespace {

pkey_ptr own(EVP_PKEY* p) {
  return pkey_ptr(p, [](void* x) { EVP_PKEY_free(static_cast<EVP_PKEY*>(x)); });
}

EVP_PKEY* evp(const pkey_ptr& p) {
  return static_cast<EVP_PKEY*>(p.get());
}

[[noreturn]] void fail(const std::string& what) {
  char buf[256] = {};
  ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
  ERR_clear_error();
  throw std::runtime_error(what + (buf[0] != '\0' ? std::string(" (") + buf + ")" : ""));
}

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

BIO* string_bio(std::string_view text) {
  return BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
}

void require_ed25519(const pkey_ptr& p, const char* what) {
  if (!p || EVP_PKEY_get_id(evp(p)) != EVP_PKEY_ED25519)
    throw std::runtime_error(std::string(what) + " is not an Ed25519 key");
}

} // namespace

public_key public_key::from_pem(std::string_view pem) {
  BIO* bio = string_bio(pem);
  auto p = own(PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  ERR_clear_error();
  require_ed25519(p, "the public key file");
  public_key k;
  k.key_ = std::move(p);
  return k;
}

public_key public_key::from_raw(std::string_view raw) {
  auto p = own(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                           reinterpret_cast<const unsigned char*>(raw.data()),
                                           raw.size()));
  if (!p)
    fail("not a raw Ed25519 public key");
  public_key k;
  k.key_ = std::move(p);
  return k;
}

std::string public_key::to_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  if (PEM_write_bio_PUBKEY(bio, evp(key_)) != 1)
    fail("cannot write the public key");
  return bio_to_string(bio);
}

std::string public_key::raw() const {
  std::string out(32, '\0');
  size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(evp(key_), reinterpret_cast<unsigned char*>(out.data()),
                                  &len)
      != 1)
    fail("cannot read the raw public key");
  out.resize(len);
  return out;
}

uint64_t public_key::key_id() const {
  auto digest = sha256(raw());
  uint64_t id = 0;
  for (int i = 0; i < 8; ++i)
    id = (id << 8) | static_cast<unsigned char>(digest[static_cast<size_t>(i)]);
  return id;
}

bool public_key::verify(std::string_view message, std::string_view signature) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, evp(key_)) == 1
            && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                                signature.size(),
                                reinterpret_cast<const unsigned char*>(message.data()),
                                message.size())
                 == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

private_key private_key::generate() {
  EVP_PKEY* p = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (p == nullptr)
    fail("cannot generate an Ed25519 key");
  private_key k;
  k.key_ = own(p);
  return k;
}

private_key private_key::from_pem(std::string_view pem) {
  BIO* bio = string_bio(pem);
  auto p = own(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  ERR_clear_error();
  require_ed25519(p, "the private key file");
  private_key k;
  k.key_ = std::move(p);
  return k;
}

std::string private_key::to_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  if (PEM_write_bio_PrivateKey(bio, evp(key_), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    fail("cannot write the private key");
  return bio_to_string(bio);
}

public_key private_key::public_part() const {
  std::string pub(32, '\0');
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(evp(key_), reinterpret_cast<unsigned char*>(pub.data()), &len)
      != 1)
    fail("cannot derive the public key");
  EVP_PKEY* p = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                            reinterpret_cast<unsigned char*>(pub.data()), len);
  if (p == nullptr)
    fail("cannot build the public key");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, p);
  EVP_PKEY_free(p);
  return public_key::from_pem(bio_to_string(bio));
}

std::string private_key::sign(std::string_view message) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string sig(64, '\0');
  size_t len = sig.size();
  bool ok = EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, evp(key_)) == 1
            && EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                              reinterpret_cast<const unsigned char*>(message.data()),
                              message.size())
                 == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok)
    fail("cannot sign");
  sig.resize(len);
  return sig;
}

std::string sha256(std::string_view bytes) {
  std::string out(32, '\0');
  unsigned int len = 32;
  if (EVP_Digest(bytes.data(), bytes.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                 EVP_sha256(), nullptr)
      != 1)
    fail("SHA-256 failed");
  return out;
}

} // namespace licd::engine::ed25519
