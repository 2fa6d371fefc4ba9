#pragma once

// Random activity-log histories for the usage roll-up tests, and a brute-force reference that
// knows nothing of engine::usage's bookkeeping: it replays the history second by second.

#include "engine/event.hpp"
#include "engine/usage.hpp"
#include "engine/usage_report.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace licd::test {

inline constexpr int64_t history_start_ms = 1'790'000'000'000 - 1'790'000'000'000 % 3'600'000;

inline engine::event usage_event(int64_t at_ms, engine::event_kind kind, std::string product,
                                 std::string computer = {}, std::string user = {},
                                 std::string lease = {}, std::string detail = {}) {
  engine::event e;
  e.at_ms = at_ms;
  e.kind = kind;
  e.product = std::move(product);
  e.computer = std::move(computer);
  e.user = std::move(user);
  e.lease = std::move(lease);
  e.detail = std::move(detail);
  return e;
}

/// A random history over a few hours, every event on a whole second, in time order: seats
/// changes, grants (several per computer at times), every kind of end, denials with retries,
/// restarts (started/stopped), renewals.
inline std::vector<engine::event> random_history(uint32_t seed, size_t length) {
  using engine::event_kind;
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  std::vector<engine::event> out;
  std::vector<engine::event> live; // grants not ended
  int64_t t = history_start_ms + 1000 * pick(3600);
  uint64_t next_lease = 1;
  const event_kind ends[] = {event_kind::released, event_kind::expired, event_kind::lease_ended,
                             event_kind::disconnected, event_kind::seats_reduced};
  for (size_t i = 0; i < length; ++i) {
    t += 1000 * pick(pick(4) == 0 ? 3000 : 300); // now and then a long quiet spell
    auto product = pick(3) == 0 ? "viz" : "cad";
    auto computer = "ws" + std::to_string(pick(5));
    auto user = "user" + std::to_string(pick(4));
    int what = pick(20);
    if (what < 7) {
      char hex[17];
      std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(next_lease++));
      live.push_back(usage_event(t, event_kind::granted, product, computer, user, hex));
      out.push_back(live.back());
    } else if (what < 13 && !live.empty()) {
      auto it = live.begin() + pick(static_cast<int>(live.size()));
      out.push_back(usage_event(t, ends[pick(5)], it->product, it->computer, it->user, it->lease));
      live.erase(it);
    } else if (what < 17) {
      out.push_back(
        usage_event(t, event_kind::denied, product, computer, user, {}, "all seats in use"));
    } else if (what == 17) {
      out.push_back(usage_event(t, event_kind::seats, product, {}, {}, {},
                                engine::usage::seats_detail(static_cast<uint32_t>(pick(5)))));
    } else if (what == 18) {
      out.push_back(usage_event(t, event_kind::stopped, "", {}, {}, {}, "clean shutdown"));
      out.push_back(usage_event(t + 5000, event_kind::started, "", {}, {}, {}, "licd"));
      t += 5000;
    } else if (!live.empty()) {
      const auto& l = live[static_cast<size_t>(pick(static_cast<int>(live.size())))];
      out.push_back(usage_event(t, event_kind::renewed, l.product, l.computer, l.user, l.lease));
    }
  }
  return out;
}

/// The hours of each product, computed second by second from the history: seats in use are the
/// computers with a lease at that second.
inline std::map<std::pair<std::string, int64_t>, engine::usage::hour>
brute_force_hours(const std::vector<engine::event>& history, int64_t until_ms) {
  std::map<std::pair<std::string, int64_t>, engine::usage::hour> out;
  std::map<std::string, std::map<std::string, std::set<std::string>>> leases; // product, computer
  std::map<std::string, uint32_t> installed;
  std::set<std::string> products;
  size_t next = 0;
  auto first = history.empty() ? until_ms : history.front().at_ms;
  for (int64_t t = first; t < until_ms; t += 1000) {
    for (; next < history.size() && history[next].at_ms <= t; ++next) {
      const auto& e = history[next];
      if (e.product.empty())
        continue;
      products.insert(e.product);
      auto hour = e.at_ms - e.at_ms % engine::usage::hour_ms;
      if (e.kind == engine::event_kind::granted) {
        leases[e.product][e.computer].insert(e.lease);
      } else if (engine::usage::ends_lease(e.kind)) {
        auto& held = leases[e.product][e.computer];
        held.erase(e.lease);
        if (held.empty())
          leases[e.product].erase(e.computer);
      } else if (e.kind == engine::event_kind::seats) {
        engine::usage::parse_seats(e.detail, installed[e.product]);
      } else if (e.kind == engine::event_kind::denied) {
        auto& h = out[{e.product, hour}];
        ++h.denials;
        auto& users = h.denied_users;
        if (std::find(users.begin(), users.end(), e.user) == users.end()) {
          users.push_back(e.user);
          std::sort(users.begin(), users.end());
        }
      }
    }
    for (const auto& product : products) {
      auto in_use = static_cast<uint32_t>(leases[product].size());
      auto seats = installed[product];
      if (in_use == 0 && seats == 0)
        continue;
      auto& h = out[{product, t - t % engine::usage::hour_ms}];
      h.seat_ms += 1000 * in_use;
      h.installed_ms += 1000 * seats;
      if (seats > 0 && in_use >= seats)
        h.full_ms += 1000;
      h.peak = std::max(h.peak, in_use);
      h.installed = std::max(h.installed, seats);
    }
  }
  return out;
}

