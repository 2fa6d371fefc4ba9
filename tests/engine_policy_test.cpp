// The site policy (engine/policy.hpp): the file format, matching, and the admission rules
// against a small reference model.

#include "engine/policy.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>

using namespace licd::engine::policy;

namespace {

std::shared_ptr<const document> parse_ok(std::string_view text) {
  auto [doc, problems] = document::parse(text);
  for (const auto& p : problems)
    FAIL("line " << p.line << ": " << p.message);
  REQUIRE(doc);
  return doc;
}

std::vector<problem> parse_bad(std::string_view text) {
  auto [doc, problems] = document::parse(text);
  CHECK_FALSE(doc);
  return problems;
}

requester who(std::string user, std::string computer, std::string address = "10.0.0.1") {
  return requester{std::move(user), std::move(computer), parse_address(address)};
}

} // namespace

TEST_CASE("wildcards: * any run, ? any one character", "[policy]") {
  CHECK(wildcard_match("*", ""));
  CHECK(wildcard_match("*", "anything"));
  CHECK(wildcard_match("render-*", "render-07"));
  CHECK_FALSE(wildcard_match("render-*", "xrender-07"));
  CHECK(wildcard_match("rn??", "rn01"));
  CHECK_FALSE(wildcard_match("rn??", "rn1"));
  CHECK(wildcard_match("*-a*b", "x-aab-b"));
  CHECK_FALSE(wildcard_match("*-a*b", "x-aab-c"));
  CHECK(wildcard_match("a*b*c*d", "aXbYcZd"));
  CHECK_FALSE(wildcard_match("a*b*c*d", std::string(5000, 'a'))); // no blow-up
  CHECK(wildcard_match("exact", "exact"));
  CHECK_FALSE(wildcard_match("exact", "exactly"));
}

TEST_CASE("networks: IPv4 and IPv6 addresses and prefixes", "[policy]") {
  auto lab = network::parse("10.1.0.0/16");
  REQUIRE(lab);
  CHECK(lab->contains(*parse_address("10.1.200.3")));
  CHECK_FALSE(lab->contains(*parse_address("10.2.0.1")));
  CHECK(lab->contains(*parse_address("::ffff:10.1.0.9"))); // a v4 client on a v6 socket
  auto host = network::parse("192.168.7.12");
  CHECK(host->contains(*parse_address("192.168.7.12")));
  CHECK_FALSE(host->contains(*parse_address("192.168.7.13")));
  auto odd = network::parse("10.1.2.3/13"); // bits past the prefix do not matter
  CHECK(odd->contains(*parse_address("10.7.255.255")));
  CHECK_FALSE(odd->contains(*parse_address("10.8.0.0")));
  auto v6 = network::parse("fd00::/8");
  CHECK(v6->contains(*parse_address("fd12:3456::1")));
  CHECK_FALSE(v6->contains(*parse_address("fe80::1")));
  CHECK(network::parse("0.0.0.0/0")->contains(*parse_address("203.0.113.9")));
  for (auto bad : {"10.1.0.0/33", "10.1.0", "host.example", "fd00::/129", "10.1.0.0/", "/8", ""})
    CHECK_FALSE(network::parse(bad));
}

