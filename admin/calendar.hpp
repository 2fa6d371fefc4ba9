#pragma once

#include "engine/usage_report.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Dates as the admin API reads and writes them, in the server's time zone (the TZ of licd's
/// process) or in UTC.
namespace licd::admin {

/// `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS`, with an optional `Z` (UTC
/// whatever `utc` says): milliseconds since the epoch. Nothing when malformed or impossible.
std::optional<int64_t> parse_time(std::string_view text, bool utc);

/// ISO 8601 with the offset (`2026-03-01T00:00:00+01:00`), or with `Z` when `utc`.
std::string format_time(int64_t ms, bool utc);

/// Where the report's intervals begin: the hour of `from`, then every start of an interval of
/// kind `by` (local midnight, Monday, the 1st) after it and before `to`, then `to` taken up to
/// the hour. Every bound is a whole UTC hour (the roll-ups are per UTC hour): in a time zone
/// whose offset is not whole hours, intervals begin at the UTC hour before.
std::vector<int64_t> interval_bounds(int64_t from, int64_t to, engine::usage::interval by,
                                     bool utc);

} // namespace licd::admin
