#include "storage/database.hpp"

#include "engine/code_block.hpp"
#include "engine/fields.hpp"
#include "storage/seal.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>

namespace licd::storage {

using engine::parse_number;
using engine::split_tabs;

namespace {

std::string u64_key(uint64_t x) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, x >>= 8)
    out[static_cast<size_t>(i)] = static_cast<char>(x & 0xFF);
  return out;
}

uint64_t u64_from_key(std::string_view key) {
  uint64_t x = 0;
  for (char c : key)
    x = (x << 8) | static_cast<unsigned char>(c);
  return x;
}

/// The record of a stored value; throws `damaged` naming the table and key when its seal fails.
std::string_view open_seal(const char* table, std::string_view key, std::string_view stored) {
  auto record = unsealed(key, stored);
  if (!record)
    throw damaged(std::string("a record in `") + table + "` fails its checksum (key "
                  + printable_key(key) + ")");
  return *record;
}

void put_sealed(lmdb::txn& t, MDB_dbi db, std::string_view key, std::string_view record) {
  t.put(db, key, sealed(key, record));
}

/// Seals every record of a table in place (the migration from format 2).
void seal_table(lmdb::txn& t, MDB_dbi db) {
  MDB_cursor* c = nullptr;
  lmdb::check(mdb_cursor_open(t.get(), db, &c), "mdb_cursor_open");
  MDB_val k, v;
  try {
    for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
      // Copies: a put that grows the value may move the node, and LMDB re-inserts it under the
      // key it is given (a pointer into the old page would give it a garbage key).
      std::string key(lmdb::from_val(k));
      auto value = sealed(key, lmdb::from_val(v));
      MDB_val kv = lmdb::to_val(key), nv = lmdb::to_val(value);
      lmdb::check(mdb_cursor_put(c, &kv, &nv, MDB_CURRENT), "mdb_cursor_put");
    }
  } catch (...) {
    mdb_cursor_close(c);
    throw;
  }
  mdb_cursor_close(c);
}

/// Brings a data dir of an older format up to this one, inside the opening transaction (so a
/// crash leaves the old format whole). Each step names what it adds.
void migrate(lmdb::txn& t, const std::vector<MDB_dbi>& tables, MDB_dbi meta, uint32_t from) {
  if (from < 2) {
    // 1 -> 2: the `activations` table (already created by open_db) and the meta keys
    // server_key and clock_seen_ms (written by the server at its next start). Nothing to convert.
  }
  if (from < 3) {
    // 2 -> 3: every record gets its seal (a checksum of key and record).
    for (auto db : tables)
      seal_table(t, db);
  }
  // 3 -> 4: the `usage` table, built from the activity log by the caller (database::build_usage).
  put_sealed(t, meta, "format", std::to_string(format_version));
}

} // namespace

std::string cooldowns_key(const std::string& product) {
  return "cooldowns/" + product;
}

std::string encode_cooldowns(const std::map<std::string, int64_t>& until_ms) {
  std::string out;
  for (const auto& [computer, until] : until_ms)
    out += computer + "\t" + std::to_string(until) + "\n";
  return out;
}

std::map<std::string, int64_t> decode_cooldowns(std::string_view value) {
  std::map<std::string, int64_t> out;
  while (!value.empty()) {
    auto nl = value.find('\n');
    auto line = value.substr(0, nl);
    value.remove_prefix(nl == std::string_view::npos ? value.size() : nl + 1);
    int64_t until = 0;
    if (auto f = engine::split_tabs<2>(line); f && !(*f)[0].empty()
                                              && engine::parse_number((*f)[1], until))
      out[std::string((*f)[0])] = until;
  }
  return out;
}

std::string encode_lease_key(const engine::lease_id& id) {
  return u64_key(id.hi) + u64_key(id.lo);
}

std::string encode_lease_value(const lease_record& r) {
  std::string out = r.product;
  for (const auto* f : {&r.computer, &r.user, &r.instance}) {
    out.push_back('\t');
    out.append(*f);
  }
  out.push_back('\t');
  out.append(std::to_string(r.granted_at_ms));
  return out;
}

