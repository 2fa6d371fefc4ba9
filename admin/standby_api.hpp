#pragma once

#include "admin/http_api.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace licd::admin {

class http_listener;

/// A cluster standby's admin port (docs/CLUSTER.md), until the node leads and the admin API
/// takes the port over: `GET /api/v1/cluster` answers this node's view of the cluster (with the
/// admin or the read-only token); the License Manager's pages redirect (307) to the leader's
/// admin API; every other request is refused with NOT_LEADER, naming the leader's admin API.
class standby_api {
public:
  /// Binds the admin address, as the admin API would (throws std::runtime_error when it cannot).
  explicit standby_api(options opts);
  ~standby_api();
  standby_api(const standby_api&) = delete;
  standby_api& operator=(const standby_api&) = delete;

  uint16_t port() const;
  /// The URL tools on this machine reach it at.
  std::string url() const;
  /// The URL other machines reach it at: a wildcard bind as `host`.
  std::string url_for_others(const std::string& host) const;
  /// Answers for `node` (which outlives it) from now on.
  void start(cluster::node& node);
  /// Stops answering and frees the port. Idempotent.
  void stop();

private:
  options opts_;
  std::unique_ptr<http_listener> listener_;
};

} // namespace licd::admin
