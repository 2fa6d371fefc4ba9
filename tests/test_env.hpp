#pragma once
// Setting the process's environment from a test, the same on Linux and Windows (where the
// client reads it with GetEnvironmentVariableW, platform/paths.hpp).

#ifdef _WIN32
#include "platform/windows_text.hpp"

#include <windows.h>
#else
#include <cstdlib>
#endif

#include <string>

namespace licd::test {

inline void set_env(const std::string& name, const std::string& value) {
#ifdef _WIN32
  SetEnvironmentVariableW(platform::to_utf16(name).c_str(), platform::to_utf16(value).c_str());
#else
  ::setenv(name.c_str(), value.c_str(), 1);
#endif
}

inline void unset_env(const std::string& name) {
#ifdef _WIN32
  SetEnvironmentVariableW(platform::to_utf16(name).c_str(), nullptr);
#else
  ::unsetenv(name.c_str());
#endif
}

} // namespace licd::test
