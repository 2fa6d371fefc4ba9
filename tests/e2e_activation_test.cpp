// End to end: activation of network licenses with licadmin and licgen, hardware binding (a data
// dir moved to other hardware, simulated with LICD_MACHINE_FACTS), wrong-kind codes, and a
// wall-clock jump under libfaketime that must not move a lease's expiry.

#include "e2e_admin_support.hpp"

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>

using namespace licd::test;
using namespace std::chrono_literals;

namespace {

const std::string facts_a = "machine-id=0f1e2d3c4b5a69788796a5b4c3d2e1f0\n"
                            "dmi-uuid=4c4c4544-0042-3510-8052-b4c04f4b4e32\n"
                            "mac=02:00:00:aa:00:01\n"
                            "hostname=licserver\n";

void write_facts(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

/// A licd whose machine facts come from a file the test rewrites between starts.
struct activation_fixture {
  temp_dir facts_dir;
  std::string facts = facts_dir.path() + "/facts";
  std::unique_ptr<admin_fixture> a;

  activation_fixture() {
    write_facts(facts, facts_a);
    a = std::make_unique<admin_fixture>(std::vector<std::string>{},
                                        std::vector<std::string>{"LICD_MACHINE_FACTS=" + facts});
  }

  std::string add_code(int seats, std::vector<std::string> extra = {"--activation=required"}) {
    auto added = a->licadmin_json({"licenses", "add", a->issue("cad", seats, extra)});
    return added["id"];
  }

  std::string request(const std::string& id) {
    auto r = a->licadmin_json({"licenses", "activate", id});
    return r["request"];
  }

  std::string respond(const std::string& request) {
    auto r = run({LICGEN_BINARY, "activate", "--key=" + a->keys + "/vendor.key", request});
    REQUIRE(r.status == 0);
    return trim(r.out);
  }

  json show(const std::string& id) { return a->licadmin_json({"licenses", "show", id}); }

  void restart() {
    REQUIRE(a->s->licd->terminate() == 0);
    a->s->start({"--vendor-key=" + a->keys + "/vendor.pub"});
  }
};

/// Today's UTC date as YYYY-MM-DD (the admin API's date format).
std::string utc_date_today() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
  return buf;
}

} // namespace

TEST_CASE("activation round trip: request, licgen's response, active, release receipt",
          "[e2e][activation]") {
  activation_fixture f;
  auto id = f.add_code(4);
  CHECK(f.show(id)["state"] == "not activated");
  CHECK(f.a->seats("cad") == 0);
  auto c = connect_as(f.a->licd(), "ws1");
  CHECK(refusal([&] { c->checkout("cad"); }) == "NO_SEATS");

  auto request = f.request(id);
  CHECK(f.request(id) == request); // stable until answered
  auto human = f.a->licadmin({"licenses", "activate", id});
  CHECK(human.status == 0);
  CHECK(human.out.find(request) != std::string::npos);

  auto response = f.respond(request);
  auto activated = f.a->licadmin_json({"licenses", "activate", id, "--response=" + response});
  CHECK(activated["license"]["state"] == "active");
  CHECK(activated["license"]["hardware"] == "4 of 4 factors match (3 needed)");
  auto response_day = utc_date_today(); // licgen dates its response today
  CHECK(activated["license"]["activated_on"] == response_day);
  CHECK(f.a->seats("cad") == 4);
  CHECK(!c->checkout("cad").lease.empty());

  // Survives a restart: the activation is stored and checked against the machine again.
  f.restart();
  CHECK(f.show(id)["state"] == "active");
  CHECK(f.show(id)["activated_on"] == response_day); // read back from the stored response
  CHECK(f.a->seats("cad") == 4);

  auto off = f.a->licadmin_json({"licenses", "deactivate", id});
  std::string receipt = off["receipt"];
  CHECK(off["license"]["state"] == "not activated");
  CHECK(off["license"]["activated_on"] == "");
  CHECK(f.a->seats("cad") == 0);
  CHECK(eventually([&] { return used_seats(f.a->licd(), "cad") == 0; }, 5s));

  auto verified = run({LICGEN_BINARY, "verify-release", "--pub=" + f.a->keys + "/vendor.pub",
                       receipt});
  CHECK(verified.status == 0);
  CHECK(verified.out.find("license " + id + " was deactivated") != std::string::npos);
  auto tampered = receipt;
  tampered[tampered.size() - 20] = tampered[tampered.size() - 20] == 'A' ? 'B' : 'A';
  CHECK(run({LICGEN_BINARY, "verify-release", "--pub=" + f.a->keys + "/vendor.pub", tampered})
          .status
        == 3);
  // The spent response cannot bring the activation back.
  auto again = f.a->licadmin({"licenses", "activate", id, "--response=" + response});
  CHECK(again.status == 3);
  CHECK(f.show(id)["state"] == "not activated");
  auto log = f.a->licadmin({"log", "--lines=100"});
  for (const char* kind : {"license_activated", "license_deactivated", "license_state"})
    CHECK(log.out.find(kind) != std::string::npos);
}

TEST_CASE("a response for another machine or another license is refused, saying so",
          "[e2e][activation]") {
  activation_fixture f;
  auto one = f.add_code(2);
  auto two = f.add_code(3);
  auto request = f.request(one);
  // The vendor answers; meanwhile the data dir's machine is not the one that asked.
  auto response = f.respond(request);
  auto wrong_license = f.a->licadmin({"licenses", "activate", two, "--response=" + response});
  CHECK(wrong_license.status == 3);
  write_facts(f.facts, "machine-id=ffff\ndmi-uuid=eeee\nmac=02:00:00:bb:00:01\nhostname=other\n");
  f.restart();
  auto r = f.a->licadmin({"licenses", "activate", one, "--response=" + response});
  CHECK(r.status == 3);
  auto j = f.a->licadmin({"--json", "licenses", "activate", one, "--response=" + response});
  CHECK(j.out.find("another machine") != std::string::npos);
  CHECK(j.out.find("0 of 4") != std::string::npos);
  CHECK(f.show(one)["state"] == "not activated");
  CHECK(f.a->seats("cad") == 0);
}

