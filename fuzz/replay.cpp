// Replays the fuzz corpus (fuzz/corpus/TARGET/*) through the targets as ordinary tests, so that
// every input the fuzzer ever found interesting keeps passing in CI without clang.
#include "fuzz/targets.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

size_t replay(const std::string& target, void (*fn)(const uint8_t*, size_t)) {
  auto dir = std::filesystem::path(LICD_FUZZ_CORPUS) / target;
  REQUIRE(std::filesystem::is_directory(dir));
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto bytes = ss.str();
    INFO(entry.path());
    CHECK_NOTHROW(fn(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    ++n;
  }
  return n;
}

} // namespace

TEST_CASE("fuzz corpus: protocol", "[fuzz]") {
  CHECK(replay("protocol", licd::fuzz::protocol) >= 10);
}

TEST_CASE("fuzz corpus: replies", "[fuzz]") {
  CHECK(replay("replies", licd::fuzz::replies) >= 10);
}

TEST_CASE("fuzz corpus: codes", "[fuzz]") {
  CHECK(replay("codes", licd::fuzz::codes) >= 10);
}

TEST_CASE("fuzz corpus: config", "[fuzz]") {
  CHECK(replay("config", licd::fuzz::config) >= 10);
}
