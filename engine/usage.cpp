#include "engine/usage.hpp"

#include "engine/fields.hpp"

#include <algorithm>
#include <tuple>

namespace licd::engine::usage {

namespace {

template <class T>
void add_once(std::vector<T>& v, const T& x) {
  if (std::find(v.begin(), v.end(), x) == v.end())
    v.push_back(x);
}

void add_sorted(std::vector<std::string>& v, const std::string& x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it == v.end() || *it != x)
    v.insert(it, x);
}

} // namespace

bool operator==(const level& a, const level& b) {
  return std::tie(a.first_ms, a.at_ms, a.in_use, a.installed, a.longest_session_ms)
         == std::tie(b.first_ms, b.at_ms, b.in_use, b.installed, b.longest_session_ms);
}

bool operator==(const hour& a, const hour& b) {
  return std::tie(a.seat_ms, a.installed_ms, a.full_ms, a.peak, a.installed, a.denials,
                  a.denied_users)
         == std::tie(b.seat_ms, b.installed_ms, b.full_ms, b.peak, b.installed, b.denials,
                     b.denied_users);
}

bool operator==(const hold& a, const hold& b) {
  return std::tie(a.since_ms, a.leases, a.users) == std::tie(b.since_ms, b.leases, b.users);
}

bool operator==(const session& a, const session& b) {
  return std::tie(a.product, a.computer, a.start_ms, a.end_ms, a.users)
         == std::tie(b.product, b.computer, b.start_ms, b.end_ms, b.users);
}

bool operator==(const episode& a, const episode& b) {
  return std::tie(a.product, a.computer, a.user, a.reason, a.first_ms, a.last_ms, a.denials,
                  a.granted_ms)
         == std::tie(b.product, b.computer, b.user, b.reason, b.first_ms, b.last_ms, b.denials,
                     b.granted_ms);
}

std::string seats_detail(uint32_t seats) {
  return std::to_string(seats) + " seats";
}

bool parse_seats(std::string_view detail, uint32_t& seats) {
  auto space = detail.find(' ');
  return space != std::string_view::npos && detail.substr(space) == " seats"
         && parse_number(detail.substr(0, space), seats);
}

int64_t hour_start(int64_t at_ms) {
  auto h = at_ms / hour_ms;
  if (at_ms < 0 && at_ms % hour_ms != 0)
    --h;
  return h * hour_ms;
}

bool ends_lease(event_kind kind) {
  switch (kind) {
    case event_kind::released:
    case event_kind::expired:
    case event_kind::lease_ended:
    case event_kind::disconnected:
    case event_kind::seats_reduced:
      return true;
    default:
      return false;
  }
}

void merge(hour& into, const hour& more) {
  into.seat_ms += more.seat_ms;
  into.installed_ms += more.installed_ms;
  into.full_ms += more.full_ms;
  into.peak = std::max(into.peak, more.peak);
  into.installed = std::max(into.installed, more.installed);
  into.denials += more.denials;
  for (const auto& u : more.denied_users)
    add_sorted(into.denied_users, u);
}

void add_segment(std::map<int64_t, hour>& hours, int64_t from_ms, int64_t to_ms, uint32_t in_use,
                 uint32_t installed) {
  if (to_ms <= from_ms || (in_use == 0 && installed == 0))
    return;
  bool full = installed > 0 && in_use >= installed;
  for (int64_t h = hour_start(from_ms); h < to_ms; h += hour_ms) {
    auto overlap = std::min(to_ms, h + hour_ms) - std::max(from_ms, h);
    auto& r = hours[h];
    r.seat_ms += overlap * in_use;
    r.installed_ms += overlap * installed;
    if (full)
      r.full_ms += overlap;
    r.peak = std::max(r.peak, in_use);
    r.installed = std::max(r.installed, installed);
  }
}

void tracker::clear() {
  levels_.clear();
  holds_.clear();
  waiting_.clear();
}

hold* tracker::find_hold(const holder_key& k) {
  auto it = holds_.find(k);
  if (it == holds_.end())
    it = holds_.emplace(k, fetch_ ? fetch_(k) : std::nullopt).first;
  return it->second ? &*it->second : nullptr;
}

