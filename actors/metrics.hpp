#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace licd {

/// The request kinds whose latency is measured.
enum class request_kind : uint8_t { hello, checkout, renew, release, status, other };
inline constexpr size_t request_kinds = 6;
std::string_view to_string(request_kind k);

/// Counters the sessions update and the admin API reads (/metrics). Lock-free: sessions run on
/// the multiplexer thread, the admin API on its own threads.
struct request_metrics {
  /// Histogram bucket upper bounds, in seconds (Prometheus `le`).
  static constexpr std::array<double, 12> bounds = {0.0001, 0.00025, 0.0005, 0.001,
                                                    0.0025, 0.005,   0.01,   0.025,
                                                    0.05,   0.1,     0.25,   1.0};
  struct histogram {
    std::array<std::atomic<uint64_t>, bounds.size()> buckets{}; ///< not cumulative
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_ns{0};
  };

  std::array<histogram, request_kinds> latency;
  std::atomic<int64_t> sessions{0};         ///< connected now
  std::atomic<uint64_t> connections{0};     ///< accepted since start
  std::atomic<uint64_t> protocol_errors{0}; ///< malformed, oversized, unknown-command lines
  std::atomic<uint64_t> refused_total_limit{0};   ///< connections refused: --max-connections
  std::atomic<uint64_t> refused_address_limit{0}; ///< refused: --max-connections-per-address
  std::atomic<uint64_t> hello_timeouts{0};        ///< closed: no HELLO within --hello-timeout
  std::atomic<uint64_t> idle_timeouts{0};         ///< closed: silent for --idle-timeout
  std::atomic<uint64_t> slow_readers_closed{0};   ///< closed: left over 1 MiB of replies unread

  /// Time from a request line's arrival to its reply being written.
  void observe(request_kind k, std::chrono::nanoseconds elapsed);
};

} // namespace licd
