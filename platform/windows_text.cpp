#include "platform/windows_text.hpp"

#include <windows.h>

#include <stdexcept>

namespace licd::platform {

std::wstring to_utf16(const std::string& utf8) {
  if (utf8.empty())
    return {};
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(),
                              static_cast<int>(utf8.size()), nullptr, 0);
  if (n <= 0)
    throw std::invalid_argument("not valid UTF-8: " + utf8);
  std::wstring out(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), static_cast<int>(utf8.size()),
                      out.data(), n);
  return out;
}

std::string from_utf16(const std::wstring& utf16) {
  if (utf16.empty())
    return {};
  int n = WideCharToMultiByte(CP_UTF8, 0, utf16.data(), static_cast<int>(utf16.size()), nullptr, 0,
                              nullptr, nullptr);
  std::string out(static_cast<size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, utf16.data(), static_cast<int>(utf16.size()), out.data(), n,
                      nullptr, nullptr);
  return out;
}

std::string error_text(unsigned long code) {
  wchar_t buf[512] = {};
  auto n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
                          static_cast<DWORD>(code), 0, buf, 512, nullptr);
  auto text = from_utf16(std::wstring(buf, n));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == '.'))
    text.pop_back();
  return text;
}

std::string environment(const char* name) {
  auto wide = to_utf16(name);
  DWORD n = GetEnvironmentVariableW(wide.c_str(), nullptr, 0);
  if (n == 0)
    return {};
  std::wstring value(n, L'\0');
  n = GetEnvironmentVariableW(wide.c_str(), value.data(), n);
  value.resize(n);
  return from_utf16(value);
}

} // namespace licd::platform
