#include "net/tls_stream.hpp"

#include "net/openssl_text.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <stdexcept>

namespace licd::net {

namespace {

SSL* ssl(void* p) {
  return static_cast<SSL*>(p);
}

} // namespace

std::shared_ptr<tls_context> tls_context::load(const std::string& cert_file,
                                               const std::string& key_file) {
  std::shared_ptr<tls_context> out(new tls_context());
  auto* ctx = SSL_CTX_new(TLS_server_method());
  out->ctx_ = ctx;
  if (ctx == nullptr || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
    throw std::runtime_error("cannot set up TLS: " + openssl_last_error());
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1)
    throw std::runtime_error("cannot use the TLS certificate " + cert_file + ": "
                             + openssl_last_error());
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    throw std::runtime_error("cannot use the TLS key " + key_file + ": " + openssl_last_error());
  if (SSL_CTX_check_private_key(ctx) != 1)
    throw std::runtime_error("the TLS key " + key_file + " does not belong to the certificate "
                             + cert_file);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  // Memory per connection (measured: docs/BENCHMARKS.md, "The current sweep"): an idle connection
  // gives its record buffers back, and since clients never resume a session, none is cached
  // and no tickets are made for one.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  out->fingerprint_ = sha256_fingerprint(SSL_CTX_get0_certificate(ctx));
  return out;
}

std::shared_ptr<tls_context> tls_context::client(const std::string& ca_file,
                                                 const std::string& pin_sha256) {
  auto pin = normalized_fingerprint(pin_sha256);
  if (ca_file.empty() && pin.empty())
    throw std::runtime_error("TLS needs a CA file or a pinned certificate fingerprint to verify "
                             "the server with");
  if (!pin.empty()
      && (pin.size() != 64 || pin.find_first_not_of("0123456789abcdef") != std::string::npos))
    throw std::runtime_error("the pinned fingerprint is not 64 hex digits (SHA-256)");
  std::shared_ptr<tls_context> out(new tls_context());
  auto* ctx = SSL_CTX_new(TLS_client_method());
  out->ctx_ = ctx;
  out->client_ = true;
  out->fingerprint_ = pin;
  if (ctx == nullptr || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
    throw std::runtime_error("cannot set up TLS: " + openssl_last_error());
  if (!ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1)
      throw std::runtime_error("cannot read the CA file " + ca_file + ": "
                               + openssl_last_error());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    out->checks_host_ = true;
  }
  return out;
}

std::string tls_context::pin_mismatch(void* s) const {
  if (!client_ || fingerprint_.empty())
    return {};
  X509* cert = SSL_get1_peer_certificate(ssl(s));
  if (cert == nullptr)
    return "the server sent no certificate";
  std::string got = sha256_fingerprint(cert);
  X509_free(cert);
  if (got == fingerprint_)
    return {};
  return "the server's certificate does not match the pinned fingerprint (expected "
         + fingerprint_ + ", got " + got + "): refusing to talk to it";
}

std::string tls_context::handshake_failure(void* s) const {
  auto verify = SSL_get_verify_result(ssl(s));
  if (verify != X509_V_OK)
    return std::string("the server's certificate was refused: ")
           + X509_verify_cert_error_string(verify);
  return "the TLS handshake failed (is the server speaking TLS?): " + openssl_last_error();
}

tls_context::~tls_context() {
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

tls_stream::tls_stream(std::shared_ptr<tls_context> ctx, const std::string& host)
  : ctx_(std::move(ctx)) {
  auto* s = SSL_new(static_cast<SSL_CTX*>(ctx_->native()));
  auto* in = BIO_new(BIO_s_mem());
  auto* out = BIO_new(BIO_s_mem());
  SSL_set_bio(s, in, out); // the SSL owns both BIOs now
  ssl_ = s;
  in_ = in;
  out_ = out;
  if (!ctx_->is_client()) {
    SSL_set_accept_state(s);
    return;
  }
  SSL_set_connect_state(s);
  SSL_set_tlsext_host_name(s, host.c_str());
  if (ctx_->checks_host())
    SSL_set1_host(s, host.c_str());
  std::string none;
  pump(none); // the client hello, into take_output()
}

tls_stream::~tls_stream() {
  SSL_free(ssl(ssl_));
}

bool tls_stream::pump(std::string& plain) {
  if (!established_) {
    int rc = SSL_do_handshake(ssl(ssl_));
    if (rc != 1) {
      int err = SSL_get_error(ssl(ssl_), rc);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
        return true;
      error_ = ctx_->is_client() ? ctx_->handshake_failure(ssl_)
                                 : "TLS handshake failed: " + openssl_last_error();
      return false;
    }
    if (error_ = ctx_->pin_mismatch(ssl_); !error_.empty())
      return false;
    established_ = true;
    if (!pending_.empty()) {
      auto p = std::move(pending_);
      pending_.clear();
      if (!write(p))
        return false;
    }
  }
  char buf[4096];
  for (;;) {
    size_t n = 0;
    int rc = SSL_read_ex(ssl(ssl_), buf, sizeof(buf), &n);
    if (rc == 1) {
      plain.append(buf, n);
      continue;
    }
    int err = SSL_get_error(ssl(ssl_), rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
      return true;
    if (err == SSL_ERROR_ZERO_RETURN) {
      error_ = ctx_->is_client() ? "the server closed the TLS session"
                                 : "the client closed the TLS session";
      return false;
    }
    error_ = "TLS error: " + openssl_last_error();
    return false;
  }
}

bool tls_stream::feed(std::string_view bytes, std::string& plain) {
  if (!bytes.empty()
      && BIO_write(static_cast<BIO*>(in_), bytes.data(), static_cast<int>(bytes.size()))
           != static_cast<int>(bytes.size())) {
    error_ = "TLS buffer failure";
    return false;
  }
  return pump(plain);
}

bool tls_stream::write(std::string_view plain) {
  if (!established_) {
    pending_.append(plain);
    return true;
  }
  size_t done = 0;
  while (done < plain.size()) {
    size_t n = 0;
    if (SSL_write_ex(ssl(ssl_), plain.data() + done, plain.size() - done, &n) != 1) {
      error_ = "TLS write failed: " + openssl_last_error();
      return false;
    }
    done += n;
  }
  return true;
}

void tls_stream::shutdown() {
  if (established_)
    SSL_shutdown(ssl(ssl_));
  ERR_clear_error();
}

std::string tls_stream::take_output() {
  std::string out;
  auto* bio = static_cast<BIO*>(out_);
  char buf[16384];
  for (;;) {
    int n = BIO_read(bio, buf, sizeof(buf));
    if (n <= 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

} // namespace licd::net