TEST_CASE("a policy file: groups, rules, TTLs and priorities", "[policy]") {
  auto doc = parse_ok(R"(# the modelling team keeps two seats of cad
GROUP modelers alice bob \
      carol*                      # continued
group modelers dave               # a second line adds members; keywords in any case
HOST_GROUP farm render-* rn??
ADDRESS_GROUP lab 10.1.0.0/16 fd00::/8

RESERVE 2 cad GROUP modelers
MAX 1 cad USER *
MAX 4 cad GROUP modelers
MAX 2 cad HOST ws-17
INCLUDE viewer GROUP modelers
EXCLUDE * HOST_GROUP farm
EXCLUDE cad ADDRESS 192.168.9.0/24
TTL cad 300
TTL * 900
PRIORITY cad GROUP modelers 10
)");
  CHECK(doc->groups() == 3);
  CHECK(doc->rules().size() == 7);
  auto cad = doc->for_product("cad");
  REQUIRE(cad.reserves.size() == 1);
  CHECK(cad.reserves[0]->count == 2);
  CHECK(cad.reserves[0]->line == 8);
  CHECK(cad.reserves[0]->describe() == "line 8: RESERVE 2 cad GROUP modelers");
  CHECK(cad.maxes.size() == 3);
  CHECK(cad.includes.empty());
  CHECK(cad.excludes.size() == 2); // its own and the one for every product
  CHECK(cad.ttl == std::chrono::seconds(300));
  REQUIRE(cad.priorities.size() == 1);
  CHECK(cad.priorities[0].second == 10);
  auto viewer = doc->for_product("viewer");
  CHECK(viewer.includes.size() == 1);
  CHECK(viewer.excludes.size() == 1);
  CHECK(viewer.ttl == std::chrono::seconds(900));
  CHECK(doc->for_product("other").reserves.empty());

  const auto& modelers = cad.reserves[0]->who;
  for (auto user : {"alice", "bob", "carol", "carol2", "dave"})
    CHECK(modelers.matches(who(user, "ws1")));
  CHECK_FALSE(modelers.matches(who("eve", "ws1")));
  const auto& farm = cad.excludes[0]->who;
  CHECK(farm.matches(who("x", "render-3")));
  CHECK(farm.matches(who("x", "rn42")));
  CHECK_FALSE(farm.matches(who("x", "ws1")));
  CHECK(cad.excludes[1]->who.matches(who("x", "ws1", "192.168.9.77")));
  CHECK_FALSE(cad.excludes[1]->who.matches(requester{"x", "ws1", std::nullopt}));

  // Normalised, it reads back as the same policy.
  auto again = parse_ok(doc->describe());
  CHECK(again->describe() == doc->describe());
  CHECK(again->rules().size() == doc->rules().size());
}

TEST_CASE("every mistake in a policy is reported with its line, and none is used", "[policy]") {
  auto problems = parse_bad(R"(GROUP modelers alice
RESERVE 2 cad GROUP modellers
MAX x cad USER *
RESERVE 0 cad USER bob
INCLUDE cad PERSON bob
EXCLUDE c@d USER bob
ADDRESS_GROUP lab 10.1.0.0/40
TTL cad 0
TTL viewer 60
TTL viewer 90
PRIORITY cad GROUP modelers high
RESERVE 1 * USER bob
ALLOW cad USER bob
EXCLUDE cad USER bob extra
GROUP lonely
)");
  std::vector<uint32_t> lines;
  for (const auto& p : problems)
    lines.push_back(p.line);
  CHECK(lines == std::vector<uint32_t>{2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15});
  auto message = [&](uint32_t line) {
    for (const auto& p : problems)
      if (p.line == line)
        return p.message;
    return std::string();
  };
  CHECK(message(2) == "no GROUP named 'modellers'");
  CHECK(message(5).find("'PERSON' is not USER") == 0);
  CHECK(message(10) == "a second TTL for viewer (the first is on line 9)");
  CHECK(message(13).find("'ALLOW' is not a keyword") == 0);
  CHECK(message(14) == "unexpected 'extra' at the end");

  auto [doc, utf8] = document::parse("GROUP g \xff\xfe\n");
  CHECK_FALSE(doc);
  REQUIRE(utf8.size() == 1);
  CHECK(utf8[0].message == "the policy is not valid UTF-8");
  CHECK(document::parse("").first); // an empty policy is a policy with no rules
  CHECK(document::parse("# only a comment\n\n").first);
}

