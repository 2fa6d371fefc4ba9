// Micro-benchmarks of the hot pure code: seat accounting and the protocol codec.
// Run: cmake -DLICD_BUILD_BENCH=ON ... && build/bench/licd_engine_bench
// Compare medians against a baseline run in the same session (--benchmark_repetitions=5).

#include "engine/pool.hpp"
#include "net/line_splitter.hpp"
#include "net/protocol.hpp"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

using namespace licd;

namespace {

engine::lease make_lease(uint32_t computer) {
  engine::lease l;
  l.id = engine::make_random_lease_id();
  l.who = {"ws" + std::to_string(computer), "user", "1"};
  return l;
}

/// One durable checkout and release as the pool sees them: reserve, confirm, begin, finish.
void pool_cycle(benchmark::State& state) {
  auto live = static_cast<uint32_t>(state.range(0));
  engine::pool p("cad", live + 1);
  for (uint32_t i = 0; i < live; ++i) {
    auto l = make_lease(i);
    p.reserve(l);
    p.confirm(l.id);
  }
  auto l = make_lease(live);
  for (auto _ : state) {
    p.reserve(l);
    p.confirm(l.id);
    p.begin_end(l.id);
    benchmark::DoNotOptimize(p.finish_end(l.id));
  }
}
BENCHMARK(pool_cycle)->Arg(10)->Arg(100000);

void pool_renew(benchmark::State& state) {
  auto live = static_cast<uint32_t>(state.range(0));
  engine::pool p("cad", live);
  std::vector<engine::lease_id> ids;
  for (uint32_t i = 0; i < live; ++i) {
    auto l = make_lease(i);
    ids.push_back(l.id);
    p.reserve(l);
    p.confirm(l.id);
  }
  size_t i = 0;
  engine::mono_time t{};
  for (auto _ : state) {
    benchmark::DoNotOptimize(p.renew(ids[i], t));
    i = (i + 1) % ids.size();
  }
}
BENCHMARK(pool_renew)->Arg(10)->Arg(100000);

void random_lease_id(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(engine::make_random_lease_id());
}
BENCHMARK(random_lease_id);

void parse_renew(benchmark::State& state) {
  std::string line = "RENEW 12345 " + engine::make_random_lease_id().to_hex();
  for (auto _ : state)
    benchmark::DoNotOptimize(net::protocol::parse_request(line));
}
BENCHMARK(parse_renew);

void parse_checkout(benchmark::State& state) {
  std::string line = "CHECKOUT 12345 cad computer=ws-0042.example.com user=alice";
  for (auto _ : state)
    benchmark::DoNotOptimize(net::protocol::parse_request(line));
}
BENCHMARK(parse_checkout);

void format_checkout_reply(benchmark::State& state) {
  auto lease = engine::make_random_lease_id();
  for (auto _ : state)
    benchmark::DoNotOptimize(net::protocol::format_ok(
      "12345", {{"lease", lease.to_hex()}, {"product", "cad"}, {"expires_in", "600"},
                {"seats", "100"}, {"used", "42"}}));
}
BENCHMARK(format_checkout_reply);

/// The same reply the way the session builds it now (one string).
void build_checkout_reply(benchmark::State& state) {
  auto lease = engine::make_random_lease_id();
  for (auto _ : state) {
    auto hex = lease.hex();
    benchmark::DoNotOptimize(net::protocol::ok_line("12345")
                               .add("lease", std::string_view(hex.data(), hex.size()))
                               .add("product", "cad")
                               .add("expires_in", uint64_t{600})
                               .add("seats", uint64_t{100})
                               .add("used", uint64_t{42})
                               .take());
  }
}
BENCHMARK(build_checkout_reply);

void split_pipelined_lines(benchmark::State& state) {
  std::string chunk;
  for (int i = 0; i < 64; ++i)
    chunk += "RENEW " + std::to_string(i) + " " + engine::make_random_lease_id().to_hex() + "\n";
  net::line_splitter s(net::protocol::max_line);
  size_t lines = 0;
  net::line_splitter::handler h{[&](std::string_view) { ++lines; }, [] {}};
  for (auto _ : state)
    s.feed(chunk, h);
  state.SetItemsProcessed(static_cast<int64_t>(lines));
}
BENCHMARK(split_pipelined_lines);

} // namespace

BENCHMARK_MAIN();
