#pragma once
// Where the client's files live, the way each platform's admins expect, and paths as UTF-8.
//   Linux:   /etc/licd, $XDG_CONFIG_HOME/licd or ~/.config/licd, /var/lib/licd-client
//   Windows: %ProgramData%\licd (the machine's config and data), %APPDATA%\licd (the user's)

#include <filesystem>
#include <string>

namespace licd::platform {

/// An environment variable in UTF-8; empty when unset.
std::string env(const char* name);

/// The machine-wide client config folder.
std::string system_config_dir();
/// The user's client config folder ("" when there is no home).
std::string user_config_dir();
/// The machine-wide client data folder (stand-alone licenses).
std::string machine_data_dir();

/// A UTF-8 path as a filesystem path (UTF-16 on Windows).
inline std::filesystem::path fs_path(const std::string& utf8) {
  return std::filesystem::u8path(utf8);
}

/// A filesystem path as UTF-8 text (C++17's u8string is a std::string, C++20's a std::u8string).
inline std::string path_text(const std::filesystem::path& p) {
  auto u = p.u8string();
  return std::string(u.begin(), u.end());
}

/// `dir` and `name` joined with the platform's separator.
std::string join_path(const std::string& dir, const std::string& name);

} // namespace licd::platform
