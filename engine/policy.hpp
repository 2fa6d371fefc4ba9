#pragma once
// A site's policy (docs/POLICY.md): groups of users, computers and addresses, and per product
// reservations, limits, who may use it, a lease TTL and queue priorities. Pure: the text in,
// rules out; which rule refuses a checkout is decided here too, from counts the pool keeps.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace licd::engine::policy {

/// What a name in a rule stands for.
enum class subject_kind : uint8_t {
  user,          ///< USER name (wildcards * and ?)
  host,          ///< HOST name (wildcards)
  address,       ///< ADDRESS a.b.c.d[/len] or an IPv6 address[/len]
  group,         ///< GROUP name: a group of users
  host_group,    ///< HOST_GROUP name: a group of computers
  address_group, ///< ADDRESS_GROUP name: a group of addresses
};

const char* keyword(subject_kind k);

/// An IPv4 or IPv6 network (an address is a /32 or /128).
struct network {
  std::array<uint8_t, 16> bytes{}; ///< IPv4 as ::ffff:a.b.c.d
  uint8_t prefix = 128;

  static std::optional<network> parse(std::string_view text);
  bool contains(const std::array<uint8_t, 16>& address) const;
};

/// An address as text ("10.1.2.3", "::1", "::ffff:10.1.2.3") in network::bytes' form.
std::optional<std::array<uint8_t, 16>> parse_address(std::string_view text);

/// True when `name` matches `pattern`, where * is any run of characters and ? any one.
bool wildcard_match(std::string_view pattern, std::string_view name);

/// A set of names or networks: exact names in a hash set, patterns and networks in lists.
class name_set {
public:
  void add_name(std::string name); ///< a name, or a pattern when it holds * or ?
  void add_network(const network& n);
  bool contains_name(const std::string& name) const; ///< no copy: a hash lookup and the patterns
  bool contains_address(const std::optional<std::array<uint8_t, 16>>& address) const;
  size_t size() const { return exact_.size() + patterns_.size() + networks_.size(); }

private:
  std::unordered_set<std::string> exact_;
  std::vector<std::string> patterns_;
  std::vector<network> networks_;
};

/// Who asks: the user, the computer and the address its connection comes from.
struct requester {
  std::string user;
  std::string computer;
  std::optional<std::array<uint8_t, 16>> address; ///< nullopt: unknown (matches no address)
};

/// A subject resolved against the groups: which users, computers or addresses it covers.
struct subject {
  subject_kind kind = subject_kind::user;
  std::string name;                    ///< as written (for messages)
  std::shared_ptr<const name_set> set; ///< the names (or networks) it covers

  bool matches(const requester& r) const;
  std::string describe() const; ///< "GROUP modelers", "USER dora"
};

enum class rule_kind : uint8_t { reserve, max, include, exclude };

/// One RESERVE, MAX, INCLUDE or EXCLUDE line.
struct rule {
  rule_kind kind = rule_kind::include;
  std::string product; ///< a product name, or "*" (every product; not for RESERVE)
  uint32_t count = 0;  ///< RESERVE and MAX
  subject who;
  uint32_t line = 0;
  /// MAX on a USER, HOST or ADDRESS name or pattern limits each one that matches on its own
  /// ("at most 1 seat per user"); on a group, the group together.
  bool each() const;
  std::string text() const;     ///< "MAX 1 cad USER *"
  std::string describe() const; ///< "line 12: MAX 1 cad USER *"
};

/// A problem in the policy text, with its line (0: the file as a whole).
struct problem {
  uint32_t line = 0;
  std::string message;
};

/// What a checkout needs to know of a product's rules.
struct product_rules {
  std::vector<const rule*> reserves, maxes, includes, excludes;
  std::optional<std::chrono::seconds> ttl;
  /// Queue priority per group (higher first); a waiter in several takes the highest.
  std::vector<std::pair<subject, int32_t>> priorities;
};

/// A parsed policy. Immutable once made; shared by the pools that use it.
class document {
public:
  /// Parses `text`; on any problem returns every one of them (and no document).
  static std::pair<std::shared_ptr<const document>, std::vector<problem>>
  parse(std::string_view text);

