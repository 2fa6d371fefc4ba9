#pragma once

#include "cluster/etcd_json.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace httplib {
class Client;
}

/// A blocking client of etcd's JSON gateway (`POST /v3/...`) over cpp-httplib, with the
/// endpoints of every member: a call that cannot reach one member tries the next. Never call it
/// from a CAF broker or a scheduler worker: every call waits on the network.
namespace licd::cluster::etcd {

/// No member answered, or one answered with an error (the message says which and why).
class unavailable : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct client_options {
  std::vector<std::string> endpoints; ///< "http://host:port" or "https://host:port"
  std::string ca_file;                ///< https: the CA that signed the members' certificates
  std::string cert_file;              ///< https: this node's client certificate and key (etcd's
  std::string key_file;               ///< --client-cert-auth)
  std::string user;                   ///< etcd's own users (--auth): empty: none
  std::string password;
  std::chrono::milliseconds timeout{2'000}; ///< per call and member
};

/// Reads "etcd:URL[,URL...]" (the form of licd's --cluster) into endpoints; throws
/// std::invalid_argument saying what is wrong.
std::vector<std::string> parse_cluster_url(std::string_view text);

class client {
public:
  explicit client(client_options opts);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// POSTs `body` to `path` (e.g. "/v3/kv/txn") and returns the answer's body. Throws
  /// `unavailable`.
  std::string call(const std::string& path, const std::string& body);

  txn_result txn(const std::vector<created_at>& conditions, const std::vector<op>& success,
                 const std::vector<op>& failure = {});
  range_result range(std::string_view key, std::string_view range_end = {});
  lease_answer grant(std::chrono::seconds ttl);
  lease_answer keepalive(int64_t lease);
  void revoke(int64_t lease);

  /// Watches [key, range_end) from `start_revision`, calling `on_message` with each message until
  /// it returns false, the stream ends, or stop() is called. Throws `unavailable` when no member
  /// could be reached (a watch that was running and ended returns normally).
  void watch(std::string_view key, std::string_view range_end, int64_t start_revision,
             const std::function<bool(const watch_message&)>& on_message);
  /// Ends a watch running on another thread.
  void stop_watch();

  /// Per member: "ok", or why it did not answer (GET /health).
  std::vector<std::pair<std::string, std::string>> health();

  const std::vector<std::string>& endpoints() const { return opts_.endpoints; }

private:
  std::unique_ptr<httplib::Client> connect(const std::string& endpoint) const;
  /// One call to one member: the answer's body, or throws `unavailable`.
  std::string call_member(size_t member, const std::string& path, const std::string& body);
  std::string token(); ///< etcd's auth token when a user is configured (empty: none)

  client_options opts_;
  std::mutex mutex_;
  size_t preferred_ = 0; ///< the member that answered last
  std::string token_;
  /// Idle kept-alive connections per member (a connection serves one call at a time).
  std::vector<std::vector<std::unique_ptr<httplib::Client>>> idle_;
  std::mutex watch_mutex_;
  httplib::Client* watching_ = nullptr;
  std::atomic<bool> stop_watch_{false};
};

} // namespace licd::cluster::etcd
