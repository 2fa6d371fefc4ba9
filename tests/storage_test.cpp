#include "storage/database.hpp"
#include "storage/files.hpp"
#include "storage/seal.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <vector>

#include <sys/stat.h>

using namespace licd;
using licd::test::temp_dir;

namespace {

storage::lease_record make_record(const std::string& product, const std::string& computer) {
  storage::lease_record r;
  r.id = engine::make_random_lease_id();
  r.product = product;
  r.computer = computer;
  r.user = "alice";
  r.instance = "42";
  r.granted_at_ms = 1790000000000;
  return r;
}

engine::event make_event(engine::event_kind kind, const std::string& computer) {
  engine::event e;
  e.at_ms = 1790000000000;
  e.kind = kind;
  e.product = "cad";
  e.computer = computer;
  return e;
}

} // namespace

TEST_CASE("committed licenses, leases and events are there after reopening",
          "[storage]") {
  temp_dir dir;
  auto a = make_record("cad", "ws1");
  auto b = make_record("cad", "ws2");
  {
    storage::database db({dir.path()});
    storage::change_set cs;
    cs.put_licenses.push_back({0xabcdef, "LICD-CODE", 1790000000000});
    cs.put_leases = {a, b};
    cs.events = {make_event(engine::event_kind::granted, "ws1"),
                 make_event(engine::event_kind::granted, "ws2")};
    db.commit(cs);
    storage::change_set release;
    release.erase_leases.push_back(a.id);
    release.events.push_back(make_event(engine::event_kind::released, "ws1"));
    db.commit(release);
  }
  storage::database db({dir.path()});
  auto licenses = db.licenses();
  REQUIRE(licenses.size() == 1);
  CHECK(licenses[0].id == 0xabcdef);
  CHECK(licenses[0].code == "LICD-CODE");
  CHECK(licenses[0].installed_at_ms == 1790000000000);
  auto leases = db.leases();
  REQUIRE(leases.size() == 1);
  CHECK(leases[0].id == b.id);
  CHECK(leases[0].computer == "ws2");
  CHECK(leases[0].instance == "42");
  CHECK(leases[0].granted_at_ms == b.granted_at_ms);
  storage::change_set removal;
  removal.erase_licenses.push_back(0xabcdef);
  db.commit(removal);
  CHECK(db.licenses().empty());
  auto events = db.events(1, 100);
  REQUIRE(events.size() == 3);
  CHECK(events[0].first == 1);
  CHECK(events[2].first == 3);
  CHECK(events[2].second.kind == engine::event_kind::released);
  CHECK(db.events(3, 100).size() == 1);
}

TEST_CASE("stored leases are counted per product and scanned in id order", "[storage]") {
  temp_dir dir;
  storage::database db({dir.path()});
  CHECK(db.lease_counts().empty());
  storage::change_set cs;
  for (const auto* product : {"cad", "cam", "cad", "cad", "cam-pro"})
    cs.put_leases.push_back(make_record(product, "ws1"));
  db.commit(cs);
  CHECK(db.lease_counts()
        == std::map<std::string, size_t>{{"cad", 3}, {"cam", 1}, {"cam-pro", 1}});
  std::vector<engine::lease_id> seen;
  db.scan_leases([&](storage::lease_record& r) {
    CHECK(r.user == "alice");
    seen.push_back(r.id);
    r = storage::lease_record{}; // the scan may be moved from: the next record is whole again
  });
  REQUIRE(seen.size() == 5);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
}

TEST_CASE("event numbers continue after a reopen", "[storage]") {
  temp_dir dir;
  {
    storage::database db({dir.path()});
    storage::change_set cs;
    cs.events = {make_event(engine::event_kind::started, "")};
    db.commit(cs);
  }
  storage::database db({dir.path()});
  storage::change_set cs;
  cs.events = {make_event(engine::event_kind::stopped, "")};
  db.commit(cs);
  auto events = db.events(1, 10);
  REQUIRE(events.size() == 2);
  CHECK(events[1].first == 2);
  CHECK(events[1].second.kind == engine::event_kind::stopped);
}

