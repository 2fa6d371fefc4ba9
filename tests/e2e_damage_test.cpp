// End to end: damaged data files. LMDB checksums nothing, so licd seals every record and checks
// the whole file before it opens it: a flipped byte, a truncated file or pages too damaged for
// LMDB to read are refused with what is damaged, never served and never a crash, and the file is
// left byte-identical. `licd --verify` checks a data dir or a backup without serving.

#include "e2e_admin_support.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>

using namespace licd::test;
using namespace std::chrono_literals;

namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

/// Runs licd on `data` to its end (it must refuse: `timeout` stops one that serves) and returns
/// its exit status and output.
run_result start_refused(const admin_fixture& f) {
  std::string cmd = "exec timeout -k 5 20 " + std::string(LICD_BINARY) + " --data-dir=" + f.s->data
                    + " --vendor-key=" + f.keys + "/vendor.pub"
                    + " --bind=127.0.0.1 --port=0 --admin-port=0 --discovery-port=0"
                    + (::geteuid() == 0 ? " --allow-root" : "") + " 2>&1";
  return run({"sh", "-c", cmd});
}

run_result verify(const std::string& data) {
  return run({"sh", "-c", std::string(LICD_BINARY) + " --verify --data-dir=" + data + " 2>&1"});
}

/// Stops the fixture's licd with `n` acknowledged leases of `cad` (1,000 seats), one per
/// computer ws-0, ws-1, ...; their ids.
std::vector<std::string> data_with_leases(admin_fixture& f, int n) {
  f.licadmin_json({"licenses", "add", f.issue("cad", 1000)});
  std::vector<std::string> leases;
  auto relay = connect_as(f.licd(), "relay");
  for (int i = 0; i < n; ++i)
    leases.push_back(relay->checkout("cad", "ws-" + std::to_string(i)).lease);
  REQUIRE(f.s->licd->terminate() == 0);
  return leases;
}

} // namespace

TEST_CASE("a flipped byte in a record is refused, named, and the file left as it was",
          "[e2e][damage]") {
  admin_fixture f;
  data_with_leases(f, 3);
  auto path = f.s->data + "/data.mdb";
  auto bytes = file_bytes(path);
  // The records naming ws-1 (its lease and its events; also stale copies of their pages, which
  // LMDB keeps until it reuses them): "ws-1" becomes "ws-5", a valid name in a wrong record.
  size_t flipped = 0;
  for (auto at = bytes.find("\tws-1\t"); at != std::string::npos;
       at = bytes.find("\tws-1\t", at + 1), ++flipped)
    bytes[at + 4] ^= 0x04;
  REQUIRE(flipped > 0);
  write_bytes(path, bytes);
  auto r = start_refused(f);
  INFO(r.out);
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Catch::Contains("is damaged"));
  CHECK_THAT(r.out, Catch::Contains("fails its checksum"));
  CHECK_THAT(r.out, Catch::Contains("Restore data.mdb from a backup"));
  CHECK(file_bytes(path) == bytes);
  auto v = verify(f.s->data);
  CHECK(v.status == 1);
  CHECK_THAT(v.out, Catch::Contains("fails its checksum"));
  CHECK(file_bytes(path) == bytes);
}

TEST_CASE("a truncated data file is refused before it is mapped, and left as it was",
          "[e2e][damage]") {
  admin_fixture f;
  data_with_leases(f, 300);
  auto path = f.s->data + "/data.mdb";
  std::filesystem::resize_file(path, 3 * 4096);
  auto bytes = file_bytes(path);
  auto r = start_refused(f);
  INFO(r.out);
  CHECK(r.status == 1); // not SIGBUS (135)
  CHECK_THAT(r.out, Catch::Contains("data.mdb is truncated"));
  CHECK(file_bytes(path) == bytes);
}

