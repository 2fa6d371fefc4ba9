#include "cluster/node.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>

namespace licd::cluster {

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// How often a standby campaigns while it sees no leader, and retries etcd when it cannot
/// reach it.
constexpr std::chrono::milliseconds retry_interval{250};
/// A standby that cannot reach etcd waits longer each time, up to this (the leader keeps
/// retry_interval: it has a TTL to keep).
constexpr std::chrono::milliseconds max_retry_interval{5'000};

/// Whether the n-th failure in a row is worth a log line (1, 2, 4, 8, ...): an etcd that stays
/// away must not fill the log.
bool worth_logging(uint64_t n) {
  return (n & (n - 1)) == 0;
}

/// How often the leader deletes the log entries older than log_retention from etcd.
constexpr std::chrono::minutes log_prune_interval{10};

/// A commit of more than max_txn_ops operations goes to etcd in this many transactions at once.
constexpr size_t max_parallel_txns = 8;

} // namespace

bool is_local_meta(const std::string& key) {
  return key == "format" || key == applied_revision_meta;
}

node::node(node_options opts, std::shared_ptr<storage::database> db)
  : opts_(std::move(opts)), keys_(keys_for(opts_.cluster)), db_(std::move(db)), etcd_(opts_.etcd),
    watch_etcd_(opts_.etcd) {
  if (opts_.self.name.empty())
    throw std::invalid_argument("a cluster node needs a name (--node-name)");
  if (opts_.ttl < std::chrono::seconds(2))
    throw std::invalid_argument("the cluster's etcd lease needs at least 2 s");
  opts_.self.started_ms = now_ms();
  auto stored = db_->meta(applied_revision_meta);
  applied_ = stored.empty() ? 0 : std::stoll(stored);
}

node::~node() {
  stop();
}

void node::start() {
  // Catch up first: a node that had applied nothing, or whose revision etcd has compacted
  // away, reads the whole state; one that was here before goes on from its revision.
  // (When etcd has compacted past a returning node's revision, the watch says so and it reads
  // the whole state then.)
  auto leader = etcd_.range(keys_.leader());
  auto nodes = etcd_.range(keys_.nodes(), etcd::prefix_end(keys_.nodes()));
  if (applied_ == 0)
    resync();
  {
    std::lock_guard lock(mutex_);
    if (!leader.kvs.empty())
      leader_ = decode_node(leader.kvs.front().value);
    know_nodes(nodes.kvs);
  }
  keeper_ = std::thread([this] { keep(); });
  watcher_ = std::thread([this] { watch(); });
}

void node::know_nodes(const std::vector<etcd::kv>& kvs) {
  nodes_.clear();
  for (const auto& kv : kvs)
    if (auto n = decode_node(kv.value))
      nodes_[kv.key] = *n;
}

void node::resync() {
  auto r = etcd_.txn({}, {etcd::op::range(keys_.state(), etcd::prefix_end(keys_.state())),
                          etcd::op::range(keys_.log(), etcd::prefix_end(keys_.log()))});
  if (r.ranges.size() != 2)
    throw malformed("etcd answered a snapshot read with " + std::to_string(r.ranges.size())
                    + " ranges");
  const auto& state = r.ranges[0];
  std::lock_guard apply(apply_mutex_);
  if (leading_.load())
    return; // it led meanwhile: its data dir is the state now
  if (state.empty()) {
    // Nothing in etcd yet: the data dir stays as it is (the first leader seeds etcd with it).
    std::lock_guard lock(mutex_);
    applied_ = std::max(applied_, r.revision);
    return;
  }
  local_state local;
  db_->scan_leases([&](storage::lease_record& l) { local.leases.insert(l.id); });
  for (const auto& l : db_->licenses())
    local.licenses.insert(l.id);
  for (const auto& a : db_->activations())
    local.activations.insert(a.license_id);
  std::vector<storage::change_set> sets;
  sets.push_back(from_state(keys_, state, local));
  int64_t from;
  {
    std::lock_guard lock(mutex_);
    from = applied_;
  }
  // The events logged since this node last applied (all of them for a new node), in order.
  auto log = r.ranges[1];
  std::sort(log.begin(), log.end(),
            [](const etcd::kv& a, const etcd::kv& b) { return a.mod_revision < b.mod_revision; });
  size_t replayed = 0;
  for (const auto& entry : log) {
    if (entry.mod_revision <= from)
      continue;
    for (auto& cs : decode_log(entry.value))
      sets.push_back(std::move(cs));
    ++replayed;
  }
  sets.front().put_meta.emplace_back(applied_revision_meta, std::to_string(r.revision));
  std::vector<const storage::change_set*> ptrs;
  for (const auto& s : sets)
    ptrs.push_back(&s);
  db_->commit(ptrs);
  spdlog::info("cluster: read the cluster's state from etcd at revision {} ({} leases, {} "
               "licenses, {} log entries)",
               r.revision, sets.front().put_leases.size(), sets.front().put_licenses.size(),
               replayed);
  std::lock_guard lock(mutex_);
  applied_ = r.revision;
  changed_.notify_all();
}

void node::apply(const std::vector<etcd::watch_event>& events, int64_t revision) {
  // Who is registered, and who leads.
  for (const auto& e : events) {
    if (e.item.key.rfind(keys_.nodes(), 0) == 0) {
      std::lock_guard lock(mutex_);
      if (e.deleted)
        nodes_.erase(e.item.key);
      else if (auto n = decode_node(e.item.value))
        nodes_[e.item.key] = *n;
      continue;
    }
    if (e.item.key != keys_.leader())
      continue;
    std::lock_guard lock(mutex_);
    if (e.deleted) {
      leader_.reset();
      spdlog::info("cluster: the leader's election key is gone");
    } else {
      leader_ = decode_node(e.item.value);
      if (e.item.version == 1)
        leader_changes_.fetch_add(1);
      if (leader_ && leader_->name == opts_.self.name && e.item.lease == lease_ && won_at_ == 0)
        won_at_ = e.item.create_revision; // our campaign won though its answer was lost
      spdlog::info("cluster: {} leads", leader_ ? leader_->name : std::string("(unreadable)"));
    }
    changed_.notify_all();
  }
  std::lock_guard apply(apply_mutex_);
  if (!leading_.load()) {
    auto sets = from_events(keys_, events);
    if (!sets.empty()) {
      sets.front().put_meta.emplace_back(applied_revision_meta, std::to_string(revision));
      std::vector<const storage::change_set*> ptrs;
      for (const auto& s : sets)
        ptrs.push_back(&s);
      db_->commit(ptrs);
    }
  }
  std::lock_guard lock(mutex_);
  applied_ = std::max(applied_, revision);
  changed_.notify_all();
}

void node::watch() {
  uint64_t failures = 0;
  auto pause = retry_interval;
  while (!lost_.load()) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_)
        return;
    }
    int64_t from;
    {
      std::lock_guard lock(mutex_);
      from = applied_ + 1;
    }
    bool resync_needed = false;
    int64_t compacted_at = 0;
    try {
      watch_etcd_.watch(keys_.prefix, etcd::prefix_end(keys_.prefix), from,
                        [&](const etcd::watch_message& m) {
                          if (m.canceled) {
                            resync_needed = m.compact_revision > 0;
                            compacted_at = m.compact_revision;
                            return false;
                          }
                          // The events of one revision are one transaction: apply them together.
                          size_t i = 0;
                          while (i < m.events.size()) {
                            auto rev = m.events[i].item.mod_revision;
                            size_t j = i;
                            while (j < m.events.size() && m.events[j].item.mod_revision == rev)
                              ++j;
                            apply({m.events.begin() + static_cast<std::ptrdiff_t>(i),
                                   m.events.begin() + static_cast<std::ptrdiff_t>(j)},
                                  rev);
                            i = j;
                          }
                          return true;
                        });
      if (resync_needed && leading_.load()) {
        // The leader's data dir is the state: it only needs to know the nodes again.
        auto nodes = etcd_.range(keys_.nodes(), etcd::prefix_end(keys_.nodes()));
        std::lock_guard lock(mutex_);
        know_nodes(nodes.kvs);
        applied_ = std::max(applied_, std::max(compacted_at, nodes.revision));
      } else if (resync_needed) {
        spdlog::warn("cluster: etcd has compacted the changes after revision {}: reading the "
                     "whole state again",
                     from - 1);
        resync();
      }
      failures = 0;
      pause = retry_interval;
    } catch (const std::exception& e) {
      if (worth_logging(++failures))
        spdlog::warn("cluster: watching etcd ({} failures in a row): {}", failures, e.what());
      if (!sleep_for(pause))
        return;
      pause = std::min(pause * 2, max_retry_interval);
    }
  }
}

