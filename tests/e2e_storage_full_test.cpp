// End to end: a data dir on a small filesystem (a tmpfs mounted for the test) fills up. New
// checkouts are refused with STORAGE_FULL, leases already granted keep renewing, nothing stored
// is damaged, and licd serves again by itself once there is room.

#include "e2e_admin_support.hpp"

#include <sys/mount.h>

#include <filesystem>

using namespace licd::test;
using namespace std::chrono_literals;

namespace {

/// A tmpfs of `size` at `dir`, unmounted at the end.
struct small_fs {
  std::string dir;
  bool mounted = false;
  small_fs(std::string d, const std::string& size) : dir(std::move(d)) {
    std::filesystem::create_directories(dir);
    mounted = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  bool resize(const std::string& size) {
    return ::mount("tmpfs", dir.c_str(), "tmpfs", MS_REMOUNT, ("size=" + size).c_str()) == 0;
  }
  ~small_fs() {
    if (mounted)
      ::umount2(dir.c_str(), MNT_DETACH);
  }
};

} // namespace

TEST_CASE("a full disk refuses new checkouts with STORAGE_FULL and recovers by itself",
          "[e2e][storage-full]") {
  temp_dir tmp;
  // Room for a few thousand grants beyond the head-room licd keeps for removals (4 MiB).
  small_fs fs(tmp.path() + "/data", "6m");
  if (!fs.mounted) {
    WARN("SKIPPED: cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)");
    return;
  }
  auto keys = tmp.path() + "/vendor";
  REQUIRE(run({LICGEN_BINARY, "keygen", "--out=" + keys}).status == 0);
  std::vector<std::string> args{"--vendor-key=" + keys + "/vendor.pub", "--log-level=warn"};
  auto licd = std::make_unique<licd_process>(fs.dir, args);
  auto code = trim(run({LICGEN_BINARY, "issue", "--key=" + keys + "/vendor.key", "--product=cad",
                        "--seats=100000"})
                     .out);
  auto added = run({LICADMIN_BINARY, "--data-dir=" + fs.dir, "--json", "licenses", "add", code});
  INFO(added.out << "\n" << licd->log());
  REQUIRE(added.status == 0);

  auto relay = connect_as(*licd, "relay");
  std::vector<std::string> granted;
  std::string refusal_code, refusal_message;
  for (int i = 0; i < 50'000 && refusal_code.empty(); ++i) {
    try {
      granted.push_back(relay->checkout("cad", "ws" + std::to_string(i)).lease);
    } catch (const licd::client::refused& e) {
      refusal_code = e.code_text();
      refusal_message = e.message();
    }
  }
  INFO(granted.size() << " granted before the disk filled: " << refusal_message);
  if (refusal_code != "STORAGE_FULL") {
    auto log = licd->log();
    auto at = log.find("storage commit");
    INFO(log.substr(at == std::string::npos ? 0 : at, 600));
    REQUIRE(refusal_code == "STORAGE_FULL");
  }
  CHECK(refusal_message.find("storage is full") != std::string::npos);
  CHECK(granted.size() > 100);
  // Leases already granted keep renewing; another checkout is refused the same way.
  for (size_t i = 0; i < granted.size(); i += granted.size() / 10)
    CHECK(relay->renew(granted[i]) == 600);
  // Near full, a later commit may still fit (LMDB reuses the pages a failed one freed): every
  // refusal is STORAGE_FULL, and the seats in use are exactly the grants acknowledged.
  for (int i = 0; i < 20; ++i) {
    try {
      granted.push_back(relay->checkout("cad", "ws-more" + std::to_string(i)).lease);
    } catch (const licd::client::refused& e) {
      CHECK(e.code_text() == "STORAGE_FULL");
    }
  }
  CHECK(used_seats(*licd, "cad") == granted.size());

  // Full, seats are still given back: releases work (with their log entries, or without them
  // when even those do not fit), and the seats in use follow.
  std::vector<std::string> released(granted.end() - 50, granted.end());
  granted.resize(granted.size() - 50);
  for (const auto& lease : released)
    CHECK_NOTHROW(relay->release(lease));
  CHECK(used_seats(*licd, "cad") == granted.size());

  // A crash while full, and a restart on the same full disk: licd comes back and serves
  // renewals and releases (and still refuses new grants).
  relay.reset();
  licd->kill();
  licd = std::make_unique<licd_process>(fs.dir, args);
  relay = connect_as(*licd, "relay");
  CHECK(used_seats(*licd, "cad") == granted.size());
  CHECK(relay->renew(granted.front()) == 600);
  CHECK_NOTHROW(relay->release(granted.back()));
  granted.pop_back();
  CHECK(refusal([&] { relay->checkout("cad", "ws-after-crash"); }) == "STORAGE_FULL");

  // Expiry while full: restarted with a 2 s TTL and nobody renewing, every lease lapses and
  // its seat comes back.
  relay.reset();
  REQUIRE(licd->terminate() == 0);
  auto short_ttl = args;
  short_ttl.push_back("--lease-ttl=2");
  licd = std::make_unique<licd_process>(fs.dir, short_ttl);
  CHECK(used_seats(*licd, "cad") == granted.size());
  CHECK(eventually([&] { return used_seats(*licd, "cad") == 0; }, 10s));
  granted.clear();
  REQUIRE(licd->terminate() == 0);
  licd = std::make_unique<licd_process>(fs.dir, args);
  relay = connect_as(*licd, "relay");
  CHECK(used_seats(*licd, "cad") == 0); // the expiries were stored

  // Room again: licd serves by itself, no restart.
  REQUIRE(fs.resize("64m"));
  CHECK(eventually(
    [&] {
      try {
        granted.push_back(relay->checkout("cad", "ws-late").lease);
        return true;
      } catch (const licd::client::refused&) {
        return false;
      }
    },
    5s));
  // Nothing stored was damaged: after a crash every granted lease is back.
  relay.reset();
  licd->kill();
  licd = std::make_unique<licd_process>(fs.dir, args);
  CHECK(used_seats(*licd, "cad") == granted.size());
  auto again = connect_as(*licd, "relay");
  CHECK(again->renew(granted.front()) == 600);
  CHECK(again->renew(granted.back()) == 600);
}
