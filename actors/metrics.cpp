#include "actors/metrics.hpp"

namespace licd {

std::string_view to_string(request_kind k) {
  static constexpr std::array<std::string_view, request_kinds> names = {
    "hello", "checkout", "renew", "release", "status", "other"};
  return names[static_cast<size_t>(k)];
}

void request_metrics::observe(request_kind k, std::chrono::nanoseconds elapsed) {
  auto& h = latency[static_cast<size_t>(k)];
  double seconds = std::chrono::duration<double>(elapsed).count();
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (seconds <= bounds[i]) {
      h.buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  h.count.fetch_add(1, std::memory_order_relaxed);
  h.sum_ns.fetch_add(static_cast<uint64_t>(elapsed.count()), std::memory_order_relaxed);
}

} // namespace licd
