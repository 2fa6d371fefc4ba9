#include "tools/licclient/stop_signal.hpp"

#ifdef _WIN32
#include <windows.h>
#else
#include <pthread.h>
#include <signal.h>
#endif

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

namespace licd::licclient {

void stop_signal::stopped(int signal_number) {
  if (exit_on_stop_.load()) {
    std::cerr << "licclient: interrupted while waiting for a seat\n";
    std::_Exit(128 + signal_number);
  }
  std::lock_guard<std::mutex> g(mu_);
  stopped_ = true;
  cv_.notify_all();
}

void stop_signal::wait() {
  std::unique_lock<std::mutex> g(mu_);
  cv_.wait(g, [this] { return stopped_; });
}

#ifdef _WIN32

namespace {

stop_signal* the_stop = nullptr;

BOOL WINAPI on_console_event(DWORD event) {
  if (the_stop == nullptr)
    return FALSE;
  the_stop->stopped(event == CTRL_C_EVENT ? 2 : 15); // as SIGINT, else as SIGTERM
  if (event == CTRL_CLOSE_EVENT || event == CTRL_LOGOFF_EVENT || event == CTRL_SHUTDOWN_EVENT)
    std::this_thread::sleep_for(std::chrono::seconds(5)); // time to give the seat back
  return TRUE;
}

} // namespace

stop_signal::stop_signal() {
  the_stop = this;
  SetConsoleCtrlHandler(on_console_event, TRUE);
}

#else

stop_signal::stop_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  // Threads started from here on (the seat's renewal thread) inherit the mask: only the waiting
  // thread below takes the signals.
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([this, set] {
    int sig = 0;
    sigwait(&set, &sig);
    stopped(sig);
  }).detach();
}

#endif

} // namespace licd::licclient
