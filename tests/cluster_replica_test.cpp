// How licd's state lies in etcd (cluster/replica.hpp): change sets to etcd operations and back,
// a full catch-up, and what is refused.

#include "cluster/etcd_client.hpp"
#include "cluster/replica.hpp"
#include "net/replies.hpp"

#include <catch2/catch.hpp>

namespace cluster = licd::cluster;
namespace etcd = licd::cluster::etcd;
using licd::storage::change_set;

namespace {

licd::storage::lease_record lease(uint64_t lo, const std::string& computer) {
  return {{1, lo}, "cad", computer, "alice", "42", 1'700'000'000'000};
}

licd::engine::event granted(const std::string& computer) {
  licd::engine::event e;
  e.at_ms = 1'700'000'000'123;
  e.product = "cad";
  e.computer = computer;
  e.user = "alice";
  e.lease = "00000000000000010000000000000007";
  return e;
}

/// The watch events a transaction of `ops` makes (puts and deletes, one revision).
std::vector<etcd::watch_event> as_events(const std::vector<etcd::op>& ops, int64_t revision) {
  std::vector<etcd::watch_event> out;
  for (const auto& o : ops) {
    etcd::watch_event e;
    e.deleted = o.what == etcd::op::kind::del;
    e.item.key = o.key;
    e.item.value = o.value;
    e.item.mod_revision = revision;
    out.push_back(e);
  }
  return out;
}

} // namespace

TEST_CASE("a group's changes become one etcd operation per key, the last change winning",
          "[cluster][replica]") {
  auto k = cluster::keys_for("site");
  CHECK(k.prefix == "/licd/site/");
  change_set grant, release, other;
  grant.put_leases.push_back(lease(7, "ws-1"));
  grant.events.push_back(granted("ws-1"));
  release.erase_leases.push_back({1, 7}); // the same lease, released in the same group
  other.put_leases.push_back(lease(8, "ws-2"));
  other.put_meta.emplace_back("clock_seen_ms", "123");
  other.put_licenses.push_back({5, "LICD-CODE", 99});
  auto ops = cluster::to_ops(k, {&grant, &release, &other}, k.log(1'700'000'000'000, 20, 1));
  REQUIRE(ops.size() == 5); // lease 7 (deleted), lease 8, meta, license, the log entry
  std::map<std::string, const etcd::op*> by_key;
  for (const auto& o : ops)
    by_key[o.key] = &o;
  REQUIRE(by_key.size() == ops.size()); // etcd refuses a key twice in one transaction
  CHECK(by_key.at(k.lease({1, 7}))->what == etcd::op::kind::del);
  CHECK(by_key.at(k.lease({1, 8}))->what == etcd::op::kind::put);
  CHECK(by_key.at(k.meta("clock_seen_ms"))->value == "123");
  CHECK(by_key.count(k.license(5)) == 1);
  CHECK(by_key.at(k.log(1'700'000'000'000, 20, 1))->what == etcd::op::kind::put);
  CHECK(k.log(1'700'000'000'000, 20, 1)
        == "/licd/site/log/00000001700000000000/00000000000000000020/00000000000000000001");
  // Old entries lie below log_before(t); those written at t or later above it.
  CHECK(k.log(1'699'999'999'999, 99, 99) < k.log_before(1'700'000'000'000));
  CHECK(k.log(1'700'000'000'000, 0, 0) > k.log_before(1'700'000'000'000));
  CHECK(k.log_before(1) > k.log());

  // What a standby makes of the transaction: the same state and the same events, in order.
  auto sets = cluster::from_events(k, as_events(ops, 30));
  REQUIRE(sets.size() == 2); // the state, then the logged events
  const auto& state = sets[0];
  REQUIRE(state.put_leases.size() == 1);
  CHECK(state.put_leases[0].id == licd::engine::lease_id{1, 8});
  CHECK(state.put_leases[0].computer == "ws-2");
  CHECK(state.put_leases[0].granted_at_ms == 1'700'000'000'000);
  REQUIRE(state.erase_leases.size() == 1);
  CHECK(state.erase_leases[0] == licd::engine::lease_id{1, 7});
  REQUIRE(state.put_licenses.size() == 1);
  CHECK(state.put_licenses[0].code == "LICD-CODE");
  CHECK(state.put_licenses[0].installed_at_ms == 99);
  CHECK(state.put_meta
        == std::vector<std::pair<std::string, std::string>>{{"clock_seen_ms", "123"}});
  REQUIRE(sets[1].events.size() == 1);
  CHECK(sets[1].events[0].computer == "ws-1");
  CHECK(sets[1].events[0].at_ms == 1'700'000'000'123);
  CHECK(sets[1].log_events);
}