/// The denial episodes of a history (time-ordered), each with its final state: a computer and
/// user's denials no further apart than the gap, ended by a grant that came within the gap.
inline std::vector<engine::usage::episode>
brute_force_episodes(const std::vector<engine::event>& history) {
  std::vector<engine::usage::episode> out;
  std::map<std::tuple<std::string, std::string, std::string>, size_t> last; // index into out
  for (const auto& e : history) {
    auto k = std::make_tuple(e.product, e.computer, e.user);
    auto it = last.find(k);
    bool recent = it != last.end() && out[it->second].granted_ms == 0
                  && e.at_ms - out[it->second].last_ms <= engine::usage::episode_gap_ms;
    if (e.kind == engine::event_kind::denied) {
      if (recent) {
        ++out[it->second].denials;
        out[it->second].last_ms = e.at_ms;
      } else {
        out.push_back({e.product, e.computer, e.user, e.detail, e.at_ms, e.at_ms, 1, 0});
        last[k] = out.size() - 1;
      }
    } else if (e.kind == engine::event_kind::granted && recent) {
      out[it->second].granted_ms = e.at_ms;
    }
  }
  return out;
}

/// Applies a history and gathers what it changed, as the store would over many commits.
struct usage_replay {
  engine::usage::tracker t;
  std::map<std::pair<std::string, int64_t>, engine::usage::hour> hours;
  std::vector<engine::usage::session> sessions;
  std::vector<engine::usage::episode> all_episodes;

  void apply(const std::vector<engine::event>& history) {
    for (const auto& e : history) {
      engine::usage::changes ch;
      t.apply(e, ch);
      for (const auto& [k, h] : ch.hours)
        engine::usage::merge(hours[k], h);
      sessions.insert(sessions.end(), ch.sessions.begin(), ch.sessions.end());
      for (const auto& [k, ep] : ch.episodes) {
        bool found = false;
        for (auto& x : all_episodes)
          if (x.product == ep.product && x.computer == ep.computer && x.user == ep.user
              && x.first_ms == ep.first_ms) {
            x = ep;
            found = true;
          }
        if (!found)
          all_episodes.push_back(ep);
      }
    }
  }

  engine::usage::snapshot snap() const {
    engine::usage::snapshot s;
    s.levels = t.levels();
    s.holds = t.holds();
    for (const auto& [k, h] : hours)
      s.hours[k.first][k.second] = h;
    s.sessions = sessions;
    s.episodes = all_episodes;
    return s;
  }
};

/// Sessions and episodes in one order, to compare snapshots read in different orders.
inline void sort_snapshot(engine::usage::snapshot& s) {
  std::sort(s.sessions.begin(), s.sessions.end(), [](const auto& a, const auto& b) {
    return std::tie(a.product, a.end_ms, a.computer) < std::tie(b.product, b.end_ms, b.computer);
  });
  std::sort(s.episodes.begin(), s.episodes.end(), [](const auto& a, const auto& b) {
    return std::tie(a.product, a.first_ms, a.computer, a.user)
           < std::tie(b.product, b.first_ms, b.computer, b.user);
  });
  for (auto it = s.hours.begin(); it != s.hours.end();)
    it = it->second.empty() ? s.hours.erase(it) : std::next(it);
}

} // namespace licd::test