TEST_CASE("a data dir moved to other hardware shows hardware mismatch and counts no seats",
          "[e2e][activation]") {
  activation_fixture f;
  auto id = f.add_code(3);
  REQUIRE(f.a->licadmin_json({"licenses", "activate", id,
                              "--response=" + f.respond(f.request(id))})["license"]["state"]
          == "active");
  auto c = connect_as(f.a->licd(), "ws1");
  auto lease = c->checkout("cad").lease;
  c.reset();

  // One factor changed (a renamed host): still this machine with the default tolerance.
  write_facts(f.facts, facts_a.substr(0, facts_a.find("hostname=")) + "hostname=renamed\n");
  f.restart();
  CHECK(f.show(id)["state"] == "active");
  CHECK(f.show(id)["hardware"] == "3 of 4 factors match (3 needed)");
  CHECK(used_seats(f.a->licd(), "cad") == 1); // the lease was restored

  // Two factors changed: another machine.
  write_facts(f.facts, "machine-id=0f1e2d3c4b5a69788796a5b4c3d2e1f0\n"
                       "dmi-uuid=00000000-0000-0000-0000-000000000001\n"
                       "mac=02:00:00:aa:00:01\nhostname=elsewhere\n");
  f.restart();
  auto shown = f.show(id);
  CHECK(shown["state"] == "hardware mismatch");
  CHECK(shown["advice"].get<std::string>().find("other hardware") != std::string::npos);
  CHECK(f.a->seats("cad") == 0);
  // The lease restored from the moved data dir does not outlive the seats.
  CHECK(eventually([&] { return used_seats(f.a->licd(), "cad") == 0; }, 5s));
  // Deactivating on the wrong machine would free a license still running on the right one.
  CHECK(f.a->licadmin({"licenses", "deactivate", id}).status == 3);
  auto log = f.a->licadmin({"log", "--lines=100"});
  CHECK(log.out.find("hardware mismatch") != std::string::npos);
  CHECK(log.out.find("seats_reduced") != std::string::npos);

  // Back on its own hardware, it counts again.
  write_facts(f.facts, facts_a);
  f.restart();
  CHECK(f.show(id)["state"] == "active");
  CHECK(f.a->seats("cad") == 3);
}

TEST_CASE("codes of the wrong kind are refused by the server, saying what they are",
          "[e2e][activation]") {
  activation_fixture f;
  auto standalone = f.a->issue("cad", 1, {"--type=standalone"});
  auto r = f.a->licadmin({"licenses", "add", standalone});
  CHECK(r.status == 3);
  auto j = f.a->licadmin({"--json", "licenses", "add", standalone});
  CHECK(j.out.find("stand-alone license code") != std::string::npos);
  auto id = f.add_code(1);
  auto req = f.request(id);
  auto k = f.a->licadmin({"--json", "licenses", "add", req});
  CHECK(k.out.find("activation request") != std::string::npos);
  auto list = f.a->licadmin_json({"licenses", "list"});
  CHECK(list["licenses"].size() == 1); // only the network code is installed
}

TEST_CASE("licadmin status says what the machine is and which factors bind it",
          "[e2e][activation]") {
  activation_fixture f;
  auto s = f.a->licadmin_json({"status"});
  CHECK(s["machine"]["factors"] == "machine-id, dmi-uuid, mac x1, hostname");
  CHECK(s["machine"]["environment"].get<std::string>().find("simulated") != std::string::npos);
  CHECK(s["clock"]["error"] == false);
  CHECK(s["clock"]["tolerance_hours"] == 24);
}

TEST_CASE("a wall-clock jump neither expires nor extends a lease", "[e2e][activation][clock]") {
  const std::string libfaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
  REQUIRE(std::filesystem::exists(libfaketime)); // scripts/deps.sh installs faketime
  temp_dir tmp;
  auto offset = tmp.path() + "/offset";
  write_facts(offset, "+0\n");
  // Under ASan, libfaketime is preloaded ahead of the ASan runtime: allow it, keep the rest.
  const char* asan = std::getenv("ASAN_OPTIONS");
  server_fixture s({"--demo", "--lease-ttl=4"},
                   {"LD_PRELOAD=" + libfaketime, "FAKETIME_TIMESTAMP_FILE=" + offset,
                    "FAKETIME_NO_CACHE=1", "DONT_FAKE_MONOTONIC=1",
                    std::string("ASAN_OPTIONS=") + (asan != nullptr ? asan : "")
                      + ":verify_asan_link_order=0"});
  auto c = connect_as(*s.licd, "ws1");
  auto lease = c->checkout("demo").lease;
  write_facts(offset, "+3d\n"); // three days forward
  std::this_thread::sleep_for(500ms);
  CHECK(c->renew(lease) == 4); // not expired by the jump
  write_facts(offset, "-3d\n"); // and back, beyond the start
  std::this_thread::sleep_for(500ms);
  CHECK(c->renew(lease) == 4);
  // Not extended either: unrenewed, it ends one TTL (monotonic) after its last renewal.
  CHECK(eventually([&] { return used_seats(*s.licd) == 0; }, 10s));
  CHECK(refusal([&] { c->renew(lease); }) == "UNKNOWN_LEASE");
  CHECK(s.licd->log().find("2026") != std::string::npos); // the fake clock reached the log
}
