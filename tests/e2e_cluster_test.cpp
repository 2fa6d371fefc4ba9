// A licd cluster (docs/CLUSTER.md) on three real etcd members and three licd nodes on loopback:
// the leader SIGKILLed under contention again and again (with one etcd member stopped on the
// way), the leader frozen past its etcd lease (fencing), and the whole cluster stopped and
// started again. The checker trusts only what clients were told (tests/chaos_support.hpp).

#include "chaos_support.hpp"
#include "e2e_admin_support.hpp"

#include "client/discovery.hpp"
#include "cluster/node.hpp"
#include "storage/database.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>

using namespace licd::test;
using namespace licd::test::chaos;
using licd::client::connect_and_hello;

namespace {

/// One etcd member, a child process with its output in a log file.
class etcd_member {
public:
  /// `tls`: the certificate and key it serves its clients with, which must show one signed by
  /// the certificate itself (a self-signed certificate is its own CA).
  etcd_member(std::string name, std::string dir, uint16_t client, uint16_t peer,
              std::string initial_cluster, std::optional<tls_files> tls = std::nullopt)
    : name_(std::move(name)), dir_(std::move(dir)), client_(client), peer_(peer),
      initial_(std::move(initial_cluster)), tls_(std::move(tls)) {
    start();
  }
  ~etcd_member() { stop(SIGKILL); }
  etcd_member(const etcd_member&) = delete;
  etcd_member& operator=(const etcd_member&) = delete;