std::string encode_license_value(const license_record& r) {
  return std::to_string(r.installed_at_ms) + "\t" + r.code;
}

std::string encode_activation_value(const activation_record& r) {
  return engine::hex64(r.nonce) + "\t" + r.response;
}

bool decode_lease(std::string_view key, std::string_view value, lease_record& out) {
  if (key.size() != 16)
    return false;
  auto f = split_tabs<5>(value); // product, computer, user, instance, granted at
  if (!f || !parse_number((*f)[4], out.granted_at_ms))
    return false;
  out.id.hi = u64_from_key(key.substr(0, 8));
  out.id.lo = u64_from_key(key.substr(8, 8));
  out.product.assign((*f)[0]);
  out.computer.assign((*f)[1]);
  out.user.assign((*f)[2]);
  out.instance.assign((*f)[3]);
  return true;
}

namespace {

/// Opens the environment, turning "this is no LMDB file" into a message a site admin can act on.
lmdb::env open_env(const std::string& dir, size_t map_size) {
  try {
    return lmdb::env(dir, map_size, 8);
  } catch (const lmdb::error& e) {
    if (e.code() == MDB_INVALID || e.code() == MDB_CORRUPTED || e.code() == MDB_VERSION_MISMATCH
        || e.code() == MDB_PAGE_NOTFOUND)
      throw std::runtime_error("data dir " + dir + " is corrupt or not a licd data dir ("
                               + e.what()
                               + "); licd leaves it untouched: restore data.mdb from a backup "
                                 "(docs/OPERATIONS.md) or start with an empty data dir");
    throw;
  }
}

} // namespace

database::database(const options& opts)
  : dir_(opts.dir), max_map_size_(opts.max_map_size),
    reserve_(std::min(opts.reserve, opts.map_size / 8)),
    env_(open_env(opts.dir, opts.map_size)) {
  lmdb::txn t(env_, false);
  meta_ = t.open_db("meta", true);
  leases_ = t.open_db("leases", true);
  licenses_ = t.open_db("licenses", true);
  events_ = t.open_db("events", true);
  activations_ = t.open_db("activations", true);
  usage_db_ = t.open_db("usage", true);
  if (auto stored = t.get(meta_, "format")) {
    // Format 3 seals it; formats 1 and 2 stored the bare number.
    uint32_t v = 0;
    auto record = unsealed("format", *stored);
    if (!(record && parse_number(*record, v) && v >= 3) && !(parse_number(*stored, v) && v < 3))
      throw damaged("the format record in `meta` is unreadable");
    if (v > format_version)
      throw std::runtime_error("data dir " + opts.dir + " has format " + std::to_string(v)
                               + ", newer than this licd understands ("
                               + std::to_string(format_version) + "); refusing to touch it");
    if (v < format_version) {
      migrate(t, {meta_, leases_, licenses_, events_, activations_}, meta_, v);
      if (v < 4)
        build_usage(t);
      migrated_from_ = v;
    }
  } else {
    put_sealed(t, meta_, "format", std::to_string(format_version));
  }
  if (auto last = t.last_key(events_))
    next_event_ = u64_from_key(*last) + 1;
  usage_table::load(t, usage_db_, usage_);
  t.commit();
  keep_reserve();
}

namespace {

/// Points the tracker at the holds stored in `t` while it lives, and drops those at hand after.
class hold_source {
public:
  hold_source(engine::usage::tracker& tracker, const lmdb::txn& t, MDB_dbi db) : tracker_(tracker) {
    tracker_.set_source(
      [&t, db](const engine::usage::holder_key& k) { return usage_table::hold_of(t, db, k); });
  }
  ~hold_source() {
    tracker_.forget_holds();
    tracker_.set_source(nullptr);
  }
  hold_source(const hold_source&) = delete;
  hold_source& operator=(const hold_source&) = delete;

private:
  engine::usage::tracker& tracker_;
};

} // namespace