bool node::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, d, [this] { return stopping_; });
  return !stopping_;
}

bool node::campaign() {
  node_info self;
  int64_t lease;
  {
    std::lock_guard lock(mutex_);
    self = opts_.self;
    lease = lease_;
  }
  auto r = etcd_.txn({{keys_.leader(), 0}}, {etcd::op::put(keys_.leader(), encode(self), lease)},
                     {etcd::op::range(keys_.leader())});
  std::lock_guard lock(mutex_);
  if (r.succeeded) {
    won_at_ = r.revision;
    leader_ = self;
    changed_.notify_all();
    spdlog::info("cluster: {} won the election at revision {}", self.name, r.revision);
    return true;
  }
  if (!r.ranges.empty() && !r.ranges.front().empty())
    leader_ = decode_node(r.ranges.front().front().value);
  return false;
}

void node::keep() {
  auto beat = std::max(opts_.ttl / 3, std::chrono::seconds(1));
  auto last_ok = std::chrono::steady_clock::now();
  auto last_prune = std::chrono::steady_clock::now();
  uint64_t failures = 0;
  auto pause = retry_interval;
  while (!lost_.load()) {
    int64_t lease;
    bool won, no_leader;
    {
      std::lock_guard lock(mutex_);
      if (stopping_)
        return;
      lease = lease_;
      won = won_at_ != 0;
      no_leader = !leader_;
    }
    try {
      if (lease == 0) {
        auto g = etcd_.grant(opts_.ttl);
        node_info self;
        {
          std::lock_guard lock(mutex_);
          self = opts_.self;
        }
        etcd_.txn({}, {etcd::op::put(keys_.node(self.name), encode(self), g.id)});
        std::lock_guard lock(mutex_);
        lease_ = g.id;
        last_ok = std::chrono::steady_clock::now();
        continue;
      }
      if (!won && no_leader && campaign())
        continue;
      auto a = etcd_.keepalive(lease);
      if (a.ttl <= 0) {
        if (leading_.load() || won) {
          lose("its etcd lease lapsed");
          return;
        }
        std::lock_guard lock(mutex_);
        lease_ = 0; // register again
        continue;
      }
      last_ok = std::chrono::steady_clock::now();
      if (leading_.load() && last_ok - last_prune >= log_prune_interval) {
        last_prune = last_ok;
        auto cutoff = now_ms() - std::chrono::milliseconds(log_retention).count();
        if (auto n = prune_log(cutoff); n > 0)
          spdlog::info("cluster: deleted {} log entries older than {} h from etcd", n,
                       log_retention.count());
      }
    } catch (const std::exception& e) {
      if (worth_logging(++failures))
        spdlog::warn("cluster: etcd ({} failures in a row): {}", failures, e.what());
      bool keeping_a_lead = leading_.load() || won;
      if (keeping_a_lead && std::chrono::steady_clock::now() - last_ok > opts_.ttl) {
        lose("etcd could not be reached for " + std::to_string(opts_.ttl.count()) + " s");
        return;
      }
      if (!sleep_for(keeping_a_lead ? retry_interval : pause))
        return;
      pause = std::min(pause * 2, max_retry_interval);
      continue;
    }
    failures = 0;
    pause = retry_interval;
    // A standby without a leader campaigns again soon, and at once when the leader's key goes;
    // otherwise the next keepalive is due.
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, no_leader ? retry_interval : std::chrono::milliseconds(beat),
                      [&] { return stopping_ || (!no_leader && !leader_ && won_at_ == 0); });
  }
}