  void start() {
    auto c = url();
    auto p = "http://127.0.0.1:" + std::to_string(peer_);
    std::vector<std::string> args{"etcd",
                                  "--name=" + name_,
                                  "--data-dir=" + dir_,
                                  "--listen-client-urls=" + c,
                                  "--advertise-client-urls=" + c,
                                  "--listen-peer-urls=" + p,
                                  "--initial-advertise-peer-urls=" + p,
                                  "--initial-cluster=" + initial_,
                                  "--initial-cluster-state=new"};
    if (tls_) {
      args.insert(args.end(), {"--cert-file=" + tls_->cert, "--key-file=" + tls_->key,
                               "--trusted-ca-file=" + tls_->cert, "--client-cert-auth"});
    }
    auto log = dir_ + ".log";
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp("etcd", argv.data());
      std::fprintf(stderr, "cannot run etcd (install etcd-server): %s\n", std::strerror(errno));
      std::_Exit(127);
    }
  }
  void stop(int sig = SIGTERM) {
    if (pid_ <= 0)
      return;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  bool healthy() const {
    auto made = tls_ ? std::make_unique<httplib::Client>(url(), tls_->cert, tls_->key)
                     : std::make_unique<httplib::Client>(url());
    auto& c = *made;
    if (tls_)
      c.set_ca_cert_path(tls_->cert.c_str());
    c.set_connection_timeout(1, 0);
    c.set_read_timeout(2, 0);
    auto r = c.Get("/health");
    return r && r->status == 200 && r->body.find("\"true\"") != std::string::npos;
  }
  std::string url() const {
    return (tls_ ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(client_);
  }

private:
  std::string name_, dir_;
  uint16_t client_, peer_;
  std::string initial_;
  std::optional<tls_files> tls_;
  int pid_ = -1;
};

std::string member_name(int i) {
  std::string name = "etcd";
  name.push_back(static_cast<char>('0' + i));
  return name;
}

/// One etcd member of its own, healthy.
std::unique_ptr<etcd_member> one_etcd_member(const temp_dir& tmp,
                                             std::optional<tls_files> tls = std::nullopt) {
  auto client = free_port(), peer = free_port();
  auto m = std::make_unique<etcd_member>(
    member_name(0), tmp.path() + "/etcd", client, peer,
    member_name(0) + "=http://127.0.0.1:" + std::to_string(peer), std::move(tls));
  REQUIRE(eventually([&] { return m->healthy(); }, 30s));
  return m;
}

/// Whether licd on `port` answers HELLO (a cluster node that leads; a standby says NOT_LEADER).
bool greets(uint16_t port) {
  try {
    licd::client::connection c("127.0.0.1", port, 1000ms);
    c.hello("probe", "probe", "1");
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

/// Three etcd members, three licd nodes (their own data dirs and client ports), a vendor key.
struct cluster_fixture {
  temp_dir tmp;
  std::string keys = tmp.path() + "/keys";
  std::vector<std::unique_ptr<etcd_member>> etcd;
  std::array<uint16_t, 3> ports{};
  std::array<std::unique_ptr<licd_process>, 3> nodes;
  std::string lease_ttl;

  explicit cluster_fixture(int lease_ttl_seconds = 8)
    : lease_ttl(std::to_string(lease_ttl_seconds)) {
    REQUIRE(run({LICGEN_BINARY, "keygen", "--out=" + keys}).status == 0);
    std::array<uint16_t, 3> client{}, peer{};
    std::string initial;
    for (int i = 0; i < 3; ++i) {
      client[i] = free_port();
      peer[i] = free_port();
      ports[i] = free_port();
      if (i > 0)
        initial += ',';
      initial.append(member_name(i)).append("=http://127.0.0.1:").append(std::to_string(peer[i]));
    }
    for (int i = 0; i < 3; ++i)
      etcd.push_back(std::make_unique<etcd_member>(
        member_name(i), tmp.path() + "/" + member_name(i), client[i], peer[i], initial));
    wait_for_etcd();
    for (int i = 0; i < 3; ++i)
      start(i);
    wait_for_registrations();
  }
  ~cluster_fixture() {
    for (auto& n : nodes)
      if (n)
        std::cerr << "---- " << n->log_path() << " ----\n" << n->log();
  }

  void wait_for_etcd() {
    REQUIRE(eventually(
      [&] {
        return std::all_of(etcd.begin(), etcd.end(), [](const auto& m) { return m->healthy(); });
      },
      30s));
  }
  std::string cluster_url() const {
    std::string out = "etcd:";
    for (size_t i = 0; i < etcd.size(); ++i) {
      if (i > 0)
        out += ',';
      out += etcd[i]->url();
    }
    return out;
  }
  std::string data(int i) const { return tmp.path() + "/node" + std::to_string(i); }
  std::string endpoint(int i) const { return "127.0.0.1:" + std::to_string(ports[i]); }
  std::vector<std::string> endpoints() const { return {endpoint(0), endpoint(1), endpoint(2)}; }

  void start(int i, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{
      "--port=" + std::to_string(ports[i]),   "--cluster=" + cluster_url(),
      "--node-name=node" + std::to_string(i), "--advertise=" + endpoint(i),
      "--vendor-key=" + keys + "/vendor.pub", "--lease-ttl=" + lease_ttl};
    args.insert(args.end(), extra.begin(), extra.end());
    // Each node on a machine of its own, as on a site.
    auto facts = tmp.path() + "/machine" + std::to_string(i);
    auto n = std::to_string(i);
    write_text(facts, "machine-id=" + std::string(31, 'a') + n + "\nmac=02:00:00:00:00:0" + n
                        + "\nhostname=lic" + n + "\n");
    nodes[i] = std::make_unique<licd_process>(
      data(i), args, std::vector<std::string>{"LICD_MACHINE_FACTS=" + facts});
  }

  /// Waits until a node other than `old` leads; returns it.
  int new_leader(int old) const {
    int now = -1;
    REQUIRE(eventually(
      [&] {
        now = leader();
        return now >= 0 && now != old;
      },
      30s));
    return now;
  }

  /// Waits until a node leads and lists all three nodes as registered: each registers from its
  /// own thread once etcd answers it, which may be a retry after another node won the lead.
  void wait_for_registrations() const {
    std::string last;
    bool all = eventually(
      [&] {
        auto l = leader();
        if (l < 0)
          return false;
        auto st = run({LICADMIN_BINARY, "--data-dir=" + data(l), "--json", "cluster", "status"});
        last = st.out;
        return st.status == 0 && nlohmann::json::parse(st.out)["nodes"].size() == 3;
      },
      30s);
    INFO(last);
    REQUIRE(all);
  }

  /// The node that answers HELLO (the others say NOT_LEADER), or -1.
  int leader() const {
    for (int i = 0; i < 3; ++i)
      if (greets(ports[i]))
        return i;
    return -1;
  }

  void add_license(const std::string& product, int seats) {
    auto code = run({LICGEN_BINARY, "issue", "--key=" + keys + "/vendor.key",
                     "--product=" + product, "--seats=" + std::to_string(seats)});
    REQUIRE(code.status == 0);
    auto l = leader();
    REQUIRE(l >= 0);
    auto added = run({LICADMIN_BINARY, "--data-dir=" + data(l), "licenses", "add", code.out});
    INFO(added.out);
    REQUIRE(added.status == 0);
  }
};

} // namespace

TEST_CASE("cluster: the leader SIGKILLed under contention, again and again, loses no "
          "acknowledged lease and never grants more seats than there are",
          "[e2e][cluster][slow]") {
  const int clients = env_int("LICD_CLUSTER_CLIENTS", 24);
  const int seats = env_int("LICD_CLUSTER_SEATS", 8);
  const int kills = env_int("LICD_CLUSTER_KILLS", 4);
  const auto ttl = std::chrono::seconds(8);
  cluster_fixture f(static_cast<int>(ttl.count()));
  f.add_license("cad", seats);

  observations obs;
  std::atomic<bool> stop{false};
  std::vector<std::atomic<int64_t>> last_reply(static_cast<size_t>(clients));
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    // Each client's list starts at another node: most first meet a standby and are sent on.
    auto servers = f.endpoints();
    std::rotate(servers.begin(), servers.begin() + i % 3, servers.end());
    threads.emplace_back(run_client, i, servers, std::chrono::milliseconds(ttl), std::cref(stop),
                         std::ref(last_reply[static_cast<size_t>(i)]), std::ref(obs));
  }

  std::mt19937 rng(20261206);
  std::vector<double> failover_ms;
  for (int k = 0; k < kills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500 + rng() % 1500));
    if (k == kills / 2) {
      // One etcd member stops for good: two of three still make a quorum.
      f.etcd[rng() % 3]->stop();
    }
    auto old = f.leader();
    REQUIRE(old >= 0);
    auto killed_at = clock_type::now();
    f.nodes[old]->kill();
    // The first new leader to greet a client.
    auto now_leader = f.new_leader(old);
    CHECK(now_leader != old);
    auto ready = clock_type::now();
    failover_ms.push_back(std::chrono::duration<double, std::milli>(ready - killed_at).count());
    // Every client hears from the new leader again (a liveness bound, not a speed figure).
    bool all_back = eventually(
      [&] {
        return std::all_of(last_reply.begin(), last_reply.end(), [&](const auto& t) {
          return t.load() >= ready.time_since_epoch().count();
        });
      },
      20s);
    INFO("kill " << k + 1 << " of " << kills);
    CHECK(all_back);
    f.start(old); // back as a standby, catching up from its own revision
  }
  std::this_thread::sleep_for(1s);
  stop = true;
  for (auto& t : threads)
    t.join();

