#pragma once

#include "platform/paths.hpp"

#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>

namespace licd::test {

/// A fresh directory under the system's temporary directory ($TMPDIR, %TEMP%), removed with
/// everything in it at the end of the scope. Its path is UTF-8.
class temp_dir {
public:
  temp_dir() {
    std::random_device random;
    auto base = std::filesystem::temp_directory_path();
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto p = base / ("licd-test-" + std::to_string(random()));
      if (std::filesystem::create_directory(p)) { // false: it exists, try another name
        path_ = platform::path_text(p);
        return;
      }
    }
    throw std::runtime_error("cannot make a temporary directory in " + platform::path_text(base));
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(platform::fs_path(path_), ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

} // namespace licd::test
