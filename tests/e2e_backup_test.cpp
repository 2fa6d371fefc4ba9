// End to end: docs/OPERATIONS.md's backup and restore, run as written (with a test's paths): a
// hot backup taken while clients check seats out and release them restores to a licd that
// serves the leases of the backup's moment.

#include "e2e_admin_support.hpp"

#include <atomic>
#include <regex>
#include <thread>

using namespace licd::test;
using namespace std::chrono_literals;

namespace {

/// The `n`th ```sh block (0-based) of docs/OPERATIONS.md's "Backup and restore" section.
std::string operations_block(size_t n) {
  auto doc = slurp(std::string(LICD_SOURCE_DIR) + "/docs/OPERATIONS.md");
  auto section = doc.find("## Backup and restore");
  REQUIRE(section != std::string::npos);
  size_t at = section;
  for (size_t i = 0;; ++i) {
    at = doc.find("```sh\n", at);
    REQUIRE(at != std::string::npos);
    auto end = doc.find("```\n", at + 6);
    REQUIRE(end != std::string::npos);
    if (i == n)
      return doc.substr(at + 6, end - at - 6);
    at = end + 4;
  }
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

} // namespace

TEST_CASE("the documented hot backup, taken under load, restores and serves its leases",
          "[e2e][backup]") {
  admin_fixture f;
  auto pub = "--vendor-key=" + f.keys + "/vendor.pub";
  f.licadmin_json({"licenses", "add", f.issue("cad", 50)});
  f.licadmin_json({"licenses", "add", f.issue("busy", 5)});
  std::vector<std::string> kept;
  for (int i = 0; i < 10; ++i)
    kept.push_back(connect_as(f.licd(), "ws" + std::to_string(i))->checkout("cad").lease);

  // Load while the backup is taken: checkouts and releases, each committed.
  std::atomic<bool> stop{false};
  std::atomic<int> cycles{0};
  std::thread load([&] {
    auto c = connect_as(f.licd(), "loader");
    while (!stop) {
      c->release(c->checkout("busy").lease);
      ++cycles;
    }
  });
  while (cycles < 20)
    std::this_thread::sleep_for(10ms);
  auto backup_root = f.tmp.path() + "/backup";
  auto backup_cmds = replace_all(replace_all(operations_block(0), "/var/lib/licd", f.s->data),
                                 "/backup", backup_root);
  auto taken = run({"sh", "-ec", backup_cmds});
  int during = cycles;
  std::this_thread::sleep_for(100ms);
  stop = true;
  load.join();
  INFO(backup_cmds);
  REQUIRE(taken.status == 0);
  CHECK(cycles > during); // served all along

  // After the backup: one more lease, and one of the kept ones released.
  auto later = connect_as(f.licd(), "ws-later")->checkout("cad").lease;
  connect_as(f.licd(), "ws0")->release(kept[0]);
  REQUIRE(f.s->licd->terminate() == 0);

  // The restore block as written, minus systemctl (the test stops and starts licd itself).
  std::string dated;
  for (const auto& e : std::filesystem::directory_iterator(backup_root))
    dated = e.path().filename();
  auto restore = operations_block(1);
  restore = std::regex_replace(restore, std::regex("systemctl [^\n]*\n"), "");
  restore = replace_all(replace_all(restore, "/var/lib/licd", f.s->data),
                        "/backup/licd-2027-01-31", backup_root + "/" + dated);
  INFO(restore);
  REQUIRE(run({"sh", "-ec", restore}).status == 0);
  f.s->start({pub});

  // The backup's moment: every kept lease (ws0's too: released after the backup), not the later.
  for (size_t i = 0; i < kept.size(); ++i)
    CHECK(connect_as(f.licd(), "ws" + std::to_string(i))->renew(kept[i]) > 0);
  CHECK(refusal([&] { connect_as(f.licd(), "ws-later")->renew(later); }) == "UNKNOWN_LEASE");
  CHECK(f.seats("cad") == 50);
  CHECK(used_seats(f.licd(), "cad") == 10);
  CHECK(used_seats(f.licd(), "busy") <= 1); // at most the one in flight at the snapshot
  CHECK(f.licadmin({"status"}).status == 0); // the restored token is the one licadmin reads
}
