#pragma once

#include "engine/lease_id.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

namespace licd::engine {

/// Lease deadlines use the monotonic clock, so a wall-clock jump neither expires nor extends one.
using mono_clock = std::chrono::steady_clock;
using mono_time = mono_clock::time_point;

/// Who asks for a seat. Seats are held by computers: every instance on one computer shares one.
struct identity {
  identity() = default;
  identity(std::string computer_name, std::string user_name, std::string instance_name,
           std::string from = {})
    : computer(std::move(computer_name)), user(std::move(user_name)),
      instance(std::move(instance_name)), address(std::move(from)) {}

  std::string computer;
  std::string user;
  std::string instance;
  std::string
    address; ///< where the checkout came from (the site policy's ADDRESS rules); not stored
};

/// Where a lease is in its life. Pending and ending leases still hold their seat: a seat is
/// taken before the grant is durable and given back only after the removal is durable.
enum class lease_state : uint8_t {
  pending, ///< reserved, the grant is being committed; not yet told to the client
  live,    ///< granted and durable; renewable
  ending,  ///< release or expiry is being committed
};

/// What one client instance holds.
struct lease {
  lease_id id;
  identity who;
  int64_t granted_at_ms = 0; ///< wall clock, milliseconds since the Unix epoch (for records)
  int64_t renewed_at_ms = 0; ///< wall clock of the last renewal (0: never renewed)
  int64_t renewal_logged_at_ms = 0; ///< wall clock of the last renewal put in the activity log
  mono_time deadline{};      ///< when it lapses unless renewed
  lease_state state = lease_state::pending;
};

} // namespace licd::engine
