// End to end: stand-alone licenses on a workstation with licclient and licgen, checked offline
// (no licd runs in these tests). Machines are simulated with LICD_MACHINE_FACTS.

#include "e2e_admin_support.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

using namespace licd::test;

namespace {

const std::string desk_a = "machine-id=a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1\n"
                           "dmi-uuid=11111111-2222-3333-4444-555555555555\n"
                           "mac=02:00:00:cc:00:01\nhostname=desk-a\n";

struct workstation {
  temp_dir tmp;
  std::string keys = tmp.path() + "/vendor";
  std::string facts = tmp.path() + "/facts";
  std::string file = tmp.path() + "/licd-client/standalone.json";

  workstation() {
    REQUIRE(run({LICGEN_BINARY, "keygen", "--out=" + keys}).status == 0);
    set_machine(desk_a);
  }

  void set_machine(const std::string& text) { std::ofstream(facts, std::ios::trunc) << text; }

  std::string issue(std::vector<std::string> extra) {
    std::vector<std::string> argv{LICGEN_BINARY, "issue", "--key=" + keys + "/vendor.key",
                                  "--product=cad", "--seats=1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = run(argv);
    REQUIRE(r.status == 0);
    return trim(r.out);
  }

  run_result licclient(std::vector<std::string> args) {
    std::vector<std::string> argv{"/usr/bin/env", "LICD_MACHINE_FACTS=" + facts,
                                  "LICD_STANDALONE_FILE=" + file, LICCLIENT_BINARY, "--json",
                                  "standalone", "--vendor-key=" + keys + "/vendor.pub"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }

  json licclient_json(std::vector<std::string> args, int expected = 0) {
    auto r = licclient(args);
    INFO(r.out);
    REQUIRE(r.status == expected);
    return json::parse(r.out);
  }

  std::string respond(const std::string& request) {
    auto r = run({LICGEN_BINARY, "activate", "--key=" + keys + "/vendor.key", request});
    REQUIRE(r.status == 0);
    return trim(r.out);
  }

  /// Adds a stand-alone code and activates it on the current machine.
  void add_and_activate(std::vector<std::string> extra = {"--type=standalone"}) {
    licclient_json({"add", issue(extra)});
    std::string request = licclient_json({"activate", "cad"})["request"];
    licclient_json({"activate", "cad", "--response=" + respond(request)});
  }
};

} // namespace

TEST_CASE("stand-alone: add, activate and verify offline", "[e2e][standalone]") {
  workstation w;
  auto added = w.licclient_json({"add", w.issue({"--type=standalone"})});
  CHECK(added["product"] == "cad");
  auto list = w.licclient_json({"list"});
  REQUIRE(list["licenses"].size() == 1);
  CHECK(list["licenses"][0]["state"] == "not activated");
  auto before = w.licclient_json({"check", "cad"}, 3);
  CHECK(before["ok"] == false);
  CHECK(before["message"].get<std::string>().find("licclient standalone activate cad")
        != std::string::npos);

  std::string request = w.licclient_json({"activate", "cad"})["request"];
  CHECK(w.licclient_json({"activate", "cad"})["request"] == request); // stable until answered
  auto activated = w.licclient_json({"activate", "cad", "--response=" + w.respond(request)});
  CHECK(activated["state"] == "active");
  CHECK(w.licclient_json({"check", "cad"})["ok"] == true);
  CHECK(w.licclient_json({"list"})["licenses"][0]["state"] == "active");
  CHECK(w.licclient_json({"check", "other-product"}, 3)["ok"] == false);

  struct stat st {};
  REQUIRE(::stat(w.file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  REQUIRE(::stat((w.tmp.path() + "/licd-client").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0755);
}

TEST_CASE("stand-alone: one changed factor passes, two do not, a copy elsewhere does not",
          "[e2e][standalone]") {
  workstation w;
  w.add_and_activate();
  w.set_machine(desk_a.substr(0, desk_a.find("hostname=")) + "hostname=renamed\n");
  CHECK(w.licclient_json({"check", "cad"})["ok"] == true);
  w.set_machine("machine-id=a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1\n"
                "dmi-uuid=99999999-2222-3333-4444-555555555555\n"
                "mac=02:00:00:cc:00:01\nhostname=renamed\n");
  auto moved = w.licclient_json({"check", "cad"}, 3);
  CHECK(moved["message"].get<std::string>().find("hardware mismatch") != std::string::npos);
  w.set_machine("machine-id=b2\ndmi-uuid=b2\nmac=02:00:00:dd:00:01\nhostname=desk-b\n");
  CHECK(w.licclient_json({"list"})["licenses"][0]["state"] == "hardware mismatch");
  CHECK(w.licclient_json({"check", "cad"}, 3)["ok"] == false);
  w.set_machine(desk_a); // back on its own machine
  CHECK(w.licclient_json({"check", "cad"})["ok"] == true);
}

TEST_CASE("stand-alone: network codes, server responses and foreign codes are refused",
          "[e2e][standalone]") {
  workstation w;
  auto network = w.licclient_json({"add", w.issue({})}, 3);
  CHECK(network["error"]["message"].get<std::string>().find("network license code")
        != std::string::npos);
  auto unsigned_code = w.issue({"--type=standalone"});
  unsigned_code[unsigned_code.size() - 10] = unsigned_code[unsigned_code.size() - 10] == 'A'
                                               ? 'B'
                                               : 'A';
  CHECK(w.licclient_json({"add", unsigned_code}, 3)["error"]["code"] == "BAD_SIGNATURE");
  CHECK(
    w.licclient_json({"add", "Your code: " + w.issue({"--type=standalone"})}, 3)["error"]["code"]
    == "TEXT_BEFORE");
  CHECK(w.licclient_json({"list"})["licenses"].empty()); // nothing was stored

  w.licclient_json({"add", w.issue({"--type=standalone"})});
  std::string request = w.licclient_json({"activate", "cad"})["request"];
  auto for_other_machine = w.respond(request);
  w.set_machine("machine-id=c3\ndmi-uuid=c3\nmac=02:00:00:ee:00:01\nhostname=desk-c\n");
  auto wrong = w.licclient_json({"activate", "cad", "--response=" + for_other_machine}, 3);
  CHECK(wrong["error"]["code"] == "WRONG_MACHINE");
  CHECK(w.licclient_json({"activate", "cad", "--response=" + request}, 3)["error"]["code"]
        == "WRONG_KIND");
}

TEST_CASE("stand-alone: an expired license or an unsafe file does not pass",
          "[e2e][standalone]") {
  workstation w;
  w.add_and_activate({"--type=standalone", "--issued=2020-01-01", "--expires=2020-12-31"});
  auto expired = w.licclient_json({"check", "cad"}, 3);
  CHECK(expired["message"].get<std::string>().find("expired") != std::string::npos);
  ::chmod(w.file.c_str(), 0666);
  auto unsafe = w.licclient_json({"list"}, 3);
  CHECK(unsafe["error"]["code"] == "UNSAFE_FILE");
  CHECK(w.licclient_json({"check", "cad"}, 3)["message"].get<std::string>().find("chmod 644")
        != std::string::npos);
}
