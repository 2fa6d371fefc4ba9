#include "storage/usage_table.hpp"

#include "engine/fields.hpp"
#include "storage/database.hpp"
#include "storage/seal.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace licd::storage::usage_table {

namespace {

using namespace engine::usage;
using engine::parse_number;
using engine::split_tabs;

constexpr char list_separator = '\x1f';

void append_time(std::string& key, int64_t ms) {
  auto x = static_cast<uint64_t>(std::max<int64_t>(ms, 0));
  for (int shift = 56; shift >= 0; shift -= 8)
    key.push_back(static_cast<char>((x >> shift) & 0xFF));
}

int64_t time_at(std::string_view key, size_t at) {
  uint64_t x = 0;
  for (size_t i = 0; i < 8; ++i)
    x = (x << 8) | static_cast<unsigned char>(key[at + i]);
  return static_cast<int64_t>(x);
}

std::string key_of(char kind, std::string_view product) {
  std::string k(1, kind);
  k.append(product);
  k.push_back('\0');
  return k;
}

std::string name_key(char kind, std::string_view product, std::string_view name) {
  return key_of(kind, product).append(name);
}

std::string clean(std::string_view name) {
  std::string out(name);
  for (auto& c : out)
    if (c == '\t' || c == '\n' || c == list_separator)
      c = ' ';
  return out;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0)
      out.push_back(list_separator);
    out += clean(names[i]);
  }
  return out;
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  if (text.empty())
    return out;
  for (;;) {
    auto sep = text.find(list_separator);
    out.emplace_back(text.substr(0, sep));
    if (sep == std::string_view::npos)
      return out;
    text.remove_prefix(sep + 1);
  }
}

template <class... T>
std::string fields(const T&... f) {
  std::string out;
  ((out += f, out += '\t'), ...);
  out.pop_back();
  return out;
}

std::string num(int64_t x) {
  return std::to_string(x);
}

// --- records ---

std::string encode(const level& l) {
  return fields(num(l.first_ms), num(l.at_ms), num(l.in_use), num(l.installed),
                num(l.longest_session_ms));
}

bool decode(std::string_view r, level& l) {
  auto f = split_tabs<5>(r);
  return f && parse_number((*f)[0], l.first_ms) && parse_number((*f)[1], l.at_ms)
         && parse_number((*f)[2], l.in_use) && parse_number((*f)[3], l.installed)
         && parse_number((*f)[4], l.longest_session_ms);
}

std::string encode(const hour& h) {
  return fields(num(h.seat_ms), num(h.installed_ms), num(h.full_ms), num(h.peak), num(h.installed),
                num(h.denials), join(h.denied_users));
}

bool decode(std::string_view r, hour& h) {
  auto f = split_tabs<7>(r);
  if (!f || !parse_number((*f)[0], h.seat_ms) || !parse_number((*f)[1], h.installed_ms)
      || !parse_number((*f)[2], h.full_ms) || !parse_number((*f)[3], h.peak)
      || !parse_number((*f)[4], h.installed) || !parse_number((*f)[5], h.denials))
    return false;
  h.denied_users = split((*f)[6]);
  return true;
}

std::string encode(const hold& h) {
  return fields(num(h.since_ms), join(h.leases), join(h.users));
}

bool decode(std::string_view r, hold& h) {
  auto f = split_tabs<3>(r);
  if (!f || !parse_number((*f)[0], h.since_ms))
    return false;
  h.leases = split((*f)[1]);
  h.users = split((*f)[2]);
  return true;
}

std::string episode_key(const episode& e) {
  auto k = key_of('D', e.product);
  append_time(k, e.first_ms);
  k.push_back('\0');
  k += e.computer;
  k.push_back('\0');
  k += e.user;
  return k;
}

std::string encode_episode(const episode& e) {
  return fields(num(e.last_ms), num(e.denials), num(e.granted_ms), clean(e.reason));
}

/// Splits the names after `at` in a key: exactly N, '\0'-separated.
template <size_t N>
std::optional<std::array<std::string_view, N>> names_after(std::string_view key, size_t at) {
  if (key.size() < at)
    return std::nullopt;
  std::array<std::string_view, N> out;
  key.remove_prefix(at);
  for (size_t i = 0; i < N; ++i) {
    auto sep = key.find('\0');
    if ((sep == std::string_view::npos) != (i == N - 1))
      return std::nullopt;
    out[i] = key.substr(0, sep);
    key.remove_prefix(sep == std::string_view::npos ? key.size() : sep + 1);
  }
  return out;
}

/// The product of a key: between the kind letter and the first '\0' (or the end).
std::string_view product_of(std::string_view key) {
  auto sep = key.find('\0');
  return key.substr(1, sep == std::string_view::npos ? std::string_view::npos : sep - 1);
}

