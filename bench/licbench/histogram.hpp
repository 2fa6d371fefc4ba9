#pragma once

#include <array>
#include <cstdint>

namespace licd::bench {

/// A latency histogram with log-linear buckets (16 per power of two: under 6.25 % error) from
/// 1 ns to about 70 s. Not thread-safe: one per thread, merged at the end.
class histogram {
public:
  void record(uint64_t ns);
  void merge(const histogram& other);
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  /// The value at quantile q (0..1), as the upper edge of its bucket (0 when empty).
  uint64_t quantile(double q) const;

private:
  static constexpr int sub_bits = 4;
  static constexpr int buckets = 64 * (1 << sub_bits);
  static int index(uint64_t ns);
  static uint64_t upper_edge(int index);

  std::array<uint64_t, buckets> counts_{};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

} // namespace licd::bench
