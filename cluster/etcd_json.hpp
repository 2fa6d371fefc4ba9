#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// etcd's v3 API through its JSON gateway (`POST /v3/...`): the request bodies licd sends and
/// the answers it reads. Pure: no I/O. etcd 3.4's gateway sends every 64-bit number as a JSON
/// string and leaves out fields that are false or zero (proto3), so a missing `succeeded` is
/// false and a missing revision 0; keys and values are base64.
namespace licd::cluster::etcd {

/// A key and its value as etcd holds them.
struct kv {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
  bool operator==(const kv& other) const;
};

/// Standard base64 (with padding), as the gateway wants keys and values.
std::string base64(std::string_view bytes);
/// nullopt for text that is not base64.
std::optional<std::string> unbase64(std::string_view text);

/// The `range_end` that makes a range cover every key starting with `prefix`.
std::string prefix_end(std::string_view prefix);

/// A condition of a transaction: the key's create revision equals `create_revision` (0: the
/// key does not exist). A leader fences its writes with its election key's create revision.
struct created_at {
  std::string key;
  int64_t create_revision = 0;
};

/// One operation of a transaction.
struct op {
  enum class kind { put, del, range };
  kind what = kind::put;
  std::string key;
  std::string value;     ///< put
  std::string range_end; ///< del, range: up to (not including) this key; empty: the key alone
  int64_t lease = 0;     ///< put: attach to this etcd lease (0: none)
  static op put(std::string key, std::string value, int64_t lease = 0);
  static op del(std::string key, std::string range_end = {});
  static op range(std::string key, std::string range_end = {});
};

/// `POST /v3/kv/txn`: if every condition holds, `success`, else `failure`.
std::string txn_request(const std::vector<created_at>& conditions, const std::vector<op>& success,
                        const std::vector<op>& failure = {});

struct txn_result {
  bool succeeded = false;
  int64_t revision = 0;                ///< the store's revision after it
  std::vector<std::vector<kv>> ranges; ///< each range operation's keys, in order
  int64_t deleted = 0;                 ///< keys its delete operations removed
};
/// Throws std::runtime_error when the body is not a transaction's answer.
txn_result parse_txn(std::string_view body);

/// `POST /v3/kv/range` for one key or [key, range_end).
std::string range_request(std::string_view key, std::string_view range_end = {});
struct range_result {
  int64_t revision = 0;
  std::vector<kv> kvs;
  bool more = false; ///< a limit cut it short
};
range_result parse_range(std::string_view body);

/// `POST /v3/lease/grant`, `/v3/lease/keepalive`, `/v3/lease/revoke`.
std::string lease_grant_request(std::chrono::seconds ttl);
std::string lease_id_request(int64_t id);
struct lease_answer {
  int64_t id = 0;
  int64_t ttl = 0; ///< seconds left; 0 or less from a keepalive: the lease is gone
};
/// Reads a grant's answer, or a keepalive's (wrapped in `result`).
lease_answer parse_lease(std::string_view body);

/// `POST /v3/watch`: watch [key, range_end) from `start_revision` (0: from now on).
std::string watch_request(std::string_view key, std::string_view range_end, int64_t start_revision);
struct watch_event {
  bool deleted = false; ///< a DELETE (its kv has the key and mod_revision only)
  kv item;
};
/// One line of the watch stream.
struct watch_message {
  int64_t revision = 0;
  bool created = false;  ///< the first message: the watch is in place
  bool canceled = false; ///< etcd ended the watch (compacted past start_revision, ...)
  int64_t compact_revision = 0;
  std::vector<watch_event> events;
};
watch_message parse_watch_line(std::string_view line);

} // namespace licd::cluster::etcd
