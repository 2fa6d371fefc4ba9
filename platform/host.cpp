#include "platform/host.hpp"

#ifdef _WIN32
#include "platform/windows_text.hpp"

#include <windows.h>

#include <shellapi.h>
#else
#include <pwd.h>
#include <unistd.h>
#endif

#include <chrono>
#include <cstdlib>

namespace licd::platform {

#ifdef _WIN32

std::string host_name(const std::string& if_unknown) {
  wchar_t buf[256] = {};
  DWORD size = 255;
  if (!GetComputerNameExW(ComputerNameDnsHostname, buf, &size) || size == 0)
    return if_unknown;
  return from_utf16(std::wstring(buf, size));
}

std::string user_name(const std::string& if_unknown) {
  wchar_t buf[257] = {};
  DWORD size = 257; // UNLEN + 1
  if (GetUserNameW(buf, &size) && size > 1)
    return from_utf16(std::wstring(buf, size - 1));
  return if_unknown;
}

unsigned long process_id() {
  return GetCurrentProcessId();
}

std::vector<std::string> utf8_arguments(int argc, char** argv) {
  SetConsoleOutputCP(CP_UTF8);
  int n = 0;
  wchar_t** wide = CommandLineToArgvW(GetCommandLineW(), &n);
  std::vector<std::string> out;
  if (wide == nullptr || n != argc) { // cannot happen; keep what the runtime gave
    if (wide != nullptr)
      LocalFree(wide);
    return std::vector<std::string>(argv, argv + argc);
  }
  for (int i = 0; i < n; ++i)
    out.push_back(from_utf16(wide[i]));
  LocalFree(wide);
  return out;
}

#else

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

unsigned long process_id() {
  return static_cast<unsigned long>(::getpid());
}

std::vector<std::string> utf8_arguments(int argc, char** argv) {
  return std::vector<std::string>(argv, argv + argc);
}

#endif

int32_t today_day() {
  using namespace std::chrono;
  return static_cast<int32_t>(
    duration_cast<hours>(system_clock::now().time_since_epoch()).count() / 24);
}

} // namespace licd::platform
