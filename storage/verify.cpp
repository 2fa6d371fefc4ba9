// Checking a data dir without changing it: the data file's length against its own meta pages,
// then every record of every table (seal, decoding, counts), in a child process.

#include "storage/data_dir_layout.hpp"
#include "storage/database.hpp"

#include "engine/code_block.hpp"
#include "engine/event.hpp"
#include "engine/fields.hpp"
#include "storage/seal.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <sstream>

namespace licd::storage {

namespace {

/// What LMDB 0.9 writes in its two meta pages (64-bit builds): the page header (16 bytes), then
/// MDB_meta: magic, version, address, map size, two MDB_db records of 48 bytes (the first one's
/// first field is the page size), the last used page and the transaction id.
constexpr uint32_t lmdb_magic = 0xBEEFC0DE;
constexpr size_t magic_at = 16, psize_at = 40, last_pg_at = 136, txnid_at = 144, meta_end = 152;

template <class T>
T read_at(const unsigned char* page, size_t at) {
  T v{};
  std::memcpy(&v, page + at, sizeof(T));
  return v;
}

/// The tables of a data dir, and how each record must decode.
bool decodes(const std::string& table, std::string_view key, std::string_view record) {
  if (table == "leases") {
    lease_record r;
    return decode_lease(key, record, r);
  }
  if (table == "licenses" || table == "activations") {
    auto f = engine::split_tabs<2>(record);
    return key.size() == 8 && f.has_value();
  }
  if (table == "events")
    return key.size() == 8 && engine::decode_event(record).has_value();
  if (table == "usage")
    return usage_table::readable(key, record);
  return true; // meta: free-form values
}

/// The walk itself (in the child): records per table and problems, as lines on `out`.
void walk(const std::string& dir, size_t map_size, std::ostream& out) {
  lmdb::env env(dir, map_size, 8, true);
  lmdb::txn t(env, true);
  MDB_dbi meta = 0;
  try {
    meta = t.open_db("meta", false);
  } catch (const lmdb::error& e) {
    out << "P the table `meta` cannot be opened: " << e.what() << "\n";
    return;
  }
  uint32_t format = 0;
  if (auto stored = t.get(meta, "format")) {
    auto record = unsealed("format", *stored);
    if (!(record && engine::parse_number(*record, format))
        && !engine::parse_number(*stored, format))
      out << "P the format record in `meta` is unreadable\n";
  }
  out << "F " << format << "\n";
  size_t reported = 0, more = 0;
  auto problem = [&](const std::string& p) {
    if (reported < 20) {
      out << "P " << p << "\n";
      ++reported;
    } else {
      ++more;
    }
  };
  for (std::string table : {"meta", "licenses", "activations", "leases", "events", "usage"}) {
    MDB_dbi db = 0;
    try {
      db = t.open_db(table.c_str(), false);
    } catch (const lmdb::error& e) {
      if (e.code() != MDB_NOTFOUND || table == "leases" || table == "events")
        problem("the table `" + table + "` cannot be opened: " + e.what());
      continue;
    }
    size_t count = 0;
    t.for_each(db, [&](std::string_view k, std::string_view v) {
      ++count;
      std::optional<std::string_view> record = v;
      if (format >= 3)
        record = unsealed(k, v);
      if (!record)
        problem("a record in `" + table + "` fails its checksum (key " + printable_key(k) + ")");
      else if (!decodes(table, k, *record))
        problem("a record in `" + table + "` is unreadable (key " + printable_key(k) + ")");
    });
    if (auto expected = t.count(db); expected != count)
      problem("the table `" + table + "` should hold " + std::to_string(expected)
              + " records, but " + std::to_string(count) + " can be reached: pages are damaged");
    out << "T " << table << " " << count << "\n";
  }
  // LMDB's own free list: pages it will hand out again. A damaged entry would let it reuse a
  // page that is in use, damaging live records later.
  MDB_envinfo info{};
  lmdb::check(mdb_env_info(env.get(), &info), "mdb_env_info");
  MDB_cursor* c = nullptr;
  lmdb::check(mdb_cursor_open(t.get(), 0 /* FREE_DBI */, &c), "mdb_cursor_open");
  MDB_val k, v;
  size_t entries = 0;
  for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
       rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
    ++entries;
    size_t n = 0;
    bool ok = v.mv_size >= sizeof(size_t) && v.mv_size % sizeof(size_t) == 0;
    if (ok) {
      std::memcpy(&n, v.mv_data, sizeof(n));
      ok = (n + 1) * sizeof(size_t) <= v.mv_size;
      for (size_t i = 1; ok && i <= n; ++i) {
        size_t page = 0;
        std::memcpy(&page, static_cast<const char*>(v.mv_data) + i * sizeof(size_t),
                    sizeof(page));
        ok = page >= 2 && page <= info.me_last_pgno;
      }
    }
    if (!ok)
      problem("an entry of LMDB's free-page list is damaged");
  }
  mdb_cursor_close(c);
  if (auto expected = t.count(0); expected != entries)
    problem("LMDB's free-page list should hold " + std::to_string(expected) + " entries, but "
            + std::to_string(entries) + " can be reached: pages are damaged");
  if (more > 0)
    out << "P ... and " << more << " more damaged records\n";
}

} // namespace