void database::build_usage(lmdb::txn& t) {
  usage_.clear();
  hold_source holds(usage_, t, usage_db_);
  engine::usage::changes ch;
  size_t pending = 0;
  { // the cursor must be closed before the commit
    lmdb::cursor c(t, events_);
    MDB_val k, v;
    for (bool more = c.get(k, v, MDB_FIRST); more; more = c.get(k, v, MDB_NEXT)) {
      auto e = engine::decode_event(open_seal("events", lmdb::from_val(k), lmdb::from_val(v)));
      if (!e)
        continue; // `licd --verify` names it; the roll-ups do without it
      usage_.apply(*e, ch);
      if (++pending == 10'000) {
        usage_table::write(t, usage_db_, usage_, ch);
        usage_.forget_holds();
        ch = {};
        pending = 0;
      }
    }
  }
  // Leases whose grant the log no longer holds: held since their grant.
  t.for_each(leases_, [&](std::string_view k, std::string_view v) {
    lease_record r;
    if (!decode_lease(k, open_seal("leases", k, v), r))
      return;
    const auto* hold = usage_.hold_of({r.product, r.computer});
    auto hex = r.id.to_hex();
    if (hold != nullptr
        && std::find(hold->leases.begin(), hold->leases.end(), hex) != hold->leases.end())
      return;
    engine::event e;
    e.at_ms = r.granted_at_ms;
    e.kind = engine::event_kind::granted;
    e.product = r.product;
    e.computer = r.computer;
    e.user = r.user;
    e.lease = hex;
    usage_.apply(e, ch);
  });
  usage_table::write(t, usage_db_, usage_, ch);
}

void database::keep_reserve() {
  MDB_envinfo info{};
  MDB_stat st{};
  lmdb::check(mdb_env_info(env_.get(), &info), "mdb_env_info");
  lmdb::check(mdb_env_stat(env_.get(), &st), "mdb_env_stat");
  uint64_t used = (uint64_t{info.me_last_pgno} + 1) * st.ms_psize;
  uint64_t want = used + reserve_;
  uint64_t map = env_.map_size();
  if (want > map) { // the map itself has no head-room left (the store may grow it)
    low_ = true;
    return;
  }
  if (want <= allocated_) {
    low_ = false;
    return;
  }
  int fd = -1;
  lmdb::check(mdb_env_get_fd(env_.get(), &fd), "mdb_env_get_fd");
  // Allocate a reserve ahead, so this runs once per `reserve` of growth, not per commit.
  for (uint64_t target : {std::min(want + reserve_, map), want}) {
    int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(target));
    if (rc == 0) {
      allocated_ = target;
      low_ = false;
      return;
    }
    if (rc == EOPNOTSUPP || rc == EINVAL) { // a filesystem without it: nothing to reserve with
      allocated_ = map;
      low_ = false;
      return;
    }
  }
  low_ = true; // ENOSPC: the filesystem cannot hold the head-room
}

uint64_t database::free_bytes() const {
  lmdb::txn t(env_, true);
  MDB_stat st{};
  lmdb::check(mdb_env_stat(env_.get(), &st), "mdb_env_stat");
  MDB_cursor* c = nullptr;
  lmdb::check(mdb_cursor_open(t.get(), 0 /* FREE_DBI */, &c), "mdb_cursor_open");
  uint64_t pages = 0;
  MDB_val k, v;
  for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
       rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
    // A free-list record is an array of page numbers; its first element is their count.
    if (v.mv_size >= sizeof(size_t)) {
      size_t n = 0;
      std::memcpy(&n, v.mv_data, sizeof(n));
      pages += n;
    }
  }
  mdb_cursor_close(c);
  return pages * st.ms_psize;
}

bool database::room_to_grow() {
  if (low_)
    keep_reserve();
  return !low_ || free_bytes() >= 2 * uint64_t{reserve_};
}

std::vector<lease_record> database::leases() const {
  std::vector<lease_record> out;
  scan_leases([&](lease_record& r) { out.push_back(std::move(r)); });
  return out;
}

void database::scan_leases(const std::function<void(lease_record&)>& f) const {
  lmdb::txn t(env_, true);
  lease_record r;
  t.for_each(leases_, [&](std::string_view k, std::string_view v) {
    if (!decode_lease(k, open_seal("leases", k, v), r))
      throw damaged("a record in `leases` is unreadable (key " + printable_key(k) + ")");
    f(r);
  });
}

