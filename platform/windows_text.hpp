#pragma once
// Windows only: licd's strings are UTF-8; Windows' wide ("W") calls take UTF-16. Every name and
// path goes through these at the Windows call.
#ifdef _WIN32

#include <string>

namespace licd::platform {

/// UTF-8 to UTF-16; throws std::invalid_argument on invalid UTF-8.
std::wstring to_utf16(const std::string& utf8);
/// UTF-16 to UTF-8 (an unpaired surrogate becomes U+FFFD).
std::string from_utf16(const std::wstring& utf16);
/// Windows' words for an error code (GetLastError, WSAGetLastError) in UTF-8, without the
/// trailing newline and full stop; empty when Windows has none.
std::string error_text(unsigned long code);
/// An environment variable's value in UTF-8, or empty.
std::string environment(const char* name);

} // namespace licd::platform

#endif
