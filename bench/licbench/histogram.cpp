#include "bench/licbench/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace licd::bench {

int histogram::index(uint64_t ns) {
  if (ns < (1u << sub_bits))
    return static_cast<int>(ns);
  int msb = 63 - __builtin_clzll(ns);
  int sub = static_cast<int>((ns >> (msb - sub_bits)) & ((1u << sub_bits) - 1));
  return (msb - sub_bits + 1) * (1 << sub_bits) + sub;
}

uint64_t histogram::upper_edge(int index) {
  if (index < (1 << sub_bits))
    return static_cast<uint64_t>(index);
  int block = index / (1 << sub_bits); // >= 1
  int sub = index % (1 << sub_bits);
  int msb = block + sub_bits - 1;
  uint64_t base = uint64_t{1} << msb;
  uint64_t step = uint64_t{1} << (msb - sub_bits);
  return base + step * static_cast<uint64_t>(sub + 1) - 1;
}

void histogram::record(uint64_t ns) {
  auto i = std::min(index(ns), buckets - 1);
  ++counts_[static_cast<size_t>(i)];
  ++count_;
  max_ = std::max(max_, ns);
}

void histogram::merge(const histogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

uint64_t histogram::quantile(double q) const {
  if (count_ == 0)
    return 0;
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank)
      return std::min(upper_edge(static_cast<int>(i)), max_);
  }
  return max_;
}

} // namespace licd::bench
