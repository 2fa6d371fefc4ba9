#pragma once

#include "engine/usage.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

/// The usage and denial reports, computed from the stored roll-ups (engine/usage.hpp). Pure:
/// the caller reads a snapshot and says where the intervals begin (they depend on the time zone)
/// and what time it is. Reports resolve to the hour: a range's ends are taken to the hour.
namespace licd::engine::usage {

/// What the reports read, from one consistent view of the store.
struct snapshot {
  std::map<std::string, level> levels;                  ///< every product's
  std::map<holder_key, hold> holds;                     ///< open now
  std::map<std::string, std::map<int64_t, hour>> hours; ///< product -> hour start -> totals
  std::vector<session> sessions;                        ///< ended, overlapping the range
  std::vector<episode> episodes;                        ///< begun in the range
};

/// One product over one interval.
struct usage_row {
  std::string product;
  int64_t start_ms = 0;
  int64_t end_ms = 0;                ///< the interval's end, or now when that is earlier
  uint32_t installed = 0;            ///< most seats installed
  uint32_t peak = 0;                 ///< most seats in use
  double average = 0;                ///< seats in use, on average over [start, end)
  int64_t seat_ms = 0;               ///< seat-time used
  std::optional<double> utilisation; ///< seat-time / installed seat-time; none: none installed
  int64_t full_ms = 0;               ///< time every seat was in use
  uint32_t denials = 0;
  uint32_t users_denied = 0; ///< distinct
};

/// Rows per product (in name order) and interval: intervals [bounds[i], bounds[i+1]), from
/// the one of the product's first event up to `now_ms` (others are left out). `products` empty:
/// every product. The time since each product's last event counts at its current level.
std::vector<usage_row> usage_by_interval(const snapshot& s, const std::vector<int64_t>& bounds,
                                         int64_t now_ms);

/// One user or computer over the range.
struct holder_row {
  std::string product;
  std::string name;
  int64_t seat_ms = 0;    ///< in the range
  uint32_t sessions = 0;  ///< holding a seat at some time in the range
  int64_t longest_ms = 0; ///< the longest of those sessions, whole (open ones up to now)
  uint32_t denials = 0;   ///< in the episodes begun in the range
};

enum class holder { user, computer };

/// Rows per product and user (or computer) with any session or denial in [from_ms, to_ms),
/// most seat-time first. A session counts for every user who held a lease in it.
std::vector<holder_row> usage_by_holder(const snapshot& s, holder by, int64_t from_ms,
                                        int64_t to_ms, int64_t now_ms);

/// How a denial episode ended.
enum class outcome { granted, waiting, gave_up };
outcome outcome_of(const episode& e, int64_t now_ms);
std::string_view to_string(outcome o);

/// The episodes begun in [from_ms, to_ms), oldest first.
std::vector<episode> denial_episodes(const snapshot& s, int64_t from_ms, int64_t to_ms);

/// Where intervals of one kind begin, for a range: the caller's calendar (time zone) decides.
enum class interval { hour, day, week, month };
std::optional<interval> interval_from_string(std::string_view text);
std::string_view to_string(interval i);

} // namespace licd::engine::usage