std::string check_data_file(const std::string& dir) {
  auto path = data_dir_layout(dir).data_file();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return {};
  struct stat st {};
  ::fstat(fd, &st);
  auto size = static_cast<uint64_t>(st.st_size);
  struct meta {
    bool read = false, valid = false;
    uint32_t psize = 0;
    uint64_t last_pg = 0, txn = 0;
  };
  auto read_meta = [&](off_t at) {
    meta m;
    unsigned char page[meta_end];
    if (::pread(fd, page, sizeof(page), at) != static_cast<ssize_t>(sizeof(page)))
      return m;
    m.read = true;
    m.psize = read_at<uint32_t>(page, psize_at);
    m.last_pg = read_at<uint64_t>(page, last_pg_at);
    m.txn = read_at<uint64_t>(page, txnid_at);
    m.valid = read_at<uint32_t>(page, magic_at) == lmdb_magic
              && read_at<uint32_t>(page, magic_at + 4) == 1 // MDB_DATA_VERSION
              && m.psize >= 512 && m.psize <= 65536 && (m.psize & (m.psize - 1)) == 0;
    return m;
  };
  auto first = read_meta(0);
  // The second meta page is one page further; LMDB makes pages of the system's page size.
  uint32_t psize = first.valid ? first.psize : static_cast<uint32_t>(::sysconf(_SC_PAGESIZE));
  auto second = read_meta(static_cast<off_t>(psize));
  ::close(fd);
  if (!first.valid && !second.valid)
    return {}; // not an LMDB file at all: LMDB's to refuse (MDB_INVALID)
  // LMDB checksums neither: each commit writes the meta page of its transaction's parity, so the
  // two hold consecutive transaction ids. A damaged newest one would make LMDB fall back to the
  // older one, losing the last acknowledged transaction without a word.
  if (first.valid && second.valid) {
    auto hi = std::max(first.txn, second.txn), lo = std::min(first.txn, second.txn);
    if (hi - lo != 1 && hi != 0)
      return "the two meta pages of data.mdb disagree (transactions " + std::to_string(first.txn)
             + " and " + std::to_string(second.txn)
             + "): one is damaged, and LMDB could go back to an older transaction";
  } else {
    const auto& good = first.valid ? first : second;
    const auto& bad = first.valid ? second : first;
    if (!(bad.read && bad.txn + 1 == good.txn)) // only a damaged older one is harmless
      return "the newest meta page of data.mdb is damaged: LMDB would go back to transaction "
             + std::to_string(good.txn) + " and lose what came after it";
  }
  const auto& newest = !second.valid || (first.valid && first.txn > second.txn) ? first : second;
  uint64_t need = (newest.last_pg + 1) * newest.psize;
  if (size >= need)
    return {};
  return "data.mdb is truncated: its last transaction uses " + std::to_string(need)
         + " bytes, the file has " + std::to_string(size);
}

verify_report verify_data_dir(const std::string& dir, size_t map_size) {
  verify_report report;
  if (auto wrong = check_data_file(dir); !wrong.empty()) {
    report.problems.push_back(wrong);
    return report;
  }
  if (::access(data_dir_layout(dir).data_file().c_str(), F_OK) != 0)
    return report; // nothing stored yet
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("cannot check the data dir: pipe: ")
                             + std::strerror(errno));
  pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error(std::string("cannot check the data dir: fork: ")
                             + std::strerror(errno));
  if (pid == 0) {
    ::close(pipefd[0]);
    // A page that crashes LMDB ends the child with an exit code of its own (128 + the signal),
    // not through a sanitizer's deadly-signal report (the crash is the finding, not a bug).
    struct sigaction crash {};
    crash.sa_handler = [](int sig) { ::_exit(128 + sig); };
    sigemptyset(&crash.sa_mask);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL})
      ::sigaction(sig, &crash, nullptr);
    std::ostringstream out;
    int rc = 0;
    try {
      walk(dir, map_size, out);
    } catch (const std::exception& e) {
      out << "P " << e.what() << "\n";
      rc = 1;
    }
    auto text = out.str();
    for (size_t done = 0; done < text.size();) {
      auto n = ::write(pipefd[1], text.data() + done, text.size() - done);
      if (n <= 0)
        break;
      done += static_cast<size_t>(n);
    }
    ::_exit(rc);
  }
  ::close(pipefd[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
    if (n > 0)
      text.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("P ", 0) == 0) {
      report.problems.push_back(line.substr(2));
    } else if (line.rfind("F ", 0) == 0) {
      engine::parse_number(std::string_view(line).substr(2), report.format);
    } else if (line.rfind("T ", 0) == 0) {
      auto sp = line.rfind(' ');
      size_t count = 0;
      engine::parse_number(std::string_view(line).substr(sp + 1), count);
      report.records[line.substr(2, sp - 2)] = count;
    }
  }
  int crashed = WIFSIGNALED(status)                             ? WTERMSIG(status)
                : WIFEXITED(status) && WEXITSTATUS(status) > 128 ? WEXITSTATUS(status) - 128
                                                                 : 0;
  if (crashed != 0)
    report.problems.push_back("reading data.mdb crashed LMDB (signal " + std::to_string(crashed)
                              + "): its page structure is damaged");
  else if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && report.problems.empty()))
    report.problems.push_back("the check of data.mdb ended unexpectedly");
  return report;
}

std::string damage_message(const std::string& dir, const verify_report& report) {
  std::string out = "data dir " + dir + " is damaged:";
  for (const auto& p : report.problems)
    out += "\n  " + p;
  out += "\nlicd leaves it exactly as it is. Restore data.mdb from a backup (docs/OPERATIONS.md, "
         "\"Backup and restore\"), after checking the backup with `licd --verify "
         "--data-dir=BACKUP_DIR`.";
  return out;
}

} // namespace licd::storage
