#include "bench/licbench/queue_load.hpp"

#include "client/connection.hpp"
#include "net/protocol.hpp"
#include "net/replies.hpp"

#include <poll.h>

#include <deque>
#include <map>
#include <memory>
#include <stdexcept>
#include <vector>

namespace licd::bench {

namespace {

namespace proto = net::protocol;
using clock_type = std::chrono::steady_clock;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch())
    .count();
}

/// The request id of waiter i.
std::string waiter_id(uint32_t i) {
  return "w" + std::to_string(i);
}

} // namespace

queue_result run_queue(const queue_options& o) {
  queue_result r;
  auto io_timeout = std::chrono::milliseconds(30'000);
  client::connection holder(o.host, o.port, io_timeout);
  holder.hello(o.run_id + "-holder", "licbench", "1");
  auto status = holder.status(o.product);
  if (status.empty())
    throw std::runtime_error("no product " + o.product);
  r.seats = status[0].seats;
  // Fill every free seat, one computer each.
  std::vector<std::string> held;
  for (uint32_t i = status[0].used; i < r.seats; ++i)
    held.push_back(holder.checkout(o.product, o.run_id + "-h" + std::to_string(i)).lease);
  r.held = static_cast<uint32_t>(held.size());
  if (held.empty())
    throw std::runtime_error("no seat of " + o.product + " could be taken to start with");

  // Queue the waiters, round robin over the connections, all pipelined.
  std::vector<std::unique_ptr<client::connection>> conns;
  for (uint32_t c = 0; c < std::max(1u, o.connections); ++c) {
    conns.push_back(std::make_unique<client::connection>(o.host, o.port, io_timeout));
    conns.back()->hello(o.run_id + "-c" + std::to_string(c), "licbench", "1");
  }
  std::vector<std::string> batch(conns.size());
  for (uint32_t i = 0; i < o.waiters; ++i) {
    auto& b = batch[i % conns.size()];
    b += "CHECKOUT " + waiter_id(i) + " " + o.product + " computer=" + o.run_id + "-q"
         + std::to_string(i) + " wait=" + std::to_string(o.wait_seconds) + "\n";
    if (b.size() > 32 * 1024) {
      conns[i % conns.size()]->send_raw(b);
      b.clear();
    }
  }
  for (size_t c = 0; c < conns.size(); ++c)
    if (!batch[c].empty())
      conns[c]->send_raw(batch[c]);
  // Their places: position -> waiter, from the QUEUED lines (in arrival order at the server).
  std::map<uint32_t, uint32_t> by_position;
  std::vector<pollfd> fds;
  for (const auto& c : conns)
    fds.push_back(pollfd{c->socket(), POLLIN, 0});
  // Reads connection c's lines: one it is ready with, then every one already buffered.
  auto read_lines = [&](size_t c, auto&& on_line) {
    do
      on_line(conns[c]->read_line());
    while (r.error.empty() && conns[c]->line_buffered());
  };
  auto deadline = clock_type::now() + std::chrono::seconds(60);
  while (r.queued < o.waiters && clock_type::now() < deadline) {
    if (::poll(fds.data(), fds.size(), 1000) <= 0)
      continue;
    for (size_t c = 0; c < fds.size(); ++c) {
      if (fds[c].revents == 0)
        continue;
      read_lines(c, [&](const std::string& line) {
        auto reply = proto::parse_reply(line);
        auto place = reply ? proto::read_queue_place(*reply) : std::nullopt;
        if (!reply || !reply->queued || !place) {
          r.error = "expected a QUEUED line, got: " + line;
          return;
        }
        auto i = static_cast<uint32_t>(std::stoul(reply->id.substr(1)));
        if (!by_position.emplace(place->position, i).second)
          ++r.wrong_positions;
        ++r.queued;
      });
      if (!r.error.empty())
        break;
    }
    if (!r.error.empty())
      break;
  }
  uint32_t expect = 1;
  for (const auto& [position, i] : by_position)
    if (position != expect++)
      ++r.wrong_positions;

  // Hand seats to the head, again and again.
  std::string lease = held.back();
  held.pop_back();
  auto next = by_position.begin();
  auto start = clock_type::now();
  while (r.error.empty() && next != by_position.end() && clock_type::now() - start < o.duration) {
    auto sent = now_ns();
    holder.send_raw("RELEASE r " + lease + "\n");
    auto rel = proto::parse_reply(holder.read_line());
    auto freed = now_ns();
    if (!rel || !rel->ok) {
      r.error = "RELEASE refused";
      break;
    }
    // The grant's OK: at whichever connection holds the head.
    bool got = false;
    while (!got && r.error.empty()) {
      if (::poll(fds.data(), fds.size(), 10'000) <= 0) {
        r.error = "no grant within 10 s of a release";
        break;
      }
      for (size_t c = 0; c < fds.size() && !got; ++c) {
        if (fds[c].revents == 0)
          continue;
        auto line = conns[c]->read_line();
        auto at = now_ns();
        auto reply = proto::parse_reply(line);
        auto ok = reply ? proto::read_checkout(*reply) : std::nullopt;
        if (!ok) {
          r.error = "expected a grant, got: " + line;
          break;
        }
        if (reply->id != waiter_id(next->second))
          ++r.out_of_order;
        r.free_to_grant.record(static_cast<uint64_t>(at - freed));
        r.release_to_grant.record(static_cast<uint64_t>(at - sent));
        ++r.handoffs;
        lease = ok->lease.to_hex();
        ++next;
        got = true;
      }
    }
    auto s = holder.status(o.product);
    if (!s.empty() && s[0].used > s[0].seats)
      r.used_within_seats = false;
  }
  r.measured_seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  // The waiters leave with their connections; then the seats go back.
  conns.clear();
  held.push_back(lease);
  for (const auto& l : held) {
    try {
      holder.release(l);
    } catch (const std::exception&) {
      // gone already: nothing to give back
    }
  }
  return r;
}

} // namespace licd::bench
