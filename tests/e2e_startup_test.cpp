// End to end: licd's start-up never hangs. Every way a start can fail (a port in use, a data
// dir that is not what it should be, a key that installed licenses need) ends in a message that
// says what failed and a non-zero exit within seconds, and leaves everything as it was.

#include "e2e_admin_support.hpp"

#include <filesystem>

using namespace licd::test;
using namespace std::chrono_literals;

namespace {

/// Runs licd to its end (at most 20 s: `timeout` answers 124, or 137 after SIGKILL, when licd
/// would have hung) with `args` and the test defaults for what they leave out (loopback, free
/// ports, no discovery); its stdout and stderr.
run_result run_licd(const std::string& data_dir, std::vector<std::string> args) {
  std::string cmd = "exec timeout -k 5 20 " + std::string(LICD_BINARY) + " --data-dir=" + data_dir
                    + " --bind=127.0.0.1";
  for (std::string option : {"--port=", "--admin-port=", "--discovery-port="}) {
    bool given = false;
    for (const auto& a : args)
      given = given || a.rfind(option, 0) == 0;
    if (!given)
      cmd += " " + option + "0";
  }
  if (::geteuid() == 0)
    cmd += " --allow-root";
  for (const auto& a : args)
    cmd += " '" + a + "'";
  return run({"sh", "-c", cmd + " 2>&1"});
}

uint16_t admin_port(const admin_fixture& f) {
  auto url = f.url();
  return static_cast<uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

} // namespace

TEST_CASE("a client port in use is an error at start, not a hang", "[e2e][startup]") {
  server_fixture s;
  temp_dir other;
  auto r = run_licd(other.path() + "/data", {"--create-data-dir",
                                             "--port=" + std::to_string(s.licd->port())});
  INFO(r.out);
  CHECK(r.status == 1); // 124: killed by timeout, hung
  CHECK_THAT(r.out, Catch::Contains("cannot listen on 127.0.0.1:" + std::to_string(s.licd->port())));
  CHECK(used_seats(*s.licd) == 0); // the first licd still serves
}

TEST_CASE("an admin port in use is an error at start, not a second listener", "[e2e][startup]") {
  admin_fixture f({"--demo"});
  temp_dir other;
  auto port = std::to_string(admin_port(f));
  auto r = run_licd(other.path() + "/data", {"--create-data-dir", "--admin-port=" + port});
  INFO(r.out);
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Catch::Contains("cannot listen for the admin API on 127.0.0.1:" + port));
  // Every admin request still reaches the first licd.
  for (int i = 0; i < 20; ++i)
    CHECK(f.licadmin_json({"status"}).contains("products"));
}

TEST_CASE("a discovery port in use is an error at start", "[e2e][startup]") {
  auto udp = std::to_string(free_port(SOCK_DGRAM));
  server_fixture s({"--demo", "--discovery-port=" + udp});
  temp_dir other;
  auto r = run_licd(other.path() + "/data", {"--create-data-dir", "--discovery-port=" + udp});
  INFO(r.out);
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Catch::Contains("cannot listen for discovery on 0.0.0.0:" + udp + "/udp"));
}

TEST_CASE("a data dir that does not exist is created only when asked to", "[e2e][startup]") {
  temp_dir tmp;
  auto typo = tmp.path() + "/no/such/dir";
  auto r = run_licd(typo, {});
  INFO(r.out);
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Catch::Contains("data dir " + typo + " does not exist"));
  CHECK_THAT(r.out, Catch::Contains("--create-data-dir"));
  CHECK_FALSE(std::filesystem::exists(tmp.path() + "/no"));
  // Asked to, licd makes it (parents too) and serves from it.
  licd_process p(typo, {"--demo"});
  CHECK(std::filesystem::is_directory(typo));
  CHECK(used_seats(p) == 0);
  CHECK(p.terminate() == 0);
}

