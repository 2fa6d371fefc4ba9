#pragma once
// How `licclient hold` learns that it should stop: SIGINT or SIGTERM on Linux; Ctrl+C,
// Ctrl+Break or the console closing on Windows.

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace licd::licclient {

class stop_signal {
public:
  /// From here on the stop signals are caught (on Linux: blocked, and waited for by a thread).
  stop_signal();
  /// While set, a stop ends the process at once (exit status 128 + the signal), saying so on
  /// stderr: nothing is held yet that needs giving back.
  void exit_on_stop(bool on) { exit_on_stop_.store(on); }
  /// Blocks until a stop comes.
  void wait();

  /// Called by the platform's handler.
  void stopped(int signal_number);

private:
  std::atomic<bool> exit_on_stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

} // namespace licd::licclient