TEST_CASE("random byte flips never crash licd: it refuses the file or serves every lease",
          "[e2e][damage][slow]") {
  admin_fixture f;
  auto leases = data_with_leases(f, 200);
  auto path = f.s->data + "/data.mdb";
  auto good = file_bytes(path);
  // The pages LMDB uses (its meta pages say how many); the two meta pages are left alone.
  auto used_pages = [&] {
    uint64_t last = 0;
    std::memcpy(&last, good.data() + 136, sizeof(last));
    uint64_t other = 0;
    std::memcpy(&other, good.data() + 4096 + 136, sizeof(other));
    return std::max(last, other) + 1;
  }();
  REQUIRE(used_pages > 3);
  std::mt19937 rng(20261205);
  int refused = 0, served = 0;
  for (int round = 0; round < 12; ++round) {
    auto bytes = good;
    for (int i = 0; i < 8; ++i) {
      auto at = std::uniform_int_distribution<uint64_t>(2 * 4096, used_pages * 4096 - 1)(rng);
      bytes[at] = static_cast<char>(bytes[at] ^ (1 << (rng() % 8)));
    }
    write_bytes(path, bytes);
    auto v = verify(f.s->data);
    INFO("round " << round << ": " << v.out);
    CHECK(file_bytes(path) == bytes);
    if (v.status != 0) { // damage seen: licd refuses to start, with a message, not a signal
      ++refused;
      auto r = start_refused(f);
      CHECK(r.status == 1);
      CHECK_THAT(r.out, Catch::Contains("is damaged"));
      CHECK(file_bytes(path) == bytes);
      continue;
    }
    // The flips fell where nothing is read (free space in a page): every lease is served.
    ++served;
    f.s->start({"--vendor-key=" + f.keys + "/vendor.pub"});
    auto relay = connect_as(f.licd(), "relay");
    for (size_t i = 0; i < leases.size(); i += 20)
      CHECK(relay->renew(leases[i]) > 0);
    CHECK(used_seats(f.licd(), "cad") == leases.size());
    relay.reset();
    REQUIRE(f.s->licd->terminate() == 0);
  }
  INFO(refused << " rounds refused, " << served << " served");
  CHECK(refused > 0);
  write_bytes(path, good);
  CHECK(verify(f.s->data).status == 0);
}

TEST_CASE("licd --verify checks a data dir or a backup without serving or changing it",
          "[e2e][damage]") {
  admin_fixture f;
  data_with_leases(f, 5);
  auto bytes = file_bytes(f.s->data + "/data.mdb");
  auto v = verify(f.s->data);
  INFO(v.out);
  CHECK(v.status == 0);
  CHECK_THAT(v.out, Catch::Contains("intact (format 4; records: "));
  CHECK_THAT(v.out, Catch::Contains("5 leases"));
  CHECK(file_bytes(f.s->data + "/data.mdb") == bytes);
  // A backup made as docs/OPERATIONS.md says.
  auto backup = f.tmp.path() + "/backup";
  std::filesystem::create_directories(backup);
  REQUIRE(run({"mdb_copy", f.s->data, backup}).status == 0);
  CHECK(verify(backup).status == 0);
  CHECK(verify(f.tmp.path() + "/nothing-here").status == 1);
}

TEST_CASE("a damaged newest meta page is refused, never a silent step back", "[e2e][damage]") {
  // LMDB checksums its meta pages no more than its records: with the newest one damaged it would
  // silently open the transaction before, losing the last acknowledged grant.
  admin_fixture f;
  auto leases = data_with_leases(f, 10);
  auto path = f.s->data + "/data.mdb";
  auto good = file_bytes(path);
  uint64_t txn0 = 0, txn1 = 0;
  std::memcpy(&txn0, good.data() + 144, sizeof(txn0));
  std::memcpy(&txn1, good.data() + 4096 + 144, sizeof(txn1));
  REQUIRE(std::max(txn0, txn1) - std::min(txn0, txn1) == 1);
  size_t newest = txn0 > txn1 ? 0 : 4096, older = txn0 > txn1 ? 4096 : 0;

  // Writes the good file with one byte flipped and returns the damaged bytes.
  auto damage = [&](size_t at, char mask) {
    auto bytes = good;
    bytes[at] ^= mask;
    write_bytes(path, bytes);
    return bytes;
  };
  {
    auto bytes = damage(newest + 16, 0x01); // its magic number
    auto r = start_refused(f);
    INFO(r.out);
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains("the newest meta page of data.mdb is damaged"));
    CHECK(file_bytes(path) == bytes);
  }
  {
    damage(newest + 144, 0x02); // its transaction id, lowered or raised
    auto v = verify(f.s->data);
    INFO(v.out);
    CHECK(v.status == 1);
    CHECK_THAT(v.out, Catch::Contains("meta page"));
  }
  {
    // The older one's magic: LMDB itself refuses a file with either meta page unreadable
    // (MDB_INVALID), and licd says so, with the file as it was.
    auto bytes = damage(older + 16, 0x01);
    auto r = start_refused(f);
    INFO(r.out);
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains("is damaged"));
    CHECK(file_bytes(path) == bytes);
  }
  write_bytes(path, good);
  f.s->start({"--vendor-key=" + f.keys + "/vendor.pub"});
  CHECK(used_seats(f.licd(), "cad") == leases.size());
}
