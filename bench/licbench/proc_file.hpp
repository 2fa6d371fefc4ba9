#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace licd::bench {

/// The whole text of a (/proc) file; empty when it cannot be read.
inline std::string read_proc_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream all;
  all << in.rdbuf();
  return all.str();
}

} // namespace licd::bench
