#pragma once

#include "engine/lease.hpp"
#include "platform/host.hpp"

#include <chrono>
#include <cstdint>

/// The only place actors read clocks (the engine is handed times, never reads them).
namespace licd {

inline engine::mono_time mono_now() {
  return engine::mono_clock::now();
}

inline int64_t wall_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

using platform::today_day; ///< days since 1970-01-01 (UTC): license issue and expiry dates

inline int64_t to_ns(engine::mono_time t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

/// The monotonic clock now, as the nanoseconds the expiry heap and the timers keep.
inline int64_t mono_now_ns() {
  return to_ns(mono_now());
}

inline engine::mono_time from_ns(int64_t ns) {
  return engine::mono_time{std::chrono::duration_cast<engine::mono_clock::duration>(
    std::chrono::nanoseconds{ns})};
}

} // namespace licd