const hold* tracker::hold_of(const holder_key& k) {
  return find_hold(k);
}

std::map<holder_key, hold> tracker::holds() const {
  std::map<holder_key, hold> out;
  for (const auto& [k, h] : holds_)
    if (h)
      out.emplace(k, *h);
  return out;
}

void tracker::load(episode e) {
  waiter_key k{e.product, e.computer, e.user};
  waiting_[std::move(k)] = std::move(e);
}

level& tracker::advance(const std::string& product, int64_t at_ms, changes& out) {
  auto [it, fresh] = levels_.try_emplace(product);
  auto& l = it->second;
  if (fresh) {
    l.first_ms = l.at_ms = at_ms;
  } else if (at_ms > l.at_ms) {
    std::map<int64_t, hour> hours;
    add_segment(hours, l.at_ms, at_ms, l.in_use, l.installed);
    for (auto& [start, h] : hours)
      merge(out.hours[{product, start}], h);
    l.at_ms = at_ms;
  }
  out.levels.insert(product);
  return l;
}

void tracker::apply(const event& e, changes& out) {
  if (e.product.empty())
    return;
  if (e.kind == event_kind::granted) {
    granted(e, advance(e.product, e.at_ms, out).at_ms, out);
  } else if (ends_lease(e.kind)) {
    ended(e, advance(e.product, e.at_ms, out).at_ms, out);
  } else if (e.kind == event_kind::denied) {
    denied(e, advance(e.product, e.at_ms, out).at_ms, out);
  } else if (e.kind == event_kind::seats) {
    uint32_t seats = 0;
    auto& l = advance(e.product, e.at_ms, out);
    if (parse_seats(e.detail, seats))
      l.installed = seats;
  }
}

void tracker::granted(const event& e, int64_t at, changes& out) {
  holder_key k{e.product, e.computer};
  auto* h = find_hold(k);
  if (h == nullptr) {
    h = &holds_[k].emplace();
    h->since_ms = at;
    ++levels_[e.product].in_use;
  }
  add_once(h->leases, e.lease);
  add_once(h->users, e.user);
  out.holds.insert(k);
  waiter_key w{e.product, e.computer, e.user};
  // A grant ends the computer and user's episode as granted unless they had stopped asking
  // (gave up) before it; the next denial starts another episode then.
  if (auto ep = waiting_.find(w);
      ep != waiting_.end() && at - ep->second.last_ms <= episode_gap_ms) {
    ep->second.granted_ms = at;
    out.episodes[{w, ep->second.first_ms}] = std::move(ep->second);
    waiting_.erase(ep);
  }
}

void tracker::ended(const event& e, int64_t at, changes& out) {
  holder_key k{e.product, e.computer};
  auto* h = find_hold(k);
  if (h == nullptr)
    return; // a lease this tracker never saw granted (the log was pruned before the roll-ups)
  auto lease = std::find(h->leases.begin(), h->leases.end(), e.lease);
  if (lease == h->leases.end())
    return;
  h->leases.erase(lease);
  out.holds.insert(k);
  if (!h->leases.empty())
    return;
  auto& l = levels_[e.product];
  --l.in_use;
  l.longest_session_ms = std::max(l.longest_session_ms, at - h->since_ms);
  out.sessions.push_back(session{e.product, e.computer, h->since_ms, at, std::move(h->users)});
  holds_[k].reset();
}

void tracker::denied(const event& e, int64_t at, changes& out) {
  auto& h = out.hours[{e.product, hour_start(at)}];
  ++h.denials;
  add_sorted(h.denied_users, e.user);
  waiter_key w{e.product, e.computer, e.user};
  auto [it, fresh] = waiting_.try_emplace(w);
  auto& ep = it->second;
  if (!fresh && at - ep.last_ms <= episode_gap_ms) {
    ep.last_ms = at;
    ++ep.denials;
  } else { // the first, or the user came back after giving up: another episode
    ep = episode{e.product, e.computer, e.user, e.detail, at, at, 1, 0};
  }
  out.episodes[{w, ep.first_ms}] = ep;
}

} // namespace licd::engine::usage
