#pragma once

#include "engine/usage.hpp"
#include "storage/lmdb.hpp"
#include "storage/records.hpp"
#include "storage/usage_table.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace licd::storage {

/// The data dir's format this build writes. A data dir of a newer format is refused.
/// Format 2 added `activations` and the server key and clock mark in `meta`; format 3 seals
/// every record (a CRC-32 of key and record after it); format 4 added `usage`, the usage
/// roll-ups. An older data dir is migrated in place when opened (database.cpp, `migrate`).
inline constexpr uint32_t format_version = 4;

/// A stored record that fails its checksum or cannot be read: the data dir is damaged. The
/// message names the table and the key.
class damaged : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// What `verify` found: records per table, and what is damaged (empty when nothing).
struct verify_report {
  std::map<std::string, size_t> records; ///< table -> records read
  std::vector<std::string> problems;     ///< one sentence each (at most 20, then a count)
  uint32_t format = 0;
};

/// Checks, before LMDB maps it, that DIR/data.mdb is as long as its own meta pages say (a
/// truncated file would crash the reader with SIGBUS). Empty when fine or when there is no file;
/// otherwise what is wrong.
std::string check_data_file(const std::string& dir);

/// Reads every record of every table of the data dir read-only, checking each seal and decoding
/// each record, and each table's record count against LMDB's own; the file is not changed. The
/// walk runs in a forked child process, so pages damaged so badly that LMDB itself crashes on
/// them are reported too instead of ending the caller. Call it before the process starts any
/// thread: a child forked from a process with threads may wait for ever on a lock one of them
/// held (licd checks its data dir at the top of main).
verify_report verify_data_dir(const std::string& dir, size_t map_size);

/// What licd says of a damaged data dir: what is damaged, that the file was left as it is, and
/// how to restore a backup.
std::string damage_message(const std::string& dir, const verify_report& report);

/// licd's schema over one LMDB environment in the data dir:
/// `meta` (format, server_key, clock_seen_ms), `leases` (16-byte id -> record),
/// `licenses` (8-byte id -> installed_at_ms TAB code),
/// `activations` (8-byte license id -> nonce hex TAB response code),
/// `events` (8-byte big-endian sequence -> engine::encode(event)),
/// `usage` (the usage roll-ups, storage/usage_table.hpp), written with the events they come from.
/// Not thread-safe: one owner at a time (licd's store actor, or start-up before it runs), except
/// the readers that say they may be called from any thread.
class database {
public:
  struct options {
    std::string dir;
    size_t map_size = size_t{8} << 30; ///< 8 GiB of address space; the file grows as used
    /// How far the map may grow when it is full (doubling each time); 0: not beyond map_size.
    size_t max_map_size = 0;
    /// Head-room kept free beyond what is used, in the map and allocated on disk: removals
    /// (releases, expiries) always fit in it, because data that grows the store (a grant, a
    /// license) is refused first (room_to_grow). Never more than an eighth of the map.
    size_t reserve = size_t{4} << 20;
  };

  /// Opens or creates the data dir's environment. Throws lmdb::error or std::runtime_error
  /// (a newer format).
  explicit database(const options& opts);
  /// (Throws std::runtime_error saying "corrupt" when the files are not a readable LMDB
  /// environment: it never rewrites them.)

  /// Every stored lease (for tests and tools; a start streams them with scan_leases).
  std::vector<lease_record> leases() const;
  /// Decodes the stored leases one by one, in id order (which is grant order), into one
  /// record that `f` may move from. Throws std::runtime_error on a corrupt record.
  void scan_leases(const std::function<void(lease_record&)>& f) const;
  /// How many leases each product has stored (reads only the product names).
  std::map<std::string, size_t> lease_counts() const;
  std::vector<license_record> licenses() const;
  std::vector<activation_record> activations() const;
  /// A `meta` value, empty when there is none.
  std::string meta(const std::string& key) const;
  /// When the map is full: doubles it (up to max_map_size). False when it may not grow.
  /// Only between commits (no transaction open).
  bool grow_map();
  size_t map_size() const { return env_.map_size(); }

  /// How full the map and the data dir's filesystem are. Callable from any thread.
  struct space_info {
    uint64_t map_bytes = 0;     ///< the map's size now
    uint64_t max_map_bytes = 0; ///< how far it may grow (0: not beyond map_bytes)
    uint64_t used_bytes = 0;    ///< pages in use up to the highest one written
    uint64_t disk_free_bytes = 0, disk_total_bytes = 0;
  };
  space_info space() const;

  /// Whether a commit that adds data (a grant, a license, an activation) may go ahead: false
  /// while the head-room (options::reserve) cannot be kept, in the map or on disk, and LMDB's
  /// free pages do not make up for it. Removals and overwrites go ahead regardless. While
  /// short of room it tries again to reserve the head-room (the disk may have been freed).
  bool room_to_grow();

  /// Whether the data dir's filesystem has less than `margin` bytes free for licd. LMDB reports
  /// a write cut short by a full disk as EIO, so a failed commit is told apart with this.
  bool disk_nearly_full(uint64_t margin = uint64_t{4} << 20) const;

  /// The format the data dir had before this open migrated it (0: no migration).
  uint32_t migrated_from() const { return migrated_from_; }