TEST_CASE("old events are pruned oldest first, a batch at a time, keeping the newest",
          "[storage]") {
  temp_dir dir;
  auto seqs = [](const storage::database& db) {
    std::vector<uint64_t> out;
    for (const auto& [seq, e] : db.events(0, 100))
      out.push_back(seq);
    return out;
  };
  {
    storage::database db({dir.path()});
    storage::change_set cs;
    // Logging order is time order but for small steps back (two pools' clocks, a wall-clock
    // correction): 4000 comes after 9000.
    for (int64_t at : {1000, 2000, 3000, 9000, 4000, 10000}) {
      cs.events.push_back(make_event(engine::event_kind::granted, "ws1"));
      cs.events.back().at_ms = at;
    }
    db.commit(cs);
    REQUIRE(seqs(db) == std::vector<uint64_t>{1, 2, 3, 4, 5, 6});
    CHECK(db.prune_events(5000, 2) == 2); // at most a batch
    CHECK(seqs(db) == std::vector<uint64_t>{3, 4, 5, 6});
    CHECK(db.prune_events(5000, 100) == 1); // stops at the first one not older (9000)
    CHECK(seqs(db) == std::vector<uint64_t>{4, 5, 6});
    CHECK(db.prune_events(5000, 100) == 0);
    CHECK(db.prune_events(20000, 100) == 2); // all are older, but the newest stays
    CHECK(seqs(db) == std::vector<uint64_t>{6});
    CHECK(db.prune_events(20000, 100) == 0);
  }
  storage::database db({dir.path()});
  storage::change_set later;
  later.events = {make_event(engine::event_kind::started, "")};
  db.commit(later);
  CHECK(seqs(db) == std::vector<uint64_t>{6, 7}); // numbers go on after a reopen
}

TEST_CASE("several change sets commit in order in one transaction", "[storage]") {
  temp_dir dir;
  storage::database db({dir.path()});
  auto l = make_record("cad", "ws1");
  storage::change_set grant, release;
  grant.put_leases = {l};
  release.erase_leases = {l.id};
  db.commit({&grant, &release});
  CHECK(db.leases().empty());
}

TEST_CASE("a commit that does not fit changes nothing already stored", "[storage]") {
  temp_dir dir;
  storage::database::options opts{dir.path(), 1 << 20}; // a 1 MiB map
  storage::database db(opts);
  auto kept = make_record("cad", "ws1");
  storage::change_set first;
  first.put_leases = {kept};
  db.commit(first);
  storage::change_set huge;
  for (int i = 0; i < 2000; ++i) {
    auto e = make_event(engine::event_kind::denied, "ws");
    e.detail = std::string(1000, 'x');
    huge.events.push_back(e);
  }
  try {
    db.commit(huge);
    FAIL("a 2 MB commit fit into a 1 MiB map");
  } catch (const storage::lmdb::error& e) {
    CHECK(e.is_full());
  }
  auto leases = db.leases();
  REQUIRE(leases.size() == 1);
  CHECK(leases[0].id == kept.id);
  CHECK(db.events(1, 10).empty());
  db.commit(first); // and the database still takes small commits
}

TEST_CASE("a data dir of a newer format is refused", "[storage]") {
  temp_dir dir;
  {
    storage::database db({dir.path()});
  }
  {
    // Stamp a future format with raw LMDB calls.
    storage::lmdb::env env(dir.path(), 1 << 20, 8);
    storage::lmdb::txn t(env, false);
    auto meta = t.open_db("meta", false);
    t.put(meta, "format", storage::sealed("format", std::to_string(storage::format_version + 1)));
    t.commit();
  }
  CHECK_THROWS_WITH(storage::database({dir.path()}), Catch::Contains("newer"));
}

TEST_CASE("lease records refuse malformed values", "[storage]") {
  storage::lease_record out;
  auto r = make_record("cad", "ws1");
  auto key = storage::encode_lease_key(r.id);
  REQUIRE(storage::decode_lease(key, storage::encode_lease_value(r), out));
  CHECK(out.id == r.id);
  CHECK_FALSE(storage::decode_lease(key.substr(1), storage::encode_lease_value(r), out));
  CHECK_FALSE(storage::decode_lease(key, "cad\tws1", out));
  CHECK_FALSE(storage::decode_lease(key, "cad\tws1\tu\ti\tnotanumber", out));
  CHECK_FALSE(storage::decode_lease(key, "cad\tws1\tu\ti\t5\textra", out));
  CHECK_FALSE(storage::decode_lease(key, "", out));
}

