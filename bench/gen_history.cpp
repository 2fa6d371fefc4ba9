// gen-history: writes a synthetic usage history into a new data dir that licd then serves as it
// is (docs/BENCHMARKS.md, "Reports"). The history ends now; its days follow the clock of the
// machine it runs on (TZ): working days from 8 to 19 with a dip at lunch, quiet weekends, more
// demand than seats at the peak of most working days, users who retry every minute while turned
// away and give up after 15 minutes, a few second instances, crashes (expiries) and
// administrator disconnects. Every event goes through storage::database::commit in batches, as
// licd's store writes them, so the roll-ups are licd's own.
//
//   gen-history --data-dir=DIR --product=P --seats=N --days=D --vendor-key=VENDOR.key
//               [--users=3000] [--seed=1]

#include "engine/lease_id.hpp"
#include "engine/license_code.hpp"
#include "engine/usage.hpp"
#include "storage/database.hpp"
#include "storage/files.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <queue>
#include <random>

namespace {

using namespace licd;

constexpr int64_t minute = 60'000;
constexpr int64_t hour = 60 * minute;
constexpr int64_t day = 24 * hour;
constexpr int64_t retry_every = minute;
constexpr int retries_before_giving_up = 15;
constexpr size_t events_per_commit = 2'000;

struct options {
  std::string data_dir, product, vendor_key;
  uint32_t seats = 0;
  uint32_t days = 0;
  uint32_t users = 3000;
  uint32_t seed = 1;
};

enum class what { arrive, retry, second_instance, leave };

struct step {
  int64_t at;
  what kind;
  uint32_t user;
  int64_t duration; ///< arrive/retry: how long the session will last
  int retries;      ///< retry: how many so far
  bool operator>(const step& o) const { return at > o.at; }
};

struct holding {
  std::vector<std::string> leases;
};

class generator {
public:
  generator(const options& o, storage::database& db, int64_t start, int64_t end)
    : o_(o), db_(db), rng_(o.seed), start_(start), end_(end), held_(o.users) {}

  void run() {
    plan_days();
    while (!queue_.empty()) {
      auto s = queue_.top();
      queue_.pop();
      if (s.at >= end_)
        break;
      handle(s);
    }
    for (uint32_t u = 0; u < o_.users; ++u) // whoever still holds a seat leaves as it ends
      end_session(u, end_ - 1, engine::event_kind::released);
    flush();
  }

  size_t events() const { return logged_; }

private:
  std::string user_name(uint32_t u) const {
    char buf[16];
    std::snprintf(buf, sizeof buf, "user%04u", u);
    return buf;
  }
  std::string computer_name(uint32_t u) const {
    char buf[16];
    std::snprintf(buf, sizeof buf, "WS-%04u", u);
    return buf;
  }

  void log(int64_t at, engine::event_kind kind, uint32_t u, std::string lease = {},
           std::string detail = {}) {
    engine::event e;
    e.at_ms = at;
    e.kind = kind;
    e.product = o_.product;
    e.computer = computer_name(u);
    e.user = user_name(u);
    e.lease = std::move(lease);
    e.detail = std::move(detail);
    batch_.events.push_back(std::move(e));
    if (batch_.events.size() == events_per_commit)
      flush();
  }

  void flush() {
    if (batch_.events.empty())
      return;
    logged_ += batch_.events.size();
    db_.commit(batch_);
    batch_ = {};
  }

