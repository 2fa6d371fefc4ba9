#include "client/config.hpp"
#include "net/discovery.hpp"
#include "temp_dir.hpp"
#include "test_env.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

using namespace licd;

TEST_CASE("the user's mode config takes precedence over the system's, product by product",
          "[client][config]") {
  test::temp_dir dir;
  auto sys = dir.path() + "/system.conf", user = dir.path() + "/user.conf";
  std::ofstream(sys) << "# site defaults\n[cad]\nmode = network\nserver = lic1:27600, lic2:27700\n"
                        "\n[cam]\nmode = standalone\n";
  std::ofstream(user) << "[cad]\nmode = standalone\n";
  auto cfg = client::load_mode_config(sys, user);
  CHECK(cfg.for_product("cad").mode == "standalone");
  CHECK(cfg.for_product("cad").source == user);
  CHECK(cfg.for_product("cam").mode == "standalone");
  CHECK(cfg.for_product("cam").source == sys);
  auto other = cfg.for_product("other");
  CHECK(other.mode == "network");
  CHECK(other.servers.empty()); // auto
  CHECK(other.source.empty());
  auto system_only = client::load_mode_config(sys, dir.path() + "/missing.conf");
  CHECK(system_only.for_product("cad").servers
        == std::vector<std::string>{"lic1:27600", "lic2:27700"});
}

TEST_CASE("setting a product's mode rewrites its section and keeps the others", "[client][config]") {
  test::temp_dir dir;
  auto path = dir.path() + "/sub/client.conf";
  client::set_product_mode(path, "cad", "network", {"lic1:27600"});
  client::set_product_mode(path, "cam", "standalone", {});
  client::set_product_mode(path, "cad", "network", {}); // back to auto
  auto cfg = client::load_mode_config(dir.path() + "/none", path);
  CHECK(cfg.for_product("cad").mode == "network");
  CHECK(cfg.for_product("cad").servers.empty());
  CHECK(cfg.for_product("cam").mode == "standalone");
  CHECK_THROWS_AS(client::set_product_mode(path, "cad", "floating", {}), std::invalid_argument);
  CHECK_THROWS_AS(client::set_product_mode(path, "cad", "network", {"no port:x"}),
                  std::invalid_argument);
}

TEST_CASE("a broken mode config is refused naming the file and line", "[client][config]") {
  test::temp_dir dir;
  auto path = dir.path() + "/bad.conf";
  std::ofstream(path) << "[cad]\nmode = floating\n";
  CHECK_THROWS_WITH(client::load_mode_config(path, dir.path() + "/none"),
                    Catch::Contains("bad.conf") && Catch::Contains("network or standalone"));
  std::ofstream(path, std::ios::trunc) << "mode = network\n";
  CHECK_THROWS_WITH(client::load_mode_config(path, dir.path() + "/none"),
                    Catch::Contains("bad.conf:1"));
}

TEST_CASE("discovery datagrams round-trip and refuse what is not theirs", "[client][discovery]") {
  namespace d = net::discovery;
  auto q = d::parse_query(d::format(d::query{{"cad", "cam"}}));
  REQUIRE(q);
  CHECK(q->products == std::vector<std::string>{"cad", "cam"});
  CHECK(d::parse_query("LICD-DISCOVER 1\n")->products.empty());
  CHECK_FALSE(d::parse_query("HELLO 1"));
  CHECK_FALSE(d::parse_query("LICD-DISCOVER 2"));
  d::answer a;
  a.id = "0123456789abcdef";
  a.name = "lic1";
  a.port = 27600;
  a.tls = true;
  a.products = {{"cad", 5, 2}, {"cam", 1, 0}};
  auto back = d::parse_answer(d::format(a));
  REQUIRE(back);
  CHECK(back->id == a.id);
  CHECK(back->name == "lic1");
  CHECK(back->port == 27600);
  CHECK(back->tls);
  REQUIRE(back->products.size() == 2);
  CHECK(back->products[0].free == 2);
  CHECK(back->leader.empty());
  // A cluster's standby names its leader.
  auto standby = a;
  standby.products.clear();
  standby.leader = "10.0.0.2:27600";
  auto named = d::parse_answer(d::format(standby));
  REQUIRE(named);
  CHECK(named->leader == "10.0.0.2:27600");
  CHECK_FALSE(d::parse_answer("LICD-SERVER 1 port=1 leader=nohost"));     // no port in it
  CHECK_FALSE(d::parse_answer("LICD-SERVER 1 name=x"));                   // no port
  CHECK_FALSE(d::parse_answer("LICD-SERVER 1 port=1 product=cad,5"));     // a damaged product
  // An answer never grows past one datagram: products that do not fit are left out.
  for (int i = 0; i < 200; ++i)
    a.products.push_back({"product-" + std::to_string(i), 100, 50});
  CHECK(d::format(a).size() <= d::max_datagram);
  CHECK(d::parse_answer(d::format(a)));
}

TEST_CASE("servers come from the caller, else LICD_SERVER, else the mode config", "[client][config]") {
  using namespace licd::client;
  struct env_guard {
    ~env_guard() { licd::test::unset_env("LICD_SERVER"); }
  } guard;
  product_mode mode;
  mode.servers = {"cfg:1"};
  licd::test::unset_env("LICD_SERVER");
  CHECK(configured_servers({}, product_mode{}).empty()); // nothing configured: discovery
  CHECK(configured_servers({}, mode) == std::vector<std::string>{"cfg:1"});
  licd::test::set_env("LICD_SERVER", "env:2,env:3");
  CHECK(configured_servers({}, mode) == std::vector<std::string>{"env:2", "env:3"});
  CHECK(configured_servers({"given:4"}, mode) == std::vector<std::string>{"given:4"});
  licd::test::set_env("LICD_SERVER", ""); // set but empty: as if unset
  CHECK(configured_servers({}, mode) == std::vector<std::string>{"cfg:1"});
  licd::test::set_env("LICD_SERVER", "no port here");
  CHECK_THROWS_WITH(configured_servers({}, mode), Catch::StartsWith("LICD_SERVER: "));
  CHECK(configured_servers({"given:4"}, mode) == std::vector<std::string>{"given:4"});
}
