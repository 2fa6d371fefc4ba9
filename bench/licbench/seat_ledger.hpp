#pragma once

#include <atomic>
#include <cstdint>

namespace licd::bench {

/// The seats licbench holds, across all its threads: the independent seat check.
struct seat_ledger {
  std::atomic<int64_t> held{0};
  std::atomic<int64_t> max_held{0};
  std::atomic<uint64_t> violations{0}; ///< times licbench held more than `seats`
  std::atomic<uint32_t> seats{0};      ///< the server's seats, from its replies
  /// Leases the server may still hold though licbench let go of them: held, or being checked
  /// out or released, on a connection that was lost (the server keeps a lease until it expires).
  std::atomic<int64_t> lost{0};

  void take() {
    auto now = ++held;
    auto m = max_held.load();
    while (now > m && !max_held.compare_exchange_weak(m, now)) {
    }
    auto s = seats.load();
    if (s != 0 && now > static_cast<int64_t>(s))
      ++violations;
  }
  void give() { --held; }
};

} // namespace licd::bench
