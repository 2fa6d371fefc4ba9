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

using self_ptr = store_actor::stateful_pointer<store_state>;

/// Answers one change set's sender: stored (`err` null), or not.
void settle(store_state::waiting& w, const caf::error* err) {
  if (w.promise) {
    if (err == nullptr)
      w.promise->deliver(caf::ok_atom::value);
    else
      w.promise->deliver(*err);
  }
  if (w.in_batch) {
    auto& b = *w.in_batch;
    b.results[w.index] = err == nullptr         ? commit_stored
                         : is_storage_full(*err) ? commit_full
                                                 : commit_failed;
    if (--b.open == 0)
      b.promise.deliver(std::move(b.results));
  }
}

/// Whether a change set makes the store grow (new records rather than removals and overwrites).
bool grows(const storage::change_set& cs) {
  return !cs.put_leases.empty() || !cs.put_licenses.empty() || !cs.put_activations.empty();
}

/// Whether a change set holds nothing but activity-log entries.
bool only_events(const storage::change_set& cs) {
  return !cs.events.empty() && cs.put_meta.empty() && cs.put_licenses.empty()
         && cs.erase_licenses.empty() && cs.put_activations.empty()
         && cs.erase_activations.empty() && cs.put_leases.empty() && cs.erase_leases.empty();
}

/// Commits `part` in one transaction and answers its senders. When the data dir is full: a map
/// that may grow grows; otherwise the activity-log entries are dropped first (the changes
/// themselves matter more; the entries still count in the usage roll-ups), then the part is split
/// in halves until what fits is stored and only what does not is refused.
void commit_part(self_ptr self, std::vector<store_state::waiting*> part, bool events_kept = true) {
  auto& st = self->state;
  std::vector<const storage::change_set*> sets;
  sets.reserve(part.size());
  for (auto* w : part)
    sets.push_back(&w->changes);
  for (;;) {
    try {
      st.db->commit(sets);
      ++st.commits;
      st.sets_committed += part.size();
      for (auto* w : part)
        settle(*w, nullptr);
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
      if (full && events_kept) {
        size_t dropped = 0;
        for (auto* w : part) {
          if (w->changes.log_events)
            dropped += w->changes.events.size();
          w->changes.log_events = false; // they still count in the usage roll-ups
        }
        if (dropped > 0) {
          st.events_dropped += dropped;
          spdlog::warn("the data dir is full: {} activity-log entries not stored, so that the "
                       "changes themselves can be",
                       dropped);
          commit_part(self, std::move(part), false);
          return;
        }
      }
      if (full && part.size() > 1) {
        auto half = part.begin() + static_cast<std::ptrdiff_t>(part.size() / 2);
        commit_part(self, {part.begin(), half}, false);
        commit_part(self, {half, part.end()}, false);
        return;
      }
      spdlog::error("storage commit of {} change sets failed{}, nothing of them stored: {}",
                    part.size(), full ? " (the data dir is full)" : "", e.what());
      auto err = storage_failure(full, e.what());
      for (auto* w : part)
        settle(*w, &err);
      return;
    }
  }
}

/// Commits the gathered group and answers every waiting sender. While the data dir has no
/// head-room (storage::database::room_to_grow), what would make it grow is refused at once as
/// full and bare activity-log entries are dropped, so that removals always fit.
void flush(self_ptr self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.group.empty())
    return;
  std::vector<store_state::waiting> group;
  group.swap(st.group);
  bool room = st.db->room_to_grow();
  if (!room) {
    try {
      room = st.db->grow_map() && st.db->room_to_grow();
    } catch (const std::exception& g) {
      spdlog::error("the LMDB map could not grow: {}", g.what());
    }
  }
  std::vector<store_state::waiting*> part;
  part.reserve(group.size());
  auto full = storage_failure(true, "no head-room left in the data dir");
  for (auto& w : group) {
    if (!room && grows(w.changes)) {
      settle(w, &full);
    } else if (!room && only_events(w.changes) && !w.promise && !w.in_batch) {
      st.events_dropped += w.changes.events.size();
    } else {
      part.push_back(&w);
    }
  }
  if (!part.empty())
    commit_part(self, std::move(part));
}

/// Prunes a batch of each (prune_history); schedules the next batches at once when one was full
/// (after what is already waiting), else in an hour.
void prune(store_actor::stateful_pointer<store_state> self, int64_t log_age_ms,
           int64_t usage_age_ms) {
  if (prune_history(*self->state.db, log_age_ms, usage_age_ms))
    self->send(self, prune_atom::value, log_age_ms, usage_age_ms);
  else
    self->delayed_send(self, prune_interval, prune_atom::value, log_age_ms, usage_age_ms);
}

} // namespace

bool prune_history(storage::database& db, int64_t log_age_ms, int64_t usage_age_ms) {
  size_t removed = 0, usage_removed = 0;
  try {
    if (log_age_ms > 0)
      removed = db.prune_events(wall_now_ms() - log_age_ms, prune_batch);
    if (usage_age_ms > 0)
      usage_removed = db.prune_usage(wall_now_ms() - usage_age_ms, prune_batch);
  } catch (const std::exception& e) {
    spdlog::warn("activity log: old entries not removed (retried in an hour): {}", e.what());
  }
  if (removed > 0)
    spdlog::info("activity log: removed {} entries older than {} days", removed,
                 log_age_ms / 86'400'000);
  if (usage_removed > 0)
    spdlog::info("usage roll-ups: removed {} records older than {} days", usage_removed,
                 usage_age_ms / 86'400'000);
  return removed == prune_batch || usage_removed == prune_batch;
}

store_actor::behavior_type store(store_actor::stateful_pointer<store_state> self,
                                 std::shared_ptr<storage::database> db) {
  self->state.db = std::move(db);
  return {
    [=](commit_atom, storage::change_set& changes) -> caf::result<caf::ok_atom> {
      auto rp = self->make_response_promise<caf::ok_atom>();
      self->state.group.push_back({std::move(changes), rp, nullptr, 0});
      schedule_flush(self);
      return rp;
    },
    [=](commit_atom, std::vector<storage::change_set>& sets) -> caf::result<std::vector<uint8_t>> {
      if (sets.empty())
        return std::vector<uint8_t>{};
      // One answer for all, once each is settled: they join the same group, committed in one
      // transaction unless the data dir is full.
      auto b = std::make_shared<store_state::batch>();
      b->promise = self->make_response_promise<std::vector<uint8_t>>();
      b->results.assign(sets.size(), commit_stored);
      b->open = sets.size();
      for (size_t i = 0; i < sets.size(); ++i)
        self->state.group.push_back({std::move(sets[i]), std::nullopt, b, i});
      schedule_flush(self);
      return b->promise;
    },
    [=](append_atom, storage::change_set& changes) {
      self->state.group.push_back({std::move(changes), std::nullopt, nullptr, 0});
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
    [=](prune_atom, int64_t log_age_ms, int64_t usage_age_ms) {
      prune(self, log_age_ms, usage_age_ms);
    },
    [=](status_atom) {
      const auto& st = self->state;
      return store_stats{st.commits, st.sets_committed, st.events_dropped};
    },
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
