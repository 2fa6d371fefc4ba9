#pragma once

#include "engine/errc.hpp"
#include "engine/lease.hpp"
#include "engine/lease_id.hpp"
#include "engine/policy.hpp"
#include "storage/records.hpp"

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

/// Payloads that actors exchange. All messaging is local (in one process), so the types are
/// whitelisted instead of made serializable.
namespace licd {

/// A licd error as a CAF error (category "licd", the errc as its code), for failures that travel
/// as CAF errors between actors.
inline caf::error make_error(engine::errc code, const std::string& what) {
  // errc values start at 0, which caf::error reserves for "no error".
  return caf::error(static_cast<uint8_t>(static_cast<uint8_t>(code) + 1), caf::atom("licd"),
                    caf::make_message(what));
}
/// The errc of a CAF error made by make_error; server_error for any other.
inline engine::errc errc_of(const caf::error& e) {
  if (e.category() != caf::atom("licd") || e.code() == 0)
    return engine::errc::server_error;
  return static_cast<engine::errc>(e.code() - 1);
}
/// The store's failures: storage_full when the data dir is full (LMDB's map or the disk),
/// storage_error otherwise.
inline caf::error storage_failure(bool full, const std::string& what) {
  return make_error(full ? engine::errc::storage_full : engine::errc::storage_error, what);
}
/// Per change set of a batch commit: stored, refused because the data dir is full, or failed.
enum commit_result : uint8_t { commit_stored = 0, commit_full = 1, commit_failed = 2 };

inline bool is_storage_full(const caf::error& e) {
  return errc_of(e) == engine::errc::storage_full;
}

/// A pool's answer to CHECKOUT, RENEW and RELEASE.
struct pool_reply {
  /// The asker's number for the request, echoed: a session sends these requests as plain
  /// messages (no per-request response handler) and matches the replies by it.
  uint64_t tag = 0;
  /// Why it was refused (no_seats, unknown_lease, disconnected, too_many_leases, storage_full,
  /// storage_error, server_error); nullopt when it was done.
  std::optional<engine::errc> result;
  std::string detail; ///< a person-readable reason when result != ok
  engine::lease_id lease;
  std::string product;
  uint32_t expires_in = 0; ///< seconds until the lease lapses unless renewed
  uint32_t seats = 0;
  uint32_t used = 0;
};

/// The store's counters since start (for /metrics).
struct store_stats {
  uint64_t commits = 0;        ///< write transactions committed
  uint64_t sets_committed = 0; ///< change sets in them
  uint64_t events_dropped = 0; ///< activity-log entries not stored because the data dir was full
};

/// The site policy in force (--policy; null: none), shared by the pools.
using site_policy = std::shared_ptr<const engine::policy::document>;

/// A pool's seats, usage and counters since start (for status and /metrics).
struct pool_status {
  std::string product;
  uint32_t seats = 0;
  uint32_t used = 0;
  uint64_t leases = 0;
  uint64_t grants = 0;
  uint64_t renewals = 0;
  uint64_t releases = 0;
  uint64_t expiries = 0;
  uint64_t ended_by_admin = 0;
  uint64_t ended_by_seats = 0; ///< leases ended because the seats fell below the computers
  uint64_t denied_no_seats = 0;
  uint64_t denied_cooldown = 0;
  uint64_t denied_too_many = 0; ///< the computer was at --max-leases-per-computer
  uint64_t denied_reserved = 0; ///< the site policy: RESERVED, LIMIT, EXCLUDED
  uint64_t denied_limit = 0;
  uint64_t denied_excluded = 0;
  uint64_t storage_errors = 0;
  uint32_t waiting = 0;           ///< checkouts in the product's queue now
  uint64_t queued = 0;            ///< checkouts that joined the queue
  uint64_t served_from_queue = 0; ///< ... and got a seat from it
  uint64_t wait_timeouts = 0;     ///< ... and gave up at the end of their wait
  /// Computers disconnected by an administrator and refused until (wall clock, ms).
  std::vector<std::pair<std::string, int64_t>> cooldowns;
};

/// One checkout waiting in a product's queue, as the admin API shows it.
struct waiter_info {
  std::string product;
  uint32_t position = 0; ///< 1: next
  std::string computer;
  std::string user;
  std::string instance;
  std::string address;
  int32_t priority = 0;
  int64_t since_ms = 0;     ///< when it joined (wall clock)
  int64_t wait_left_ms = 0; ///< until it gives up
};

/// One lease, as the admin API shows it.
struct lease_info {
  std::string lease;
  std::string product;
  std::string computer;
  std::string user;
  std::string instance;
  int64_t granted_at_ms = 0;
  int64_t renewed_at_ms = 0; ///< 0: not renewed since granted (or since the restart)
  int64_t expires_in_ms = 0;
};

/// One connected session, as the registry knows it.
struct session_info {
  uint64_t id = 0; ///< the session actor's id
  caf::actor handle;
  std::string computer;
  std::string user;
  std::string address;
  int64_t connected_at_ms = 0;
};

/// A lease deadline for the expiry actor, on the monotonic clock.
struct expiry_entry {
  engine::lease_id id;
  int64_t deadline_ns = 0; ///< steady_clock time since its epoch
};

/// One installed license, as the admin API shows it.
struct license_info {
  std::string id;
  std::string product;
  std::string type = "network"; ///< network (stand-alone codes are never installed on a server)
  uint32_t seats = 0;
  std::string state;  ///< active, expired, untrusted, not activated, hardware mismatch, clock error
  std::string advice; ///< what to do about the state; empty when active
  bool activation_required = false;
  std::string activated_on; ///< the vendor's response date, empty: not activated
  std::string hardware;     ///< "5 of 5 factors match (4 needed)", empty: not activated
  std::string issued;
  std::string expires; ///< YYYY-MM-DD or "never"
  std::string customer;
  int64_t installed_at_ms = 0;
  std::string code;
};

/// The answer to adding, removing, activating or deactivating a license.
struct license_result {
  bool ok = false;
  engine::errc error = engine::errc::server_error; ///< when !ok
  std::string message; ///< for people
  license_info info;
  std::string code;    ///< an activation request, or a release receipt
};

/// The licenses actor's view of the clock (for status).
struct clock_status {
  bool clock_error = false;
  int64_t now_ms = 0;
  int64_t seen_ms = 0;      ///< the latest wall-clock time licd has seen (kept in LMDB)
  int64_t tolerance_ms = 0; ///< how far back the clock may go before `clock error`
};

} // namespace licd

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(licd::license_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(licd::site_policy)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(licd::clock_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(licd::store_stats)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<licd::license_info>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(licd::engine::identity)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(licd::engine::lease_id)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<licd::engine::lease_id>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(licd::storage::change_set)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<licd::storage::change_set>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<licd::storage::lease_record>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(licd::pool_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(licd::pool_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<licd::pool_status>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<licd::expiry_entry>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(licd::session_info)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<licd::session_info>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<licd::lease_info>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<licd::waiter_info>)
