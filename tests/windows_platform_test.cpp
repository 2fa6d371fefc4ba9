// The Windows side of the platform seams, run under Wine (tests/windows/run.py): UTF-8 at the
// API and UTF-16 at Windows calls, files with non-ASCII names, the config folders where Windows
// admins expect them, the machine's facts, and the waker the seat's renewal thread polls.

#include "client/config.hpp"
#include "platform/host.hpp"
#include "platform/machine.hpp"
#include "platform/paths.hpp"
#include "platform/socket.hpp"
#include "platform/windows_text.hpp"
#include "storage/files.hpp"
#include "temp_dir.hpp"
#include "test_env.hpp"

#include <catch2/catch.hpp>

#include <regex>

using namespace licd;

namespace {
// "Büro-PC ✓ 日本" in UTF-8.
const std::string non_ascii = "B\xc3\xbcro-PC \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac";
} // namespace

TEST_CASE("UTF-8 and UTF-16 convert both ways, and invalid UTF-8 is refused", "[windows]") {
  auto wide = platform::to_utf16(non_ascii);
  CHECK(wide == L"B\u00fcro-PC \u2713 \u65e5\u672c");
  CHECK(platform::from_utf16(wide) == non_ascii);
  CHECK(platform::to_utf16("").empty());
  CHECK_THROWS_AS(platform::to_utf16("bad \xff byte"), std::invalid_argument);
}

TEST_CASE("files with a non-ASCII name are written atomically and read back", "[windows]") {
  test::temp_dir dir;
  auto path = platform::join_path(dir.path(), non_ascii + ".conf");
  CHECK_FALSE(files::file_exists(path));
  files::write_file(path, "one\n", 0644);
  CHECK(files::file_exists(path));
  CHECK(files::read_file(path) == "one\n");
  files::write_file(path, "two\n", 0644); // replaces
  CHECK(files::read_file(path) == "two\n");
  CHECK_THROWS_WITH(files::write_file(path, "three\n", 0644, true),
                    Catch::Contains("exists already"));
  CHECK(files::read_file(path) == "two\n");
  CHECK_FALSE(files::file_exists(path + ".tmp")); // no temporary left behind
  CHECK_THROWS_WITH(files::read_file(path + ".missing"), Catch::StartsWith("cannot read"));
}

TEST_CASE("the config folders are %ProgramData%\\licd and %APPDATA%\\licd", "[windows]") {
  test::unset_env("LICD_SYSTEM_CONFIG");
  test::unset_env("LICD_USER_CONFIG");
  auto program_data = platform::env("ProgramData");
  auto app_data = platform::env("APPDATA");
  REQUIRE_FALSE(program_data.empty());
  REQUIRE_FALSE(app_data.empty());
  CHECK(client::system_config_path() == program_data + "\\licd\\client.conf");
  CHECK(client::user_config_path() == app_data + "\\licd\\client.conf");
  test::set_env("LICD_USER_CONFIG", non_ascii + ".conf"); // the variable wins, in UTF-8
  CHECK(client::user_config_path() == non_ascii + ".conf");
  test::unset_env("LICD_USER_CONFIG");
}

TEST_CASE("a product's mode is set and read back in a folder with a non-ASCII name", "[windows]") {
  test::temp_dir dir;
  auto path = platform::join_path(platform::join_path(dir.path(), non_ascii), "client.conf");
  client::set_product_mode(path, "cad", "standalone", {});
  auto cfg = client::load_mode_config(path, path + ".none");
  CHECK(cfg.for_product("cad").mode == "standalone");
  CHECK(cfg.for_product("cad").source == path);
}

TEST_CASE("the machine's facts: MachineGuid, computer name, and the warnings", "[windows]") {
  auto r = platform::probe_machine();
  CHECK(r.facts_file.empty()); // no test hook on Windows
  CHECK(
    std::regex_match(r.facts.machine_id,
                     std::regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")));
  CHECK(r.facts.hostname == platform::host_name());
  CHECK_FALSE(r.facts.hostname.empty());
  for (const auto& mac : r.facts.macs)
    CHECK(std::regex_match(mac, std::regex("([0-9a-f]{2}:){5}[0-9a-f]{2}")));
  if (r.facts.dmi_uuid.empty()) {
    bool said = false;
    for (const auto& w : r.warnings)
      said = said || w.find("SMBIOS") != std::string::npos;
    CHECK(said);
  } else {
    CHECK(std::regex_match(r.facts.dmi_uuid, std::regex("[0-9a-f-]{36}")));
  }
  // The same facts twice: a binding made now holds on the next start.
  CHECK(platform::probe_machine().facts.machine_id == r.facts.machine_id);
}

TEST_CASE("the waker wakes a poll at once, and only when woken", "[windows]") {
  platform::waker w;
  platform::poll_entry p{w.handle(), POLLIN, 0};
  CHECK(platform::poll_sockets(&p, 1, 50) == 0);
  w.wake();
  p.revents = 0;
  CHECK(platform::poll_sockets(&p, 1, 5000) == 1);
  CHECK((p.revents & POLLIN) != 0);
}

TEST_CASE("the user and process names come from Windows", "[windows]") {
  CHECK_FALSE(platform::user_name().empty());
  CHECK(platform::process_id() != 0);
}
