#pragma once

#include "actors/interfaces.hpp"
#include "storage/database.hpp"

#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace licd {

/// State of the STORE actor: the database and the group being gathered.
struct store_state {
  static inline const char* name = "store";

  /// Several change sets with one answer (a pool's gathered grants and releases): which of
  /// them were stored, once every one is settled.
  struct batch {
    caf::typed_response_promise<std::vector<uint8_t>> promise;
    std::vector<uint8_t> results; ///< commit_result, one per set
    size_t open = 0;              ///< sets not settled yet
  };
  struct waiting {
    storage::change_set changes;
    std::optional<caf::typed_response_promise<caf::ok_atom>> promise; ///< none: write-behind
    std::shared_ptr<batch> in_batch; ///< or answered as part of a batch, at `index`
    size_t index = 0;
  };

  std::shared_ptr<storage::database> db;
  std::vector<waiting> group;
  bool flush_scheduled = false;
  uint64_t commits = 0;       ///< transactions committed
  uint64_t sets_committed = 0; ///< change sets in them (sets / commits = mean group size)
  uint64_t events_dropped = 0; ///< activity-log entries not stored because the data dir was full
};

/// Old activity-log events deleted per transaction (a commit waits at most for one batch).
constexpr size_t prune_batch = 10'000;
/// How often the activity log is pruned after the first time.
constexpr std::chrono::hours prune_interval{1};

/// Deletes a batch (prune_batch) of activity-log events older than `log_age_ms` and one of usage
/// roll-ups older than `usage_age_ms` (0: none), and logs what went; true when a batch was full
/// (more is left). A failure is logged (retried at the next prune_interval). Blocks: the store's
/// own pruning, and a cluster standby's (from a thread of its own).
bool prune_history(storage::database& db, int64_t log_age_ms, int64_t usage_age_ms);

/// Spawn detached (its own thread): every commit blocks on fsync.
store_actor::behavior_type store(store_actor::stateful_pointer<store_state> self,
                                 std::shared_ptr<storage::database> db);

} // namespace licd