std::map<std::string, size_t> database::lease_counts() const {
  lmdb::txn t(env_, true);
  std::map<std::string, size_t> out;
  std::string_view last;
  size_t* last_count = nullptr;
  t.for_each(leases_, [&](std::string_view k, std::string_view v) {
    v = open_seal("leases", k, v);
    auto product = v.substr(0, v.find('\t'));
    if (last_count == nullptr || product != last) { // leases of one product come in runs
      last_count = &out[std::string(product)];
      last = product;
    }
    ++*last_count;
  });
  return out;
}

std::vector<license_record> database::licenses() const {
  lmdb::txn t(env_, true);
  std::vector<license_record> out;
  t.for_each(licenses_, [&](std::string_view k, std::string_view v) {
    auto f = split_tabs<2>(open_seal("licenses", k, v)); // installed at, code
    license_record r;
    if (k.size() != 8 || !f || !parse_number((*f)[0], r.installed_at_ms))
      throw damaged("a record in `licenses` is unreadable (key " + printable_key(k) + ")");
    r.id = u64_from_key(k);
    r.code = (*f)[1];
    out.push_back(std::move(r));
  });
  return out;
}

std::vector<activation_record> database::activations() const {
  lmdb::txn t(env_, true);
  std::vector<activation_record> out;
  t.for_each(activations_, [&](std::string_view k, std::string_view v) {
    auto f = split_tabs<2>(open_seal("activations", k, v)); // nonce, response
    activation_record r;
    if (k.size() != 8 || !f || !engine::parse_hex64((*f)[0], r.nonce))
      throw damaged("a record in `activations` is unreadable (key " + printable_key(k) + ")");
    r.license_id = u64_from_key(k);
    r.response = (*f)[1];
    out.push_back(std::move(r));
  });
  return out;
}

bool database::grow_map() {
  auto now = env_.map_size();
  if (max_map_size_ <= now)
    return false;
  std::unique_lock lock(resizing_);
  env_.set_map_size(std::min(now * 2, max_map_size_));
  keep_reserve();
  return true;
}

database::space_info database::space() const {
  space_info out;
  {
    std::shared_lock lock(resizing_);
    MDB_envinfo info{};
    MDB_stat st{};
    lmdb::check(mdb_env_info(env_.get(), &info), "mdb_env_info");
    lmdb::check(mdb_env_stat(env_.get(), &st), "mdb_env_stat");
    out.map_bytes = info.me_mapsize;
    out.used_bytes = (uint64_t{info.me_last_pgno} + 1) * st.ms_psize;
  }
  out.max_map_bytes = max_map_size_;
  struct statvfs fs {};
  if (::statvfs(dir_.c_str(), &fs) == 0) {
    out.disk_free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    out.disk_total_bytes = static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize;
  }
  return out;
}

bool database::disk_nearly_full(uint64_t margin) const {
  struct statvfs fs {};
  if (::statvfs(dir_.c_str(), &fs) != 0)
    return false;
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize < margin;
}

std::string database::meta(const std::string& key) const {
  lmdb::txn t(env_, true);
  auto v = t.get(meta_, key);
  return v ? std::string(open_seal("meta", key, *v)) : std::string{};
}

std::map<std::string, std::string> database::meta_all() const {
  lmdb::txn t(env_, true);
  std::map<std::string, std::string> out;
  t.for_each(meta_, [&](std::string_view k, std::string_view v) {
    out.emplace(k, open_seal("meta", k, v));
  });
  return out;
}

std::vector<std::pair<uint64_t, engine::event>> database::events(uint64_t from,
                                                                 size_t max) const {
  lmdb::txn t(env_, true);
  std::vector<std::pair<uint64_t, engine::event>> out;
  lmdb::cursor c(t, events_);
  auto start = u64_key(from);
  MDB_val k = lmdb::to_val(start), v;
  for (bool more = c.get(k, v, MDB_SET_RANGE); more && out.size() < max;
       more = c.get(k, v, MDB_NEXT)) {
    auto e = engine::decode_event(open_seal("events", lmdb::from_val(k), lmdb::from_val(v)));
    if (!e)
      throw damaged("a record in `events` is unreadable (key "
                    + std::to_string(u64_from_key(lmdb::from_val(k))) + ")");
    out.emplace_back(u64_from_key(lmdb::from_val(k)), std::move(*e));
  }
  return out;
}

