#include "admin/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace licd::admin {

const char* to_string(role r) {
  return r == role::admin ? "admin" : "readonly";
}

std::string make_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1)
    throw std::runtime_error("OpenSSL RAND_bytes failed: cannot make an admin token");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

bool same_secret(std::string_view a, std::string_view b) {
  return !a.empty() && a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool token_matches(const std::string& header, const std::string& token) {
  const std::string_view prefix = "Bearer ";
  std::string_view h = header;
  if (h.substr(0, prefix.size()) != prefix)
    return false;
  return same_secret(h.substr(prefix.size()), token);
}

std::optional<role> token_role(std::string_view secret, const std::string& token,
                               const std::string& readonly_token) {
  if (same_secret(secret, token))
    return role::admin;
  if (!readonly_token.empty() && same_secret(secret, readonly_token))
    return role::readonly;
  return std::nullopt;
}

std::optional<role> bearer_role(const std::string& header, const std::string& token,
                                const std::string& readonly_token) {
  if (token_matches(header, token))
    return role::admin;
  if (!readonly_token.empty() && token_matches(header, readonly_token))
    return role::readonly;
  return std::nullopt;
}

std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto end = header.find(';');
    auto pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ')
      pair.remove_prefix(1);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name)
      return std::string(pair.substr(eq + 1));
  }
  return "";
}

bool same_origin(std::string_view origin, std::string_view host, bool tls) {
  std::string_view scheme = tls ? "https://" : "http://";
  return !host.empty() && origin.size() == scheme.size() + host.size()
         && origin.substr(0, scheme.size()) == scheme && origin.substr(scheme.size()) == host;
}

session_table::session_table(std::chrono::milliseconds idle, std::chrono::milliseconds max_age,
                             size_t capacity)
  : idle_(idle), max_age_(max_age), capacity_(std::max<size_t>(capacity, 1)) {}

bool session_table::expired(const ui_session& s, int64_t now_ms) const {
  return now_ms - s.used_ms >= idle_.count() || now_ms - s.created_ms >= max_age_.count();
}

ui_session session_table::open(role who, int64_t now_ms) {
  ui_session s{make_token(), make_token(), who, now_ms, now_ms};
  std::lock_guard lock(mutex_);
  for (auto it = sessions_.begin(); it != sessions_.end();)
    it = expired(it->second, now_ms) ? sessions_.erase(it) : std::next(it);
  while (sessions_.size() >= capacity_)
    sessions_.erase(std::min_element(sessions_.begin(), sessions_.end(), [](auto& a, auto& b) {
      return a.second.used_ms < b.second.used_ms;
    }));
  sessions_.emplace(s.id, s);
  return s;
}

std::optional<ui_session> session_table::find(std::string_view id, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  // The map's lookup is not constant-time, but the id is 256 random bits: a timing difference
  // tells nothing that helps guess one.
  if (it == sessions_.end())
    return std::nullopt;
  if (expired(it->second, now_ms)) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.used_ms = now_ms;
  return it->second;
}

void session_table::close(std::string_view id) {
  std::lock_guard lock(mutex_);
  if (auto it = sessions_.find(id); it != sessions_.end())
    sessions_.erase(it);
}

size_t session_table::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::string session_cookie(const ui_session& s, std::chrono::milliseconds max_age, bool tls) {
  return std::string(session_cookie_name) + "=" + s.id
         + "; Path=/; Max-Age=" + std::to_string(max_age.count() / 1000)
         + "; HttpOnly; SameSite=Strict" + (tls ? "; Secure" : "");
}

std::string expired_session_cookie(bool tls) {
  return std::string(session_cookie_name) + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
         + (tls ? "; Secure" : "");
}

} // namespace licd::admin
