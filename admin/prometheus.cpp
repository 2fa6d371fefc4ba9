#include "admin/prometheus.hpp"

#include "licd/version.hpp"

#include <algorithm>
#include <cstdio>

namespace licd::admin {

namespace {

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, const std::string& name, const std::string& labels, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  out += name;
  if (!labels.empty())
    out += "{" + labels + "}";
  out += ' ';
  out += buf;
  out += '\n';
}

template <class Get>
void per_product(std::string& out, const std::vector<pool_status>& pools, const char* name,
                 const char* type, const char* help, Get get) {
  header(out, name, type, help);
  for (const auto& p : pools)
    sample(out, name, "product=\"" + p.product + "\"", static_cast<double>(get(p)));
}

} // namespace

std::string prometheus_text(const std::vector<pool_status>& pools, const store_stats& store,
                            const request_metrics& m, const admin_counters& admin,
                            double uptime_seconds, const cluster_counters* cluster) {
  std::string out;
  header(out, "licd_build_info", "gauge", "The running licd version.");
  sample(out, "licd_build_info", std::string("version=\"") + version + "\"", 1);
  header(out, "licd_uptime_seconds", "gauge", "Seconds since licd started.");
  sample(out, "licd_uptime_seconds", "", uptime_seconds);
  per_product(out, pools, "licd_seats", "gauge", "Seats of active licenses per product.",
              [](const auto& p) { return p.seats; });
  per_product(out, pools, "licd_seats_used", "gauge",
              "Seats in use per product (computers holding at least one lease).",
              [](const auto& p) { return p.used; });
  per_product(out, pools, "licd_leases", "gauge", "Leases per product.",
              [](const auto& p) { return p.leases; });
  per_product(out, pools, "licd_grants_total", "counter", "Leases granted.",
              [](const auto& p) { return p.grants; });
  per_product(out, pools, "licd_renewals_total", "counter", "Lease renewals.",
              [](const auto& p) { return p.renewals; });
  per_product(out, pools, "licd_releases_total", "counter", "Leases released by clients.",
              [](const auto& p) { return p.releases; });
  per_product(out, pools, "licd_expiries_total", "counter", "Leases that expired.",
              [](const auto& p) { return p.expiries; });
  per_product(out, pools, "licd_admin_ended_total", "counter",
              "Leases ended by an administrator.", [](const auto& p) { return p.ended_by_admin; });
  per_product(out, pools, "licd_seats_reduced_ended_total", "counter",
              "Leases ended because the product's seats fell below the computers holding them.",
              [](const auto& p) { return p.ended_by_seats; });
  per_product(out, pools, "licd_storage_errors_total", "counter",
              "Changes that could not be stored.", [](const auto& p) { return p.storage_errors; });
  per_product(out, pools, "licd_queue_waiting", "gauge",
              "Checkouts waiting in the product's queue now (CHECKOUT ... wait=).",
              [](const auto& p) { return p.waiting; });
  per_product(out, pools, "licd_queue_joined_total", "counter",
              "Checkouts that waited in the product's queue.",
              [](const auto& p) { return p.queued; });
  per_product(out, pools, "licd_queue_served_total", "counter",
              "Checkouts that got a seat from the queue.",
              [](const auto& p) { return p.served_from_queue; });
  per_product(out, pools, "licd_queue_timeouts_total", "counter",
              "Checkouts whose wait in the queue ran out (each is also a denial).",
              [](const auto& p) { return p.wait_timeouts; });
  header(out, "licd_denials_total", "counter", "Checkouts denied, by reason.");
  for (const auto& p : pools) {
    sample(out, "licd_denials_total", "product=\"" + p.product + "\",reason=\"no_seats\"",
           static_cast<double>(p.denied_no_seats));
    sample(out, "licd_denials_total", "product=\"" + p.product + "\",reason=\"cooldown\"",
           static_cast<double>(p.denied_cooldown));
    sample(out, "licd_denials_total",
           "product=\"" + p.product + "\",reason=\"too_many_leases\"",
           static_cast<double>(p.denied_too_many));
    for (auto [reason, n] :
         {std::pair{"reserved", p.denied_reserved}, std::pair{"limit", p.denied_limit},
          std::pair{"excluded", p.denied_excluded}})
      sample(out, "licd_denials_total", "product=\"" + p.product + "\",reason=\"" + reason + "\"",
             static_cast<double>(n));
  }
  header(out, "licd_sessions", "gauge", "Client connections open now.");
  sample(out, "licd_sessions", "", static_cast<double>(m.sessions.load()));
  header(out, "licd_connections_total", "counter", "Client connections accepted.");
  sample(out, "licd_connections_total", "", static_cast<double>(m.connections.load()));
  header(out, "licd_protocol_errors_total", "counter",
         "Request lines refused as malformed, oversized or unknown.");
  sample(out, "licd_protocol_errors_total", "", static_cast<double>(m.protocol_errors.load()));
  header(out, "licd_connections_refused_total", "counter",
         "Connections refused at a limit, by limit.");
  sample(out, "licd_connections_refused_total", "limit=\"total\"",
         static_cast<double>(m.refused_total_limit.load()));
  sample(out, "licd_connections_refused_total", "limit=\"per_address\"",
         static_cast<double>(m.refused_address_limit.load()));
  header(out, "licd_connection_timeouts_total", "counter",
         "Connections closed for silence, by kind.");
  sample(out, "licd_connection_timeouts_total", "kind=\"hello\"",
         static_cast<double>(m.hello_timeouts.load()));
  sample(out, "licd_connection_timeouts_total", "kind=\"idle\"",
         static_cast<double>(m.idle_timeouts.load()));
  header(out, "licd_slow_readers_closed_total", "counter",
         "Connections closed because they left more than 1 MiB of replies unread.");
  sample(out, "licd_slow_readers_closed_total", "",
         static_cast<double>(m.slow_readers_closed.load()));
  header(out, "licd_store_commits_total", "counter",
         "Write transactions the store committed (each one fsync).");
  sample(out, "licd_store_commits_total", "", static_cast<double>(store.commits));
  header(out, "licd_store_changes_committed_total", "counter",
         "Change sets in those transactions (changes per commit: the group size).");
  sample(out, "licd_store_changes_committed_total", "", static_cast<double>(store.sets_committed));
  header(out, "licd_activity_log_dropped_total", "counter",
         "Activity-log entries not stored because the data dir was full (they still count in "
         "the usage reports).");
  sample(out, "licd_activity_log_dropped_total", "", static_cast<double>(store.events_dropped));
  header(out, "licd_admin_requests_too_large_total", "counter",
         "Admin API requests refused (413) for a body over the size limit.");
  sample(out, "licd_admin_requests_too_large_total", "",
         static_cast<double>(admin.requests_too_large));
  header(out, "licd_request_duration_seconds", "histogram",
         "Time from a request line's arrival to its reply, by request kind.");
  for (size_t k = 0; k < request_kinds; ++k) {
    const auto& h = m.latency[k];
    auto kind = "kind=\"" + std::string(to_string(static_cast<request_kind>(k))) + "\"";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < request_metrics::bounds.size(); ++i) {
      cumulative += h.buckets[i].load();
      char le[32];
      std::snprintf(le, sizeof(le), "%g", request_metrics::bounds[i]);
      sample(out, "licd_request_duration_seconds_bucket", kind + ",le=\"" + le + "\"",
             static_cast<double>(cumulative));
    }
    // Read while sessions write: keep +Inf and _count at least the sum of the buckets.
    auto count = std::max(h.count.load(), cumulative);
    sample(out, "licd_request_duration_seconds_bucket", kind + ",le=\"+Inf\"",
           static_cast<double>(count));
    sample(out, "licd_request_duration_seconds_sum", kind,
           static_cast<double>(h.sum_ns.load()) / 1e9);
    sample(out, "licd_request_duration_seconds_count", kind, static_cast<double>(count));
  }
  if (cluster != nullptr) {
    auto node = "node=\"" + cluster->node + "\"";
    header(out, "licd_cluster_leader", "gauge", "1 while this node leads its cluster.");
    sample(out, "licd_cluster_leader", node, cluster->leading ? 1 : 0);
    header(out, "licd_cluster_elections_total", "counter",
           "Leaders this node has seen take over (failovers among them) since it started.");
    sample(out, "licd_cluster_elections_total", node, static_cast<double>(cluster->elections));
    header(out, "licd_cluster_applied_revision", "gauge",
           "The etcd revision this node's data dir holds.");
    sample(out, "licd_cluster_applied_revision", node,
           static_cast<double>(cluster->applied_revision));
  }
  return out;
}

} // namespace licd::admin