/// A key of the form: letter, product, '\0', 8-byte time, then N names each after a '\0'.
template <size_t N>
struct timed_key {
  std::string_view product;
  int64_t ms = 0;
  std::array<std::string_view, N> names;
};

template <size_t N>
std::optional<timed_key<N>> parse_timed_key(std::string_view key) {
  auto product = product_of(key);
  auto at = 1 + product.size() + 1;
  auto names = names_after<N + 1>(key, at + 8);
  if (key.size() < at + 9 || !names || !(*names)[0].empty())
    return std::nullopt;
  timed_key<N> out{product, time_at(key, at), {}};
  for (size_t i = 0; i < N; ++i)
    out.names[i] = (*names)[i + 1];
  return out;
}

bool decode_episode(std::string_view key, std::string_view r, episode& e) {
  auto k = parse_timed_key<2>(key);
  auto f = split_tabs<4>(r);
  if (!k || !f || !parse_number((*f)[0], e.last_ms) || !parse_number((*f)[1], e.denials)
      || !parse_number((*f)[2], e.granted_ms))
    return false;
  e.product = k->product;
  e.first_ms = k->ms;
  e.computer = k->names[0];
  e.user = k->names[1];
  e.reason = (*f)[3];
  return true;
}

bool decode_session(std::string_view key, std::string_view r, session& s) {
  auto k = parse_timed_key<1>(key);
  auto f = split_tabs<2>(r);
  if (!k || !f || !parse_number((*f)[0], s.start_ms))
    return false;
  s.product = k->product;
  s.end_ms = k->ms;
  s.computer = k->names[0];
  s.users = split((*f)[1]);
  return true;
}

// --- sealed access ---

std::string_view open(std::string_view key, std::string_view stored) {
  auto r = unsealed(key, stored);
  if (!r)
    throw damaged("a record in `usage` fails its checksum (key " + printable_key(key) + ")");
  return *r;
}

[[noreturn]] void unreadable(std::string_view key) {
  throw damaged("a record in `usage` is unreadable (key " + printable_key(key) + ")");
}

void put(lmdb::txn& t, MDB_dbi db, const std::string& key, std::string_view record) {
  t.put(db, key, sealed(key, record));
}

/// Calls f(key, record) for each key in [first, last).
template <class F>
void scan(const lmdb::txn& t, MDB_dbi db, const std::string& first, const std::string& last,
          F&& f) {
  lmdb::cursor c(t, db);
  MDB_val k = lmdb::to_val(first), v;
  for (bool more = c.get(k, v, MDB_SET_RANGE); more; more = c.get(k, v, MDB_NEXT)) {
    auto key = lmdb::from_val(k);
    if (key >= last)
      return;
    f(key, open(key, lmdb::from_val(v)));
  }
}

} // namespace

std::optional<hold> hold_of(const lmdb::txn& t, MDB_dbi db, const holder_key& k) {
  auto key = name_key('O', k.first, k.second);
  auto stored = t.get(db, key);
  if (!stored)
    return std::nullopt;
  hold h;
  if (!decode(open(key, *stored), h))
    unreadable(key);
  return h;
}

void write(lmdb::txn& t, MDB_dbi db, tracker& tracker, const changes& ch) {
  for (const auto& [k, delta] : ch.hours) {
    auto key = key_of('H', k.first);
    append_time(key, k.second);
    hour h;
    if (auto stored = t.get(db, key); stored && !decode(open(key, *stored), h))
      unreadable(key);
    merge(h, delta);
    put(t, db, key, encode(h));
  }
  for (const auto& product : ch.levels)
    put(t, db, "L" + product, encode(tracker.levels().at(product)));
  for (const auto& k : ch.holds) {
    auto key = name_key('O', k.first, k.second);
    if (const auto* h = tracker.hold_of(k))
      put(t, db, key, encode(*h));
    else
      t.erase(db, key);
  }
  for (const auto& s : ch.sessions) {
    auto key = key_of('S', s.product);
    append_time(key, s.end_ms);
    key.push_back('\0');
    key += s.computer;
    put(t, db, key, fields(num(s.start_ms), join(s.users)));
  }
  for (const auto& [k, e] : ch.episodes) {
    put(t, db, episode_key(e), encode_episode(e));
    auto index = name_key('W', e.product, e.computer) + '\0' + e.user;
    if (e.granted_ms == 0)
      put(t, db, index, num(e.first_ms));
    else
      t.erase(db, index);
  }
}

void load(const lmdb::txn& t, MDB_dbi db, tracker& tracker) {
  tracker.clear();
  scan(t, db, "L", "M", [&](std::string_view key, std::string_view r) {
    level l;
    if (!decode(r, l))
      unreadable(key);
    tracker.load(std::string(key.substr(1)), l);
  });
  scan(t, db, "W", "X", [&](std::string_view key, std::string_view r) {
    auto names = names_after<3>(key, 1);
    int64_t first = 0;
    if (!names || !parse_number(r, first))
      unreadable(key);
    episode e;
    e.product = (*names)[0];
    e.first_ms = first;
    e.computer = (*names)[1];
    e.user = (*names)[2];
    auto dkey = episode_key(e);
    auto stored = t.get(db, dkey);
    if (!stored || !decode_episode(dkey, open(dkey, *stored), e))
      unreadable(key);
    tracker.load(std::move(e));
  });
}

