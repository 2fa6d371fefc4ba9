#include "storage/files.hpp"

#include <algorithm>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace licd::files {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& content, unsigned mode,
                bool exclusive) {
  if (exclusive && file_exists(path))
    throw std::runtime_error(path + " exists already; refusing to overwrite it");
  auto tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(errno));
  auto give_up = [&](const std::string& what) {
    auto err = std::string(std::strerror(errno));
    if (fd >= 0)
      ::close(fd);
    ::unlink(tmp.c_str()); // the old file, if any, stays as it was
    throw std::runtime_error("cannot " + what + ": " + err);
  };
  if (::fchmod(fd, mode) != 0)
    give_up("set the mode of " + tmp);
  size_t done = 0;
  while (done < content.size()) {
    auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      give_up("write " + tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0)
    give_up("write " + tmp);
  int closed = ::close(fd);
  fd = -1;
  if (closed != 0)
    give_up("write " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    give_up("rename " + tmp + " to " + path);
}

void rewrite_file(const std::string& path, const std::string& content, unsigned mode) {
  try {
    write_file(path, content, mode);
    return;
  } catch (const std::exception&) {
    if (!file_exists(path))
      throw;
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  // Shorter first, never to zero: the file keeps its block.
  bool ok = ::ftruncate(fd, static_cast<off_t>(std::max<size_t>(content.size(), 1))) == 0;
  size_t done = 0;
  while (ok && done < content.size()) {
    auto n = ::pwrite(fd, content.data() + done, content.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR)
      continue;
    ok = n > 0;
    if (ok)
      done += static_cast<size_t>(n);
  }
  ok = ok && ::ftruncate(fd, static_cast<off_t>(content.size())) == 0 && ::fsync(fd) == 0;
  auto err = std::string(std::strerror(errno));
  ::close(fd);
  if (!ok)
    throw std::runtime_error("cannot write " + path + ": " + err);
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

} // namespace licd::files
