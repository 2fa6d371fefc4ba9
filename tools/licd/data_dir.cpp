#include "tools/licd/data_dir.hpp"

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
  auto tmp = files().port_file() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << '\n';
  }
  std::filesystem::rename(tmp, files().port_file());
}

void data_dir::remove_port_file() const {
  std::error_code ec;
  std::filesystem::remove(files().port_file(), ec);
}

} // namespace licd