TEST_CASE("activations and meta values are stored, replaced and erased", "[storage]") {
  temp_dir dir;
  {
    storage::database db({dir.path()});
    storage::change_set cs;
    cs.put_activations.push_back({7, 0x1122334455667788ull, ""});
    cs.put_activations.push_back({8, 1, "LICD-RESPONSE"});
    cs.put_meta.emplace_back("clock_seen_ms", "1790000000000");
    db.commit(cs);
    storage::change_set later;
    later.put_activations.push_back({7, 0x1122334455667788ull, "LICD-ACCEPTED"});
    later.erase_activations.push_back(8);
    db.commit(later);
  }
  storage::database db({dir.path()});
  auto acts = db.activations();
  REQUIRE(acts.size() == 1);
  CHECK(acts[0].license_id == 7);
  CHECK(acts[0].nonce == 0x1122334455667788ull);
  CHECK(acts[0].response == "LICD-ACCEPTED");
  CHECK(db.meta("clock_seen_ms") == "1790000000000");
  CHECK(db.meta("no such key").empty());
  CHECK(db.migrated_from() == 0);
}

TEST_CASE("format 1 and 2 data dirs are migrated in place, keeping what they hold",
          "[storage]") {
  for (uint32_t old : {1u, 2u}) {
    INFO("format " << old);
    temp_dir dir;
    storage::lease_record lease = make_record("cad", "ws1");
    {
      // What an older licd left, written with raw LMDB calls: records without seals, format 1
      // without an activations table.
      storage::lmdb::env env(dir.path(), 1 << 20, 8);
      storage::lmdb::txn t(env, false);
      auto meta = t.open_db("meta", true);
      t.put(meta, "format", std::to_string(old));
      t.put(meta, "server_key", "PEM");
      auto licenses = t.open_db("licenses", true);
      t.put(licenses, std::string(7, '\0') + "\5", "1790000000000\tLICD-CODE");
      auto leases = t.open_db("leases", true);
      t.put(leases, storage::encode_lease_key(lease.id), storage::encode_lease_value(lease));
      auto events = t.open_db("events", true);
      engine::event e;
      e.kind = engine::event_kind::granted;
      e.product = "cad";
      t.put(events, std::string(7, '\0') + "\1", engine::encode(e));
      if (old == 2) {
        auto acts = t.open_db("activations", true);
        t.put(acts, std::string(7, '\0') + "\5", "0000000000000009\tLICD-RESPONSE");
      }
      t.commit();
    }
    {
      storage::database db({dir.path()});
      CHECK(db.migrated_from() == old);
      CHECK(db.meta("format") == std::to_string(storage::format_version));
      CHECK(db.meta("server_key") == "PEM");
      REQUIRE(db.licenses().size() == 1);
      CHECK(db.licenses()[0].code == "LICD-CODE");
      REQUIRE(db.leases().size() == 1);
      CHECK(db.leases()[0].id == lease.id);
      CHECK(db.activations().size() == (old == 2 ? 1u : 0u));
      CHECK(db.events(0, 10).size() == 1);
    }
    storage::database again({dir.path()});
    CHECK(again.migrated_from() == 0);
    auto report = storage::verify_data_dir(dir.path(), 1 << 20);
    CHECK(report.problems.empty());
    CHECK(report.format == storage::format_version);
    CHECK(report.records["leases"] == 1);
  }
}