TEST_CASE("events kept out of a full data dir's log stay out of it on every node",
          "[cluster][replica]") {
  auto k = cluster::keys_for("site");
  change_set dropped;
  dropped.events.push_back(granted("ws-9"));
  dropped.log_events = false;
  auto sets = cluster::decode_log(cluster::encode_log({&dropped}));
  REQUIRE(sets.size() == 1);
  CHECK_FALSE(sets[0].log_events);
  CHECK(sets[0].events[0].computer == "ws-9");
  // A group without events writes no log entry.
  change_set quiet;
  quiet.erase_leases.push_back({1, 2});
  auto ops = cluster::to_ops(k, {&quiet}, k.log(5, 1, 1));
  REQUIRE(ops.size() == 1);
  CHECK(ops[0].key == k.lease({1, 2}));
}

TEST_CASE("a full catch-up takes etcd's state and drops what etcd no longer has",
          "[cluster][replica]") {
  auto k = cluster::keys_for("site");
  change_set have;
  have.put_leases.push_back(lease(3, "ws-3"));
  have.put_activations.push_back({5, 0xabc, "LICD-RESPONSE"});
  std::vector<etcd::kv> kvs;
  for (const auto& o : cluster::to_ops(k, {&have}, k.log(5, 1, 1)))
    kvs.push_back({o.key, o.value, 1, 1, 1, 0});
  cluster::local_state local;
  local.leases = {{1, 3}, {1, 4}}; // lease 4 ended while this node was away
  local.licenses = {9};            // and license 9 was removed
  auto cs = cluster::from_state(k, kvs, local);
  REQUIRE(cs.put_leases.size() == 1);
  CHECK(cs.put_leases[0].id == licd::engine::lease_id{1, 3});
  CHECK(cs.erase_leases == std::vector<licd::engine::lease_id>{{1, 4}});
  CHECK(cs.erase_licenses == std::vector<uint64_t>{9});
  REQUIRE(cs.put_activations.size() == 1);
  CHECK(cs.put_activations[0].nonce == 0xabc);
  CHECK(cs.put_activations[0].response == "LICD-RESPONSE");
}

TEST_CASE("keys and values licd did not write are refused, not guessed at", "[cluster][replica]") {
  auto k = cluster::keys_for("site");
  auto one = [&](std::string key, std::string value) {
    etcd::watch_event e;
    e.item.key = std::move(key);
    e.item.value = std::move(value);
    return std::vector<etcd::watch_event>{e};
  };
  CHECK_THROWS_AS(cluster::from_events(k, one(k.state() + "lease/xyz", "a\tb\tc\td\t1")),
                  cluster::malformed);
  CHECK_THROWS_AS(cluster::from_events(k, one(k.lease({1, 2}), "too few fields")),
                  cluster::malformed);
  CHECK_THROWS_AS(cluster::from_events(k, one(k.state() + "what/1", "x")), cluster::malformed);
  CHECK_THROWS_AS(cluster::from_events(k, one(k.log(5, 1, 1), "not json")), cluster::malformed);
  // The election key and the nodes' keys are no part of the state.
  CHECK(cluster::from_events(k, one(k.leader(), "{}")).empty());
  CHECK(cluster::from_events(k, one(k.node("n1"), "{}")).empty());
  CHECK_THROWS_AS(cluster::keys_for(""), std::invalid_argument);
  CHECK_THROWS_AS(cluster::keys_for("a/b"), std::invalid_argument);
  CHECK_FALSE(cluster::valid_name(std::string(65, 'a')));
  CHECK(cluster::valid_name("node-1.site_a"));
}

TEST_CASE("a node's self-description and --cluster's URL list", "[cluster][replica]") {
  cluster::node_info n{"n1",
                       "10.0.0.1:27600",
                       "http://10.0.0.1:27601",
                       5,
                       {"0f1e", "4c4c", "lic1", {"02:00:00:aa:00:01", "02:00:00:aa:00:02"}}};
  CHECK(cluster::decode_node(cluster::encode(n)) == n);
  CHECK_FALSE(cluster::decode_node("nope"));
  CHECK(etcd::parse_cluster_url("etcd:http://a:2379,https://b:2379/")
        == std::vector<std::string>{"http://a:2379", "https://b:2379"});
  CHECK_THROWS_AS(etcd::parse_cluster_url("http://a:2379"), std::invalid_argument);
  CHECK_THROWS_AS(etcd::parse_cluster_url("etcd:"), std::invalid_argument);
  CHECK_THROWS_AS(etcd::parse_cluster_url("etcd:ftp://a:1"), std::invalid_argument);
  CHECK_THROWS_AS(etcd::parse_cluster_url("etcd:http://a"), std::invalid_argument);
}

TEST_CASE("NOT_LEADER names the leader, or none", "[cluster][net]") {
  namespace proto = licd::net::protocol;
  auto r = proto::parse_reply(proto::format_not_leader("4", "10.0.0.2:27600"));
  REQUIRE(r);
  CHECK(r->code == "NOT_LEADER");
  CHECK(proto::leader_named(r->message) == "10.0.0.2:27600");
  auto none = proto::parse_reply(proto::format_not_leader("5", ""));
  REQUIRE(none);
  CHECK(none->code == "NOT_LEADER");
  CHECK(proto::leader_named(none->message).empty());
}
