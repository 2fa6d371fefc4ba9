#include "bench/licbench/load.hpp"

#include "bench/licbench/seat_ledger.hpp"
#include "bench/licbench/wire.hpp"

#include "client/connection.hpp"
#include "net/protocol.hpp"
#include "net/replies.hpp"
#include "net/tls_stream.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <queue>
#include <random>
#include <stdexcept>
#include <thread>

namespace licd::bench {

namespace {

using clock_type = std::chrono::steady_clock;
namespace proto = net::protocol;

struct computer {
  std::string name;
  std::string lease; // empty: none held
  uint32_t number = 0; // its place among all the run's computers
};

struct pending {
  op kind;
  size_t computer;
  int64_t start_ns; // send time (closed loop) or scheduled time (open loop)
};

struct connection {
  wire io; ///< the socket and its bytes
  bool connected = false, hello_done = false, dead = false;
  std::vector<computer> computers;
  size_t cursor = 0;      // next computer for the scenario
  size_t set_up = 0;      // computers with their first lease (renew/hold)
  std::deque<pending> inflight;
  uint64_t next_id = 1;
  int64_t next_due = 0;   // open loop / hold: when the next request is due
  int64_t interval = 0;   // open loop / hold: ns between requests
  int64_t timer_at = 0;   // open loop / hold: the due time queued in the worker's timers
};

enum class phase { setup, measure, drain };

class worker {
public:
  worker(const load_options& o, seat_ledger& seats, std::atomic<int>& phase_flag,
         std::atomic<int64_t>& measure_start, std::vector<connection> conns, uint32_t seed)
    : opts_(o), seats_(seats), phase_(phase_flag), measure_start_(measure_start),
      conns_(std::move(conns)), rng_(seed) {}

  void run();
  std::array<op_stats, op_kinds> stats;
  uint64_t used_above_seats = 0;
  uint32_t connected = 0;
  std::string first_failure;
  bool setup_done() const { return setup_done_.load(); }
  std::vector<connection>& conns() { return conns_; }

private:
  void start_connect(connection& c);
  void on_readable(connection& c);
  void on_line(connection& c, std::string_view line, int64_t arrival);
  void pump(connection& c, int64_t now);
  void send(connection& c, op kind, size_t comp, int64_t start);
  void queue(connection& c, std::string_view line);
  void flush(connection& c);
  void fail(connection& c, const std::string& why);
  void record(op kind, int64_t start, int64_t end, int64_t arrival = 0);
  bool holds_leases() const {
    return opts_.kind == scenario::renew || opts_.kind == scenario::hold;
  }
  bool open_loop() const { return opts_.rate > 0 || opts_.kind == scenario::hold; }
  bool all_set_up() const;
  bool all_idle() const;

