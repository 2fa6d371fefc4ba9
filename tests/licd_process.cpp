#include "licd_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace licd::test {

namespace {

std::atomic<int> counter{0};

std::vector<char*> c_argv(std::vector<std::string>& args) {
  std::vector<char*> out;
  for (auto& a : args)
    out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

/// The last `n` lines of `text`.
std::string last_lines(const std::string& text, size_t n) {
  size_t from = text.size();
  if (from > 0 && text[from - 1] == '\n')
    --from;
  for (size_t i = 0; i < n && from > 0; ++i) {
    auto nl = text.rfind('\n', from - 1);
    from = nl == std::string::npos ? 0 : nl;
  }
  return text.substr(from == 0 ? 0 : from + 1);
}

} // namespace

licd_process::licd_process(std::string data_dir, std::vector<std::string> args,
                           std::vector<std::string> env)
  : data_dir_(std::move(data_dir)) {
  log_ = data_dir_ + ".licd-" + std::to_string(++counter) + ".log";
  std::filesystem::remove(data_dir_ + "/licd.port");
  std::vector<std::string> argv{LICD_BINARY, "--data-dir=" + data_dir_, "--admin-port=0"};
  bool port_given = false, discovery_given = false, bind_given = false;
  for (const auto& a : args) {
    port_given = port_given || a.rfind("--port=", 0) == 0;
    discovery_given = discovery_given || a.rfind("--discovery-port=", 0) == 0;
    bind_given = bind_given || a.rfind("--bind=", 0) == 0;
  }
  if (!bind_given)
    argv.push_back("--bind=127.0.0.1");
  if (!port_given)
    argv.push_back("--port=0");
  if (!discovery_given) // tests run in parallel: only a discovery test answers broadcasts
    argv.push_back("--discovery-port=0");
  if (::geteuid() == 0) // CI runs the tests as root; licd refuses that unless told
    argv.push_back("--allow-root");
  argv.push_back("--create-data-dir"); // every test's data dir is new on purpose
  argv.insert(argv.end(), args.begin(), args.end());
  auto cargv = c_argv(argv);
  pid_ = ::fork();
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    for (auto& e : env)
      ::putenv(e.data());
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < until) {
    std::ifstream in(data_dir_ + "/licd.port");
    unsigned port = 0;
    if (in >> port && port != 0) {
      port_ = static_cast<uint16_t>(port);
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("licd exited during start-up:\n" + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill();
  throw std::runtime_error("licd did not get ready in 30 s:\n" + log());
}

licd_process::~licd_process() {
  kill();
}

std::string licd_process::log() const {
  std::ifstream in(log_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool licd_process::running() {
  if (pid_ < 0)
    return false;
  return wait_exit(std::chrono::milliseconds(0)) == -1;
}

int licd_process::wait_exit(std::chrono::milliseconds patience) {
  auto until = std::chrono::steady_clock::now() + patience;
  for (;;) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_status_;
    }
    if (std::chrono::steady_clock::now() >= until)
      return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int licd_process::terminate(std::chrono::seconds patience) {
  if (pid_ < 0)
    return -1;
  ::kill(pid_, SIGTERM);
  int rc = wait_exit(patience);
  if (rc == -1)
    kill();
  if (rc != 0) {
    // Said at once, beside the failing check: a CI excerpt may leave out the whole log that the
    // fixture prints at the end.
    std::fprintf(stderr,
                 "licd (%s) did not stop cleanly on SIGTERM (status %d); its log ends:\n%s\n",
                 log_.c_str(), rc, last_lines(log(), 25).c_str());
  }
  return rc;
}

void licd_process::kill() {
  if (pid_ < 0)
    return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

run_result run(const std::vector<std::string>& argv) {
  int pipefd[2];
  if (::pipe(pipefd) != 0)
    throw std::runtime_error("pipe failed");
  auto args = argv;
  auto cargv = c_argv(args);
  int pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    ::execvp(cargv[0], cargv.data()); // PATH for cmake, openssl, sh
    ::_exit(127);
  }
  ::close(pipefd[1]);
  run_result r;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof(buf))) > 0)
    r.out.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

} // namespace licd::test
