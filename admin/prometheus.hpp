#pragma once

#include "actors/messages.hpp"
#include "actors/metrics.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace licd::admin {

/// Counters the admin HTTP server keeps itself.
struct admin_counters {
  uint64_t requests_too_large = 0; ///< refused with 413: a body over the size limit
};

/// A cluster node's figures (docs/CLUSTER.md); absent on a single machine.
struct cluster_counters {
  std::string node;
  bool leading = false;
  uint64_t elections = 0; ///< leaders seen to take over since the node started
  int64_t applied_revision = 0;
};

/// The Prometheus text exposition (format 0.0.4) of the pools' seats and counters, the store's
/// and the sessions' request metrics. Pure: everything comes in as values.
std::string prometheus_text(const std::vector<pool_status>& pools, const store_stats& store,
                            const request_metrics& m, const admin_counters& admin,
                            double uptime_seconds, const cluster_counters* cluster = nullptr);

} // namespace licd::admin
