#pragma once

#include "actors/messages.hpp"
#include "actors/metrics.hpp"

#include <string>
#include <vector>

namespace licd::admin {

/// The Prometheus text exposition (format 0.0.4) of the pools' seats and counters and the
/// sessions' request metrics. Pure: everything comes in as values.
std::string prometheus_text(const std::vector<pool_status>& pools, const request_metrics& m,
                            double uptime_seconds);

} // namespace licd::admin
