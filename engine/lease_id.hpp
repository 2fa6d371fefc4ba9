#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace licd::engine {

/// A lease's identity: 128 bits, shown on the wire as 32 lowercase hex digits. The id is the
/// capability to renew or release the lease, so it must be unguessable: make one with
/// `make_lease_id()` below (80 random bits), never from a counter alone.
struct lease_id {
  uint64_t hi = 0;
  uint64_t lo = 0;

  /// The 32-character lowercase hex form.
  std::string to_hex() const;
  /// The same, without allocating.
  std::array<char, 32> hex() const;

  /// Parses exactly 32 hex digits (either case); anything else is nullopt.
  static std::optional<lease_id> from_hex(std::string_view text);

  friend bool operator==(const lease_id& a, const lease_id& b) {
    return a.hi == b.hi && a.lo == b.lo;
  }
  friend bool operator!=(const lease_id& a, const lease_id& b) { return !(a == b); }
  friend bool operator<(const lease_id& a, const lease_id& b) {
    return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
  }
};

/// 128 bits from OpenSSL's CSPRNG. Throws std::runtime_error if the generator fails.
lease_id make_random_lease_id();

/// A new lease's id: the grant time (`now_ms`, milliseconds since the epoch) in the top 48 bits
/// and 80 bits from OpenSSL's CSPRNG below. Ids sort by grant time, so the store appends a new
/// lease at the end of its table instead of rewriting a random page of a large one; guessing a
/// live lease still means guessing 80 random bits. Throws std::runtime_error if the generator
/// fails.
lease_id make_lease_id(int64_t now_ms);

/// 64 bits from OpenSSL's CSPRNG, never 0 (license ids, activation nonces). Throws
/// std::runtime_error if the generator fails.
uint64_t random_u64();

} // namespace licd::engine

template <>
struct std::hash<licd::engine::lease_id> {
  size_t operator()(const licd::engine::lease_id& x) const noexcept {
    // `lo` is uniformly random (make_lease_id, make_random_lease_id): mixing in `hi` is enough.
    return static_cast<size_t>(x.hi ^ (x.lo * 0x9E3779B97F4A7C15ull));
  }
};