TEST_CASE("EXCLUDE wins over INCLUDE, and INCLUDE lets only those named in", "[policy]") {
  auto doc = parse_ok(R"(GROUP team alice bob
INCLUDE cad GROUP team
EXCLUDE cad USER bob
)");
  tally t(doc->for_product("cad"));
  CHECK_FALSE(t.check(who("alice", "ws1"), false, 0, 5, 0));
  auto bob = t.check(who("bob", "ws2"), false, 0, 5, 0);
  REQUIRE(bob);
  CHECK(bob->why == refusal::excluded);
  CHECK(bob->by->line == 3);
  CHECK(bob->message.find("line 3: EXCLUDE cad USER bob") == 0);
  auto eve = t.check(who("eve", "ws3"), false, 0, 5, 0);
  REQUIRE(eve);
  CHECK(eve->why == refusal::excluded);
  CHECK(eve->by->line == 2);
  // Sharing a computer's seat is a checkout too: an excluded user gets nothing on it.
  t.seat_taken(who("alice", "ts1"));
  CHECK(t.check(who("bob", "ts1"), true, 1, 5, 1));
}

TEST_CASE("MAX: per user, per computer's instances, per group together", "[policy]") {
  auto doc = parse_ok(R"(GROUP team alice bob carol
MAX 1 cad USER *
MAX 2 cad GROUP team
MAX 3 cad HOST ts*
MAX 1 cad ADDRESS 10.9.0.0/16
)");
  tally t(doc->for_product("cad"));
  t.seat_taken(who("alice", "ws1"));
  auto again = t.check(who("alice", "ws2"), false, 0, 10, 1);
  REQUIRE(again);
  CHECK(again->why == refusal::limit);
  CHECK(again->by->line == 2);
  CHECK(again->message == "line 2: MAX 1 cad USER *: 1 held");
  CHECK_FALSE(t.check(who("alice", "ws1"), true, 1, 10, 1)); // her own seat, shared
  CHECK_FALSE(t.check(who("bob", "ws2"), false, 0, 10, 1));
  t.seat_taken(who("bob", "ws2"));
  auto carol = t.check(who("carol", "ws3"), false, 0, 10, 2);
  REQUIRE(carol);
  CHECK(carol->by->line == 3); // the team holds its 2
  t.seat_freed("ws1");
  CHECK_FALSE(t.check(who("carol", "ws3"), false, 0, 10, 1));
  CHECK_FALSE(t.check(who("dora", "ts1"), true, 2, 10, 1));
  auto fourth = t.check(who("dora", "ts1"), true, 3, 10, 1);
  REQUIRE(fourth);
  CHECK(fourth->by->line == 4);
  t.seat_taken(who("erik", "ws9", "10.9.1.1"));
  auto same_net = t.check(who("fay", "ws10", "10.9.1.1"), false, 0, 10, 2);
  REQUIRE(same_net);
  CHECK(same_net->by->line == 5);
  CHECK_FALSE(t.check(who("fay", "ws10", "10.9.1.2"), false, 0, 10, 2)); // each address
}