TEST_CASE("a restart without the vendor key of installed licenses is refused, leases kept",
          "[e2e][startup]") {
  admin_fixture f;
  std::string id = f.licadmin_json({"licenses", "add", f.issue("cad", 3)})["id"];
  auto lease = connect_as(f.licd(), "ws1")->checkout("cad").lease;
  REQUIRE(f.s->licd->terminate() == 0);
  // Started without --vendor-key: refused, naming the license, its key and the way out.
  auto r = run_licd(f.s->data, {});
  INFO(r.out);
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Catch::Contains("license " + id + " (3 seats of cad) needs vendor key"));
  CHECK_THAT(r.out, Catch::Contains("--remove-license=ID"));
  // With the key, the license and the lease are as they were.
  f.s->start({"--vendor-key=" + f.keys + "/vendor.pub"});
  CHECK(f.seats("cad") == 3);
  CHECK(connect_as(f.licd(), "ws1")->renew(lease) > 0);
  REQUIRE(f.s->licd->terminate() == 0);
  // Removing it on purpose, offline, is possible and logged; then licd starts without the key.
  auto removed = run({LICD_BINARY, "--data-dir=" + f.s->data, "--remove-license=" + id});
  CHECK(removed.status == 0);
  CHECK_THAT(removed.out, Catch::Contains("removed license " + id + " for cad"));
  f.s->start({});
  auto log = f.licadmin({"log"});
  CHECK_THAT(log.out, Catch::Contains("removed with licd --remove-license"));
  CHECK(run({LICD_BINARY, "--data-dir=" + f.s->data, "--remove-license=" + id}).status != 0);
}

TEST_CASE("a restart without --demo keeps the demo license's leases", "[e2e][startup]") {
  server_fixture s; // --demo
  auto lease = connect_as(*s.licd, "ws1")->checkout("demo").lease;
  REQUIRE(s.licd->terminate() == 0);
  auto r = run_licd(s.data, {});
  INFO(r.out);
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Catch::Contains("(5 seats of demo) needs vendor key"));
  CHECK_THAT(r.out, Catch::Contains("(the demo key: --demo)"));
  s.start({"--demo"});
  CHECK(connect_as(*s.licd, "ws1")->renew(lease) > 0);
  CHECK(used_seats(*s.licd) == 1);
}

TEST_CASE("licd --check-config loads the TLS certificates as licd would, and names a bad one",
          "[e2e][startup]") {
  temp_dir dir;
  auto good = make_tls_cert(dir.path());
  std::filesystem::create_directories(dir.path() + "/other");
  auto other = make_tls_cert(dir.path() + "/other");
  auto ok = run({LICD_BINARY, "--check-config", "--tls-cert=" + good.cert, "--tls-key=" + good.key,
                 "--admin-tls-cert=" + other.cert, "--admin-tls-key=" + other.key});
  INFO(ok.out);
  CHECK(ok.status == 0);
  CHECK_THAT(ok.out,
             Catch::Contains("client port TLS: certificate " + good.cert + ", SHA-256 " + good.pin)
               && Catch::Contains("admin port TLS: certificate " + other.cert)
               && Catch::Contains("configuration ok"));
  // The admin key is the other certificate's: refused, naming the files.
  auto with_stderr = [](std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"/bin/sh", "-c", "exec \"$@\" 2>&1", "sh"});
    return run(argv);
  };
  auto mismatched = with_stderr({LICD_BINARY, "--check-config", "--admin-tls-cert=" + other.cert,
                                 "--admin-tls-key=" + good.key});
  CHECK(mismatched.status == 1);
  CHECK_THAT(mismatched.out, Catch::Contains(good.key));
  auto missing = with_stderr({LICD_BINARY, "--check-config",
                              "--tls-cert=" + dir.path() + "/none.crt", "--tls-key=" + good.key});
  CHECK(missing.status == 1);
  CHECK_THAT(missing.out, Catch::Contains("none.crt"));
}
