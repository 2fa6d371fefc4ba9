// etcd's JSON gateway bodies (cluster/etcd_json.hpp), against answers etcd 3.4.23 gave.

#include "cluster/etcd_json.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace etcd = licd::cluster::etcd;
using nlohmann::json;

TEST_CASE("base64 both ways, as the gateway wants keys and values", "[cluster][etcd]") {
  CHECK(etcd::base64("") == "");
  CHECK(etcd::base64("/licd/leader") == "L2xpY2QvbGVhZGVy");
  CHECK(etcd::base64("1") == "MQ==");
  CHECK(etcd::base64("ab") == "YWI=");
  for (const std::string& s :
       std::vector<std::string>{"", "1", "ab", "abc", "/licd/x", std::string("\0\xff\x10", 3)})
    CHECK(etcd::unbase64(etcd::base64(s)) == s);
  CHECK_FALSE(etcd::unbase64("abc"));  // not a multiple of 4
  CHECK_FALSE(etcd::unbase64("ab!=")); // not the alphabet
  CHECK_FALSE(etcd::unbase64("a===")); // too much padding
}

TEST_CASE("a prefix's range end covers exactly the keys that start with it", "[cluster][etcd]") {
  CHECK(etcd::prefix_end("/licd/") == "/licd0");
  CHECK(etcd::prefix_end("a\xff") == "b");
  CHECK(etcd::prefix_end(std::string("\xff\xff", 2)) == std::string(1, '\0'));
}

TEST_CASE("a fenced transaction's request and both of its answers", "[cluster][etcd]") {
  auto body = json::parse(etcd::txn_request({{"/licd/leader", 0}},
                                            {etcd::op::put("/licd/leader", "node-a", 4111)},
                                            {etcd::op::range("/licd/leader")}));
  CHECK(body["compare"][0]
        == json{{"key", "L2xpY2QvbGVhZGVy"},
                {"target", "CREATE"},
                {"result", "EQUAL"},
                {"create_revision", "0"}});
  CHECK(body["success"][0]["request_put"]
        == json{{"key", "L2xpY2QvbGVhZGVy"}, {"value", "bm9kZS1h"}, {"lease", "4111"}});
  CHECK(body["failure"][0]["request_range"] == json{{"key", "L2xpY2QvbGVhZGVy"}});
  auto del = json::parse(etcd::txn_request({}, {etcd::op::del("/licd/", "/licd0")}));
  CHECK(del["success"][0]["request_delete_range"]["range_end"] == etcd::base64("/licd0"));

  auto won = etcd::parse_txn(
    R"({"header":{"cluster_id":"15118495548433857066","member_id":"13668033151171901709",)"
    R"("revision":"2","raft_term":"2"},"succeeded":true,"responses":[{"response_put":)"
    R"({"header":{"revision":"2"}}}]})");
  CHECK(won.succeeded);
  CHECK(won.revision == 2);
  CHECK(won.ranges.empty());
  // The gateway leaves `succeeded` out when it is false.
  auto lost = etcd::parse_txn(
    R"({"header":{"cluster_id":"15118495548433857066","member_id":"13668033151171901709",)"
    R"("revision":"2","raft_term":"2"},"responses":[{"response_range":{"header":)"
    R"({"revision":"2"},"kvs":[{"key":"L2xpY2QvbGVhZGVy","create_revision":"2",)"
    R"("mod_revision":"2","version":"1","value":"bm9kZS1h","lease":"4111120466612046855"}],)"
    R"("count":"1"}}]})");
  CHECK_FALSE(lost.succeeded);
  REQUIRE(lost.ranges.size() == 1);
  REQUIRE(lost.ranges[0].size() == 1);
  CHECK(lost.ranges[0][0] == etcd::kv{"/licd/leader", "node-a", 2, 2, 1, 4111120466612046855LL});
  CHECK_THROWS(etcd::parse_txn(R"({"error":"etcdserver: too many operations in txn request"})"));
  CHECK_THROWS(etcd::parse_txn("not json"));
}

TEST_CASE("ranges, leases and keepalives", "[cluster][etcd]") {
  CHECK(json::parse(etcd::range_request("/licd/", "/licd0"))
        == json{{"key", "L2xpY2Qv"}, {"range_end", "L2xpY2Qw"}});
  auto r = etcd::parse_range(
    R"({"header":{"revision":"4","raft_term":"2"},"kvs":[{"key":"L2xpY2QveA==",)"
    R"("create_revision":"3","mod_revision":"3","version":"1","value":"MQ=="}],"count":"1"})");
  CHECK(r.revision == 4);
  REQUIRE(r.kvs.size() == 1);
  CHECK(r.kvs[0] == etcd::kv{"/licd/x", "1", 3, 3, 1, 0});
  CHECK_FALSE(r.more);
  CHECK(etcd::parse_range(R"({"header":{"revision":"9"}})").kvs.empty()); // none: no kvs field

  CHECK(json::parse(etcd::lease_grant_request(std::chrono::seconds(5))) == json{{"TTL", "5"}});
  auto granted = etcd::parse_lease(R"({"header":{"revision":"1"},"ID":"4111120466612046853",)"
                                   R"("TTL":"5"})");
  CHECK(granted.id == 4111120466612046853LL);
  CHECK(granted.ttl == 5);
  auto kept = etcd::parse_lease(R"({"result":{"header":{"revision":"2"},)"
                                R"("ID":"4111120466612046855","TTL":"5"}})");
  CHECK(kept.id == 4111120466612046855LL);
  CHECK(kept.ttl == 5);
  // A keepalive for a lease that is gone: TTL left out (0).
  CHECK(etcd::parse_lease(R"({"result":{"header":{},"ID":"7"}})").ttl == 0);
  CHECK_THROWS(etcd::parse_lease(R"({"header":{}})"));
  CHECK_THROWS(etcd::parse_lease(R"({"ID":"12x"})"));
}

TEST_CASE("a watch stream, line by line", "[cluster][etcd]") {
  auto req = json::parse(etcd::watch_request("/licd/", "/licd0", 1));
  CHECK(req
        == json{{"create_request",
                 {{"key", "L2xpY2Qv"}, {"range_end", "L2xpY2Qw"}, {"start_revision", "1"}}}});
  auto created = etcd::parse_watch_line(
    R"({"result":{"header":{"cluster_id":"1","revision":"2","raft_term":"2"},"created":true}})");
  CHECK(created.created);
  CHECK(created.events.empty());
  auto put = etcd::parse_watch_line(
    R"({"result":{"header":{"revision":"3"},"events":[{"kv":{"key":"L2xpY2QveA==",)"
    R"("create_revision":"3","mod_revision":"3","version":"1","value":"MQ=="}}]}})");
  CHECK(put.revision == 3);
  REQUIRE(put.events.size() == 1);
  CHECK_FALSE(put.events[0].deleted); // PUT is the default and left out
  CHECK(put.events[0].item.value == "1");
  auto del = etcd::parse_watch_line(
    R"({"result":{"header":{"revision":"4"},"events":[{"type":"DELETE","kv":)"
    R"({"key":"L2xpY2QvbGVhZGVy","mod_revision":"4"}}]}})");
  REQUIRE(del.events.size() == 1);
  CHECK(del.events[0].deleted);
  CHECK(del.events[0].item.key == "/licd/leader");
  auto canceled = etcd::parse_watch_line(
    R"({"result":{"header":{"revision":"9"},"canceled":true,"compact_revision":"5"}})");
  CHECK(canceled.canceled);
  CHECK(canceled.compact_revision == 5);
  CHECK_THROWS(etcd::parse_watch_line(R"({"header":{}})"));
}
