#include "platform/host.hpp"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

namespace licd::platform {

std::string host_name(const std::string& if_unknown) {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0')
    return if_unknown;
  return buf;
}

std::string user_name(const std::string& if_unknown) {
  if (auto* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr && *pw->pw_name)
    return pw->pw_name;
  if (const char* u = std::getenv("USER"); u != nullptr && *u)
    return u;
  return if_unknown;
}

int32_t today_day() {
  using namespace std::chrono;
  return static_cast<int32_t>(
    duration_cast<hours>(system_clock::now().time_since_epoch()).count() / 24);
}

} // namespace licd::platform
