// storage/files.hpp on Windows (the client: licclient.exe, licd.dll): UTF-8 paths as UTF-16,
// an atomic replace with MoveFileExW. The Unix mode is not used: a file takes its folder's ACL.

#include "storage/files.hpp"

#include "platform/windows_text.hpp"

#include <windows.h>

#include <stdexcept>

namespace licd::files {
namespace {

std::string last_error_text() {
  DWORD code = GetLastError();
  auto text = platform::error_text(code);
  return text.empty() ? "Windows error " + std::to_string(code) : text;
}

/// A handle closed on scope exit.
struct handle {
  HANDLE h;
  ~handle() {
    if (h != INVALID_HANDLE_VALUE)
      CloseHandle(h);
  }
};

} // namespace

std::string read_file(const std::string& path) {
  handle f{CreateFileW(platform::to_utf16(path).c_str(), GENERIC_READ,
                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                       OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr)};
  if (f.h == INVALID_HANDLE_VALUE)
    throw std::runtime_error("cannot read " + path + ": " + last_error_text());
  std::string out;
  char buf[16 * 1024];
  for (;;) {
    DWORD n = 0;
    if (!ReadFile(f.h, buf, sizeof buf, &n, nullptr))
      throw std::runtime_error("cannot read " + path + ": " + last_error_text());
    if (n == 0)
      return out;
    out.append(buf, n);
  }
}

void write_file(const std::string& path, const std::string& content, unsigned /*mode*/,
                bool exclusive) {
  if (exclusive && file_exists(path))
    throw std::runtime_error(path + " exists already; refusing to overwrite it");
  auto tmp = path + ".tmp";
  auto wide_tmp = platform::to_utf16(tmp);
  {
    handle f{CreateFileW(wide_tmp.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS,
                         FILE_ATTRIBUTE_NORMAL, nullptr)};
    if (f.h == INVALID_HANDLE_VALUE)
      throw std::runtime_error("cannot write " + tmp + ": " + last_error_text());
    DWORD written = 0;
    bool ok = WriteFile(f.h, content.data(), static_cast<DWORD>(content.size()), &written, nullptr)
              && written == content.size() && FlushFileBuffers(f.h);
    if (!ok) {
      auto why = last_error_text();
      CloseHandle(f.h);
      f.h = INVALID_HANDLE_VALUE;
      DeleteFileW(wide_tmp.c_str()); // the old file, if any, stays as it was
      throw std::runtime_error("cannot write " + tmp + ": " + why);
    }
  }
  if (!MoveFileExW(wide_tmp.c_str(), platform::to_utf16(path).c_str(),
                   MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    auto why = last_error_text();
    DeleteFileW(wide_tmp.c_str());
    throw std::runtime_error("cannot replace " + path + ": " + why);
  }
}

void rewrite_file(const std::string& path, const std::string& content, unsigned mode) {
  write_file(path, content, mode);
}

bool file_exists(const std::string& path) {
  return GetFileAttributesW(platform::to_utf16(path).c_str()) != INVALID_FILE_ATTRIBUTES;
}

} // namespace licd::files
