#pragma once

#include "cluster/etcd_client.hpp"
#include "cluster/replica.hpp"
#include "storage/database.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

/// One licd's part in a cluster on etcd (docs/CLUSTER.md). A node keeps an etcd lease alive and
/// registers under `nodes/`; while another node leads it watches etcd and applies every change
/// to its own data dir; when no node leads it campaigns, and once it wins and has applied all
/// the previous leader wrote, it leads: from then on every commit of its data dir is first
/// written to etcd in transactions that succeed only while its election key is the one it
/// created (the fencing token). Its threads do all the waiting on etcd; nothing here runs on a
/// CAF worker.
namespace licd::cluster {

/// A fenced write failed because another node leads now, or the lead was lost otherwise.
class lost_lead : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct node_options {
  etcd::client_options etcd;
  std::string cluster = "licd"; ///< several clusters may share one etcd under their own names
  node_info self;               ///< name, the client address, the admin URL
  std::chrono::seconds ttl{3};  ///< the etcd lease: a dead leader is replaced after about this
};

/// The `meta` keys that stay on their node: the data dir's format and how far it has applied
/// etcd's changes.
inline constexpr const char* applied_revision_meta = "cluster_revision";
bool is_local_meta(const std::string& key);

struct cluster_status {
  std::string cluster;
  std::string self;
  bool leading = false;
  std::optional<node_info> leader;
  std::vector<node_info> nodes; ///< registered (their etcd lease alive)
  int64_t applied_revision = 0;
  int64_t token = 0;           ///< the leader's fencing token, while this node leads
  uint64_t leader_changes = 0; ///< leaders seen to take over since this node started
  std::vector<std::pair<std::string, std::string>> members; ///< etcd endpoint -> "ok" or why not
};

class node : public storage::database::replicator {
public:
  node(node_options opts, std::shared_ptr<storage::database> db);
  ~node() override;
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// Catches the data dir up with etcd, registers this node and starts its threads. Throws
  /// etcd::unavailable (no member answered) or `malformed`.
  void start();

  /// Blocks until this node leads, with its data dir holding all any earlier leader wrote,
  /// and its commits going to etcd first; false when stop() was called first.
  bool wait_for_lead();

  /// `f` is called once, from one of the node's threads or a committing thread, when this node
  /// stops leading (its etcd lease lapsed, another node holds the election key, a replicated
  /// commit could not be stored here). It must not return to serve on: licd starts over.
  void on_lost(std::function<void(const std::string& why)> f);

  bool leading() const { return leading_.load(); }
  /// The leader as last seen in etcd (nullopt: none now).
  std::optional<node_info> leader() const;
  /// Every registered node's machine, by node name (this node's included), as last seen in
  /// etcd. Does not block (binding::cluster_machines).
  std::vector<engine::machine_facts> machines() const;
  /// The cluster as etcd sees it now (asks etcd: blocking).
  cluster_status status();
  uint64_t leader_changes() const { return leader_changes_.load(); }
  const std::string& name() const { return opts_.self.name; }
  int64_t applied_revision() const {
    std::lock_guard lock(mutex_);
    return applied_;
  }

  /// While leading: deletes the log entries written before `before_ms` from etcd (fenced);
  /// returns how many. The keeper does it every `log_prune_interval` for `log_retention`.
  int64_t prune_log(int64_t before_ms);

  /// The leader's admin API is up at `url`: said in `leader` and `nodes/<name>` (best effort).
  void set_admin_url(const std::string& url);

  /// Ends the threads; a leading node gives its lead up at once (revokes its etcd lease).
  void stop();

  // storage::database::replicator
  std::vector<std::pair<std::string, std::string>>
  replicate(const std::vector<const storage::change_set*>& sets) override;
  void not_stored(const std::string& why) noexcept override;

private:
  void keep();  ///< the keeper thread: lease, registration, campaign, keepalive
  void watch(); ///< the watcher thread: applies what the leader writes
  /// Reads the state and the log from etcd in one snapshot and makes the data dir hold it.
  void resync();
  void apply(const std::vector<etcd::watch_event>& events, int64_t revision);
  /// The registered nodes are those of `kvs` (a range of `nodes/`). Under mutex_.
  void know_nodes(const std::vector<etcd::kv>& kvs);
  /// One campaign: true when this node now holds the election key.
  bool campaign();
  /// Writes the data dir's whole state to etcd (the first leader of an empty cluster).
  void seed();
  void lose(const std::string& why);
  /// `ops` in fenced transactions of at most max_txn_ops each; the last one's revision.
  int64_t write_fenced(std::vector<etcd::op> ops);
  bool sleep_for(std::chrono::milliseconds d); ///< false: stopping

  node_options opts_; ///< opts_.self.admin changes under mutex_ (set_admin_url)
  keys keys_;
  std::shared_ptr<storage::database> db_;
  etcd::client etcd_;
  etcd::client watch_etcd_; ///< the watch has a connection of its own (stop_watch ends it)

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  int64_t lease_ = 0;
  std::optional<node_info> leader_;
  std::map<std::string, node_info> nodes_; ///< registered nodes (their keys under nodes/)
  int64_t won_at_ = 0; ///< the revision this node's campaign won at (0: not won)
  int64_t applied_ = 0;
  std::function<void(const std::string&)> on_lost_;

  std::mutex apply_mutex_; ///< held while the watcher applies, and to start leading
  std::atomic<bool> leading_{false};
  std::atomic<bool> lost_{false};
  std::atomic<int64_t> token_{0};
  std::atomic<uint64_t> log_count_{0};
  std::atomic<uint64_t> leader_changes_{0};
  std::thread keeper_, watcher_;
};

} // namespace licd::cluster