snapshot read(const lmdb::txn& t, MDB_dbi db, const query& q) {
  snapshot s;
  auto wanted = [&](std::string_view product) {
    return q.products.empty()
           || std::find(q.products.begin(), q.products.end(), product) != q.products.end();
  };
  engine::usage::tracker open_state;
  load(t, db, open_state);
  for (const auto& [product, l] : open_state.levels())
    if (wanted(product))
      s.levels.emplace(product, l);
  for (const auto& [product, l] : s.levels)
    scan(t, db, key_of('O', product), key_of('O', product + '\x01'),
         [&](std::string_view key, std::string_view r) {
           auto names = names_after<2>(key, 1);
           hold h;
           if (!names || !decode(r, h))
             unreadable(key);
           s.holds.emplace(holder_key{(*names)[0], (*names)[1]}, std::move(h));
         });
  for (const auto& [product, l] : s.levels) {
    auto from = [&](char kind, int64_t ms) {
      auto k = key_of(kind, product);
      append_time(k, ms);
      return k;
    };
    if (q.hours) {
      auto& hours = s.hours[product];
      scan(t, db, from('H', q.from_ms), from('H', q.to_ms),
           [&](std::string_view key, std::string_view r) {
             hour h;
             if (key.size() != product.size() + 10 || !decode(r, h))
               unreadable(key);
             hours.emplace(time_at(key, product.size() + 2), std::move(h));
           });
    }
    if (q.sessions) // ended after `from`, and begun before `to` (no session is longer)
      scan(t, db, from('S', q.from_ms + 1), from('S', q.to_ms + l.longest_session_ms + 1),
           [&](std::string_view key, std::string_view r) {
             session x;
             if (!decode_session(key, r, x))
               unreadable(key);
             if (x.start_ms < q.to_ms)
               s.sessions.push_back(std::move(x));
           });
    if (q.episodes)
      scan(t, db, from('D', q.from_ms), from('D', q.to_ms),
           [&](std::string_view key, std::string_view r) {
             episode e;
             if (!decode_episode(key, r, e))
               unreadable(key);
             s.episodes.push_back(std::move(e));
           });
  }
  return s;
}

size_t prune(lmdb::txn& t, MDB_dbi db, int64_t before_ms, size_t max) {
  std::vector<std::pair<std::string, level>> products;
  scan(t, db, "L", "M", [&](std::string_view key, std::string_view r) {
    level l;
    if (!decode(r, l))
      unreadable(key);
    products.emplace_back(key.substr(1), l);
  });
  size_t removed = 0;
  // The reports begin where the roll-ups do now.
  for (auto& [product, l] : products)
    if (l.first_ms < hour_start(before_ms)) {
      l.first_ms = hour_start(before_ms);
      put(t, db, "L" + product, encode(l));
    }
  for (const auto& [product, l] : products) {
    for (char kind : {'H', 'S', 'D'}) {
      auto first = key_of(kind, product);
      auto last = first;
      append_time(last, before_ms);
      lmdb::cursor c(t, db);
      MDB_val k = lmdb::to_val(first), v;
      for (bool more = c.get(k, v, MDB_SET_RANGE); more && removed < max;
           more = c.get(k, v, MDB_NEXT)) {
        auto key = lmdb::from_val(k);
        if (key >= last)
          break;
        episode e;
        if (kind == 'D' && decode_episode(key, unsealed(key, lmdb::from_val(v)).value_or(""), e)
            && e.granted_ms == 0) { // the open-episode index may point here
          auto index = name_key('W', e.product, e.computer) + '\0' + e.user;
          if (auto first = t.get(db, index); first && unsealed(index, *first) == num(e.first_ms))
            t.erase(db, index);
        }
        c.del();
        ++removed;
      }
    }
  }
  return removed;
}

bool readable(std::string_view key, std::string_view r) {
  if (key.empty())
    return false;
  switch (key[0]) {
    case 'L': {
      level l;
      return decode(r, l);
    }
    case 'H': {
      hour h;
      return decode(r, h);
    }
    case 'O': {
      hold h;
      return names_after<2>(key, 1).has_value() && decode(r, h);
    }
    case 'S': {
      session s;
      return decode_session(key, r, s);
    }
    case 'D': {
      episode e;
      return decode_episode(key, r, e);
    }
    case 'W': {
      int64_t first = 0;
      return names_after<3>(key, 1).has_value() && parse_number(r, first);
    }
    default:
      return false;
  }
}

} // namespace licd::storage::usage_table
