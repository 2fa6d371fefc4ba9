// licd's option binding (tools/licd/options.cpp): the defaults, the command line and the config
// file land in the same server options, and bad values are refused.
#include "tools/licd/options.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>

using namespace std::chrono_literals;
using licd::parse_licd_options;
using namespace licd;

TEST_CASE("licd's options start from engine/defaults.hpp", "[options]") {
  auto cfg = parse_licd_options({"licd"});
  const auto& o = cfg.server;
  CHECK(o.data_dir == "/var/lib/licd");
  CHECK(o.port == 27600);
  CHECK(cfg.admin.port == 27601);
  CHECK(cfg.admin.bind == "127.0.0.1");
  CHECK(cfg.discovery_port == 27600);
  CHECK(o.lease_ttl == 600s);
  CHECK(o.limits.hello_timeout == 10s);
  CHECK(o.limits.idle_timeout == 0s); // the rule below
  CHECK(o.max_leases_per_computer == 64);
  CHECK(o.renewal_log_interval == 60s);
  CHECK(o.activity_log_retention == std::chrono::hours(24 * 365));
  CHECK(o.usage_retention == std::chrono::hours(24 * 3650));
  CHECK(o.map_size == size_t{8192} << 20);
  CHECK(o.clock_tolerance == std::chrono::hours(24));
  CHECK(cfg.admin.cooldown == 60s);
  CHECK_FALSE(cfg.server_name.empty());
}

TEST_CASE("an idle connection is closed after two lease TTLs, at least 60 s", "[options]") {
  CHECK(licd::defaults::idle_timeout(600s) == 1200s);
  CHECK(licd::defaults::idle_timeout(10s) == 60s);
  CHECK(licd::defaults::idle_timeout(30s) == 60s);
  CHECK(licd::defaults::idle_timeout(31s) == 62s);
}

TEST_CASE("command-line values reach the server's options in its units", "[options]") {
  auto cfg = parse_licd_options({"licd", "--lease-ttl=30", "--idle-timeout=5", "--map-size=64",
                                 "--max-map-size=256", "--activity-log-days=2", "--usage-days=400",
                                 "--clock-tolerance=3", "--disconnect-cooldown=7",
                                 "--renewal-log-interval=0", "--port=0", "--server-name=lic-1"});
  const auto& o = cfg.server;
  CHECK(o.lease_ttl == 30s);
  CHECK(o.limits.idle_timeout == 5s);
  CHECK(o.map_size == size_t{64} << 20);
  CHECK(o.max_map_size == size_t{256} << 20);
  CHECK(o.activity_log_retention == std::chrono::hours(48));
  CHECK(o.usage_retention == std::chrono::hours(24 * 400));
  CHECK(o.clock_tolerance == std::chrono::hours(3));
  CHECK(cfg.admin.cooldown == 7s);
  CHECK(o.renewal_log_interval == 0s);
  CHECK(o.port == 0);
  CHECK(cfg.server_name == "lic-1");
}

TEST_CASE("a config file sets the same options under the same names", "[options]") {
  licd::test::temp_dir tmp;
  auto path = tmp.path() + "/licd.conf";
  std::ofstream(path) << "lease-ttl = 45\nport = 1234\nvendor-key = /a.pub\nidle-timeout = 90\n";
  auto cfg = parse_licd_options({"licd", "--config=" + path});
  CHECK(cfg.server.lease_ttl == 45s);
  CHECK(cfg.server.port == 1234);
  CHECK(cfg.server.limits.idle_timeout == 90s);
  REQUIRE(cfg.server.vendor_keys.size() == 1);
  CHECK(cfg.server.vendor_keys[0] == "/a.pub");
  // The command line wins over the file.
  CHECK(parse_licd_options({"licd", "--config=" + path, "--lease-ttl=50"}).server.lease_ttl == 50s);
}

TEST_CASE("bad option values are refused with what is wrong", "[options]") {
  CHECK_THROWS_WITH(parse_licd_options({"licd", "--lease-ttl=0"}), Catch::Contains("lease-ttl"));
  CHECK_THROWS_WITH(parse_licd_options({"licd", "--server-name=a b"}),
                    Catch::Contains("--server-name"));
  CHECK_THROWS_WITH(parse_licd_options({"licd", "--scheduler=fast"}), Catch::Contains("scheduler"));
  CHECK_THROWS(parse_licd_options({"licd", "--no-such-option"}));
  licd::test::temp_dir tmp;
  auto path = tmp.path() + "/licd.conf";
  std::ofstream(path) << "lease-tll = 45\n"; // a mistyped key
  CHECK_THROWS(parse_licd_options({"licd", "--config=" + path}));
}

TEST_CASE("the options in force list every option with what was given or its default",
          "[options]") {
  licd_config cfg;
  CLI::App app{"licd"};
  licd_options bound(app, cfg);
  std::vector<std::string> args{"--admin-readonly-token-file=/etc/licd/ro.token", "--demo",
                                "--lease-ttl=90", "--vendor-key=a.pub", "--vendor-key=b.pub"};
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  app.parse(reversed);
  REQUIRE(bound.finish().empty());
  std::map<std::string, std::string> in_force;
  for (const auto& [name, value] : options_in_force(app))
    in_force[name] = value;
  CHECK(in_force.at("--lease-ttl") == "90");
  CHECK(in_force.at("--demo") == "true");
  CHECK(in_force.at("--allow-root") == "false");
  CHECK(in_force.at("--vendor-key") == "a.pub,b.pub");
  CHECK(in_force.at("--admin-port") == std::to_string(defaults::admin_port));
  CHECK(in_force.at("--admin-readonly-token-file") == "/etc/licd/ro.token");
  CHECK(in_force.at("--admin-tls-cert").empty());
  CHECK(in_force.count("--help") == 0);
  CHECK(in_force.size() + 2 == app.get_options().size()); // all but --help and --version
}

TEST_CASE("the admin port's TLS certificate and key go together", "[options]") {
  CHECK_THROWS_WITH(parse_licd_options({"licd", "--admin-tls-cert=a.crt"}),
                    Catch::Contains("go together"));
  auto cfg = parse_licd_options({"licd", "--admin-tls-cert=a.crt", "--admin-tls-key=a.key"});
  CHECK(cfg.admin.tls_cert == "a.crt");
  CHECK(cfg.admin.tls_key == "a.key");
}
