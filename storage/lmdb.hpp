#pragma once

#include <lmdb.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

/// A thin, checked RAII layer over LMDB: every return code becomes one exception type,
/// "not found" is an optional, and a transaction that was not committed is aborted.
namespace licd::storage::lmdb {

class error : public std::runtime_error {
public:
  error(const std::string& what, int code);
  int code() const { return code_; }
  /// MDB_MAP_FULL or ENOSPC: the data dir is full.
  bool is_full() const;

private:
  int code_;
};

/// Throws `error` unless rc is MDB_SUCCESS.
void check(int rc, const char* what);

/// One environment per path per process (LMDB forbids opening it twice).
class env {
public:
  /// `read_only`: MDB_RDONLY, for checking a data dir without changing it.
  env(const std::string& dir, size_t map_size, unsigned max_dbs, bool read_only = false);
  ~env();
  env(const env&) = delete;
  env& operator=(const env&) = delete;
  MDB_env* get() const { return env_; }
  /// The map's size now (LMDB keeps a larger size an earlier opener set).
  size_t map_size() const;
  /// Grows the map. Only while this process has no transaction open.
  void set_map_size(size_t bytes);

private:
  MDB_env* env_ = nullptr;
};

/// A transaction; read-only or read-write. Aborted on destruction unless committed.
class txn {
public:
  txn(const env& e, bool read_only);
  ~txn();
  txn(const txn&) = delete;
  txn& operator=(const txn&) = delete;

  /// Commits (and, for a write transaction, fsyncs).
  void commit();
  MDB_txn* get() const { return txn_; }

  MDB_dbi open_db(const char* name, bool create);
  std::optional<std::string_view> get(MDB_dbi db, std::string_view key) const;
  void put(MDB_dbi db, std::string_view key, std::string_view value);
  /// Returns false when the key was not there.
  bool erase(MDB_dbi db, std::string_view key);

  /// Calls f(key, value) for every entry in key order.
  template <class F>
  void for_each(MDB_dbi db, F&& f) const;

  /// The last key in the database, if any.
  std::optional<std::string_view> last_key(MDB_dbi db) const;

  /// How many entries the database holds (mdb_stat: no scan).
  size_t count(MDB_dbi db) const;

private:
  MDB_txn* txn_ = nullptr;
};

inline MDB_val to_val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}
inline std::string_view from_val(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

/// A cursor, closed on destruction. In a write transaction it must be destroyed before the
/// transaction commits: LMDB frees a write transaction's cursors at the commit.
class cursor {
public:
  cursor(const txn& t, MDB_dbi db);
  ~cursor();
  cursor(const cursor&) = delete;
  cursor& operator=(const cursor&) = delete;
  /// Positions with `op`; false at the end or when not found.
  bool get(MDB_val& key, MDB_val& value, MDB_cursor_op op);
  /// Deletes the entry under the cursor (write transactions); MDB_NEXT then gives the one after.
  void del();

private:
  MDB_cursor* cur_ = nullptr;
};

template <class F>
void txn::for_each(MDB_dbi db, F&& f) const {
  cursor c(*this, db);
  MDB_val k, v;
  for (bool more = c.get(k, v, MDB_FIRST); more; more = c.get(k, v, MDB_NEXT))
    f(from_val(k), from_val(v));
}

} // namespace licd::storage::lmdb