bool node::wait_for_lead() {
  int64_t won;
  {
    std::unique_lock lock(mutex_);
    changed_.wait(
      lock, [this] { return stopping_ || lost_.load() || (won_at_ != 0 && applied_ >= won_at_); });
    if (stopping_ || lost_.load())
      return false;
    won = won_at_;
  }
  // Everything before the election key is applied here (a fenced write of the earlier leader
  // after it would have failed): from now on this node writes its data dir itself.
  std::lock_guard apply(apply_mutex_);
  token_.store(won);
  auto state = etcd_.range(keys_.state(), etcd::prefix_end(keys_.state()));
  if (state.kvs.empty())
    seed();
  db_->set_replicator(std::shared_ptr<storage::database::replicator>(this, [](auto*) {}));
  leading_.store(true);
  spdlog::info("cluster: {} leads (fencing token {}), the data dir caught up at revision {}",
               opts_.self.name, won, applied_);
  return true;
}

void node::seed() {
  storage::change_set cs;
  for (auto& [key, value] : db_->meta_all())
    if (!is_local_meta(key))
      cs.put_meta.emplace_back(key, value);
  cs.put_licenses = db_->licenses();
  cs.put_activations = db_->activations();
  db_->scan_leases([&](storage::lease_record& l) { cs.put_leases.push_back(std::move(l)); });
  if (cs.empty())
    return; // a new cluster on a new data dir: nothing to write
  auto revision = write_fenced(to_ops(keys_, {&cs}, keys_.log(now_ms(), token_.load(), 0)));
  spdlog::info("cluster: etcd held no state: wrote this data dir's ({} licenses, {} leases) at "
               "revision {}",
               cs.put_licenses.size(), cs.put_leases.size(), revision);
}