  std::sort(failover_ms.begin(), failover_ms.end());
  for (const auto& v : obs.violations)
    UNSCOPED_INFO(v);
  CHECK(obs.violations.empty());                              // no acknowledged lease lost
  CHECK(max_overlap(obs.held) <= static_cast<size_t>(seats)); // never more holders than seats
  CHECK(obs.grants > static_cast<uint64_t>(seats));           // the run really contended
  CHECK(obs.denials > 0);
  CHECK(obs.renewals > 0);
  CHECK(obs.releases > 0);
  std::cerr << "cluster: kills " << kills << ", clients " << clients << ", seats " << seats
            << ", operations " << obs.operations << ", grants " << obs.grants << ", renewals "
            << obs.renewals << ", releases " << obs.releases << ", denials " << obs.denials
            << ", max concurrent holders " << max_overlap(obs.held) << ", failover (kill to the "
            << "new leader's first HELLO) median " << failover_ms[failover_ms.size() / 2]
            << " ms, max " << failover_ms.back() << " ms\n";
}

TEST_CASE("cluster: a leader frozen past its etcd lease grants nothing once thawed, and comes "
          "back as a standby",
          "[e2e][cluster][slow]") {
  cluster_fixture f;
  f.add_license("cad", 2);
  auto old = f.leader();
  REQUIRE(old >= 0);
  // A client of the old leader, greeted before the freeze.
  licd::client::connection late("127.0.0.1", f.ports[old], 30'000ms);
  late.hello("late", "late", "1");
  ::kill(f.nodes[old]->pid(), SIGSTOP);
  // Its request waits in the socket while it is frozen.
  late.send_raw("CHECKOUT 7 cad\n");
  auto now_leader = f.new_leader(old);
  // The new leader gives both seats away.
  auto a = connect_and_hello(f.endpoints(), "a", "a", "1");
  auto b = connect_and_hello(f.endpoints(), "b", "b", "1");
  a.conn->checkout("cad");
  b.conn->checkout("cad");
  ::kill(f.nodes[old]->pid(), SIGCONT);
  // The old leader may not grant: its write to etcd is refused (fenced), or it notices first
  // that it lost its lead and starts over, closing the connection.
  std::string reply;
  try {
    reply = late.read_line();
  } catch (const licd::client::connection_error& e) {
    reply = std::string("closed: ") + e.what();
  }
  INFO(reply);
  CHECK(reply.rfind("OK", 0) != 0);
  CHECK(eventually(
    [&] { return f.nodes[old]->log().find("starts over as a standby") != std::string::npos; },
    20s));
  CHECK(f.nodes[old]->running()); // the same process, started over
  // It stands by now: it sends clients to the leader.
  CHECK(eventually(
    [&] {
      try {
        licd::client::connection c("127.0.0.1", f.ports[old], 1000ms);
        c.hello("x", "x", "1");
        return false;
      } catch (const licd::client::refused& e) {
        return e.code() == licd::engine::errc::not_leader
               && e.message().find("leader=" + f.endpoint(now_leader)) == 0;
      } catch (const std::exception&) {
        return false;
      }
    },
    20s));
  // Both seats are still a's and b's: nothing the old leader did took one.
  auto s = a.conn->status("cad");
  REQUIRE(s.size() == 1);
  CHECK(s[0].used == 2);
}

TEST_CASE("cluster: stopped and started again whole, it keeps every lease, and a standby sends "
          "licclient to the leader",
          "[e2e][cluster][slow]") {
  cluster_fixture f;
  f.add_license("cad", 3);
  auto g = connect_and_hello(f.endpoints(), "w1", "u1", "1");
  auto l1 = g.conn->checkout("cad").lease;
  auto l2 = g.conn->checkout("cad", "w2", "u2").lease;
  g.conn.reset();
  for (auto& n : f.nodes)
    CHECK(n->terminate() == 0);
  for (auto& m : f.etcd)
    m->stop();
  for (auto& m : f.etcd)
    m->start();
  f.wait_for_etcd();
  std::array<uint16_t, 3> discovery{};
  for (int i = 0; i < 3; ++i) {
    discovery[i] = free_port(SOCK_DGRAM);
    f.start(i, {"--discovery-port=" + std::to_string(discovery[i]), "--discovery-bind=127.0.0.1"});
  }
  f.wait_for_registrations();
  auto again = connect_and_hello(f.endpoints(), "w1", "u1", "1");
  CHECK(again.conn->renew(l1) > 0);
  CHECK(again.conn->renew(l2) > 0);
  auto s = again.conn->status("cad");
  REQUIRE(s.size() == 1);
  CHECK(s[0].used == 2);
  // The leader's admin API and licadmin say who leads, the nodes and etcd's health.
  auto l = f.leader();
  REQUIRE(l >= 0);
  auto st = run({LICADMIN_BINARY, "--data-dir=" + f.data(l), "--json", "cluster", "status"});
  INFO(st.out);
  REQUIRE(st.status == 0);
  auto c = nlohmann::json::parse(st.out);
  CHECK(c["enabled"] == true);
  CHECK(c["leading"] == true);
  CHECK(c["leader"]["name"] == "node" + std::to_string(l));
  CHECK(c["leader"]["client"] == f.endpoint(l));
  CHECK(c["nodes"].size() == 3);
  REQUIRE(c["etcd"].size() == 3);
  for (const auto& m : c["etcd"])
    CHECK(m["health"] == "ok");
  CHECK(c["fencing_token"].get<int64_t>() > 0);
  auto table = run({LICADMIN_BINARY, "--data-dir=" + f.data(l), "cluster", "status"});
  CHECK(table.out.find("node" + std::to_string(l) + " leads") != std::string::npos);
  httplib::Client admin(trim(slurp(f.data(l) + "/admin.url")));
  auto m =
    admin.Get("/metrics", {{"Authorization", "Bearer " + trim(slurp(f.data(l) + "/admin.token"))}});
  REQUIRE(m);
  CHECK(m->body.find("licd_cluster_leader{node=\"node" + std::to_string(l) + "\"} 1")
        != std::string::npos);
  CHECK(m->body.find("licd_cluster_elections_total{node=") != std::string::npos);
  // licclient pointed at a standby only reaches the leader through its redirect.
  auto standby = (f.leader() + 1) % 3;
  // A standby answers discovery with the leader's address.
  licd::client::discovery_options o;
  o.port = discovery[standby];
  o.targets = {"127.0.0.1"};
  auto found = licd::client::discover({"cad"}, o);
  REQUIRE(found.size() == 1);
  CHECK(found[0].endpoint() == f.endpoint(l));
  // ...as the same installation as the leader (the server key came through etcd).
  o.port = discovery[l];
  auto from_leader = licd::client::discover({"cad"}, o);
  REQUIRE(from_leader.size() == 1);
  CHECK(found[0].id.size() == 16);
  CHECK(found[0].id == from_leader[0].id);
  auto r = run({LICCLIENT_BINARY, "--server=" + f.endpoint(standby), "checkout", "cad",
                "--computer=w3", "--user=u3"});
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("3 of 3 seats in use") != std::string::npos);
}