  const load_options& opts_;
  seat_ledger& seats_;
  std::atomic<int>& phase_;
  std::atomic<int64_t>& measure_start_;
  std::vector<connection> conns_;
  std::mt19937 rng_;
  int epfd_ = -1;
  std::atomic<bool> setup_done_{false};
};

void worker::record(op kind, int64_t start, int64_t end, int64_t arrival) {
  if (phase_.load() != static_cast<int>(phase::measure) && kind != op::connect)
    return;
  auto& s = stats[static_cast<size_t>(kind)];
  s.latency.record(static_cast<uint64_t>(std::max<int64_t>(0, end - start)));
  if (arrival != 0)
    s.at_socket.record(static_cast<uint64_t>(std::max<int64_t>(0, arrival - start)));
  if (kind != op::connect) {
    auto second = static_cast<size_t>((end - measure_start_.load()) / 1'000'000'000);
    if (s.per_second.size() <= second)
      s.per_second.resize(second + 1);
    ++s.per_second[second];
  }
}

void worker::fail(connection& c, const std::string& why) {
  if (c.dead)
    return;
  c.dead = true;
  if (first_failure.empty())
    first_failure = why;
  if (phase_.load() == static_cast<int>(phase::measure))
    ++stats[static_cast<size_t>(op::connect)].errors[why];
  for (auto& comp : c.computers)
    if (!comp.lease.empty()) {
      comp.lease.clear();
      seats_.give();
      ++seats_.lost;
    }
  for (const auto& p : c.inflight) // a checkout may have been granted, a release not done
    if (p.kind == op::checkout || p.kind == op::release)
      ++seats_.lost;
  c.inflight.clear();
  ::epoll_ctl(epfd_, EPOLL_CTL_DEL, c.io.fd(), nullptr);
  c.io.close();
}

void worker::start_connect(connection& c) {
  c.io.start(opts_.host, opts_.port, opts_.tls);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.ptr = &c;
  ::epoll_ctl(epfd_, EPOLL_CTL_ADD, c.io.fd(), &ev);
  queue(c, "HELLO 0 version=1 computer=" + c.computers[0].name + " user=licbench\n");
}

/// Adds a request line to what goes out.
void worker::queue(connection& c, std::string_view line) {
  if (auto why = c.io.queue(line); !why.empty())
    fail(c, why);
}

void worker::send(connection& c, op kind, size_t comp, int64_t start) {
  auto id = std::to_string(c.next_id++);
  auto& name = c.computers[comp].name;
  switch (kind) {
    case op::checkout:
      if (opts_.users > 0)
        queue(c, "CHECKOUT " + id + " " + opts_.product + " computer=" + name
                   + " user=" + opts_.user_prefix
                   + std::to_string(c.computers[comp].number % opts_.users) + "\n");
      else
        queue(c, "CHECKOUT " + id + " " + opts_.product + " computer=" + name + "\n");
      break;
    case op::renew:
      queue(c, "RENEW " + id + " " + c.computers[comp].lease + "\n");
      break;
    case op::release: {
      queue(c, "RELEASE " + id + " " + c.computers[comp].lease + "\n");
      c.computers[comp].lease.clear(); // given up from here on
      seats_.give();
      break;
    }
    case op::connect:
      break;
  }
  c.inflight.push_back({kind, comp, start});
}

void worker::flush(connection& c) {
  if (auto why = c.io.flush(); !why.empty())
    fail(c, why);
}

/// Decides the next request of a connection, if one is due.
void worker::pump(connection& c, int64_t now) {
  if (c.dead || !c.hello_done)
    return;
  auto ph = static_cast<phase>(phase_.load());
  if (ph == phase::drain)
    return;
  // Set-up for the holding scenarios: one lease per computer, one request at a time.
  if (holds_leases() && c.set_up < c.computers.size()) {
    if (c.inflight.empty())
      send(c, op::checkout, c.set_up, now);
    return;
  }
  if (ph != phase::measure)
    return;
  bool open_loop = this->open_loop();
  for (int sent = 0; sent < 64; ++sent) {
    if (open_loop) {
      if (c.next_due == 0) // clients start at random phases, not in one synchronized burst
        c.next_due = now + (c.interval > 0 ? static_cast<int64_t>(rng_() % static_cast<uint64_t>(c.interval)) : 0);
      if (now < c.next_due)
        return;
    } else if (!c.inflight.empty()) {
      return;
    }
    auto i = c.cursor;
    // A computer with a request in flight waits; the schedule does not move, so the delay
    // shows in the latency (measured from the scheduled time) instead of being left out.
    for (const auto& p : c.inflight)
      if (p.computer == i)
        return;
    auto start = open_loop ? c.next_due : now;
    if (open_loop)
      c.next_due += c.interval;
    c.cursor = (c.cursor + 1) % c.computers.size();
    auto& comp = c.computers[i];
    switch (opts_.kind) {
      case scenario::renew:
      case scenario::hold:
        send(c, comp.lease.empty() ? op::checkout : op::renew, i, start);
        break;
      case scenario::cycle:
      case scenario::policy:
        send(c, comp.lease.empty() ? op::checkout : op::release, i, start);
        break;
      case scenario::contend:
        if (comp.lease.empty())
          send(c, op::checkout, i, start);
        else
          send(c, rng_() % 10 < 7 ? op::renew : op::release, i, start);
        break;
    }
    if (!open_loop)
      return;
  }
}

void worker::on_line(connection& c, std::string_view line, int64_t arrival) {
  auto now = now_ns();
  auto r = proto::parse_reply(line);
  if (!r) {
    fail(c, "unreadable reply");
    return;
  }
  if (!r->ok && r->id == "-") { // said before the server closes: a timeout, a limit
    fail(c, "closed by the server: " + r->code);
    return;
  }
  if (!c.hello_done) {
    if (!r->ok) {
      fail(c, "HELLO refused: " + r->code);
      return;
    }
    c.hello_done = true;
    ++connected;
    record(op::connect, c.io.started_ns(), now);
    auto hello = proto::read_hello(*r);
    if (!hello) {
      fail(c, "unreadable reply to HELLO");
      return;
    }
    int64_t ttl = hello->ttl;
    if (opts_.kind == scenario::hold) // every computer renews three times per TTL
      c.interval = ttl * 1'000'000'000 / 3 / static_cast<int64_t>(c.computers.size());
    return;
  }
  if (c.inflight.empty()) {
    fail(c, "reply without a request");
    return;
  }
  auto p = c.inflight.front();
  c.inflight.pop_front();
  auto& comp = c.computers[p.computer];
  auto& s = stats[static_cast<size_t>(p.kind)];
  bool measuring = phase_.load() == static_cast<int>(phase::measure);
  if (r->ok) {
    if (p.kind == op::checkout) {
      auto granted = proto::read_checkout(*r);
      if (!granted) {
        fail(c, "unreadable reply to CHECKOUT");
        return;
      }
      if (comp.lease.empty())
        seats_.take();
      comp.lease = granted->lease.to_hex();
      seats_.seats = granted->seats;
      if (granted->used > granted->seats)
        ++used_above_seats;
      if (c.set_up < c.computers.size() && holds_leases())
        ++c.set_up;
    }
    record(p.kind, p.start_ns, now, arrival);
    return;
  }
  auto code = proto::error_code_from_string(r->code);
  if (code == proto::error_code::no_seats || code == proto::error_code::disconnected
      || code == proto::error_code::reserved || code == proto::error_code::limit
      || code == proto::error_code::excluded) {
    if (measuring) {
      ++s.denied;
      ++s.denied_by[r->code];
    }
    record(p.kind, p.start_ns, now, arrival);
    if (holds_leases() && c.set_up < c.computers.size())
      ++c.set_up; // no seat for this one: it will keep asking during the run
    return;
  }
  if (code == proto::error_code::unknown_lease && p.kind == op::renew && !comp.lease.empty()) {
    comp.lease.clear(); // the server ended it: take it back with a checkout
    seats_.give();
  }
  if (measuring)
    ++s.errors[r->code];
}

void worker::on_readable(connection& c) {
  auto why = c.io.read([&](std::string_view line, int64_t arrival) {
    on_line(c, line, arrival);
    return !c.dead;
  });
  if (!why.empty())
    fail(c, why);
}

bool worker::all_set_up() const {
  for (const auto& c : conns_)
    if (!c.dead && (!c.hello_done || (holds_leases() && c.set_up < c.computers.size())))
      return false;
  return true;
}

bool worker::all_idle() const {
  for (const auto& c : conns_)
    if (!c.dead && !c.inflight.empty())
      return false;
  return true;
}

/// The event loop. Per round it looks only at the connections that had a socket event or whose
/// open-loop timer is due (and at all of them once per phase change): with 15,000 connections
/// the load generator must not spend its (shared) CPU scanning idle ones.
void worker::run() {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  for (auto& c : conns_)
    start_connect(c);
  std::vector<epoll_event> events(1024);
  std::vector<connection*> touched;
  using timer = std::pair<int64_t, connection*>;
  std::priority_queue<timer, std::vector<timer>, std::greater<>> timers;
  auto seen_phase = phase::setup;
  int64_t last_setup_check = 0;
  for (;;) {
    auto ph = static_cast<phase>(phase_.load());
    if (ph == phase::drain && all_idle())
      break;
    int timeout_ms = 1;
    if (!timers.empty() && timers.top().first <= now_ns())
      timeout_ms = 0;
    int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), timeout_ms);
    for (int i = 0; i < n; ++i) {
      auto& c = *static_cast<connection*>(events[static_cast<size_t>(i)].data.ptr);
      auto ev = events[static_cast<size_t>(i)].events;
      if (c.dead)
        continue;
      if (!c.connected && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        if (auto why = c.io.connected(); !why.empty()) {
          ++stats[static_cast<size_t>(op::connect)].errors[why];
          c.dead = true;
          c.io.close();
          continue;
        }
        c.connected = true;
        epoll_event mod{};
        mod.events = EPOLLIN | EPOLLOUT | EPOLLET;
        mod.data.ptr = &c;
        ::epoll_ctl(epfd_, EPOLL_CTL_MOD, c.io.fd(), &mod);
      }
      if (ev & EPOLLIN)
        on_readable(c);
      touched.push_back(&c); // a reply may free it to send; writable: flush what waits
    }
    auto now = now_ns();
    if (ph != seen_phase) {
      seen_phase = ph;
      for (auto& c : conns_)
        touched.push_back(&c);
    }
    while (!timers.empty() && timers.top().first <= now) {
      touched.push_back(timers.top().second);
      timers.pop();
    }
    for (auto* c : touched) {
      if (c->dead)
        continue;
      pump(*c, now);
      if (c->connected)
        flush(*c);
      // An open-loop connection waits for its next due time; one whose computer still has a
      // request in flight (next_due passed) is pumped again by that request's reply.
      if (open_loop() && c->next_due > now && c->timer_at != c->next_due) {
        c->timer_at = c->next_due;
        timers.push({c->next_due, c});
      }
    }
    touched.clear();
    if (!setup_done_ && now - last_setup_check > 5'000'000) {
      last_setup_check = now;
      if (all_set_up())
        setup_done_ = true;
    }
  }
}

std::vector<std::string> computer_names(const load_options& o, uint32_t count) {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < count; ++i)
    out.push_back("bench-" + o.run_id + "-" + std::to_string(i));
  return out;
}

} // namespace