TEST_CASE("a record whose bytes or key changed fails its seal, on load and in verify",
          "[storage]") {
  temp_dir dir;
  auto lease = make_record("cad", "ws1");
  {
    storage::database db({dir.path()});
    storage::change_set cs;
    cs.put_leases.push_back(lease);
    db.commit(cs);
  }
  auto key = storage::encode_lease_key(lease.id);
  auto value = storage::encode_lease_value(lease);
  SECTION("a flipped byte in the record") {
    storage::lmdb::env env(dir.path(), 1 << 20, 8);
    storage::lmdb::txn t(env, false);
    auto leases = t.open_db("leases", false);
    auto stored = std::string(*t.get(leases, key));
    stored[2] ^= 0x01;
    t.put(leases, key, stored);
    t.commit();
  }
  SECTION("the same record under another key (an altered id)") {
    storage::lmdb::env env(dir.path(), 1 << 20, 8);
    storage::lmdb::txn t(env, false);
    auto leases = t.open_db("leases", false);
    auto stored = std::string(*t.get(leases, key));
    t.erase(leases, key);
    auto other = key;
    other[15] ^= 0x40;
    t.put(leases, other, stored);
    t.commit();
  }
  auto report = storage::verify_data_dir(dir.path(), 1 << 20);
  REQUIRE(report.problems.size() == 1);
  CHECK_THAT(report.problems[0], Catch::Contains("a record in `leases` fails its checksum"));
  storage::database db({dir.path()});
  CHECK_THROWS_AS(db.leases(), storage::damaged);
}

TEST_CASE("a truncated data file is found before LMDB maps it", "[storage]") {
  temp_dir dir;
  {
    storage::database db({dir.path()});
    storage::change_set cs;
    for (int i = 0; i < 500; ++i)
      cs.put_leases.push_back(make_record("cad", "ws" + std::to_string(i)));
    db.commit(cs);
  }
  CHECK(storage::check_data_file(dir.path()).empty());
  std::filesystem::resize_file(dir.path() + "/data.mdb", 3 * 4096);
  CHECK_THAT(storage::check_data_file(dir.path()), Catch::Contains("data.mdb is truncated"));
  auto report = storage::verify_data_dir(dir.path(), 1 << 20);
  REQUIRE(report.problems.size() == 1);
  CHECK_THAT(report.problems[0], Catch::Contains("truncated"));
  CHECK(std::filesystem::file_size(dir.path() + "/data.mdb") == 3 * 4096);
}

TEST_CASE("a corrupt activation record is reported, not guessed at", "[storage]") {
  temp_dir dir;
  {
    storage::database db({dir.path()});
  }
  {
    storage::lmdb::env env(dir.path(), 1 << 20, 8);
    storage::lmdb::txn t(env, false);
    auto acts = t.open_db("activations", false);
    t.put(acts, std::string(8, '\1'), "not hex\tLICD-X");
    t.commit();
  }
  storage::database db({dir.path()});
  CHECK_THROWS_WITH(db.activations(), Catch::Contains("a record in `activations`"));
}

TEST_CASE("a data dir whose data file is not LMDB is refused as corrupt and left untouched",
          "[storage]") {
  temp_dir dir;
  std::string garbage(64 * 1024, '\0');
  for (size_t i = 0; i < garbage.size(); ++i)
    garbage[i] = static_cast<char>((i * 7919) % 251);
  {
    std::ofstream out(dir.path() + "/data.mdb", std::ios::binary);
    out << garbage;
  }
  CHECK_THROWS_WITH(storage::database({dir.path()}),
                    Catch::Contains("corrupt") && Catch::Contains("untouched"));
  std::ifstream in(dir.path() + "/data.mdb", std::ios::binary);
  std::string after((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(after == garbage);
}

TEST_CASE("a status file is rewritten, in place when a new file cannot be written",
          "[storage][files]") {
  temp_dir tmp;
  auto path = tmp.path() + "/licd.port";
  files::rewrite_file(path, "0\n", 0644); // missing: made
  CHECK(files::read_file(path) == "0\n");
  struct stat before {};
  REQUIRE(::stat(path.c_str(), &before) == 0);
  files::rewrite_file(path, "45123\n", 0644);
  CHECK(files::read_file(path) == "45123\n");
  // A temp file cannot be made beside it (as on a full disk): the content is replaced in place.
  std::filesystem::create_directory(path + ".tmp"); // open(O_WRONLY) of a directory fails
  REQUIRE(::stat(path.c_str(), &before) == 0);
  files::rewrite_file(path, "7\n", 0644); // shorter: nothing of the old content left
  CHECK(files::read_file(path) == "7\n");
  struct stat after {};
  REQUIRE(::stat(path.c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino); // the same file (and its block), not a new one
}
