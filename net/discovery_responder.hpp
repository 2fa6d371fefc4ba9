#pragma once

#include "net/discovery.hpp"

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace licd::net {

/// Answers discovery queries on a UDP port from its own thread (never on the actor scheduler).
/// Answers are rate-limited (at most `max_answers_per_second`, the rest dropped), so a flood of
/// queries, or spoofed ones, cannot turn licd into an amplifier.
class discovery_responder {
public:
  using answer_fn = std::function<discovery::answer(const discovery::query&)>;

  /// Binds `bind:port` (SO_REUSEADDR, SO_BROADCAST) so that several servers on one machine can
  /// all hear a broadcast. Throws std::runtime_error when the port cannot be bound.
  discovery_responder(const std::string& bind, uint16_t port, answer_fn answer,
                      unsigned max_answers_per_second = 200);
  ~discovery_responder();
  discovery_responder(const discovery_responder&) = delete;
  discovery_responder& operator=(const discovery_responder&) = delete;

  uint16_t port() const { return port_; }
  uint64_t answered() const { return answered_.load(); }
  uint64_t dropped() const { return dropped_.load(); }

private:
  void run(unsigned max_per_second);

  int fd_ = -1;
  int stop_fd_ = -1; ///< an eventfd that wakes the thread to stop
  uint16_t port_ = 0;
  answer_fn answer_;
  std::atomic<uint64_t> answered_{0};
  std::atomic<uint64_t> dropped_{0};
  std::thread thread_;
};

} // namespace licd::net
