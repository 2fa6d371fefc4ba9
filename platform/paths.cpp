#include "platform/paths.hpp"

#ifdef _WIN32
#include "platform/windows_text.hpp"
#endif

#include <cstdlib>

namespace licd::platform {

#ifdef _WIN32

std::string env(const char* name) {
  return environment(name);
}

std::string system_config_dir() {
  auto base = env("ProgramData");
  return join_path(base.empty() ? "C:\\ProgramData" : base, "licd");
}

std::string user_config_dir() {
  auto base = env("APPDATA");
  return base.empty() ? std::string{} : join_path(base, "licd");
}

std::string machine_data_dir() {
  return system_config_dir();
}

std::string join_path(const std::string& dir, const std::string& name) {
  return dir + "\\" + name;
}

#else

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string{} : std::string(v);
}

std::string system_config_dir() {
  return "/etc/licd";
}

std::string user_config_dir() {
  if (auto x = env("XDG_CONFIG_HOME"); !x.empty())
    return x + "/licd";
  if (auto h = env("HOME"); !h.empty())
    return h + "/.config/licd";
  return {};
}

std::string machine_data_dir() {
  return "/var/lib/licd-client";
}

std::string join_path(const std::string& dir, const std::string& name) {
  return dir + "/" + name;
}

#endif

} // namespace licd::platform