TEST_CASE("RESERVE keeps seats for its members, and only while they need them", "[policy]") {
  auto doc = parse_ok(R"(GROUP modelers alice bob
RESERVE 2 cad GROUP modelers
)");
  tally t(doc->for_product("cad"));
  CHECK(t.reserved_unmet() == 2);
  // 5 seats: three outsiders get seats, the fourth does not.
  for (int i = 0; i < 3; ++i) {
    auto r = who("user" + std::to_string(i), "ws" + std::to_string(i));
    REQUIRE_FALSE(t.check(r, false, 0, 5, static_cast<uint32_t>(i)));
    t.seat_taken(r);
  }
  auto fourth = t.check(who("user3", "ws3"), false, 0, 5, 3);
  REQUIRE(fourth);
  CHECK(fourth->why == refusal::reserved);
  CHECK(fourth->message
        == "line 2: RESERVE 2 cad GROUP modelers: the 2 free seats are kept "
           "for reservations");
  // The modelers get theirs.
  CHECK_FALSE(t.check(who("alice", "m1"), false, 0, 5, 3));
  t.seat_taken(who("alice", "m1"));
  CHECK(t.reserved_unmet() == 1);
  CHECK(t.check(who("user3", "ws3"), false, 0, 5, 4));
  CHECK_FALSE(t.check(who("bob", "m2"), false, 0, 5, 4));
  t.seat_taken(who("bob", "m2"));
  CHECK(t.reserved_unmet() == 0);
  // A third modeler beyond the reservation is like anyone else: no seat left anyway.
  t.seat_freed("ws0");
  CHECK_FALSE(t.check(who("user3", "ws3"), false, 0, 5, 4)); // the reservation is met
  // Oversubscribed (2 seats, 2 reserved for each of two groups): members still get seats.
  auto over = parse_ok(R"(GROUP a a1 a2
GROUP b b1 b2
RESERVE 2 cad GROUP a
RESERVE 2 cad GROUP b
)");
  tally o(over->for_product("cad"));
  CHECK_FALSE(o.check(who("a1", "x1"), false, 0, 2, 0));
  o.seat_taken(who("a1", "x1"));
  CHECK_FALSE(o.check(who("b1", "x2"), false, 0, 2, 1));
  CHECK(o.check(who("z", "x3"), false, 0, 2, 1));
}

namespace {

// The reference model: a product's holders, and the rules decided by brute force.
struct model_holder {
  std::string user, computer;
};

/// The most holders that can be given to reservations (each to one it matches, each
/// reservation at most its count), by trying every assignment.
uint32_t brute_matching(const std::vector<model_holder>& holders, const product_rules& rules,
                        size_t i, std::vector<uint32_t>& room) {
  if (i == holders.size())
    return 0;
  uint32_t best = brute_matching(holders, rules, i + 1, room); // this one to none
  for (size_t j = 0; j < rules.reserves.size(); ++j)
    if (room[j] > 0 && rules.reserves[j]->who.matches(who(holders[i].user, holders[i].computer))) {
      --room[j];
      best = std::max(best, 1 + brute_matching(holders, rules, i + 1, room));
      ++room[j];
    }
  return best;
}

uint32_t unmet(const std::vector<model_holder>& holders, const product_rules& rules) {
  std::vector<uint32_t> room;
  uint32_t wanted = 0;
  for (const auto* r : rules.reserves) {
    room.push_back(r->count);
    wanted += r->count;
  }
  return wanted - brute_matching(holders, rules, 0, room);
}

} // namespace