namespace {

/// Events of different pools reach the log in the order they were stored, which can be up to a
/// commit's time out of clock order: a search by time looks this far past its bounds.
constexpr int64_t log_order_slack_ms = 60'000;

engine::event decode_logged(const MDB_val& k, const MDB_val& v) {
  auto e = engine::decode_event(open_seal("events", lmdb::from_val(k), lmdb::from_val(v)));
  if (!e)
    throw damaged("a record in `events` is unreadable (key "
                  + std::to_string(u64_from_key(lmdb::from_val(k))) + ")");
  return std::move(*e);
}

/// The first sequence number whose event is at or after `at_ms` (binary search: the log's
/// sequence numbers have no gaps, and its order is time order but for the slack).
uint64_t first_at(const lmdb::txn& t, MDB_dbi events, int64_t at_ms) {
  lmdb::cursor c(t, events);
  MDB_val k, v;
  if (!c.get(k, v, MDB_FIRST))
    return 1;
  uint64_t lo = u64_from_key(lmdb::from_val(k));
  c.get(k, v, MDB_LAST);
  uint64_t hi = u64_from_key(lmdb::from_val(k)) + 1;
  while (lo < hi) {
    auto mid = lo + (hi - lo) / 2;
    auto key = u64_key(mid);
    auto stored = t.get(events, key);
    if (!stored)
      return lo; // a gap: search from here
    auto e = engine::decode_event(open_seal("events", key, *stored));
    if (e && e->at_ms < at_ms)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

} // namespace

database::event_search database::find_events(const engine::event_filter& f, uint64_t before,
                                             std::optional<uint64_t> after, size_t max,
                                             size_t budget) const {
  std::shared_lock lock(resizing_);
  lmdb::txn t(env_, true);
  event_search out;
  size_t looked = 0;
  auto look = [&](const MDB_val& k, const MDB_val& v) {
    auto seq = u64_from_key(lmdb::from_val(k));
    out.lowest = out.lowest == 0 ? seq : std::min(out.lowest, seq);
    out.highest = std::max(out.highest, seq);
    ++looked;
    return decode_logged(k, v);
  };
  MDB_val k, v;
  if (after) {
    auto start = *after + 1;
    if (f.since_ms)
      start = std::max(start, first_at(t, events_, *f.since_ms - log_order_slack_ms));
    lmdb::cursor c(t, events_);
    auto key = u64_key(start);
    k = lmdb::to_val(key);
    for (bool more = c.get(k, v, MDB_SET_RANGE); more; more = c.get(k, v, MDB_NEXT)) {
      if (looked == budget || out.events.size() == max) {
        out.newer = true;
        break;
      }
      auto e = look(k, v);
      if (f.until_ms && e.at_ms >= *f.until_ms + log_order_slack_ms)
        break;
      if (f.matches(e))
        out.events.emplace_back(out.highest, std::move(e));
    }
    return out;
  }
  uint64_t end = before == 0 ? std::numeric_limits<uint64_t>::max() : before;
  if (f.until_ms)
    end = std::min(end, first_at(t, events_, *f.until_ms + log_order_slack_ms));
  lmdb::cursor c(t, events_);
  auto key = u64_key(end);
  k = lmdb::to_val(key);
  // The last event before `end`: the one before the first at or after it, or the very last.
  bool more = c.get(k, v, MDB_SET_RANGE) ? c.get(k, v, MDB_PREV) : c.get(k, v, MDB_LAST);
  for (; more; more = c.get(k, v, MDB_PREV)) {
    if (looked == budget || out.events.size() == max) {
      out.older = true;
      break;
    }
    auto e = look(k, v);
    if (f.since_ms && e.at_ms < *f.since_ms - log_order_slack_ms)
      break;
    if (f.matches(e))
      out.events.emplace_back(out.lowest, std::move(e));
  }
  std::reverse(out.events.begin(), out.events.end());
  return out;
}

size_t database::prune_events(int64_t before_ms, size_t max) {
  std::lock_guard writer(commit_mutex_);
  lmdb::txn t(env_, false);
  auto last = t.last_key(events_);
  if (!last)
    return 0;
  auto newest = u64_from_key(*last);
  size_t removed = 0;
  { // the cursor must be closed before the commit (LMDB frees a write transaction's cursors)
    lmdb::cursor c(t, events_);
    MDB_val k, v;
    for (bool more = c.get(k, v, MDB_FIRST); more && removed < max;
         more = c.get(k, v, MDB_NEXT)) {
      if (u64_from_key(lmdb::from_val(k)) == newest)
        break;
      auto record = unsealed(lmdb::from_val(k), lmdb::from_val(v));
      auto e = record ? engine::decode_event(*record) : std::nullopt;
      if (!e || e->at_ms >= before_ms) // an unreadable record is left for a person to look at
        break;
      c.del();
      ++removed;
    }
  }
  if (removed > 0)
    t.commit();
  return removed;
}

engine::usage::snapshot database::usage(const usage_table::query& q) const {
  std::shared_lock lock(resizing_);
  lmdb::txn t(env_, true);
  return usage_table::read(t, usage_db_, q);
}

size_t database::prune_usage(int64_t before_ms, size_t max) {
  std::lock_guard writer(commit_mutex_); // the roll-ups' state in memory too
  size_t removed = 0;
  {
    lmdb::txn t(env_, false);
    removed = usage_table::prune(t, usage_db_, before_ms, max);
    t.commit();
  }
  lmdb::txn t(env_, true); // the levels' first hours moved with the pruning
  usage_table::load(t, usage_db_, usage_);
  return removed;
}

void database::commit(const std::vector<const change_set*>& sets) {
  // One writer at a time also for the roll-ups' state in memory (LMDB serialises the write
  // transactions itself): the store is the only writer in licd, but tools and tests commit
  // directly too, and one of them beside a running store raced on the tracker. Uncontended, the
  // lock costs nothing next to the commit's fsync.
  std::lock_guard writer(commit_mutex_);
  try {
    commit_txn(sets);
  } catch (...) {
    // The roll-ups' state went ahead with the events: back to what is stored.
    lmdb::txn t(env_, true);
    usage_table::load(t, usage_db_, usage_);
    throw;
  }
}

void database::commit_txn(const std::vector<const change_set*>& sets) {
  lmdb::txn t(env_, false);
  hold_source holds(usage_, t, usage_db_);
  engine::usage::changes usage;
  uint64_t next = next_event_;
  for (const auto* s : sets) {
    for (const auto& [key, value] : s->put_meta)
      put_sealed(t, meta_, key, value);
    for (const auto& l : s->put_licenses)
      put_sealed(t, licenses_, u64_key(l.id), encode_license_value(l));
    for (auto id : s->erase_licenses)
      t.erase(licenses_, u64_key(id));
    for (const auto& a : s->put_activations)
      put_sealed(t, activations_, u64_key(a.license_id), encode_activation_value(a));
    for (auto id : s->erase_activations)
      t.erase(activations_, u64_key(id));
    for (const auto& l : s->put_leases) {
      auto key = encode_lease_key(l.id);
      put_sealed(t, leases_, key, encode_lease_value(l));
    }
    for (const auto& id : s->erase_leases)
      t.erase(leases_, encode_lease_key(id));
    for (const auto& e : s->events) {
      usage_.apply(e, usage);
      if (s->log_events)
        put_sealed(t, events_, u64_key(next++), engine::encode(e));
    }
  }
  if (!usage.empty())
    usage_table::write(t, usage_db_, usage_, usage);
  if (replicator_) {
    for (const auto& [key, value] : replicator_->replicate(sets))
      put_sealed(t, meta_, key, value);
    try {
      t.commit();
    } catch (const std::exception& e) {
      replicator_->not_stored(e.what());
      throw;
    }
  } else {
    t.commit();
  }
  next_event_ = next; // only once durable
  keep_reserve();
}

} // namespace licd::storage
