#include "engine/usage_report.hpp"

#include <algorithm>
#include <array>
#include <set>

namespace licd::engine::usage {

namespace {

constexpr std::array<std::string_view, 4> interval_names = {"hour", "day", "week", "month"};
constexpr std::array<std::string_view, 3> outcome_names = {"granted", "waiting", "gave_up"};

/// A product's hours in [from, to), with the time since its last event at its current level.
std::map<int64_t, hour> hours_with_now(const snapshot& s, const std::string& product, int64_t from,
                                       int64_t to) {
  std::map<int64_t, hour> out;
  if (auto it = s.hours.find(product); it != s.hours.end())
    out.insert(it->second.lower_bound(from), it->second.lower_bound(to));
  if (auto l = s.levels.find(product); l != s.levels.end())
    add_segment(out, std::max(l->second.at_ms, from), to, l->second.in_use, l->second.installed);
  return out;
}

} // namespace

std::vector<usage_row> usage_by_interval(const snapshot& s, const std::vector<int64_t>& bounds,
                                         int64_t now_ms) {
  std::vector<usage_row> out;
  if (bounds.size() < 2)
    return out;
  auto to = std::min(bounds.back(), now_ms);
  std::set<std::string> products;
  for (const auto& kv : s.levels)
    products.insert(kv.first);
  for (const auto& kv : s.hours)
    products.insert(kv.first);
  for (const auto& product : products) {
    auto hours = hours_with_now(s, product, bounds.front(), to);
    auto l = s.levels.find(product);
    auto first = l == s.levels.end() ? 0 : hour_start(l->second.first_ms);
    for (size_t i = 0; i + 1 < bounds.size() && bounds[i] < to; ++i) {
      if (bounds[i + 1] <= first) // before licd knew the product
        continue;
      hour sum;
      for (auto h = hours.lower_bound(bounds[i]); h != hours.end() && h->first < bounds[i + 1]; ++h)
        merge(sum, h->second);
      usage_row r;
      r.product = product;
      r.start_ms = bounds[i];
      r.end_ms = std::min(bounds[i + 1], to);
      r.installed = sum.installed;
      r.peak = sum.peak;
      r.seat_ms = sum.seat_ms;
      r.average = static_cast<double>(sum.seat_ms) / static_cast<double>(r.end_ms - r.start_ms);
      if (sum.installed_ms > 0)
        r.utilisation = static_cast<double>(sum.seat_ms) / static_cast<double>(sum.installed_ms);
      r.full_ms = sum.full_ms;
      r.denials = sum.denials;
      r.users_denied = static_cast<uint32_t>(sum.denied_users.size());
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::vector<holder_row> usage_by_holder(const snapshot& s, holder by, int64_t from_ms,
                                        int64_t to_ms, int64_t now_ms) {
  std::map<std::pair<std::string, std::string>, holder_row> rows;
  auto to = std::min(to_ms, now_ms);
  auto count = [&](const std::string& product, const std::string& computer,
                   const std::vector<std::string>& users, int64_t start, int64_t end) {
    auto a = std::max(start, from_ms), b = std::min(end, to);
    if (b <= a)
      return;
    auto one = [&](const std::string& name) {
      auto& r = rows[{product, name}];
      r.seat_ms += b - a;
      ++r.sessions;
      r.longest_ms = std::max(r.longest_ms, end - start);
    };
    if (by == holder::computer)
      one(computer);
    else
      for (const auto& u : users)
        one(u);
  };
  for (const auto& x : s.sessions)
    count(x.product, x.computer, x.users, x.start_ms, x.end_ms);
  for (const auto& [k, h] : s.holds)
    count(k.first, k.second, h.users, h.since_ms, now_ms);
  for (const auto& e : s.episodes)
    if (e.first_ms >= from_ms && e.first_ms < to_ms)
      rows[{e.product, by == holder::computer ? e.computer : e.user}].denials += e.denials;
  std::vector<holder_row> out;
  out.reserve(rows.size());
  for (auto& [k, r] : rows) {
    r.product = k.first;
    r.name = k.second;
    out.push_back(std::move(r));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const holder_row& a, const holder_row& b) { return a.seat_ms > b.seat_ms; });
  return out;
}

outcome outcome_of(const episode& e, int64_t now_ms) {
  if (e.granted_ms != 0)
    return outcome::granted;
  return now_ms - e.last_ms <= episode_gap_ms ? outcome::waiting : outcome::gave_up;
}

std::string_view to_string(outcome o) {
  return outcome_names[static_cast<size_t>(o)];
}

std::vector<episode> denial_episodes(const snapshot& s, int64_t from_ms, int64_t to_ms) {
  std::vector<episode> out;
  for (const auto& e : s.episodes)
    if (e.first_ms >= from_ms && e.first_ms < to_ms)
      out.push_back(e);
  std::stable_sort(out.begin(), out.end(),
                   [](const episode& a, const episode& b) { return a.first_ms < b.first_ms; });
  return out;
}

std::optional<interval> interval_from_string(std::string_view text) {
  for (size_t i = 0; i < interval_names.size(); ++i)
    if (interval_names[i] == text)
      return static_cast<interval>(i);
  return std::nullopt;
}

std::string_view to_string(interval i) {
  return interval_names[static_cast<size_t>(i)];
}

} // namespace licd::engine::usage