  const std::vector<rule>& rules() const { return rules_; }
  /// The rules of `product` (its own and those for "*"), in file order.
  product_rules for_product(const std::string& product) const;
  size_t groups() const { return groups_.size(); }
  /// The policy as text, normalised (for `licadmin policy show` and the admin API).
  std::string describe() const;

private:
  struct group_def {
    subject_kind of = subject_kind::user; ///< user (GROUP), host or address
    std::shared_ptr<name_set> members;
    uint32_t line = 0;
    std::vector<std::string> texts; ///< the members as written
  };
  struct ttl_def {
    std::string product;
    std::chrono::seconds ttl{0};
    uint32_t line = 0;
  };
  struct priority_def {
    std::string product;
    subject who;
    int32_t priority = 0;
    uint32_t line = 0;
  };

  std::map<std::string, group_def> groups_;
  std::vector<rule> rules_;
  std::vector<ttl_def> ttls_;
  std::vector<priority_def> priorities_;
};

/// Why a checkout is refused by the policy (the wire codes RESERVED, LIMIT and EXCLUDED).
enum class refusal : uint8_t {
  reserved, ///< the free seats are kept for a reservation the requester is not in
  limit,    ///< a MAX rule: the requester (or its group) holds as many as it may
  excluded, ///< an EXCLUDE rule, or INCLUDE rules it is in none of
};

struct verdict {
  refusal why = refusal::excluded;
  const rule* by = nullptr; ///< the rule that refused (its line is in the message)
  std::string message;
};

/// One product's rules and the counts they are checked against: who holds the product's seats
/// (each seat is owned by the requester whose checkout took it), per MAX rule and per
/// reservation. The pool keeps one per product and tells it of every seat taken or freed; it
/// answers whether a checkout may go ahead. Reservations are exact: the seats held by members
/// of reservations are matched to them as well as possible (a maximum matching), and a
/// requester outside every reservation that still needs seats gets a seat only while the free
/// seats exceed those needs.
class tally {
public:
  tally() = default;
  explicit tally(product_rules rules);

  const product_rules& rules() const { return rules_; }

  /// Whether `r` may check out now. `holds_seat`: its computer holds a seat of the product
  /// already (it would share it); `computer_leases`: the leases its computer holds of the
  /// product; `seats`/`used`: the product's seats and the computers holding them. The rules in
  /// this order: EXCLUDE, INCLUDE, MAX, then (when it takes a seat) the reservations. A full
  /// pool is not a refusal here (the pool says NO_SEATS).
  std::optional<verdict> check(const requester& r, bool holds_seat, uint32_t computer_leases,
                               uint32_t seats, uint32_t used) const;

  /// `r`'s computer took a seat (its first lease of the product).
  void seat_taken(const requester& r);
  /// The computer's seat is free again (its last lease ended).
  void seat_freed(const std::string& computer);

  /// Seats the reservations still need: their counts less the seats their members hold
  /// (matched as well as possible).
  uint32_t reserved_unmet() const;

  /// `r`'s queue priority: the highest PRIORITY it matches, 0 when none.
  int32_t priority(const requester& r) const;

private:
  struct owner {
    std::string user;
    std::optional<std::array<uint8_t, 16>> address;
    uint64_t reservations = 0; ///< bit i: matches reserves[i]
  };
  uint64_t signature(const requester& r) const;
  /// The most holders that can be matched to reservations, with `extra` one more of that
  /// signature (0: none).
  uint32_t matched(uint64_t extra) const;
  /// matched(0), kept until the holders change.
  uint32_t matched_now() const;
  void count(const owner& o, const std::string& computer, int delta);

  product_rules rules_;
  std::unordered_map<std::string, owner> owners_; ///< computer -> who took its seat
  std::map<uint64_t, uint32_t> signatures_;       ///< holders per set of reservations matched
  /// Per MAX rule: seats held by its group (group rules), or per user/address (each-rules).
  std::vector<uint32_t> group_counts_;
  std::vector<std::unordered_map<std::string, uint32_t>> each_counts_;
  uint64_t wanted_ = 0; ///< the reservations' counts together
  mutable std::optional<uint32_t> matched_now_;
};

} // namespace licd::engine::policy
