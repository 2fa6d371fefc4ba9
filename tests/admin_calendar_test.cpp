#include "admin/calendar.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>
#include <string>

using namespace licd::admin;
using licd::engine::usage::interval;

namespace {

/// Runs the test in a time zone, and puts the old one back.
struct time_zone {
  std::string old;
  bool had = false;
  explicit time_zone(const char* tz) {
    if (const char* v = std::getenv("TZ")) {
      old = v;
      had = true;
    }
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~time_zone() {
    had ? ::setenv("TZ", old.c_str(), 1) : ::unsetenv("TZ");
    ::tzset();
  }
};

constexpr int64_t hour = 3'600'000;
constexpr int64_t march_28_utc = 1'774'656'000'000; // 2026-03-28T00:00:00Z

} // namespace

TEST_CASE("report dates parse in UTC or the server's zone, and impossible ones do not",
          "[admin][calendar]") {
  time_zone berlin("Europe/Berlin");
  CHECK(parse_time("2026-03-28", true) == march_28_utc);
  CHECK(parse_time("2026-03-28Z", false) == march_28_utc);
  CHECK(parse_time("2026-03-28T10:30", true) == march_28_utc + 10 * hour + 30 * 60'000);
  CHECK(parse_time("2026-03-28T10:30:15Z", false) == march_28_utc + 10 * hour + 1'815'000);
  CHECK(parse_time("2026-03-28", false) == march_28_utc - hour);                     // CET is UTC+1
  CHECK(parse_time("2026-04-01", false) == march_28_utc + 4 * 24 * hour - 2 * hour); // CEST
  for (const char* bad :
       {"", "2026-3-28", "2026-02-30", "2026-13-01", "2026-03-28T25:00", "2026-03-28 10:00",
        "2026-03-28T10", "yesterday", "1969-12-31", "2026-03-28T10:30:15:00"})
    CHECK_FALSE(parse_time(bad, false).has_value());
  CHECK(format_time(march_28_utc, true) == "2026-03-28T00:00:00Z");
  CHECK(format_time(march_28_utc, false) == "2026-03-28T01:00:00+01:00");
  CHECK(format_time(march_28_utc + 3 * 24 * hour, false) == "2026-03-31T02:00:00+02:00");
}

TEST_CASE("days begin at local midnight, also across a change to summer time",
          "[admin][calendar]") {
  time_zone berlin("Europe/Berlin");
  auto from = *parse_time("2026-03-28", false);
  auto to = *parse_time("2026-03-31", false);
  auto days = interval_bounds(from, to, interval::day, false);
  REQUIRE(days.size() == 4);
  CHECK(days[0] == march_28_utc - hour);
  CHECK(days[1] == march_28_utc + 23 * hour);
  CHECK(days[2] == march_28_utc + 46 * hour); // 29 March had 23 hours
  CHECK(days[3] == march_28_utc + 70 * hour);
  // In UTC the same range is cut at UTC midnights, and the ends stay where they were.
  auto utc_days = interval_bounds(from, to, interval::day, true);
  REQUIRE(utc_days.size() == 5);
  CHECK(utc_days[1] == march_28_utc);
  CHECK(utc_days.back() == to);
}

TEST_CASE("hours, Monday weeks and months cut a range, a partial first one included",
          "[admin][calendar]") {
  time_zone utc("UTC");
  auto from = *parse_time("2026-03-28T10:30", true); // a Saturday
  auto hours = interval_bounds(from, from + 3 * hour, interval::hour, true);
  REQUIRE(hours.size() == 5); // 10:00, 11:00, 12:00, 13:00, and 13:30 taken up to 14:00
  CHECK(hours.front() == march_28_utc + 10 * hour);
  CHECK(hours.back() == march_28_utc + 14 * hour);
  auto weeks = interval_bounds(from, *parse_time("2026-04-15", true), interval::week, true);
  REQUIRE(weeks.size() == 5);
  CHECK(weeks[1] == *parse_time("2026-03-30", true)); // Monday
  CHECK(weeks[2] == *parse_time("2026-04-06", true));
  CHECK(weeks[3] == *parse_time("2026-04-13", true));
  CHECK(weeks[4] == *parse_time("2026-04-15", true));
  auto months = interval_bounds(from, *parse_time("2026-06-01", true), interval::month, true);
  REQUIRE(months.size() == 4);
  CHECK(months[1] == *parse_time("2026-04-01", true));
  CHECK(months[2] == *parse_time("2026-05-01", true));
  CHECK(months[3] == *parse_time("2026-06-01", true));
}
