#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

/// Every default of licd and its tools, once. The option structs (server_options, pool_policy,
/// connection_limits, admin::options, the client's) start from these, the command line
/// (tools/licd/options.cpp) shows them, and the docs quote them.
namespace licd::defaults {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Where licd listens.
/// The log levels licd takes (--log-level, the admin API's log-level), most verbose first.
inline constexpr std::array<std::string_view, 7> log_levels{"trace", "debug",    "info", "warn",
                                                            "error", "critical", "off"};

inline constexpr uint16_t client_port = 27600;    ///< TCP, the wire protocol
inline constexpr uint16_t admin_port = 27601;     ///< HTTP, the admin API
inline constexpr uint16_t discovery_port = 27600; ///< UDP, discovery (0: off)
inline constexpr const char* bind = "0.0.0.0";
inline constexpr const char* admin_bind = "127.0.0.1";
inline constexpr const char* discovery_bind = "0.0.0.0";
inline constexpr const char* data_dir = "/var/lib/licd";

// Leases.
/// A cluster's etcd lease (--cluster-ttl): a dead leader is replaced after about this long.
inline constexpr seconds cluster_ttl{3};
inline constexpr const char* cluster_name = "licd"; ///< --cluster-name
inline constexpr seconds lease_ttl{600};
inline constexpr uint32_t max_leases_per_computer = 64; ///< of one product
inline constexpr seconds disconnect_cooldown{60};

// The License Manager's browser sessions (docs/OPERATIONS.md).
inline constexpr std::chrono::minutes admin_session_idle{30}; ///< untouched this long: logged out
inline constexpr hours admin_session_max{12};                 ///< then log in again regardless
inline constexpr size_t admin_sessions_max = 1000;            ///< more: the least recent goes
inline constexpr milliseconds expiry_tick{250};

// Connections.
inline constexpr size_t max_connections =
  19'000; ///< licd raises its open-file limit to the hard one
inline constexpr size_t max_connections_per_address = 0; ///< 0: no limit
inline constexpr seconds hello_timeout{10};
/// A connection silent this long is closed, unless --idle-timeout says otherwise: two lease
/// TTLs (a client renews every TTL/3, so that is six missed renewals), at least 60 s.
inline constexpr seconds idle_timeout(seconds lease_ttl) {
  return std::max(seconds{60}, 2 * lease_ttl);
}

// The activity log and storage.
inline constexpr seconds renewal_log_interval{60}; ///< per lease, at most one `renewed` event
inline constexpr hours activity_log_retention{24 * 365};
inline constexpr hours usage_retention{24 * 3650}; ///< the usage roll-ups (reports)
inline constexpr size_t map_size_mib = 8192; ///< LMDB map (address space; the file grows as used)

// Licenses.
inline constexpr size_t fingerprint_tolerance = 1;     ///< activation factors that may differ
inline constexpr hours clock_tolerance{24};            ///< clock rollback before `clock error`
inline constexpr milliseconds license_recheck{60'000}; ///< dates and the clock re-evaluated

} // namespace licd::defaults
