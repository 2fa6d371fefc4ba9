// make_self_signed (net/tls_stream.hpp): the server's certificate when none is given. Linux
// only (the key file is made with mode 0600).

#include "net/tls_stream.hpp"

#include "net/openssl_text.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>

namespace licd::net {

std::string make_self_signed(const std::string& cert_file, const std::string& key_file,
                             const std::string& name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  auto cleanup = [&] {
    X509_free(cert);
    EVP_PKEY_free(key);
  };
  if (key == nullptr || cert == nullptr) {
    cleanup();
    throw std::runtime_error("cannot make a key: " + openssl_last_error());
  }
  X509_set_version(cert, 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof(serial)) != 1) {
    cleanup();
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  }
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* subject = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("licd"), -1, -1, 0);
  X509_set_issuer_name(cert, subject);
  in6_addr a6{};
  in_addr a4{};
  bool is_ip =
    inet_pton(AF_INET, name.c_str(), &a4) == 1 || inet_pton(AF_INET6, name.c_str(), &a6) == 1;
  auto san = (is_ip ? "IP:" : "DNS:") + name;
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, san},
                            {NID_basic_constraints, "critical,CA:TRUE"},
                            {NID_key_usage, "critical,digitalSignature,keyCertSign"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
    if (ext == nullptr) {
      cleanup();
      throw std::runtime_error("cannot make the certificate's extensions: " + openssl_last_error());
    }
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert, key, EVP_sha256()) == 0) {
    cleanup();
    throw std::runtime_error("cannot sign the certificate: " + openssl_last_error());
  }
  // The key: created 0600, never readable by others even for a moment.
  int kfd = ::open(key_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  FILE* kf = kfd >= 0 ? ::fdopen(kfd, "w") : nullptr;
  FILE* cf = kf != nullptr ? std::fopen(cert_file.c_str(), "wx") : nullptr;
  bool ok = kf != nullptr && cf != nullptr
            && PEM_write_PrivateKey(kf, key, nullptr, nullptr, 0, nullptr, nullptr) == 1
            && PEM_write_X509(cf, cert) == 1;
  if (kf != nullptr)
    ok = std::fclose(kf) == 0 && ok;
  else if (kfd >= 0)
    ::close(kfd);
  if (cf != nullptr)
    ok = std::fclose(cf) == 0 && ok;
  auto fp = sha256_fingerprint(cert);
  cleanup();
  if (!ok)
    throw std::runtime_error("cannot write " + cert_file + " and " + key_file
                             + " (they must not exist yet)");
  return fp;
}

} // namespace licd::net
