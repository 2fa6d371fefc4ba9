#pragma once

#include "storage/database.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

/// The usage and denial reports of the admin API (docs/ADMIN-API.md, "Reports"): query
/// parameters in, JSON or CSV out. They read the store's roll-ups on the calling thread.
namespace licd::admin {

using query_params = std::multimap<std::string, std::string>;

struct report_body {
  std::string text;
  std::string content_type;
};

/// A date parameter (calendar.hpp's forms) in milliseconds since the epoch; throws
/// request_failed (BAD_REQUEST) naming the parameter and the forms when it is not one.
int64_t time_param(const std::string& name, const std::string& text, bool utc);

/// The items of a comma-separated parameter ("a,b" -> a, b; ",a" -> "", a: an empty item is
/// the caller's to refuse; nothing after a last comma).
std::vector<std::string_view> comma_list(std::string_view text);

/// GET /api/v1/reports/usage: `product` (repeated or comma-separated; none: all), `from`, `to`
/// (dates, calendar.hpp; default the 30 days up to now), `by` (hour, day, week, month, user,
/// computer; default day), `utc` (1: intervals and times in UTC), `format` (json or csv).
/// Throws request_failed (BAD_REQUEST) naming a parameter that is wrong.
report_body usage_report(const storage::database& db, const query_params& q, int64_t now_ms);

/// GET /api/v1/reports/denials: the denial episodes begun in the range; same parameters but
/// `by`.
report_body denials_report(const storage::database& db, const query_params& q, int64_t now_ms);

} // namespace licd::admin
