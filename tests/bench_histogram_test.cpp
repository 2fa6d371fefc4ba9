#include "bench/licbench/histogram.hpp"

#include <catch2/catch.hpp>

using licd::bench::histogram;

TEST_CASE("quantiles land within the bucket error", "[bench][histogram]") {
  histogram h;
  for (uint64_t v = 1; v <= 100000; ++v)
    h.record(v * 1000); // 1 µs .. 100 ms, uniform
  CHECK(h.count() == 100000);
  CHECK(h.max() == 100'000'000);
  auto near = [](uint64_t got, double want) {
    return got >= want && static_cast<double>(got) <= want * 1.0625 + 1;
  };
  CHECK(near(h.quantile(0.5), 50'000'000));
  CHECK(near(h.quantile(0.99), 99'000'000));
  CHECK(h.quantile(1.0) == 100'000'000);
  CHECK(near(h.quantile(0.0), 1000));
}

TEST_CASE("small values are exact and merging adds counts", "[bench][histogram]") {
  histogram a, b;
  for (uint64_t v = 0; v < 16; ++v)
    a.record(v);
  b.record(7);
  b.record(1'000'000'000'000ull); // beyond the range: kept as the max
  a.merge(b);
  CHECK(a.count() == 18);
  CHECK(a.quantile(0.5) == 7);
  CHECK(a.max() == 1'000'000'000'000ull);
  CHECK(histogram{}.quantile(0.5) == 0);
}
