#include "tools/licd/data_dir.hpp"

#include "storage/files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <spdlog/spdlog.h>

namespace licd {

data_dir::data_dir(std::string path, bool may_create) : path_(std::move(path)) {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) {
    if (!may_create)
      throw std::runtime_error("data dir " + path_ + " does not exist. If the path is right and "
                               "this is a new server, start once with --create-data-dir");
    std::filesystem::create_directories(path_, ec);
    if (ec)
      throw std::runtime_error("cannot create data dir " + path_ + ": " + ec.message());
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ec);
    spdlog::info("created the data dir {}", path_);
  } else if (!std::filesystem::is_directory(path_, ec)) {
    throw std::runtime_error("data dir " + path_ + " is not a directory");
  }
  auto lock_path = files().lock_file();
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0)
    throw std::runtime_error("cannot open " + lock_path + ": " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    throw std::runtime_error("data dir " + path_
                             + " is locked by another running licd; refusing to share it");
  }
}

data_dir::~data_dir() {
  if (lock_fd_ >= 0)
    ::close(lock_fd_);
}

void data_dir::write_port_file(uint16_t port) const {
  files::rewrite_file(files().port_file(), std::to_string(port) + "\n", 0644);
}

void data_dir::reset_port_file() const {
  // "0": not serving. The file is kept (not removed): on a full disk, where no new file can be
  // made, the port is written into it in place. Best effort: the file is for tools, and its
  // absence says "not serving" as well.
  try {
    files::rewrite_file(files().port_file(), "0\n", 0644);
  } catch (const std::exception& e) {
    spdlog::warn("{}", e.what());
  }
}

} // namespace licd
