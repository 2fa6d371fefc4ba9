#pragma once
// Who may use the admin API: bearer tokens (licadmin, scripts) and the License Manager's browser
// sessions (a cookie, with a CSRF token for every change). Pure, thread-safe; no HTTP here.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace licd::admin {

/// What a token, and a session opened with it, may do.
enum class role { admin, readonly };

const char* to_string(role r);

/// A new random admin token: 64 hex digits from OpenSSL's CSPRNG.
std::string make_token();

/// Constant-time comparison of two secrets (false when the lengths differ).
bool same_secret(std::string_view a, std::string_view b);

/// True when `header` is "Bearer <token>" for exactly this token (constant-time compare).
bool token_matches(const std::string& header, const std::string& token);

/// Which token `secret` is: the admin token or the read-only one (none when empty), compared in
/// constant time; nullopt for anything else.
std::optional<role> token_role(std::string_view secret, const std::string& token,
                               const std::string& readonly_token);

/// The same for an Authorization header: "Bearer <secret>".
std::optional<role> bearer_role(const std::string& header, const std::string& token,
                                const std::string& readonly_token);

/// The value of cookie `name` in a Cookie header ("a=1; b=2"), or "" when absent.
std::string cookie_value(std::string_view header, std::string_view name);

/// True when an Origin header names the server the request reached: "SCHEME://HOST" with HOST
/// the request's Host header. A browser sends Origin with every cross-origin request and with
/// every same-origin POST/DELETE.
bool same_origin(std::string_view origin, std::string_view host, bool tls);

/// A browser session of the License Manager.
struct ui_session {
  std::string id;   ///< the cookie's value (64 hex digits)
  std::string csrf; ///< every change must carry it in X-CSRF-Token
  role who = role::readonly;
  int64_t created_ms = 0;
  int64_t used_ms = 0; ///< the last request
};

/// The open sessions. A session ends after `idle` without a request, `max_age` after it was
/// opened, or when logged out; beyond `capacity` sessions the least recently used one ends.
class session_table {
public:
  session_table(std::chrono::milliseconds idle, std::chrono::milliseconds max_age, size_t capacity);

  ui_session open(role who, int64_t now_ms);
  /// The live session with this id, marked used at `now_ms`; nullopt when unknown or expired.
  std::optional<ui_session> find(std::string_view id, int64_t now_ms);
  void close(std::string_view id);
  size_t size() const;
  std::chrono::milliseconds max_age() const { return max_age_; }

private:
  bool expired(const ui_session& s, int64_t now_ms) const;

  std::chrono::milliseconds idle_, max_age_;
  size_t capacity_;
  mutable std::mutex mutex_;
  std::map<std::string, ui_session, std::less<>> sessions_;
};

/// The Set-Cookie value that opens a session (HttpOnly, SameSite=Strict, Path=/, Max-Age; Secure
/// under TLS), and the one that ends it in the browser.
std::string session_cookie(const ui_session& s, std::chrono::milliseconds max_age, bool tls);
std::string expired_session_cookie(bool tls);

inline constexpr const char* session_cookie_name = "licd_session";
inline constexpr const char* csrf_header = "X-CSRF-Token";

} // namespace licd::admin