int64_t node::write_fenced(std::vector<etcd::op> ops) {
  auto token = token_.load();
  std::vector<std::vector<etcd::op>> parts;
  for (size_t at = 0; at < ops.size(); at += max_txn_ops) {
    auto end = std::min(ops.size(), at + max_txn_ops);
    parts.emplace_back(std::make_move_iterator(ops.begin() + static_cast<std::ptrdiff_t>(at)),
                       std::make_move_iterator(ops.begin() + static_cast<std::ptrdiff_t>(end)));
  }
  // The parts name different keys (to_ops gives each key one operation), so their order does
  // not matter: they go to etcd side by side, each fenced on its own.
  int64_t revision = 0;
  bool refused = false;
  auto write = [&](std::vector<etcd::op>& part) {
    return etcd_.txn({{keys_.leader(), token}}, part);
  };
  for (size_t at = 0; at < parts.size(); at += max_parallel_txns) {
    auto end = std::min(parts.size(), at + max_parallel_txns);
    std::vector<std::future<etcd::txn_result>> pending;
    for (size_t i = at + 1; i < end; ++i)
      pending.push_back(std::async(std::launch::async, write, std::ref(parts[i])));
    std::exception_ptr failed;
    auto take = [&](auto get) {
      try {
        auto r = get();
        refused = refused || !r.succeeded;
        revision = std::max(revision, r.revision);
      } catch (...) {
        failed = std::current_exception();
      }
    };
    take([&] { return write(parts[at]); });
    for (auto& f : pending)
      take([&] { return f.get(); });
    if (refused) {
      lose("its election key is gone: another node may lead");
      throw lost_lead("this node no longer leads the cluster: nothing stored");
    }
    if (failed)
      std::rethrow_exception(failed);
  }
  return revision;
}

std::vector<std::pair<std::string, std::string>>
node::replicate(const std::vector<const storage::change_set*>& sets) {
  if (!leading_.load() || lost_.load())
    throw lost_lead("this node does not lead the cluster: nothing stored");
  auto ops = to_ops(keys_, sets, keys_.log(now_ms(), token_.load(), log_count_.fetch_add(1) + 1));
  if (ops.empty())
    return {};
  auto revision = write_fenced(std::move(ops));
  std::lock_guard lock(mutex_);
  applied_ = std::max(applied_, revision);
  return {{applied_revision_meta, std::to_string(revision)}};
}

