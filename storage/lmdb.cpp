#include "storage/lmdb.hpp"

#include <cerrno>

namespace licd::storage::lmdb {

error::error(const std::string& what, int code)
  : std::runtime_error(what + ": " + mdb_strerror(code)), code_(code) {
  // nop
}

bool error::is_full() const {
  return code_ == MDB_MAP_FULL || code_ == ENOSPC || code_ == EDQUOT;
}

void check(int rc, const char* what) {
  if (rc != MDB_SUCCESS)
    throw error(what, rc);
}

env::env(const std::string& dir, size_t map_size, unsigned max_dbs, bool read_only) {
  check(mdb_env_create(&env_), "mdb_env_create");
  try {
    check(mdb_env_set_mapsize(env_, map_size), "mdb_env_set_mapsize");
    check(mdb_env_set_maxdbs(env_, max_dbs), "mdb_env_set_maxdbs");
    // MDB_NOTLS: transactions are owned by objects, not threads.
    check(mdb_env_open(env_, dir.c_str(), MDB_NOTLS | (read_only ? MDB_RDONLY : 0), 0600),
          ("mdb_env_open " + dir).c_str());
  } catch (...) {
    mdb_env_close(env_);
    throw;
  }
}

size_t env::map_size() const {
  MDB_envinfo info{};
  mdb_env_info(env_, &info);
  return info.me_mapsize;
}

void env::set_map_size(size_t bytes) {
  check(mdb_env_set_mapsize(env_, bytes), "mdb_env_set_mapsize");
}

env::~env() {
  mdb_env_close(env_);
}

txn::txn(const env& e, bool read_only) {
  check(mdb_txn_begin(e.get(), nullptr, read_only ? MDB_RDONLY : 0, &txn_), "mdb_txn_begin");
}

txn::~txn() {
  if (txn_ != nullptr)
    mdb_txn_abort(txn_);
}

void txn::commit() {
  auto* t = txn_;
  txn_ = nullptr; // mdb_txn_commit frees the handle even when it fails
  check(mdb_txn_commit(t), "mdb_txn_commit");
}

MDB_dbi txn::open_db(const char* name, bool create) {
  MDB_dbi db;
  check(mdb_dbi_open(txn_, name, create ? MDB_CREATE : 0, &db), "mdb_dbi_open");
  return db;
}

std::optional<std::string_view> txn::get(MDB_dbi db, std::string_view key) const {
  MDB_val k = to_val(key), v;
  int rc = mdb_get(txn_, db, &k, &v);
  if (rc == MDB_NOTFOUND)
    return std::nullopt;
  check(rc, "mdb_get");
  return from_val(v);
}

void txn::put(MDB_dbi db, std::string_view key, std::string_view value) {
  MDB_val k = to_val(key), v = to_val(value);
  check(mdb_put(txn_, db, &k, &v, 0), "mdb_put");
}

bool txn::erase(MDB_dbi db, std::string_view key) {
  MDB_val k = to_val(key);
  int rc = mdb_del(txn_, db, &k, nullptr);
  if (rc == MDB_NOTFOUND)
    return false;
  check(rc, "mdb_del");
  return true;
}

size_t txn::count(MDB_dbi db) const {
  MDB_stat st{};
  check(mdb_stat(txn_, db, &st), "mdb_stat");
  return st.ms_entries;
}

std::optional<std::string_view> txn::last_key(MDB_dbi db) const {
  cursor c(*this, db);
  MDB_val k, v;
  if (!c.get(k, v, MDB_LAST))
    return std::nullopt;
  return from_val(k);
}

cursor::cursor(const txn& t, MDB_dbi db) {
  check(mdb_cursor_open(t.get(), db, &cur_), "mdb_cursor_open");
}

cursor::~cursor() {
  mdb_cursor_close(cur_);
}

void cursor::del() {
  check(mdb_cursor_del(cur_, 0), "mdb_cursor_del");
}

bool cursor::get(MDB_val& key, MDB_val& value, MDB_cursor_op op) {
  int rc = mdb_cursor_get(cur_, &key, &value, op);
  if (rc == MDB_NOTFOUND)
    return false;
  check(rc, "mdb_cursor_get");
  return true;
}

} // namespace licd::storage::lmdb
