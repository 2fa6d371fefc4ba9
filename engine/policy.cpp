#include "engine/policy.hpp"

#include "engine/names.hpp"

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#endif

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace licd::engine::policy {

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool has_wildcard(std::string_view s) {
  return s.find_first_of("*?") != std::string_view::npos;
}

/// The subject keywords, in subject_kind's order.
constexpr std::array<std::string_view, 6> subject_keywords = {
  "USER", "HOST", "ADDRESS", "GROUP", "HOST_GROUP", "ADDRESS_GROUP"};
static_assert(static_cast<size_t>(subject_kind::address_group) + 1 == subject_keywords.size());

/// The rule keywords, in rule_kind's order.
constexpr std::array<std::string_view, 4> rule_keywords = {"RESERVE", "MAX", "INCLUDE", "EXCLUDE"};
static_assert(static_cast<size_t>(rule_kind::exclude) + 1 == rule_keywords.size());

std::optional<rule_kind> rule_from(std::string_view upper_word) {
  for (size_t i = 0; i < rule_keywords.size(); ++i)
    if (upper_word == rule_keywords[i])
      return static_cast<rule_kind>(i);
  return std::nullopt;
}

std::optional<subject_kind> subject_from(std::string_view word) {
  auto w = upper(word);
  for (size_t i = 0; i < subject_keywords.size(); ++i)
    if (w == subject_keywords[i])
      return static_cast<subject_kind>(i);
  return std::nullopt;
}

/// What a group of this kind holds: users, computers or addresses.
subject_kind member_kind(subject_kind group) {
  switch (group) {
    case subject_kind::host_group:
      return subject_kind::host;
    case subject_kind::address_group:
      return subject_kind::address;
    default:
      return subject_kind::user;
  }
}

bool is_group(subject_kind k) {
  return k == subject_kind::group || k == subject_kind::host_group
         || k == subject_kind::address_group;
}

template <class T>
bool parse_int(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

/// A policy line split into words, with its number.
struct statement {
  uint32_t line = 0;
  std::vector<std::string_view> words;
};

/// The text's statements: '#' starts a comment, a line ending in '\' goes on on the next one.
std::vector<statement> split(std::string_view text) {
  std::vector<statement> out;
  statement current;
  bool continued = false;
  uint32_t line = 0;
  while (!text.empty() || continued) {
    ++line;
    auto end = text.find('\n');
    auto raw = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (auto hash = raw.find('#'); hash != std::string_view::npos)
      raw = raw.substr(0, hash);
    while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back())))
      raw.remove_suffix(1);
    bool continues = !raw.empty() && raw.back() == '\\';
    if (continues)
      raw.remove_suffix(1);
    if (!continued)
      current = statement{line, {}};
    size_t i = 0;
    while (i < raw.size()) {
      while (i < raw.size() && std::isspace(static_cast<unsigned char>(raw[i])))
        ++i;
      size_t start = i;
      while (i < raw.size() && !std::isspace(static_cast<unsigned char>(raw[i])))
        ++i;
      if (i > start)
        current.words.push_back(raw.substr(start, i - start));
    }
    continued = continues && !text.empty();
    if (!continued && !current.words.empty())
      out.push_back(current);
    if (text.empty() && !continued)
      break;
  }
  return out;
}

} // namespace

const char* keyword(subject_kind k) {
  auto i = static_cast<size_t>(k);
  return i < subject_keywords.size() ? subject_keywords[i].data() : "?";
}