TEST_CASE("cluster: a standby's admin port answers for the cluster, sends the License Manager to "
          "the leader's, and is the admin API once its node leads",
          "[e2e][cluster][slow]") {
  cluster_fixture f;
  auto l = f.leader();
  REQUIRE(l >= 0);
  auto standby = (l + 1) % 3;
  auto admin_url = [&](int node) { return trim(slurp(f.data(node) + "/admin.url")); };
  auto token = [&](int node) { return trim(slurp(f.data(node) + "/admin.token")); };
  auto leader_admin = admin_url(l);
  auto standby_admin = admin_url(standby);
  CHECK(standby_admin != leader_admin);
  // licadmin on the standby's machine: the cluster as this node sees it...
  auto st = run({LICADMIN_BINARY, "--data-dir=" + f.data(standby), "--json", "cluster", "status"});
  INFO(st.out);
  REQUIRE(st.status == 0);
  auto c = nlohmann::json::parse(st.out);
  CHECK(c["leading"] == false);
  CHECK(c["self"] == "node" + std::to_string(standby));
  CHECK(c["leader"]["name"] == "node" + std::to_string(l));
  CHECK(c["leader"]["admin"] == leader_admin);
  // ...and for anything else NOT_LEADER (exit 4), naming the leader's admin API.
  auto ls = run({LICADMIN_BINARY, "--data-dir=" + f.data(standby), "--json", "licenses", "list"});
  INFO(ls.out);
  CHECK(ls.status == 4);
  auto e = nlohmann::json::parse(ls.out);
  CHECK(e["error"]["code"] == "NOT_LEADER");
  CHECK(e["error"]["message"].get<std::string>().find(leader_admin) != std::string::npos);
  // A browser is sent on to the leader's License Manager, path and query kept; the API wants
  // the node's token.
  httplib::Client browser(standby_admin);
  auto page = browser.Get("/ui/app.js?v=1");
  REQUIRE(page);
  CHECK(page->status == 307);
  CHECK(page->get_header_value("Location") == leader_admin + "/ui/app.js?v=1");
  CHECK(page->get_header_value("X-Frame-Options") == "DENY");
  auto anonymous = browser.Get("/api/v1/cluster");
  REQUIRE(anonymous);
  CHECK(anonymous->status == 401);
  auto change = browser.Post("/api/v1/licenses", {{"Authorization", "Bearer " + token(standby)}},
                             "{}", "application/json");
  REQUIRE(change);
  CHECK(change->status == 503);

  // The leader dies: the node that takes over serves the admin API where it answered as a
  // standby, and the other standby sends browsers there.
  f.nodes[l]->kill();
  auto now = f.new_leader(l);
  if (now == standby)
    CHECK(admin_url(now) == standby_admin);
  CHECK(eventually(
    [&] {
      httplib::Client api(admin_url(now));
      auto r = api.Get("/api/v1/server", {{"Authorization", "Bearer " + token(now)}});
      return r && r->status == 200;
    },
    20s));
  auto other = 3 - l - now;
  CHECK(eventually(
    [&] {
      httplib::Client b(admin_url(other));
      auto r = b.Get("/");
      return r && r->status == 307 && r->get_header_value("Location") == admin_url(now) + "/";
    },
    20s));
}

