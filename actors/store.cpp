#include "actors/store.hpp"

#include "actors/clock.hpp"
#include "storage/lmdb.hpp"

#include <cerrno>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace licd {

namespace {

void schedule_flush(store_actor::stateful_pointer<store_state> self) {
  if (!self->state.flush_scheduled) {
    self->state.flush_scheduled = true;
    self->send(self, st_flush_atom::value);
  }
}

/// Commits the gathered group in one transaction and answers every waiting sender.
void flush(store_actor::stateful_pointer<store_state> self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.group.empty())
    return;
  std::vector<store_state::waiting> group;
  group.swap(st.group);
  std::vector<const storage::change_set*> sets;
  sets.reserve(group.size());
  for (auto& w : group)
    sets.push_back(&w.changes);
  for (;;) {
    try {
      st.db->commit(sets);
      ++st.commits;
      st.sets_committed += group.size();
      for (auto& w : group)
        if (w.promise)
          w.promise->deliver(caf::ok_atom::value);
      return;
    } catch (const std::exception& e) {
      auto* lmdb_err = dynamic_cast<const storage::lmdb::error*>(&e);
      // A full map grows when licd is configured to let it (--max-map-size); then try again.
      if (lmdb_err != nullptr && lmdb_err->code() == MDB_MAP_FULL) {
        auto before = st.db->map_size();
        bool grown = false;
        try {
          grown = st.db->grow_map();
        } catch (const std::exception& g) {
          spdlog::error("the LMDB map could not grow: {}", g.what());
        }
        if (grown) {
          spdlog::warn("the LMDB map was full: grown from {:.1f} to {:.1f} MiB",
                       static_cast<double>(before) / (1 << 20),
                       static_cast<double>(st.db->map_size()) / (1 << 20));
          continue;
        }
      }
      // A write cut short by a full disk comes back from LMDB as EIO: look at the free space.
      bool full = lmdb_err != nullptr
                  && (lmdb_err->is_full()
                      || (lmdb_err->code() == EIO && st.db->disk_nearly_full()));
      spdlog::error("storage commit of {} change sets failed{}, nothing of them stored: {}",
                    group.size(), full ? " (the data dir is full)" : "", e.what());
      auto err = storage_failure(full, e.what());
      for (auto& w : group)
        if (w.promise)
          w.promise->deliver(err);
      return;
    }
  }
}

/// Deletes a batch of activity-log events older than `max_age_ms`; schedules the next batch at
/// once when this one was full (after what is already waiting), else in an hour.
void prune(store_actor::stateful_pointer<store_state> self, int64_t max_age_ms) {
  size_t removed = 0;
  try {
    removed = self->state.db->prune_events(wall_now_ms() - max_age_ms, prune_batch);
  } catch (const std::exception& e) {
    spdlog::warn("activity log: old entries not removed (retried in an hour): {}", e.what());
  }
  if (removed > 0)
    spdlog::info("activity log: removed {} entries older than {} days", removed,
                 max_age_ms / 86'400'000);
  if (removed == prune_batch)
    self->send(self, prune_atom::value, max_age_ms);
  else
    self->delayed_send(self, prune_interval, prune_atom::value, max_age_ms);
}

} // namespace

store_actor::behavior_type store(store_actor::stateful_pointer<store_state> self,
                                 std::shared_ptr<storage::database> db) {
  self->state.db = std::move(db);
  return {
    [=](commit_atom, storage::change_set& changes) -> caf::result<caf::ok_atom> {
      auto rp = self->make_response_promise<caf::ok_atom>();
      self->state.group.push_back({std::move(changes), rp});
      schedule_flush(self);
      return rp;
    },
    [=](commit_atom, std::vector<storage::change_set>& sets) -> caf::result<caf::ok_atom> {
      if (sets.empty())
        return caf::ok_atom::value;
      auto rp = self->make_response_promise<caf::ok_atom>();
      // One answer for all: they join the same group, which is committed in one transaction.
      for (size_t i = 0; i + 1 < sets.size(); ++i)
        self->state.group.push_back({std::move(sets[i]), std::nullopt});
      self->state.group.push_back({std::move(sets.back()), rp});
      schedule_flush(self);
      return rp;
    },
    [=](append_atom, storage::change_set& changes) {
      self->state.group.push_back({std::move(changes), std::nullopt});
      schedule_flush(self);
    },
    [=](st_flush_atom) { flush(self); },
    [=](events_atom, uint64_t from, uint32_t max) -> caf::result<event_page> {
      flush(self); // what was acknowledged is in the log before it is read
      try {
        return event_page{self->state.db->events(from, max), self->state.db->next_event()};
      } catch (const std::exception& e) {
        return caf::make_error(caf::sec::runtime_error, e.what());
      }
    },
    [=](prune_atom, int64_t max_age_ms) { prune(self, max_age_ms); },
    [=](stop_atom) -> caf::ok_atom {
      flush(self);
      spdlog::debug("store: {} commits, {} change sets", self->state.commits,
                    self->state.sets_committed);
      self->quit();
      return caf::ok_atom::value;
    },
  };
}

} // namespace licd