const char* to_string(op o) {
  static constexpr const char* names[] = {"checkout", "renew", "release", "connect"};
  return names[static_cast<size_t>(o)];
}

/// How the client library's connections (the STATUS checks, the releases at the end) speak
/// to the server: as licbench's own do.
client::tls_options tls_options_of(const load_options& opts) {
  return {opts.tls != nullptr, opts.tls_ca, opts.tls_pin};
}

/// The seats of the product in use as the server's STATUS says; -1 when it cannot be asked.
int64_t server_used(const load_options& opts) {
  try {
    client::connection check(opts.host, opts.port, std::chrono::milliseconds(5000),
                             tls_options_of(opts));
    auto status = check.status(opts.product);
    return status.empty() ? -1 : static_cast<int64_t>(status[0].used);
  } catch (const std::exception&) {
    return -1;
  }
}

load_result run_load(const load_options& opts) {
  if (opts.clients == 0)
    throw std::runtime_error("--clients must be at least 1");
  // Seats other clients hold before the run: the count at the end is compared net of them.
  auto used_before = server_used(opts);
  auto computers = std::max(opts.computers, opts.clients);
  auto names = computer_names(opts, computers);
  auto threads = std::max<uint32_t>(1, std::min(opts.threads, opts.clients));
  seat_ledger seats;
  std::atomic<int> phase_flag{static_cast<int>(phase::setup)};
  std::atomic<int64_t> measure_start{0};
  std::vector<std::unique_ptr<worker>> workers;
  std::vector<std::vector<connection>> per_thread(threads);
  for (uint32_t i = 0; i < opts.clients; ++i) {
    connection c;
    for (uint32_t k = i; k < computers; k += opts.clients)
      c.computers.push_back({names[k], "", k});
    if (opts.rate > 0) // each connection's share of the offered load
      c.interval = static_cast<int64_t>(1e9 * opts.clients / opts.rate);
    per_thread[i % threads].push_back(std::move(c));
  }
  for (uint32_t t = 0; t < threads; ++t)
    workers.push_back(std::make_unique<worker>(opts, seats, phase_flag, measure_start,
                                               std::move(per_thread[t]), 1234 + t));
  std::vector<std::thread> running;
  for (auto& w : workers)
    running.emplace_back([&w] { w->run(); });
  // Set-up: connect everyone and take the initial leases (bounded; a million leases at a few
  // thousand durable grants a second take minutes).
  auto setup_deadline = clock_type::now() + std::chrono::seconds(120)
                        + std::chrono::seconds(std::max(opts.computers, opts.clients) / 2000);
  while (clock_type::now() < setup_deadline) {
    bool done = true;
    for (auto& w : workers)
      done = done && w->setup_done();
    if (done)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto cpu_before = take_cpu_snapshot(opts.server_pid);
  measure_start = now_ns();
  phase_flag = static_cast<int>(phase::measure);
  std::this_thread::sleep_for(opts.duration);
  phase_flag = static_cast<int>(phase::drain);
  auto measured = static_cast<double>(now_ns() - measure_start.load()) / 1e9;
  auto cpu_after = take_cpu_snapshot(opts.server_pid);
  for (auto& t : running)
    t.join();

  load_result result;
  result.measured_seconds = measured;
  result.cpu = usage_between(cpu_before, cpu_after, ::sysconf(_SC_CLK_TCK));
  for (auto& w : workers) {
    for (size_t k = 0; k < op_kinds; ++k) {
      auto& to = result.ops[k];
      auto& from = w->stats[k];
      to.latency.merge(from.latency);
      to.at_socket.merge(from.at_socket);
      to.denied += from.denied;
      for (const auto& [code, n] : from.denied_by)
        to.denied_by[code] += n;
      for (const auto& [code, n] : from.errors)
        to.errors[code] += n;
      if (to.per_second.size() < from.per_second.size())
        to.per_second.resize(from.per_second.size());
      for (size_t s = 0; s < from.per_second.size(); ++s)
        to.per_second[s] += from.per_second[s];
    }
    result.used_above_seats += w->used_above_seats;
    result.connected += w->connected;
    if (result.first_failure.empty())
      result.first_failure = w->first_failure;
  }
  result.seats = seats.seats;
  result.max_held = seats.max_held;
  result.seat_violations = seats.violations;
  result.held_at_end = seats.held;
  result.lost_with_connections = seats.lost;
  // Compare with the server, then give every seat back: each release waits for its commit, so
  // they go over several connections at once and the server commits them in groups.
  std::vector<std::string> held;
  for (auto& w : workers)
    for (auto& c : w->conns()) {
      for (auto& comp : c.computers)
        if (!comp.lease.empty())
          held.push_back(comp.lease);
      if (!c.dead)
        c.io.close();
    }
  result.server_used_at_start = used_before;
  result.server_used_at_end = server_used(opts);
  if (result.server_used_at_end < 0)
    return result; // the server went away: the result says so through server_used_at_end = -1
  if (opts.keep_leases)
    return result;
  auto tls_opts = tls_options_of(opts);
  constexpr size_t releasers = 64;
  std::vector<std::thread> releasing;
  for (size_t r = 0; r < std::min(releasers, held.size()); ++r)
    releasing.emplace_back([&, r] {
      try {
        client::connection c(opts.host, opts.port, std::chrono::milliseconds(5000), tls_opts);
        c.hello("licbench-release-" + std::to_string(r), "licbench", "0");
        for (size_t i = r; i < held.size(); i += releasers) {
          try {
            c.release(held[i]);
          } catch (const client::refused&) {
          }
        }
      } catch (const std::exception&) {
      }
    });
  for (auto& t : releasing)
    t.join();
  return result;
}

} // namespace licd::bench