  /// Local midnight of the day holding `t`, plus `hours`.
  int64_t local_time(int64_t t, double hours) const {
    auto secs = static_cast<std::time_t>(t / 1000);
    std::tm tm{};
    localtime_r(&secs, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return int64_t{std::mktime(&tm)} * 1000 + static_cast<int64_t>(hours * hour);
  }

  /// Each day: who works, when they start their sessions and for how long.
  void plan_days() {
    // Demand at the peak a little more than the seats: each working user holds a seat about
    // 60 % of the core hours.
    double working = std::min(1.0, 1.15 * o_.seats / (0.6 * o_.users));
    std::normal_distribution<double> morning(8.8, 0.6), afternoon(13.4, 0.4);
    std::lognormal_distribution<double> length(std::log(2.6), 0.5);
    std::uniform_real_distribution<double> unit(0, 1);
    for (auto midnight = local_time(start_, 0); midnight < end_;
         midnight = local_time(midnight + 36 * hour, 0)) {
      auto secs = static_cast<std::time_t>(midnight / 1000 + 12 * 3600);
      std::tm tm{};
      localtime_r(&secs, &tm);
      bool weekend = tm.tm_wday == 0 || tm.tm_wday == 6;
      double p = weekend ? working * 0.08 : working;
      for (uint32_t u = 0; u < o_.users; ++u) {
        if (unit(rng_) >= p)
          continue;
        for (double begin : {morning(rng_), afternoon(rng_)}) {
          auto at = local_time(midnight + 12 * hour, begin);
          auto hours = std::min(length(rng_), 19.0 - begin);
          if (at >= start_ && hours > 0.1)
            queue_.push({at, what::arrive, u, static_cast<int64_t>(hours * hour), 0});
        }
      }
    }
  }

  void handle(const step& s) {
    switch (s.kind) {
      case what::arrive:
      case what::retry:
        return arrive(s);
      case what::second_instance:
        if (!held_[s.user].leases.empty()) {
          auto id = engine::make_lease_id(s.at).to_hex();
          held_[s.user].leases.push_back(id);
          log(s.at, engine::event_kind::granted, s.user, id);
        }
        return;
      case what::leave: {
        std::uniform_int_distribution<int> how(0, 99);
        auto n = how(rng_);
        auto kind = n < 3   ? engine::event_kind::expired
                    : n < 4 ? engine::event_kind::disconnected
                            : engine::event_kind::released;
        end_session(s.user, s.at, kind);
        return;
      }
    }
  }

  void arrive(const step& s) {
    auto& h = held_[s.user];
    if (!h.leases.empty())
      return; // still at it from before
    if (in_use_ >= o_.seats) {
      log(s.at, engine::event_kind::denied, s.user, {},
          "all " + std::to_string(o_.seats) + " seats of " + o_.product
            + " are in use by other computers");
      if (s.retries < retries_before_giving_up)
        queue_.push({s.at + retry_every, what::retry, s.user, s.duration, s.retries + 1});
      return;
    }
    ++in_use_;
    auto id = engine::make_lease_id(s.at).to_hex();
    h.leases.push_back(id);
    log(s.at, engine::event_kind::granted, s.user, id);
    queue_.push({s.at + s.duration, what::leave, s.user, 0, 0});
    std::uniform_int_distribution<int> second(0, 19);
    if (second(rng_) == 0)
      queue_.push({s.at + s.duration / 3, what::second_instance, s.user, 0, 0});
  }

  void end_session(uint32_t u, int64_t at, engine::event_kind kind) {
    auto& h = held_[u];
    if (h.leases.empty())
      return;
    for (const auto& id : h.leases)
      log(at, kind, u, id,
          kind == engine::event_kind::disconnected ? "by the administrator" : std::string{});
    h.leases.clear();
    --in_use_;
  }

  const options& o_;
  storage::database& db_;
  std::mt19937 rng_;
  int64_t start_, end_;
  std::vector<holding> held_;
  uint32_t in_use_ = 0;
  std::priority_queue<step, std::vector<step>, std::greater<>> queue_;
  storage::change_set batch_;
  size_t logged_ = 0;
};

} // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"gen-history: write a synthetic usage history into a new licd data dir"};
  app.add_option("--data-dir", o.data_dir, "the data dir to make (must not hold data yet)")
    ->required();
  app.add_option("--product", o.product, "the product")->required();
  app.add_option("--seats", o.seats, "its seats")->required()->check(CLI::Range(1u, 100000u));
  app.add_option("--days", o.days, "days of history, ending now")
    ->required()
    ->check(CLI::Range(1u, 3660u));
  app
    .add_option("--vendor-key", o.vendor_key,
                "the vendor's private key (licgen keygen): signs the installed license")
    ->required();
  app.add_option("--users", o.users, "users (each on a computer of their own)")
    ->capture_default_str()
    ->check(CLI::Range(1u, 1000000u));
  app.add_option("--seed", o.seed, "random seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    if (std::filesystem::exists(o.data_dir + "/data.mdb"))
      throw std::runtime_error(o.data_dir + " already holds a data dir");
    std::filesystem::create_directories(o.data_dir);
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
    auto start = now - int64_t{o.days} * day;
    engine::license lic;
    lic.id = engine::random_u64();
    lic.product = o.product;
    lic.seats = o.seats;
    lic.issued_day = static_cast<int32_t>(start / day);
    lic.customer = "gen-history";
    auto key = engine::ed25519::private_key::from_pem(files::read_file(o.vendor_key));
    storage::database::options dbo;
    dbo.dir = o.data_dir;
    storage::database db(dbo);
    storage::change_set setup;
    setup.put_licenses.push_back({lic.id, engine::issue_code(lic, key), start});
    engine::event e;
    e.at_ms = start;
    e.kind = engine::event_kind::license_added;
    e.product = o.product;
    e.detail = "license " + lic.id_hex() + ", " + std::to_string(o.seats) + " seats";
    setup.events.push_back(e);
    e.kind = engine::event_kind::seats;
    e.detail = engine::usage::seats_detail(o.seats);
    setup.events.push_back(e);
    db.commit(setup);
    generator g(o, db, start, now);
    auto t0 = std::chrono::steady_clock::now();
    g.run();
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("wrote %zu events over %u days of %s (%u seats, %u users) into %s in %.1f s\n",
                g.events() + 2, o.days, o.product.c_str(), o.seats, o.users, o.data_dir.c_str(),
                secs);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "gen-history: %s\n", ex.what());
    return 1;
  }
  return 0;
}
