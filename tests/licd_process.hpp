#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace licd::test {

/// A real licd process on an ephemeral port, for end-to-end tests. Its output goes to
/// `<data dir>/../licd-<n>.log`; a failing test prints it.
class licd_process {
public:
  /// Starts licd with `--data-dir=DIR` plus `args` (and `--port=0` unless they name a port),
  /// and waits until it listens
  /// (it writes DIR/licd.port when ready). Throws if it exits or does not get ready.
  /// `env` entries ("NAME=value") are added to licd's environment.
  licd_process(std::string data_dir, std::vector<std::string> args,
               std::vector<std::string> env = {});
  /// Kills it (SIGKILL) if it still runs.
  ~licd_process();
  licd_process(const licd_process&) = delete;
  licd_process& operator=(const licd_process&) = delete;

  uint16_t port() const { return port_; }
  int pid() const { return pid_; }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& log_path() const { return log_; }
  std::string log() const;

  /// Sends SIGTERM and waits; returns the exit status (-1 when it did not exit in time).
  int terminate(std::chrono::seconds patience = std::chrono::seconds(20));
  /// Sends SIGKILL and reaps it.
  void kill();
  /// Whether the process still runs (reaps it when it has exited).
  bool running();
  /// The exit status once it has exited by itself (-1 before).
  int exit_status() const { return exit_status_; }

private:
  int wait_exit(std::chrono::milliseconds patience);

  std::string data_dir_;
  std::string log_;
  int pid_ = -1;
  uint16_t port_ = 0;
  int exit_status_ = -1;
};

/// Runs a program to completion; returns its exit status and what it printed on stdout.
struct run_result {
  int status = -1;
  std::string out;
};
run_result run(const std::vector<std::string>& argv);

} // namespace licd::test
