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

namespace licd {

data_dir::data_dir(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  std::filesystem::create_directories(path_, ec);
  if (ec)
    throw std::runtime_error("cannot create data dir " + path_ + ": " + ec.message());
  auto lock_path = path_ + "/licd.lock";
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
  auto tmp = path_ + "/licd.port.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << '\n';
  }
  std::filesystem::rename(tmp, path_ + "/licd.port");
}

void data_dir::remove_port_file() const {
  std::error_code ec;
  std::filesystem::remove(path_ + "/licd.port", ec);
}

} // namespace licd