TEST_CASE("random policies and checkouts against a reference model of the rules",
          "[policy][property]") {
  std::mt19937 rng(20261205);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> users{"u0", "u1", "u2", "u3", "u4", "u5"};
  std::map<std::string, int> seen; // how often each outcome came up: every one must
  for (int round = 0; round < 300; ++round) {
    // A policy: a few groups of users, reservations whose counts fit the seats, per-user MAX,
    // a group MAX, an EXCLUDE now and then.
    const uint32_t seats = 1 + static_cast<uint32_t>(pick(6));
    std::string text;
    for (int g = 0; g < 3; ++g) {
      text += "GROUP g" + std::to_string(g);
      for (const auto& u : users)
        if (pick(3) == 0)
          text += " " + u;
      text += " nobody\n";
    }
    uint32_t reserved = 0;
    for (int r = 0; r < pick(4); ++r) {
      uint32_t n = 1 + static_cast<uint32_t>(pick(3));
      if (reserved + n > seats)
        break;
      reserved += n;
      text += "RESERVE " + std::to_string(n) + " p GROUP g" + std::to_string(pick(3)) + "\n";
    }
    uint32_t per_user = 1 + static_cast<uint32_t>(pick(3));
    if (pick(2) == 0)
      text += "MAX " + std::to_string(per_user) + " p USER *\n";
    else
      per_user = UINT32_MAX;
    uint32_t group_max = static_cast<uint32_t>(pick(4));
    int limited = pick(3);
    if (pick(2) == 0)
      text += "MAX " + std::to_string(group_max) + " p GROUP g" + std::to_string(limited) + "\n";
    else
      group_max = UINT32_MAX;
    std::string banned = pick(3) == 0 ? users[static_cast<size_t>(pick(6))] : "";
    if (!banned.empty())
      text += "EXCLUDE p USER " + banned + "\n";
    INFO("policy:\n" << text << "seats " << seats);
    auto doc = parse_ok(text);
    auto rules = doc->for_product("p");
    tally t(rules);
    std::vector<model_holder> holders;
    int computer_no = 0;
    for (int step = 0; step < 60; ++step) {
      if (!holders.empty() && pick(3) == 0) { // a release
        auto i = static_cast<size_t>(pick(static_cast<int>(holders.size())));
        t.seat_freed(holders[i].computer);
        holders.erase(holders.begin() + static_cast<long>(i));
        continue;
      }
      model_holder h{users[static_cast<size_t>(pick(6))], "c" + std::to_string(computer_no++)};
      auto r = who(h.user, h.computer);
      auto used = static_cast<uint32_t>(holders.size());
      auto verdict = t.check(r, false, 0, seats, used);
      // What the model says, rule by rule.
      bool excluded = h.user == banned;
      auto of_user = static_cast<uint32_t>(std::count_if(
        holders.begin(), holders.end(), [&](const auto& x) { return x.user == h.user; }));
      bool in_limited_group = rules.maxes.size() > 0 && group_max != UINT32_MAX
                              && std::any_of(rules.maxes.begin(), rules.maxes.end(), [&](auto* m) {
                                   return !m->each() && m->who.matches(r);
                                 });
      auto of_group =
        static_cast<uint32_t>(std::count_if(holders.begin(), holders.end(), [&](const auto& x) {
          return std::any_of(rules.maxes.begin(), rules.maxes.end(), [&](auto* m) {
            return !m->each() && m->who.matches(who(x.user, x.computer));
          });
        }));
      bool limited_out = of_user + 1 > per_user || (in_limited_group && of_group + 1 > group_max);
      auto after = holders;
      after.push_back(h);
      bool reservations_hold = after.size() + unmet(after, rules) <= seats;
      INFO("step " << step << ": " << h.user << " on " << h.computer << ", " << used << " held");
      if (excluded) {
        REQUIRE(verdict);
        CHECK(verdict->why == refusal::excluded);
      } else if (limited_out) {
        REQUIRE(verdict);
        CHECK(verdict->why == refusal::limit);
      } else if (used >= seats) {
        CHECK_FALSE(verdict); // a full pool is the pool's NO_SEATS, not the policy's
        continue;
      } else if (!reservations_hold) {
        REQUIRE(verdict);
        CHECK(verdict->why == refusal::reserved);
      } else {
        REQUIRE_FALSE(verdict);
      }
      seen[!verdict                            ? "granted"
           : verdict->why == refusal::reserved ? "reserved"
           : verdict->why == refusal::limit    ? "limit"
                                               : "excluded"]++;
      if (!verdict) {
        t.seat_taken(r);
        holders.push_back(h);
      }
      // The seat invariant, and every reservation can still be met.
      REQUIRE(holders.size() <= seats);
      REQUIRE(holders.size() + unmet(holders, rules) <= seats);
      REQUIRE(t.reserved_unmet() == unmet(holders, rules));
    }
  }
  INFO("granted " << seen["granted"] << ", reserved " << seen["reserved"] << ", limit "
                  << seen["limit"] << ", excluded " << seen["excluded"]);
  CHECK(seen["granted"] > 1000);
  CHECK(seen["reserved"] > 100);
  CHECK(seen["limit"] > 100);
  CHECK(seen["excluded"] > 100);
}
