#pragma once

#include "cluster/etcd_json.hpp"
#include "engine/fingerprint.hpp"
#include "storage/records.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

/// How licd's durable state lies in etcd, and the translation both ways between the store's
/// change sets and etcd's keys (docs/CLUSTER.md, "What etcd holds"). Pure: no I/O.
///
/// Under PREFIX (`/licd/<cluster name>/`):
/// - `leader`: the leading node's `node_info`, attached to its etcd lease; its create revision
///   is the leader's fencing token.
/// - `nodes/<name>`: each running node's `node_info`, attached to its etcd lease.
/// - `s/lease/<32 hex>`, `s/license/<16 hex>`, `s/activation/<16 hex>`, `s/meta/<key>`: the
///   state, one key per record (the values as `encode_*` below make them).
/// - `log/<20-digit ms>/<20-digit token>/<20-digit count>`: one per committed group that logged
///   or counted events: the events in order (the activity log and the usage roll-ups are made
///   from them on every node); the leader deletes those older than `log_retention`.
namespace licd::cluster {

struct keys {
  std::string prefix; ///< ends with '/'

  std::string leader() const { return prefix + "leader"; }
  std::string nodes() const { return prefix + "nodes/"; }
  std::string node(std::string_view name) const { return nodes() + std::string(name); }
  std::string state() const { return prefix + "s/"; }
  std::string lease(const engine::lease_id& id) const;
  std::string license(uint64_t id) const;
  std::string activation(uint64_t license_id) const;
  std::string meta(std::string_view key) const;
  std::string log() const { return prefix + "log/"; }
  /// A log entry's key: when it was written (wall clock, ms), by which leader (its token), the
  /// how-manieth of that leader: keys sort by time, so old entries go in one range delete.
  std::string log(int64_t at_ms, int64_t token, uint64_t count) const;
  /// The end of the range of log entries written before `at_ms`.
  std::string log_before(int64_t at_ms) const;
};

/// Whether `name` may name a cluster or a node: 1 to 64 of [A-Za-z0-9._-].
bool valid_name(std::string_view name);

/// The prefix of cluster NAME: "/licd/NAME/". Throws std::invalid_argument for a name that is
/// empty, longer than 64 characters or not [A-Za-z0-9._-].
keys keys_for(std::string_view cluster_name);

/// What a node says of itself in `leader` and `nodes/<name>`.
struct node_info {
  std::string name;
  std::string client; ///< "host:port" clients reach it at
  std::string admin;  ///< its admin API's URL (may be empty)
  int64_t started_ms = 0;
  /// Its machine's facts, for a cluster's activation (docs/CLUSTER.md): they stay in the site's
  /// etcd; only their hashes, salted per license, go into an activation request.
  engine::machine_facts machine;
  bool operator==(const node_info& o) const {
    return name == o.name && client == o.client && admin == o.admin && started_ms == o.started_ms
           && machine.machine_id == o.machine.machine_id && machine.dmi_uuid == o.machine.dmi_uuid
           && machine.hostname == o.machine.hostname && machine.macs == o.machine.macs;
  }
};
std::string encode(const node_info& n);
/// nullopt when the value is not a node_info.
std::optional<node_info> decode_node(std::string_view value);

/// The operations that make etcd's state what the sets make the data dir's: one per key (the
/// last change of a key wins: etcd refuses a transaction that names a key twice), and, when the
/// sets have events, a put of `log_key` with them.
std::vector<etcd::op> to_ops(const keys& k, const std::vector<const storage::change_set*>& sets,
                             const std::string& log_key);

/// Thrown for a key or value under the prefix that licd did not write.
class malformed : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// The change sets that apply, to a node's data dir, what one etcd revision (the events of one
/// transaction, from a watch) changed: the state's puts and deletes first, then one set per log
/// entry. Keys outside the state and the log (leader, nodes) are left out. Throws `malformed`.
std::vector<storage::change_set> from_events(const keys& k,
                                             const std::vector<etcd::watch_event>& events);

/// What a node's data dir holds of the replicated state, by key (for a full catch-up).
struct local_state {
  std::set<engine::lease_id> leases;
  std::set<uint64_t> licenses;
  std::set<uint64_t> activations;
};

/// The change set that makes a data dir holding `local` hold exactly the state `kvs` (a range
/// of `keys::state()`): puts for every key in etcd, erases for every record etcd lacks. Meta
/// keys are only put (a meta value is never deleted). Throws `malformed`.
storage::change_set from_state(const keys& k, const std::vector<etcd::kv>& kvs,
                               const local_state& local);

/// How long etcd keeps the log entries: a node away for longer still catches up the state, but
/// its activity log and reports miss the events of the time it lost.
inline constexpr std::chrono::hours log_retention{24};

/// etcd refuses a transaction of more operations than this (its --max-txn-ops default): a
/// group with more is written in several transactions.
inline constexpr size_t max_txn_ops = 128;

/// The events of a log entry's value, as change sets (one per group member that had events).
std::vector<storage::change_set> decode_log(std::string_view value);
std::string encode_log(const std::vector<const storage::change_set*>& sets);

} // namespace licd::cluster
