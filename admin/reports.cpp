#include "admin/reports.hpp"

#include "actors/ask.hpp"
#include "admin/calendar.hpp"
#include "engine/names.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace licd::admin {

namespace {

using json = nlohmann::json;
namespace usage = engine::usage;

constexpr int64_t default_days = 30;

[[noreturn]] void bad(const std::string& why) {
  throw request_failed(engine::errc::bad_request, why);
}

std::optional<std::string> param(const query_params& q, const char* name) {
  auto it = q.find(name);
  if (it == q.end())
    return std::nullopt;
  return it->second;
}

/// What every report takes: products, range, time zone.
struct range {
  std::vector<std::string> products;
  int64_t from = 0;
  int64_t to = 0;
  bool utc = false;
  bool csv = false;
};

range parse_range(const query_params& q, int64_t now_ms) {
  range r;
  auto utc = param(q, "utc").value_or("0");
  if (utc != "0" && utc != "1" && utc != "true" && utc != "false")
    bad("utc is 1 or 0");
  r.utc = utc == "1" || utc == "true";
  auto format = param(q, "format").value_or("json");
  if (format != "json" && format != "csv")
    bad("format is json or csv");
  r.csv = format == "csv";
  auto [first, last] = q.equal_range("product");
  for (auto it = first; it != last; ++it)
    for (auto name : comma_list(it->second)) {
      if (!engine::valid_product_name(name))
        bad("product: '" + std::string(name) + "' is not a product name");
      r.products.emplace_back(name);
    }
  auto when = [&](const char* name, int64_t fallback) {
    auto text = param(q, name);
    return text ? time_param(name, *text, r.utc) : fallback;
  };
  r.to = when("to", now_ms);
  r.from = when("from", r.to - default_days * 24 * usage::hour_ms);
  if (r.from >= r.to)
    bad("from must be before to");
  return r;
}

/// Six decimals: hours to the 4 ms, shares to the millionth.
double rounded(double x) {
  return std::round(x * 1e6) / 1e6;
}

double hours(int64_t ms) {
  return rounded(static_cast<double>(ms) / static_cast<double>(usage::hour_ms));
}

std::string csv_field(const json& v) {
  std::string text = v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump();
  if (text.find_first_of(",\"\r\n") == std::string::npos)
    return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"')
      out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

/// RFC 4180: a header line, then one line per row, CRLF after each.
std::string to_csv(const std::vector<std::string>& columns, const json& rows) {
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i)
    out += (i > 0 ? "," : "") + columns[i];
  out += "\r\n";
  for (const auto& row : rows) {
    for (size_t i = 0; i < columns.size(); ++i)
      out += (i > 0 ? "," : "") + csv_field(row.at(columns[i]));
    out += "\r\n";
  }
  return out;
}

report_body answer(const range& r, const std::vector<std::string>& columns, json head, json rows) {
  if (r.csv)
    return {to_csv(columns, rows), "text/csv; charset=utf-8"};
  head["columns"] = columns;
  head["rows"] = std::move(rows);
  return {head.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", "application/json"};
}

json head_of(const char* report, const range& r, int64_t now_ms) {
  return json{
    {"report", report}, {"from", format_time(r.from, r.utc)},      {"to", format_time(r.to, r.utc)},
    {"utc", r.utc},     {"generated", format_time(now_ms, r.utc)}, {"products", r.products}};
}

} // namespace

int64_t time_param(const std::string& name, const std::string& text, bool utc) {
  auto t = parse_time(text, utc);
  if (!t)
    bad(name + ": '" + text
        + "' is not a date (YYYY-MM-DD, YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS, Z for UTC)");
  return *t;
}

std::vector<std::string_view> comma_list(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    out.push_back(text.substr(0, comma));
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
  }
  return out;
}

report_body usage_report(const storage::database& db, const query_params& q, int64_t now_ms) {
  auto r = parse_range(q, now_ms);
  auto by = param(q, "by").value_or("day");
  storage::usage_table::query sq{r.products, r.from, r.to, false, false, false};
  auto head = head_of("usage", r, now_ms);
  head["by"] = by;
  json rows = json::array();
  if (auto interval = usage::interval_from_string(by)) {
    auto bounds = interval_bounds(r.from, r.to, *interval, r.utc);
    sq.from_ms = bounds.front();
    sq.to_ms = bounds.back();
    sq.hours = true;
    for (const auto& row : usage::usage_by_interval(db.usage(sq), bounds, now_ms))
      rows.push_back(
        json{{"product", row.product},
             {"start", format_time(row.start_ms, r.utc)},
             {"end", format_time(row.end_ms, r.utc)},
             {"installed", row.installed},
             {"peak", row.peak},
             {"average", rounded(row.average)},
             {"seat_hours", hours(row.seat_ms)},
             {"utilisation", row.utilisation ? json(rounded(*row.utilisation)) : json(nullptr)},
             {"hours_at_full", hours(row.full_ms)},
             {"denials", row.denials},
             {"users_denied", row.users_denied}});
    return answer(r,
                  {"product", "start", "end", "installed", "peak", "average", "seat_hours",
                   "utilisation", "hours_at_full", "denials", "users_denied"},
                  std::move(head), std::move(rows));
  }
  if (by != "user" && by != "computer")
    bad("by is hour, day, week, month, user or computer");
  sq.sessions = sq.episodes = true;
  auto who = by == "user" ? usage::holder::user : usage::holder::computer;
  for (const auto& row : usage::usage_by_holder(db.usage(sq), who, r.from, r.to, now_ms))
    rows.push_back(json{{"product", row.product},
                        {by, row.name},
                        {"seat_hours", hours(row.seat_ms)},
                        {"sessions", row.sessions},
                        {"longest_session_hours", hours(row.longest_ms)},
                        {"denials", row.denials}});
  return answer(r, {"product", by, "seat_hours", "sessions", "longest_session_hours", "denials"},
                std::move(head), std::move(rows));
}

report_body denials_report(const storage::database& db, const query_params& q, int64_t now_ms) {
  auto r = parse_range(q, now_ms);
  storage::usage_table::query sq{r.products, r.from, r.to, false, false, true};
  json rows = json::array();
  for (const auto& e : usage::denial_episodes(db.usage(sq), r.from, r.to)) {
    auto outcome = usage::outcome_of(e, now_ms);
    bool granted = outcome == usage::outcome::granted;
    rows.push_back(
      json{{"product", e.product},
           {"computer", e.computer},
           {"user", e.user},
           {"reason", e.reason},
           {"first", format_time(e.first_ms, r.utc)},
           {"last", format_time(e.last_ms, r.utc)},
           {"denials", e.denials},
           {"outcome", usage::to_string(outcome)},
           {"granted", granted ? json(format_time(e.granted_ms, r.utc)) : json(nullptr)},
           {"waited_minutes",
            granted ? json(rounded(static_cast<double>(e.granted_ms - e.first_ms) / 60'000.0))
                    : json(nullptr)}});
  }
  return answer(r,
                {"product", "computer", "user", "reason", "first", "last", "denials", "outcome",
                 "granted", "waited_minutes"},
                head_of("denials", r, now_ms), std::move(rows));
}

} // namespace licd::admin