TEST_CASE("cluster: a standby deletes activity-log entries older than --activity-log-days, as a "
          "leader does",
          "[e2e][cluster][slow]") {
  cluster_fixture f;
  auto l = f.leader();
  REQUIRE(l >= 0);
  auto s = (l + 1) % 3;
  REQUIRE(f.nodes[s]->terminate() == 0);
  // The standby comes back on a data dir whose log began 40 days ago (the log is in logging
  // order: what it applies from etcd comes after).
  std::filesystem::remove_all(f.data(s));
  std::filesystem::create_directories(f.data(s));
  write_old_log(f.data(s));
  f.start(s, {"--activity-log-days=30"});
  CHECK(eventually(
    [&] {
      return f.nodes[s]->log().find("activity log: removed 3 entries older than 30 days")
             != std::string::npos;
    },
    20s));
  CHECK(f.leader() == l); // it stood by all the while
  REQUIRE(f.nodes[s]->terminate() == 0);
  licd::storage::database db({f.data(s)});
  auto found = db.find_events({}, 0, std::nullopt, 10'000, 1'000'000);
  std::map<std::string, int> details;
  for (const auto& [seq, e] : found.events)
    details[e.detail.substr(0, 4)]++;
  CHECK(details["old-"] == 0);
  CHECK(details["rece"] == 1);
}

TEST_CASE("cluster: a license activated for the cluster counts its seats on whichever node leads",
          "[e2e][cluster][slow]") {
  cluster_fixture f;
  auto code = run({LICGEN_BINARY, "issue", "--key=" + f.keys + "/vendor.key", "--product=cad",
                   "--seats=2", "--activation=required"});
  REQUIRE(code.status == 0);
  auto l = f.leader();
  REQUIRE(l >= 0);
  auto admin = [&](int node, std::vector<std::string> args) {
    args.insert(args.begin(), {LICADMIN_BINARY, "--data-dir=" + f.data(node), "--json"});
    auto r = run(args);
    INFO(r.out);
    REQUIRE(r.status == 0);
    return nlohmann::json::parse(r.out);
  };
  std::string id = admin(l, {"licenses", "add", code.out})["id"];
  auto request = admin(l, {"licenses", "activate", id})["request"].get<std::string>();
  auto response = run({LICGEN_BINARY, "activate", "--key=" + f.keys + "/vendor.key", request});
  REQUIRE(response.status == 0);
  auto activated = admin(l, {"licenses", "activate", id, "--response=" + response.out});
  CHECK(activated["license"]["state"] == "active");
  CHECK(activated["license"]["hardware"]
        == "3 of 3 factors match (2 needed), activated for a cluster of 3 machines");
  auto g = connect_and_hello(f.endpoints(), "w1", "u1", "1");
  auto held = g.conn->checkout("cad").lease;
  g.conn.reset();

  // The leader's machine dies: the next leader, another machine, counts the same seats.
  f.nodes[l]->kill();
  auto next = f.new_leader(l);
  // (The admin API starts just after the client port.)
  REQUIRE(eventually([&] { return std::filesystem::exists(f.data(next) + "/admin.url"); }, 10s));
  auto shown = admin(next, {"licenses", "show", id});
  CHECK(shown["state"] == "active");
  CHECK(shown["hardware"]
        == "3 of 3 factors match (2 needed), activated for a cluster of 3 machines");
  auto again = connect_and_hello(f.endpoints(), "w1", "u1", "1");
  CHECK(again.conn->renew(held) > 0);
  auto s = again.conn->status("cad");
  REQUIRE(s.size() == 1);
  CHECK(s[0].seats == 2);
  CHECK(s[0].used == 1);
}

TEST_CASE("cluster node in process: the leader's commits reach etcd and a standby's data dir, "
          "old log entries are pruned, and a standby may not prune",
          "[e2e][cluster]") {
  temp_dir tmp;
  auto etcd_owner = one_etcd_member(tmp);
  auto& etcd = *etcd_owner;
  auto open = [&](const std::string& name) {
    licd::storage::database::options o;
    o.dir = tmp.path() + "/" + name;
    std::filesystem::create_directories(o.dir);
    o.map_size = size_t{64} << 20;
    return std::make_shared<licd::storage::database>(o);
  };
  auto options = [&](const std::string& name) {
    licd::cluster::node_options o;
    o.etcd.endpoints = {etcd.url()};
    o.cluster = "inproc";
    o.self = {name, name + ":1", "", 0, {}};
    o.ttl = std::chrono::seconds(2);
    return o;
  };
  auto db1 = open("a"), db2 = open("b");
  auto a = std::make_unique<licd::cluster::node>(options("a"), db1);
  a->start();
  REQUIRE(a->wait_for_lead());
  auto b = std::make_unique<licd::cluster::node>(options("b"), db2);
  b->start();

  licd::storage::change_set grant;
  grant.put_leases.push_back({{7, 9}, "cad", "ws-1", "alice", "1", 1'700'000'000'000});
  licd::engine::event e;
  e.at_ms = 1'700'000'000'000;
  e.product = "cad";
  e.computer = "ws-1";
  e.user = "alice";
  e.lease = licd::engine::lease_id{7, 9}.to_hex();
  grant.events.push_back(e);
  db1->commit(grant); // through the replicator: etcd first
  CHECK(eventually([&] { return db2->leases().size() == 1; }, 10s));
  CHECK(db2->leases().at(0).computer == "ws-1");
  CHECK(db2->events(1, 10).size() == 1);
  CHECK(std::stoll(db2->meta(licd::cluster::applied_revision_meta)) > 0);

  licd::cluster::etcd::client_options co;
  co.endpoints = {etcd.url()};
  licd::cluster::etcd::client direct(co);

  // The standby is away while the lease ends and another is granted, and etcd compacts its
  // history meanwhile: back, it cannot watch from where it was, so it reads the whole state.
  b->stop();
  b.reset();
  licd::storage::change_set next;
  next.erase_leases.push_back({7, 9});
  next.put_leases.push_back({{7, 10}, "cad", "ws-2", "bob", "1", 1'700'000'000'500});
  db1->commit(next);
  auto now_rev = direct.range(licd::cluster::keys_for("inproc").leader()).revision;
  direct.call("/v3/kv/compaction", nlohmann::json{{"revision", std::to_string(now_rev)}}.dump());
  b = std::make_unique<licd::cluster::node>(options("b"), db2);
  b->start();
  CHECK(eventually(
    [&] {
      auto leases = db2->leases();
      return leases.size() == 1 && leases[0].computer == "ws-2";
    },
    10s));
  auto keys = licd::cluster::keys_for("inproc");
  auto log_entries = [&] {
    return direct.range(keys.log(), licd::cluster::etcd::prefix_end(keys.log())).kvs.size();
  };
  CHECK(log_entries() == 1);
  CHECK_THROWS_AS(b->prune_log(std::numeric_limits<int64_t>::max()), licd::cluster::lost_lead);
  CHECK(a->prune_log(e.at_ms) == 0); // written now, not before then
  CHECK(log_entries() == 1);
  auto later = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count()
               + 1000;
  CHECK(a->prune_log(later) == 1);
  CHECK(log_entries() == 0);

  // The leader steps down (gives its etcd lease back): the standby takes over at once.
  a->stop();
  a.reset();
  CHECK(b->wait_for_lead());
  CHECK(b->leading());
}

TEST_CASE("cluster: licd reaches etcd over TLS with a client certificate, and says why it cannot "
          "without the CA",
          "[e2e][cluster]") {
  temp_dir tmp;
  auto tls = make_tls_cert(tmp.path());
  auto etcd_owner = one_etcd_member(tmp, tls);
  auto& etcd = *etcd_owner;
  auto port = free_port();
  std::vector<std::string> args{"--port=" + std::to_string(port),
                                "--cluster=etcd:" + etcd.url(),
                                "--node-name=secure",
                                "--advertise=127.0.0.1:" + std::to_string(port),
                                "--etcd-ca=" + tls.cert,
                                "--etcd-cert=" + tls.cert,
                                "--etcd-key=" + tls.key};
  {
    licd_process node(tmp.path() + "/node", args);
    // It leads: its writes went to etcd over TLS
    CHECK(eventually([&] { return greets(node.port()); }, 20s));
    CHECK(node.log().find("secure leads") != std::string::npos);
  }
  // Without the CA the member's certificate does not pass: licd says so and exits.
  auto refused = run({LICD_BINARY, "--data-dir=" + tmp.path() + "/other", "--create-data-dir",
                      "--port=0", "--admin-port=0", "--discovery-port=0",
                      "--cluster=etcd:" + etcd.url(), "--node-name=other", "--allow-root"});
  INFO(refused.out);
  CHECK(refused.status == 1);
  CHECK(refused.out.find("did not pass verification (give its CA with --etcd-ca)")
        != std::string::npos);
}

TEST_CASE("cluster: licd signs in to an etcd with authentication on, and says why it cannot "
          "without the password",
          "[e2e][cluster]") {
  temp_dir tmp;
  auto etcd_owner = one_etcd_member(tmp);
  auto& etcd = *etcd_owner;
  auto etcdctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"env", "ETCDCTL_API=3", "etcdctl", "--endpoints=" + etcd.url()});
    return run(args);
  };
  REQUIRE(etcdctl({"user", "add", "root", "--new-user-password=s3cret-pw"}).status == 0);
  REQUIRE(etcdctl({"auth", "enable"}).status == 0);
  auto password = tmp.path() + "/etcd.password";
  write_text(password, "s3cret-pw\n");
  auto port = free_port();
  {
    licd_process node(tmp.path() + "/node",
                      {"--port=" + std::to_string(port), "--cluster=etcd:" + etcd.url(),
                       "--node-name=signed-in", "--etcd-user=root",
                       "--etcd-password-file=" + password});
    // It leads: it read, campaigned and wrote with its token
    CHECK(eventually([&] { return greets(node.port()); }, 20s));
  }
  write_text(password, "wrong\n");
  auto refused = run({LICD_BINARY, "--data-dir=" + tmp.path() + "/other", "--create-data-dir",
                      "--port=0", "--admin-port=0", "--discovery-port=0",
                      "--cluster=etcd:" + etcd.url(), "--node-name=other", "--etcd-user=root",
                      "--etcd-password-file=" + password, "--allow-root"});
  INFO(refused.out);
  CHECK(refused.status == 1);
  CHECK(refused.out.find("etcd refused user 'root'") != std::string::npos);
}