std::optional<std::array<uint8_t, 16>> parse_address(std::string_view text) {
  std::array<uint8_t, 16> out{};
  std::string s(text);
  in_addr v4{};
  if (::inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

std::optional<network> network::parse(std::string_view text) {
  auto slash = text.find('/');
  auto address = parse_address(text.substr(0, slash));
  if (!address)
    return std::nullopt;
  bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
  network n;
  n.bytes = *address;
  n.prefix = 128;
  if (slash != std::string_view::npos) {
    unsigned len = 0;
    if (!parse_int(text.substr(slash + 1), len) || len > (v4 ? 32u : 128u))
      return std::nullopt;
    n.prefix = static_cast<uint8_t>(v4 ? len + 96 : len);
  }
  // The bits beyond the prefix are cleared, so that 10.1.2.3/16 is 10.1.0.0/16.
  for (unsigned bit = n.prefix; bit < 128; ++bit)
    n.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  return n;
}

bool network::contains(const std::array<uint8_t, 16>& address) const {
  unsigned whole = prefix / 8;
  if (std::memcmp(address.data(), bytes.data(), whole) != 0)
    return false;
  if (prefix % 8 == 0)
    return true;
  auto mask = static_cast<uint8_t>(0xff00u >> (prefix % 8));
  return (address[whole] & mask) == bytes[whole];
}

bool wildcard_match(std::string_view pattern, std::string_view name) {
  // Iterative, with backtracking to the last '*': linear in practice, never exponential.
  size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

void name_set::add_name(std::string name) {
  if (has_wildcard(name))
    patterns_.push_back(std::move(name));
  else
    exact_.insert(std::move(name));
}

void name_set::add_network(const network& n) {
  networks_.push_back(n);
}

bool name_set::contains_name(const std::string& name) const {
  if (exact_.count(name) != 0)
    return true;
  return std::any_of(patterns_.begin(), patterns_.end(),
                     [&](const std::string& p) { return wildcard_match(p, name); });
}

bool name_set::contains_address(const std::optional<std::array<uint8_t, 16>>& address) const {
  return address && std::any_of(networks_.begin(), networks_.end(), [&](const network& n) {
           return n.contains(*address);
         });
}

bool subject::matches(const requester& r) const {
  switch (kind) {
    case subject_kind::user:
    case subject_kind::group:
      return set->contains_name(r.user);
    case subject_kind::host:
    case subject_kind::host_group:
      return set->contains_name(r.computer);
    case subject_kind::address:
    case subject_kind::address_group:
      return set->contains_address(r.address);
  }
  return false;
}

std::string subject::describe() const {
  return std::string(keyword(kind)) + " " + name;
}

bool rule::each() const {
  return !is_group(who.kind);
}

std::string rule::text() const {
  std::string out(rule_keywords[static_cast<size_t>(kind)]);
  if (kind == rule_kind::reserve || kind == rule_kind::max)
    out += " " + std::to_string(count);
  return out + " " + product + " " + who.describe();
}

std::string rule::describe() const {
  return "line " + std::to_string(line) + ": " + text();
}

std::pair<std::shared_ptr<const document>, std::vector<problem>>
document::parse(std::string_view text) {
  auto doc = std::make_shared<document>();
  std::vector<problem> problems;
  if (!valid_utf8(text))
    return {nullptr, {{0, "the policy is not valid UTF-8"}}};
  auto statements = split(text);
  auto fail = [&](const statement& s, std::string message) {
    problems.push_back({s.line, std::move(message)});
  };
  auto valid_name = [](subject_kind k, std::string_view name) {
    return valid_identity_name(name) || (k != subject_kind::address && name == "*");
  };

  // First the groups, so that a rule may name a group defined further down.
  for (const auto& s : statements) {
    auto key = upper(s.words[0]);
    auto kind = subject_from(key);
    if (!kind || !is_group(*kind))
      continue;
    if (s.words.size() < 3) {
      fail(s, key + " needs a name and at least one member: " + key + " NAME MEMBER...");
      continue;
    }
    auto name = std::string(s.words[1]);
    if (!valid_identity_name(name) || has_wildcard(name)) {
      fail(s, "'" + name + "' is not a group name (no spaces, '=', '*' or '?')");
      continue;
    }
    auto& g = doc->groups_[key + " " + name];
    if (!g.members) {
      g.of = member_kind(*kind);
      g.members = std::make_shared<name_set>();
      g.line = s.line;
    }
    for (size_t i = 2; i < s.words.size(); ++i) {
      auto member = s.words[i];
      if (g.of == subject_kind::address) {
        auto n = network::parse(member);
        if (!n) {
          fail(s, "'" + std::string(member)
                    + "' is not an address or network (10.1.0.0/16, fd00::/8)");
          continue;
        }
        g.members->add_network(*n);
      } else if (!valid_name(g.of, member)) {
        fail(s, "'" + std::string(member) + "' is not a "
                  + (g.of == subject_kind::user ? "user" : "computer") + " name");
        continue;
      } else {
        g.members->add_name(std::string(member));
      }
      g.texts.emplace_back(member);
    }
  }

  // A subject: KIND NAME at words[at], resolved against the groups.
  auto subject_at = [&](const statement& s, size_t at) -> std::optional<subject> {
    if (s.words.size() < at + 2) {
      fail(s, "missing USER, HOST, ADDRESS, GROUP, HOST_GROUP or ADDRESS_GROUP and a name");
      return std::nullopt;
    }
    auto kind = subject_from(s.words[at]);
    if (!kind) {
      fail(s, "'" + std::string(s.words[at])
                + "' is not USER, HOST, ADDRESS, GROUP, HOST_GROUP or ADDRESS_GROUP");
      return std::nullopt;
    }
    subject who{*kind, std::string(s.words[at + 1]), nullptr};
    if (is_group(*kind)) {
      auto it = doc->groups_.find(std::string(keyword(*kind)) + " " + who.name);
      if (it == doc->groups_.end()) {
        fail(s, "no " + std::string(keyword(*kind)) + " named '" + who.name + "'");
        return std::nullopt;
      }
      who.set = it->second.members;
      return who;
    }
    auto set = std::make_shared<name_set>();
    if (*kind == subject_kind::address) {
      auto n = network::parse(who.name);
      if (!n) {
        fail(s, "'" + who.name + "' is not an address or network (10.1.0.0/16, fd00::/8)");
        return std::nullopt;
      }
      set->add_network(*n);
    } else if (!valid_name(*kind, who.name)) {
      fail(s, "'" + who.name + "' is not a " + (*kind == subject_kind::user ? "user" : "computer")
                + " name");
      return std::nullopt;
    } else {
      set->add_name(who.name);
    }
    who.set = std::move(set);
    return who;
  };
  auto product_at = [&](const statement& s, size_t at, bool any) -> std::optional<std::string> {
    if (s.words.size() <= at) {
      fail(s, "missing the product");
      return std::nullopt;
    }
    auto p = std::string(s.words[at]);
    if (p == "*" ? !any : !valid_product_name(p)) {
      fail(s, "'" + p + "' is not a product name" + (any ? " (or * for every product)" : ""));
      return std::nullopt;
    }
    return p;
  };
  auto extra_words = [&](const statement& s, size_t expected) {
    if (s.words.size() <= expected)
      return false;
    fail(s, "unexpected '" + std::string(s.words[expected]) + "' at the end");
    return true;
  };

  for (const auto& s : statements) {
    auto key = upper(s.words[0]);
    if (auto kind = subject_from(key); kind && is_group(*kind))
      continue;
    auto kind = rule_from(key);
    if (kind == rule_kind::reserve || kind == rule_kind::max) {
      rule r;
      r.kind = *kind;
      r.line = s.line;
      if (s.words.size() < 2 || !parse_int(s.words[1], r.count)
          || (r.kind == rule_kind::reserve && r.count == 0)) {
        fail(s, key + " needs a number of seats"
                  + (r.kind == rule_kind::reserve ? " (1 or more)" : "") + ": " + key
                  + " N PRODUCT KIND NAME");
        continue;
      }
      auto product = product_at(s, 2, r.kind == rule_kind::max);
      auto who = product ? subject_at(s, 3) : std::nullopt;
      if (!who || extra_words(s, 5))
        continue;
      r.product = *product;
      r.who = std::move(*who);
      doc->rules_.push_back(std::move(r));
    } else if (kind) { // INCLUDE or EXCLUDE
      rule r;
      r.kind = *kind;
      r.line = s.line;
      auto product = product_at(s, 1, true);
      auto who = product ? subject_at(s, 2) : std::nullopt;
      if (!who || extra_words(s, 4))
        continue;
      r.product = *product;
      r.who = std::move(*who);
      doc->rules_.push_back(std::move(r));
    } else if (key == "TTL") {
      auto product = product_at(s, 1, true);
      unsigned seconds = 0;
      if (!product)
        continue;
      if (s.words.size() < 3 || !parse_int(s.words[2], seconds) || seconds < 1 || seconds > 86400) {
        fail(s, "TTL needs seconds from 1 to 86400: TTL PRODUCT SECONDS");
        continue;
      }
      if (extra_words(s, 3))
        continue;
      auto same = std::find_if(doc->ttls_.begin(), doc->ttls_.end(),
                               [&](const ttl_def& t) { return t.product == *product; });
      if (same != doc->ttls_.end()) {
        fail(s, "a second TTL for " + *product + " (the first is on line "
                  + std::to_string(same->line) + ")");
        continue;
      }
      doc->ttls_.push_back({*product, std::chrono::seconds(seconds), s.line});
    } else if (key == "PRIORITY") {
      auto product = product_at(s, 1, true);
      auto who = product ? subject_at(s, 2) : std::nullopt;
      int32_t priority = 0;
      if (!who)
        continue;
      if (s.words.size() < 5 || !parse_int(s.words[4], priority) || priority < -1000
          || priority > 1000) {
        fail(s, "PRIORITY needs a number from -1000 to 1000: PRIORITY PRODUCT KIND NAME N");
        continue;
      }
      if (extra_words(s, 5))
        continue;
      doc->priorities_.push_back({*product, std::move(*who), priority, s.line});
    } else {
      fail(s, "'" + std::string(s.words[0])
                + "' is not a keyword (GROUP, HOST_GROUP, ADDRESS_GROUP, RESERVE, MAX, INCLUDE, "
                  "EXCLUDE, TTL, PRIORITY)");
    }
  }
  std::map<std::string, uint32_t> reserves;
  for (const auto& r : doc->rules_)
    if (r.kind == rule_kind::reserve && ++reserves[r.product] == 65)
      problems.push_back({r.line, "more than 64 RESERVE lines for " + r.product});
  std::sort(problems.begin(), problems.end(),
            [](const problem& a, const problem& b) { return a.line < b.line; });
  if (!problems.empty())
    return {nullptr, std::move(problems)};
  return {std::move(doc), {}};
}

product_rules document::for_product(const std::string& product) const {
  product_rules out;
  for (const auto& r : rules_) {
    if (r.product != product && r.product != "*")
      continue;
    switch (r.kind) {
      case rule_kind::reserve:
        out.reserves.push_back(&r);
        break;
      case rule_kind::max:
        out.maxes.push_back(&r);
        break;
      case rule_kind::include:
        out.includes.push_back(&r);
        break;
      case rule_kind::exclude:
        out.excludes.push_back(&r);
        break;
    }
  }
  // A product's own TTL wins over one for every product.
  for (const auto& t : ttls_)
    if (t.product == product || (t.product == "*" && !out.ttl))
      out.ttl = t.ttl;
  for (const auto& p : priorities_)
    if (p.product == product || p.product == "*")
      out.priorities.emplace_back(p.who, p.priority);
  return out;
}

std::string document::describe() const {
  std::string out;
  for (const auto& [key, g] : groups_) {
    out += key;
    for (const auto& m : g.texts)
      out += " " + m;
    out += "\n";
  }
  for (const auto& r : rules_)
    out += r.text() + "\n";
  for (const auto& t : ttls_)
    out += "TTL " + t.product + " " + std::to_string(t.ttl.count()) + "\n";
  for (const auto& p : priorities_)
    out +=
      "PRIORITY " + p.product + " " + p.who.describe() + " " + std::to_string(p.priority) + "\n";
  return out;
}

} // namespace licd::engine::policy

namespace licd::engine::policy {

namespace {

std::string address_key(const std::optional<std::array<uint8_t, 16>>& a) {
  return a ? std::string(reinterpret_cast<const char*>(a->data()), a->size()) : std::string();
}

/// The key a MAX rule on individuals counts by (a user or an address); "" for HOST, which
/// counts the computer's leases instead.
std::string each_key(const rule& r, const std::string& user,
                     const std::optional<std::array<uint8_t, 16>>& address) {
  switch (r.who.kind) {
    case subject_kind::user:
      return user;
    case subject_kind::address:
      return address_key(address);
    default:
      return "";
  }
}

} // namespace

tally::tally(product_rules rules)
  : rules_(std::move(rules)), group_counts_(rules_.maxes.size(), 0),
    each_counts_(rules_.maxes.size()) {
  if (rules_.reserves.size() > 64)
    rules_.reserves.resize(64); // document::parse refuses more than 64 per product
  for (const auto* r : rules_.reserves)
    wanted_ += r->count;
}

uint32_t tally::matched_now() const {
  if (!matched_now_)
    matched_now_ = matched(0);
  return *matched_now_;
}

uint64_t tally::signature(const requester& r) const {
  uint64_t sig = 0;
  for (size_t i = 0; i < rules_.reserves.size(); ++i)
    if (rules_.reserves[i]->who.matches(r))
      sig |= uint64_t{1} << i;
  return sig;
}

uint32_t tally::matched(uint64_t extra) const {
  // Maximum flow: source -> each signature (its holders) -> each reservation it matches ->
  // sink (the reservation's count). Few nodes: the distinct signatures and the reservations.
  std::vector<std::pair<uint64_t, uint32_t>> classes;
  for (const auto& [sig, n] : signatures_)
    if (sig != 0)
      classes.emplace_back(sig, n);
  if (extra != 0) {
    auto it =
      std::find_if(classes.begin(), classes.end(), [&](const auto& c) { return c.first == extra; });
    if (it == classes.end())
      classes.emplace_back(extra, 1);
    else
      ++it->second;
  }
  const size_t k = rules_.reserves.size(), c = classes.size();
  const size_t nodes = 2 + c + k, source = 0, sink = 1;
  std::vector<std::vector<int64_t>> cap(nodes, std::vector<int64_t>(nodes, 0));
  for (size_t i = 0; i < c; ++i) {
    cap[source][2 + i] = classes[i].second;
    for (size_t j = 0; j < k; ++j)
      if (classes[i].first & (uint64_t{1} << j))
        cap[2 + i][2 + c + j] = INT32_MAX;
  }
  for (size_t j = 0; j < k; ++j)
    cap[2 + c + j][sink] = rules_.reserves[j]->count;
  uint32_t flow = 0;
  for (;;) {
    std::vector<size_t> from(nodes, SIZE_MAX);
    std::vector<size_t> queue{source};
    from[source] = source;
    for (size_t q = 0; q < queue.size() && from[sink] == SIZE_MAX; ++q)
      for (size_t v = 0; v < nodes; ++v)
        if (from[v] == SIZE_MAX && cap[queue[q]][v] > 0) {
          from[v] = queue[q];
          queue.push_back(v);
        }
    if (from[sink] == SIZE_MAX)
      return flow;
    int64_t push = INT64_MAX;
    for (size_t v = sink; v != source; v = from[v])
      push = std::min(push, cap[from[v]][v]);
    for (size_t v = sink; v != source; v = from[v]) {
      cap[from[v]][v] -= push;
      cap[v][from[v]] += push;
    }
    flow += static_cast<uint32_t>(push);
  }
}

uint32_t tally::reserved_unmet() const {
  return static_cast<uint32_t>(wanted_ - matched_now());
}

int32_t tally::priority(const requester& r) const {
  std::optional<int32_t> best;
  for (const auto& [who, priority] : rules_.priorities)
    if ((!best || priority > *best) && who.matches(r))
      best = priority;
  return best.value_or(0);
}

std::optional<verdict> tally::check(const requester& r, bool holds_seat, uint32_t computer_leases,
                                    uint32_t seats, uint32_t used) const {
  for (const auto* x : rules_.excludes)
    if (x->who.matches(r))
      return verdict{refusal::excluded, x, x->describe() + " excludes this checkout"};
  if (!rules_.includes.empty()
      && std::none_of(rules_.includes.begin(), rules_.includes.end(),
                      [&](const rule* i) { return i->who.matches(r); }))
    return verdict{refusal::excluded, rules_.includes.front(),
                   rules_.includes.front()->describe() + " (and any other INCLUDE of "
                     + rules_.includes.front()->product + ") lets only those named use it"};
  for (size_t i = 0; i < rules_.maxes.size(); ++i) {
    const auto* m = rules_.maxes[i];
    if (!m->who.matches(r))
      continue;
    uint32_t held = 0;
    if (m->who.kind == subject_kind::host) {
      held = computer_leases; // instances on the computer
    } else if (holds_seat) {
      continue; // sharing the computer's seat takes no new one
    } else if (m->each()) {
      const auto& counts = each_counts_[i];
      auto it = counts.find(each_key(*m, r.user, r.address));
      held = it == counts.end() ? 0 : it->second;
    } else {
      held = group_counts_[i];
    }
    if (held + 1 > m->count)
      return verdict{refusal::limit, m, m->describe() + ": " + std::to_string(held) + " held"};
  }
  if (holds_seat || rules_.reserves.empty() || used >= seats)
    return std::nullopt;
  const auto wanted = wanted_;
  if (used + 1 + wanted <= seats)
    return std::nullopt; // room for every reservation whoever takes this seat
  auto before = matched_now();
  auto sig = signature(r);
  if (sig != 0 && matched(sig) == before + 1)
    return std::nullopt; // it takes a seat its reservation still needs
  // Outside every reservation that still needs seats: only a seat beyond their needs.
  if (static_cast<uint64_t>(seats - used) >= 1 + (wanted - before))
    return std::nullopt;
  for (const auto* x : rules_.reserves)
    if (!x->who.matches(r))
      return verdict{refusal::reserved, x,
                     x->describe() + ": the " + std::to_string(seats - used)
                       + " free seats are kept for reservations"};
  return verdict{refusal::reserved, rules_.reserves.front(),
                 rules_.reserves.front()->describe()
                   + ": the free seats are kept for reservations"};
}

void tally::count(const owner& o, const std::string& computer, int delta) {
  matched_now_.reset(); // the holders change
  for (size_t i = 0; i < rules_.maxes.size(); ++i) {
    const auto* m = rules_.maxes[i];
    if (m->who.kind == subject_kind::host
        || !m->who.matches(requester{o.user, computer, o.address}))
      continue;
    if (m->each()) {
      auto& n = each_counts_[i][each_key(*m, o.user, o.address)];
      n = static_cast<uint32_t>(static_cast<int64_t>(n) + delta);
      if (n == 0)
        each_counts_[i].erase(each_key(*m, o.user, o.address));
    } else {
      group_counts_[i] = static_cast<uint32_t>(static_cast<int64_t>(group_counts_[i]) + delta);
    }
  }
  auto& s = signatures_[o.reservations];
  s = static_cast<uint32_t>(static_cast<int64_t>(s) + delta);
  if (s == 0)
    signatures_.erase(o.reservations);
}

void tally::seat_taken(const requester& r) {
  if (owners_.count(r.computer) != 0)
    return;
  owner o{r.user, r.address, signature(r)};
  count(o, r.computer, +1);
  owners_.emplace(r.computer, std::move(o));
}

void tally::seat_freed(const std::string& computer) {
  auto it = owners_.find(computer);
  if (it == owners_.end())
    return;
  count(it->second, computer, -1);
  owners_.erase(it);
}

} // namespace licd::engine::policy
