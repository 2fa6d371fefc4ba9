#include "platform/machine.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

using namespace licd;

TEST_CASE("the facts file format reads every factor and skips comments", "[platform]") {
  auto f = platform::parse_facts("# a test machine\nmachine-id=abc\ndmi-uuid=u-1\n"
                                 "mac=02:00:00:00:00:01\nmac=02:00:00:00:00:02\nhostname=h\n"
                                 "garbage line\nunknown=1\n");
  CHECK(f.machine_id == "abc");
  CHECK(f.dmi_uuid == "u-1");
  CHECK(f.hostname == "h");
  CHECK(f.macs == std::vector<std::string>{"02:00:00:00:00:01", "02:00:00:00:00:02"});
  CHECK(platform::describe_factors(f) == "machine-id, dmi-uuid, mac x2, hostname");
  CHECK(platform::describe_factors({}) == "none");
}

TEST_CASE("this machine's probe names its environment and warns where binding is weak",
          "[platform]") {
  if (std::getenv("LICD_MACHINE_FACTS") != nullptr) {
    WARN("SKIPPED: LICD_MACHINE_FACTS is set: the probe reads it instead of the system");
    return;
  }
  auto r = platform::probe_machine();
  CHECK(r.facts_file.empty());
  CHECK_FALSE(r.facts.hostname.empty()); // every Linux machine has one
  auto factors = engine::fingerprint_of(r.facts, 1).size();
  if (std::filesystem::exists("/.dockerenv"))
    CHECK(r.environment == "container (docker)");
  if (r.environment != "physical" || factors < 3 || r.facts.dmi_uuid.empty())
    CHECK_FALSE(r.warnings.empty()); // said so
  if (r.facts.dmi_uuid.empty()) {
    bool said = false;
    for (const auto& w : r.warnings)
      said = said || w.find("DMI product UUID") != std::string::npos;
    CHECK(said);
  }
}
