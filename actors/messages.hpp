#pragma once

#include "engine/lease.hpp"
#include "engine/lease_id.hpp"
#include "storage/records.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <cstdint>
#include <string>
#include <vector>

/// Payloads that actors exchange. All messaging is local (in one process), so the types are
/// whitelisted instead of made serializable.
namespace licd {

/// How a pool answered a request.
enum class outcome : uint8_t {
  ok,
  no_seats,      ///< every seat is held by other computers
  unknown_lease, ///< no live lease with that id here
  storage_error, ///< the change could not be made durable; nothing changed
  server_error,  ///< an internal failure (no random id); nothing changed
};

/// A pool's answer to CHECKOUT, RENEW and RELEASE.
struct pool_reply {
  outcome result = outcome::ok;
  std::string detail; ///< a person-readable reason when result != ok
  engine::lease_id lease;
  std::string product;
  uint32_t expires_in = 0; ///< seconds until the lease lapses unless renewed
  uint32_t seats = 0;
  uint32_t used = 0;
};

/// A pool's seats and usage.
struct pool_status {
  std::string product;
  uint32_t seats = 0;
  uint32_t used = 0;
  uint64_t leases = 0;
};

/// A lease deadline for the expiry actor, on the monotonic clock.
struct expiry_entry {
  engine::lease_id id;
  int64_t deadline_ns = 0; ///< steady_clock time since its epoch
};

} // namespace licd

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(licd::engine::identity)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(licd::engine::lease_id)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<licd::engine::lease_id>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(licd::storage::change_set)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(licd::pool_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(licd::pool_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<licd::pool_status>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<licd::expiry_entry>)
