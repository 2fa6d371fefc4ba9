#pragma once

#include "engine/usage.hpp"
#include "engine/usage_report.hpp"
#include "storage/lmdb.hpp"

#include <cstdint>
#include <string>
#include <vector>

/// The `usage` table: the usage roll-ups (engine/usage.hpp), written in the transaction that
/// stores the events they come from. Keys begin with a letter saying what the record is, then
/// the product; '\0' separates names, times are 8-byte big-endian milliseconds since the epoch:
///
/// | key | record |
/// | --- | --- |
/// | `L` product | level: `first_ms \t at_ms \t in_use \t installed \t longest_session_ms` |
/// | `H` product `\0` hour | hour: `seat_ms \t installed_ms \t full_ms \t peak \t installed \t
/// denials \t users` | | `O` product `\0` computer | open hold: `since_ms \t leases \t users` | |
/// `S` product `\0` end `\0` computer | ended session: `start_ms \t users` | | `D` product `\0`
/// first `\0` computer `\0` user | denial episode: `last_ms \t denials \t granted_ms \t reason` |
/// | `W` product `\0` computer `\0` user | the open episode's `first_ms` |
///
/// Lists (users, leases) are separated by U+001F. Every record is sealed like the others.
namespace licd::storage::usage_table {

/// Writes what `changes` says changed, reading the tracker for the current state; hours are
/// merged into what is stored.
void write(lmdb::txn& t, MDB_dbi db, engine::usage::tracker& tracker,
           const engine::usage::changes& changes);

/// The stored open hold of a computer (the tracker's source).
std::optional<engine::usage::hold> hold_of(const lmdb::txn& t, MDB_dbi db,
                                           const engine::usage::holder_key& k);

/// Loads levels and open episodes into `tracker` (cleared first; holds are fetched as needed).
void load(const lmdb::txn& t, MDB_dbi db, engine::usage::tracker& tracker);

/// Which products (empty: all) and which parts of the range to read.
struct query {
  std::vector<std::string> products;
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  bool hours = false;
  bool sessions = false;
  bool episodes = false;
};

/// Reads a snapshot for the reports. Levels and holds always; the rest as the query says.
engine::usage::snapshot read(const lmdb::txn& t, MDB_dbi db, const query& q);

/// Deletes, in one batch of at most `max` records, hours, sessions and episodes older than
/// `before_ms` (and the open-episode index entries of those), and moves each product's first
/// hour up to there; returns how many records it deleted.
size_t prune(lmdb::txn& t, MDB_dbi db, int64_t before_ms, size_t max);

/// Decodes one stored record (key and unsealed value) to check it: false when malformed.
bool readable(std::string_view key, std::string_view record);

} // namespace licd::storage::usage_table
