#pragma once

#include "bench/licbench/cpu_usage.hpp"
#include "bench/licbench/histogram.hpp"
#include "engine/defaults.hpp"
#include "net/tls_stream.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace licd::bench {

/// policy: cycle with checkouts by many users (`users`), for a server with a site policy.
enum class scenario { renew, cycle, hold, contend, policy };
enum class op { checkout, renew, release, connect };
inline constexpr size_t op_kinds = 4;
const char* to_string(op o);

struct load_options {
  std::string host = "127.0.0.1";
  uint16_t port = defaults::client_port;
  std::string product = "demo";
  scenario kind = scenario::renew;
  uint32_t clients = 10;   ///< connections
  uint32_t computers = 0;  ///< workstations simulated (0: one per connection)
  std::chrono::milliseconds duration{10'000};
  double rate = 0;         ///< open loop: total requests per second (0: closed loop)
  uint32_t threads = 2;
  std::string run_id;      ///< prefix of computer names, so runs do not share computers
  /// Checkouts name a user: user_prefix + (computer number % users); 0: HELLO's (licbench).
  uint32_t users = 0;
  std::string user_prefix = "licbench-u";
  bool keep_leases = false; ///< leave the leases held at the end (to test a restart with them)
  /// Speak TLS, verifying the server by `tls_ca` and/or `tls_pin` (null: plain TCP). Made from
  /// them once (net::tls_context::client); the end-of-run connections use the strings.
  std::shared_ptr<net::tls_context> tls;
  std::string tls_ca;       ///< PEM CA file (a self-signed certificate is its own)
  std::string tls_pin;      ///< SHA-256 fingerprint of the server's certificate
  int server_pid = 0;       ///< the server's pid when it runs here (its CPU use is read), or 0
};

/// Per operation kind: latencies, outcomes, and a per-second series.
struct op_stats {
  histogram latency;
  /// From the request to its reply's arrival in licbench's socket (the kernel's receive time):
  /// the same without licbench's own delay in reading replies, where it could tell (one reply
  /// per read).
  histogram at_socket;
  uint64_t denied = 0; ///< NO_SEATS, DISCONNECTED and the site policy's RESERVED, LIMIT, EXCLUDED
  std::map<std::string, uint64_t> denied_by; ///< ... by code
  std::map<std::string, uint64_t> errors;    ///< other ERR codes and connection errors
  std::vector<uint64_t> per_second;          ///< completed per second of the measured phase
};

struct load_result {
  std::array<op_stats, op_kinds> ops;
  double measured_seconds = 0;
  uint32_t seats = 0;            ///< as the server reported them
  int64_t max_held = 0;          ///< most computers licbench held seats for at once
  uint64_t seat_violations = 0;  ///< times more computers held seats than there are seats
  uint64_t used_above_seats = 0; ///< replies whose `used` exceeded `seats`
  int64_t held_at_end = 0;
  int64_t lost_with_connections = 0; ///< leases the server may hold for lost connections
  /// The server's count at the end agrees, net of the seats others held at the start: at
  /// least what licbench holds, at most that plus what went with lost connections (unknown:
  /// -1, not checked). Other clients checking out or releasing meanwhile upset it.
  bool end_count_ok() const {
    auto ours = server_used_at_end - std::max<int64_t>(0, server_used_at_start);
    return server_used_at_end < 0
           || (ours >= held_at_end && ours <= held_at_end + lost_with_connections);
  }
  int64_t server_used_at_start = -1; ///< seats in use before licbench connected (-1: unknown)
  int64_t server_used_at_end = -1;
  uint32_t connected = 0;
  std::string first_failure; ///< why the first connection that failed did (empty: none did)
  cpu_usage cpu; ///< the machine's, the server's and licbench's CPU over the measured phase
};

/// Runs the load: connect every client, set up (check out a lease per computer where the
/// scenario holds leases), measure for the duration, then drain, compare the seats held with
/// the server's STATUS, and release everything. Throws std::runtime_error when it cannot
/// start at all.
load_result run_load(const load_options& opts);

} // namespace licd::bench