void node::not_stored(const std::string& why) noexcept {
  lose("a change written to etcd could not be stored in the data dir (" + why + ")");
}

void node::lose(const std::string& why) {
  if (lost_.exchange(true))
    return;
  bool was_leading = leading_.exchange(false);
  spdlog::critical("cluster: {} {}: {}", opts_.self.name,
                   was_leading ? "stops leading" : "gives up its campaign", why);
  std::function<void(const std::string&)> f;
  {
    std::lock_guard lock(mutex_);
    f = on_lost_;
    changed_.notify_all();
  }
  if (f)
    f(why);
}

void node::on_lost(std::function<void(const std::string&)> f) {
  std::lock_guard lock(mutex_);
  on_lost_ = std::move(f);
}

int64_t node::prune_log(int64_t before_ms) {
  if (!leading_.load())
    throw lost_lead("only the leader prunes the log");
  auto r = etcd_.txn({{keys_.leader(), token_.load()}},
                     {etcd::op::del(keys_.log(), keys_.log_before(before_ms))});
  if (!r.succeeded) {
    lose("its election key is gone: another node may lead");
    throw lost_lead("this node no longer leads the cluster");
  }
  return r.deleted;
}

void node::set_admin_url(const std::string& url) {
  node_info self;
  int64_t lease;
  {
    std::lock_guard lock(mutex_);
    opts_.self.admin = url;
    self = opts_.self;
    lease = lease_;
  }
  try {
    std::vector<etcd::op> ops{etcd::op::put(keys_.node(self.name), encode(self), lease)};
    std::vector<etcd::created_at> fence;
    // Read once: the election key is only ever written fenced by the token that won it.
    if (leading_.load()) {
      ops.push_back(etcd::op::put(keys_.leader(), encode(self), lease));
      fence.push_back({keys_.leader(), token_.load()});
    }
    etcd_.txn(fence, ops);
  } catch (const std::exception& e) {
    spdlog::warn("cluster: could not publish the admin API's address: {}", e.what());
  }
}

std::vector<engine::machine_facts> node::machines() const {
  std::lock_guard lock(mutex_);
  std::vector<engine::machine_facts> out;
  bool self_seen = false;
  for (const auto& [key, n] : nodes_) {
    out.push_back(n.machine);
    self_seen = self_seen || n.name == opts_.self.name;
  }
  if (!self_seen)
    out.push_back(opts_.self.machine);
  return out;
}

std::optional<node_info> node::leader() const {
  std::lock_guard lock(mutex_);
  return leader_;
}

cluster_status node::status() {
  cluster_status s;
  s.cluster = opts_.cluster;
  s.self = opts_.self.name;
  s.leading = leading_.load();
  s.token = s.leading ? token_.load() : 0;
  s.leader_changes = leader_changes_.load();
  {
    std::lock_guard lock(mutex_);
    s.leader = leader_;
    s.applied_revision = applied_;
  }
  s.members = etcd_.health();
  try {
    for (const auto& kv : etcd_.range(keys_.nodes(), etcd::prefix_end(keys_.nodes())).kvs)
      if (auto n = decode_node(kv.value))
        s.nodes.push_back(*n);
  } catch (const std::exception& e) {
    spdlog::warn("cluster: reading the nodes from etcd: {}", e.what());
  }
  return s;
}

void node::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_)
      return;
    stopping_ = true;
    changed_.notify_all();
  }
  watch_etcd_.stop_watch();
  if (keeper_.joinable())
    keeper_.join();
  if (watcher_.joinable())
    watcher_.join();
  if (lease_ != 0) {
    try {
      etcd_.revoke(lease_); // the election key goes now, not a TTL later
    } catch (const std::exception& e) {
      spdlog::warn("cluster: could not give up the etcd lease: {}", e.what());
    }
  }
  if (leading_.exchange(false))
    db_->set_replicator(nullptr); // the server (its store) has stopped: no commit is running
}

} // namespace licd::cluster