  /// Up to `max` events with sequence >= `from`, oldest first, with their sequence numbers.
  std::vector<std::pair<uint64_t, engine::event>> events(uint64_t from, size_t max) const;

  /// A snapshot of the usage roll-ups for a report. May be called from any thread, while the
  /// owner commits (LMDB readers do not wait for the writer).
  engine::usage::snapshot usage(const usage_table::query& q) const;
  /// The roll-ups' state as the owner holds it (tests compare it with what is stored).
  const engine::usage::tracker& usage_state() const { return usage_; }
  /// Deletes up to `max` roll-up records (hours, sessions, episodes) older than `before_ms` in
  /// one transaction; returns how many.
  size_t prune_usage(int64_t before_ms, size_t max);

  /// A page of a search of the activity log.
  struct event_search {
    std::vector<std::pair<uint64_t, engine::event>> events; ///< matches, oldest first
    uint64_t lowest = 0;  ///< the lowest sequence number looked at (0: none)
    uint64_t highest = 0; ///< the highest
    bool older = false;   ///< events older than `lowest` may match (search on with before)
    bool newer = false;   ///< events newer than `highest` may match (search on with after)
  };
  /// Up to `max` events that match `f`: the newest ones before sequence `before` (0: the
  /// newest of all), or, when `after` is set, the oldest ones after it. Looks at no more than
  /// `budget` events (a search of a long log goes on from `lowest` or `highest`). The log's
  /// order is taken as time order, so the times in the filter bound the search. May be called
  /// from any thread.
  event_search find_events(const engine::event_filter& f, uint64_t before,
                           std::optional<uint64_t> after, size_t max, size_t budget) const;

  /// The sequence number the next event will get (1 when there are none).
  uint64_t next_event() const { return next_event_; }
  /// Deletes, oldest first, up to `max` events logged before `before_ms` (wall clock, ms since
  /// the epoch), in one transaction; returns how many. It stops at the first event that is not
  /// older (the log is in logging order) and always keeps the newest event, so sequence numbers
  /// go on from where they were after a restart.
  size_t prune_events(int64_t before_ms, size_t max);

  /// Applies the sets in order in ONE write transaction (one fsync), with the usage roll-ups of
  /// their events (also of the events a set does not log). All or nothing: throws lmdb::error
  /// and leaves the stored data (and the roll-ups' state) as it was.
  void commit(const std::vector<const change_set*>& sets);
  void commit(const change_set& set) { commit(std::vector<const change_set*>{&set}); }

  /// What a commit tells, before it is durable, the copy its changes must reach first (licd on
  /// a cluster: the leader's fenced write to etcd, cluster/node.hpp).
  class replicator {
  public:
    virtual ~replicator() = default;
    /// Called in every commit once its changes are in the write transaction, before it is made
    /// durable. Throws to abandon the commit (nothing stored). Returns meta values to store in
    /// the same transaction.
    virtual std::vector<std::pair<std::string, std::string>>
    replicate(const std::vector<const change_set*>& sets) = 0;
    /// The commit was replicated but could not be made durable here: this copy now lacks what
    /// the other has.
    virtual void not_stored(const std::string& why) noexcept = 0;
  };
  /// From now on every commit goes through `r` (null: none). Only between commits.
  void set_replicator(std::shared_ptr<replicator> r) { replicator_ = std::move(r); }

  /// Every `meta` value (the cluster's first leader copies them to etcd).
  std::map<std::string, std::string> meta_all() const;

private:
  void commit_txn(const std::vector<const change_set*>& sets);
  /// Builds the roll-ups of an older data dir from its activity log and its leases.
  void build_usage(lmdb::txn& t);

  /// After open and each commit: allocates the head-room on disk beyond the last used page
  /// (posix_fallocate, so a removal never needs a block the filesystem cannot give), or notes
  /// that it cannot be had (`low_`).
  void keep_reserve();
  /// Bytes in LMDB's free pages (reused before the file grows).
  uint64_t free_bytes() const;

  std::string dir_;
  size_t max_map_size_ = 0;
  size_t reserve_ = 0;
  uint64_t allocated_ = 0; ///< the data file is allocated on disk up to here
  bool low_ = false;       ///< the head-room could not be kept
  lmdb::env env_;
  MDB_dbi meta_ = 0;
  MDB_dbi leases_ = 0;
  MDB_dbi licenses_ = 0;
  MDB_dbi events_ = 0;
  MDB_dbi activations_ = 0;
  MDB_dbi usage_db_ = 0;
  engine::usage::tracker usage_;
  /// Held shared by readers on other threads, exclusively while the map grows (LMDB may not
  /// resize while any transaction of the process is open).
  mutable std::shared_mutex resizing_;
  std::mutex commit_mutex_; ///< held through a commit or a pruning (and the roll-ups' update)
  uint64_t next_event_ = 1;
  uint32_t migrated_from_ = 0;
  std::shared_ptr<replicator> replicator_;
};

/// Record codecs, exposed for tests. Decoding returns false on a malformed value.
std::string encode_lease_key(const engine::lease_id& id);
std::string encode_lease_value(const lease_record& r);
bool decode_lease(std::string_view key, std::string_view value, lease_record& out);
/// A license's and an activation's stored value (their key is the license id).
std::string encode_license_value(const license_record& r);
std::string encode_activation_value(const activation_record& r);

} // namespace licd::storage
