#include "admin/calendar.hpp"

#include "engine/fields.hpp"

#include <ctime>
#include <mutex>

namespace licd::admin {

namespace {

using engine::usage::hour_ms;
using engine::usage::hour_start;

/// Held around glibc's time zone calls: mktime and localtime_r read the zone (tzset) under a
/// lock of glibc's own, which ThreadSanitizer cannot see, so two reports at once (the License
/// Manager asks for two) looked like a race on its zone data. Reports are rare; the lock is free.
std::mutex& zone_mutex() {
  static std::mutex m;
  return m;
}

std::tm broken_down(int64_t ms, bool utc) {
  auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  if (utc) {
    gmtime_r(&secs, &tm);
  } else {
    std::lock_guard lock(zone_mutex());
    localtime_r(&secs, &tm);
  }
  return tm;
}

/// Normalises `tm` (days past the month's end and so on) and gives its time.
int64_t to_ms(std::tm tm, bool utc) {
  tm.tm_isdst = -1;
  if (utc)
    return static_cast<int64_t>(timegm(&tm)) * 1000;
  std::lock_guard lock(zone_mutex());
  return static_cast<int64_t>(mktime(&tm)) * 1000;
}

int64_t hour_ceil(int64_t ms) {
  auto h = hour_start(ms);
  return h == ms ? h : h + hour_ms;
}

/// The start of the next interval of kind `by` after `ms`.
int64_t next_start(int64_t ms, engine::usage::interval by, bool utc) {
  using engine::usage::interval;
  if (by == interval::hour)
    return hour_start(ms) + hour_ms;
  auto tm = broken_down(ms, utc);
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  if (by == interval::day) {
    tm.tm_mday += 1;
  } else if (by == interval::week) {
    tm.tm_mday += 7 - (tm.tm_wday + 6) % 7; // the next Monday
  } else {
    tm.tm_mday = 1;
    tm.tm_mon += 1;
  }
  return to_ms(tm, utc);
}

} // namespace

std::optional<int64_t> parse_time(std::string_view text, bool utc) {
  if (!text.empty() && text.back() == 'Z') {
    utc = true;
    text.remove_suffix(1);
  }
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  auto field = [&](size_t at, size_t len, int& out) {
    return text.size() >= at + len && engine::parse_number(text.substr(at, len), out);
  };
  bool date = text.size() >= 10 && text[4] == '-' && text[7] == '-' && field(0, 4, year)
              && field(5, 2, month) && field(8, 2, day);
  bool ok = date
            && (text.size() == 10
                || (text.size() >= 16 && text[10] == 'T' && text[13] == ':' && field(11, 2, hour)
                    && field(14, 2, minute)
                    && (text.size() == 16
                        || (text.size() == 19 && text[16] == ':' && field(17, 2, second)))));
  if (!ok || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59
      || second > 59 || year < 1970)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  auto ms = to_ms(tm, utc);
  auto back = broken_down(ms, utc);
  if (back.tm_mday != day) // 31 February
    return std::nullopt;
  return ms;
}

std::string format_time(int64_t ms, bool utc) {
  auto tm = broken_down(ms, utc);
  char buf[40];
  std::strftime(buf, sizeof buf, utc ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%dT%H:%M:%S%z", &tm);
  std::string out = buf;
  if (!utc && out.size() > 5) // +0100 -> +01:00
    out.insert(out.size() - 2, ":");
  return out;
}

std::vector<int64_t> interval_bounds(int64_t from, int64_t to, engine::usage::interval by,
                                     bool utc) {
  std::vector<int64_t> out{hour_start(from)};
  auto end = hour_ceil(to);
  while (out.back() < end) {
    auto next = hour_start(next_start(out.back(), by, utc));
    if (next <= out.back()) // a time zone change that lands before the hour: go on
      next = out.back() + hour_ms;
    out.push_back(std::min(next, end));
  }
  return out;
}

} // namespace licd::admin
