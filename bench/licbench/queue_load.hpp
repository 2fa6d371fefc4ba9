#pragma once

#include "bench/licbench/histogram.hpp"
#include "engine/defaults.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace licd::bench {

/// The queue scenario (`licbench --scenario=queue`): how fast a freed seat reaches the head of
/// a long queue of waiting checkouts (docs/POLICY.md, "The queue").
struct queue_options {
  std::string host = "127.0.0.1";
  uint16_t port = defaults::client_port;
  std::string product = "demo";
  uint32_t waiters = 10'000;  ///< checkouts waiting with `wait=`
  uint32_t connections = 100; ///< they are spread over this many connections
  std::chrono::milliseconds duration{10'000};
  uint32_t wait_seconds = 3600; ///< each waiter's `wait=`
  std::string run_id;           ///< prefix of computer names
};

struct queue_result {
  uint32_t seats = 0;
  uint32_t held = 0;     ///< seats licbench took to fill the product
  uint32_t queued = 0;   ///< waiters that got their QUEUED line
  uint32_t handoffs = 0; ///< seats released and handed to the head of the queue
  double measured_seconds = 0;
  /// From the release's OK (the seat is free, durably) to the grant's OK at the waiter (the
  /// grant is durable too): the queue's own cost plus one commit.
  histogram free_to_grant;
  /// From sending RELEASE to the grant's OK at the waiter.
  histogram release_to_grant;
  uint32_t out_of_order = 0;     ///< grants that went to another waiter than the head
  uint32_t wrong_positions = 0;  ///< QUEUED positions not 1..N in arrival order
  bool used_within_seats = true; ///< STATUS never said more in use than seats
  std::string error;             ///< why the run stopped early (empty: it did not)
};

/// Fills the product's seats, queues `waiters` checkouts over `connections`, then for the
/// duration releases the seat held and times until the head of the queue has it, again and
/// again; at the end closes every connection (the waiters leave) and releases what it holds.
/// Throws std::runtime_error when it cannot start.
queue_result run_queue(const queue_options& opts);

} // namespace licd::bench
