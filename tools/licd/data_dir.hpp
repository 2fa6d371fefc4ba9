#pragma once

#include "storage/data_dir_layout.hpp"

#include <cstdint>
#include <string>

namespace licd {

/// The data dir, locked for this process: a second licd on the same dir is refused instead of
/// sharing it. The lock ends with the process.
class data_dir {
public:
  /// A missing dir is created (mode 0700, with its parents) only when `may_create` says so: a
  /// mistyped path must not start an empty server. Throws std::runtime_error with the reason
  /// (missing, cannot create, locked by another licd).
  data_dir(std::string path, bool may_create);
  ~data_dir();
  data_dir(const data_dir&) = delete;
  data_dir& operator=(const data_dir&) = delete;

  const std::string& path() const { return path_; }
  /// The names of the files in it.
  storage::data_dir_layout files() const { return storage::data_dir_layout(path_); }

  /// Writes the client port into `licd.port` once licd serves (the readiness signal for tools
  /// and tests); reset_port_file() writes 0 there at start and at a stop: not serving.
  void write_port_file(uint16_t port) const;
  void reset_port_file() const;

private:
  std::string path_;
  int lock_fd_ = -1;
};

} // namespace licd
