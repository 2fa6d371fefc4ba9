#pragma once

#include "actors/interfaces.hpp"
#include "actors/metrics.hpp"
#include "actors/timers.hpp"
#include "actors/transport.hpp"
#include "engine/defaults.hpp"
#include "net/line_splitter.hpp"
#include "net/protocol.hpp"
#include "net/tls_stream.hpp"

#include <caf/io/broker.hpp>
#include <caf/stateful_actor.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace licd {

/// Limits on connections (each refusal or timeout is counted in request_metrics).
struct connection_limits {
  size_t max_connections = defaults::max_connections;             ///< in total
  size_t max_per_address = defaults::max_connections_per_address; ///< from one address; 0: any
  std::chrono::seconds hello_timeout = defaults::hello_timeout;   ///< HELLO must come this soon
  /// Silent this long: closed; 0: defaults::idle_timeout(the lease TTL).
  std::chrono::seconds idle_timeout{0};
};

/// What every session needs to know about the server.
struct session_setup {
  registry_actor registry;
  uint32_t ttl_seconds = static_cast<uint32_t>(defaults::lease_ttl.count());
  std::shared_ptr<request_metrics> metrics;
  std::shared_ptr<net::tls_context> tls; ///< set: the client port speaks TLS
  connection_limits limits;
  timers_actor timers; ///< the HELLO and idle timers (not delayed_send: see actors/timers.hpp)
};

/// A CHECKOUT, RENEW or RELEASE forwarded to a pool and not answered yet. The pool echoes the
/// tag in its pool_reply, so the session needs no per-request response handler.
struct pending_request {
  uint64_t tag = 0;
  std::string id; ///< the client's request id
  request_kind kind = request_kind::other;
  engine::mono_time started{};
  engine::lease_id lease; ///< RENEW, RELEASE: the lease named
  pool_actor pool;        ///< CHECKOUT: where the new lease will live
  bool queued = false;    ///< CHECKOUT with wait=: it waits in the product's queue
};

/// State of a SESSION broker: one client connection. It only frames, parses and forwards;
/// it never blocks and never waits on storage itself.
struct session_state {
  static inline const char* name = "session";

  net::line_splitter splitter{net::protocol::max_line};
  std::optional<engine::identity> who; ///< set by HELLO
  std::unordered_map<std::string, pool_actor> pools;          ///< product -> pool, cached
  std::unordered_map<engine::lease_id, pool_actor> leases;    ///< lease -> pool, cached
  size_t outstanding = 0; ///< request lines not answered yet (each gets exactly one reply)
  size_t queued = 0;      ///< of the pending ones, those waiting in a product's queue
  std::vector<pending_request> pending; ///< at pools, in no particular order (usually 0 or 1)
  uint64_t next_tag = 0;
  bool closing = false;    ///< QUIT seen: close once `outstanding` is zero
  bool left = false;       ///< the session has ended (guards a second leave)
  int64_t connected_at_ms = 0;
  std::shared_ptr<const session_setup> setup;
  engine::mono_time last_heard{};      ///< the last bytes from the client (idle timeout)
  std::unique_ptr<caf_connection> caf; ///< CAF's side of the connection, for `io`
  std::unique_ptr<transport> io;       ///< the connection's bytes (actors/transport.hpp)
  /// The server ends this connection (a timeout): if replies still wait for the client to read
  /// when it leaves, the client is not reading and gets a reset.
  bool cut_off = false;
};

using session_broker = caf::stateful_actor<session_state, caf::io::broker>;

caf::behavior session(session_broker* self, caf::io::connection_handle hdl, session_setup setup);

} // namespace licd
