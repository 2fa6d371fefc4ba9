#pragma once

#include <string>
#include <utility>

namespace licd::storage {

/// Every file in licd's data dir, named once: licd, licadmin and the storage layer ask here.
class data_dir_layout {
public:
  explicit data_dir_layout(std::string dir) : dir_(std::move(dir)) {}

  const std::string& dir() const { return dir_; }
  /// LMDB's data file (LMDB keeps its lock file, lock.mdb, beside it).
  std::string data_file() const { return at("data.mdb"); }
  /// Held locked by the licd that serves the dir: a second one is refused.
  std::string lock_file() const { return at("licd.lock"); }
  /// The client port, written once licd serves (tests and scripts wait for it).
  std::string port_file() const { return at("licd.port"); }
  /// The admin API's URL, written once it listens; licadmin reads it.
  std::string admin_url_file() const { return at("admin.url"); }
  /// The admin API's bearer token (mode 0600), made at first start unless named elsewhere.
  std::string admin_token_file() const { return at("admin.token"); }
  /// The TLS certificate and key --make-tls-cert writes unless told otherwise.
  std::string tls_cert_file() const { return at("tls.crt"); }
  std::string tls_key_file() const { return at("tls.key"); }
  /// The demo vendor key (--demo).
  std::string demo_key_file() const { return at("demo-vendor.key"); }

private:
  std::string at(const char* name) const { return dir_ + "/" + name; }
  std::string dir_;
};

} // namespace licd::storage
