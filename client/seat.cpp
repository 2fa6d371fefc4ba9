#include "client/seat.hpp"

#include "platform/host.hpp"

#include <algorithm>

namespace licd::client {

std::string_view to_string(seat_event e) {
  switch (e) {
    case seat_event::connection_lost:
      return "connection_lost";
    case seat_event::reconnected:
      return "reconnected";
    case seat_event::lost:
      return "lost";
    case seat_event::regained:
      return "regained";
    case seat_event::queued:
      return "queued";
  }
  return "unknown";
}

seat::seat(seat_options opts) : opts_(std::move(opts)) {
  if (opts_.computer.empty())
    opts_.computer = platform::host_name("unknown-host");
  if (opts_.user.empty())
    opts_.user = platform::user_name("unknown-user");
  if (opts_.instance.empty())
    opts_.instance = std::to_string(platform::process_id());
  auto until = clock::now() + opts_.acquire_timeout;
  auto backoff = opts_.backoff_min;
  for (;;) {
    try {
      if (!conn_)
        connect_any();
      // No seat now: wait for one in the server's queue, for what is left of the timeout.
      auto left = std::chrono::duration_cast<std::chrono::seconds>(until - clock::now());
      checkout_now(std::max(left, std::chrono::seconds(0)));
      break;
    } catch (const refused& e) {
      // A product no server has, or a malformed name, will not get better by waiting.
      using engine::errc;
      if (e.code() != errc::no_seats && e.code() != errc::reserved && e.code() != errc::limit
          && e.code() != errc::disconnected && e.code() != errc::storage_error
          && e.code() != errc::server_error)
        throw;
      if (clock::now() + backoff > until)
        throw;
    } catch (const connection_error&) {
      conn_.reset();
      if (clock::now() + backoff > until)
        throw;
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, opts_.backoff_max);
  }
  thread_ = std::thread([this] { run(); });
}

seat::~seat() {
  release();
}

std::string seat::lease() const {
  std::lock_guard<std::mutex> g(mu_);
  return lease_;
}

std::string seat::server() const {
  std::lock_guard<std::mutex> g(mu_);
  return server_;
}

uint32_t seat::ttl() const {
  std::lock_guard<std::mutex> g(mu_);
  return ttl_;
}

bool seat::held() const {
  std::lock_guard<std::mutex> g(mu_);
  return held_;
}

std::chrono::steady_clock::time_point seat::expires_at() const {
  std::lock_guard<std::mutex> g(mu_);
  return last_renewal_ + std::chrono::seconds(ttl_);
}

void seat::release() {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (stopping_)
      return;
    stopping_ = true;
  }
  wake_.wake();
  if (thread_.joinable())
    thread_.join();
  // The renewal thread is gone: the connection and lease are this thread's now.
  if (held_ && conn_) {
    try {
      conn_->release(lease_);
    } catch (const std::exception&) {
      // Unreachable or already gone: the server lets it expire after one TTL.
    }
  }
  held_ = false;
  conn_.reset();
}

std::vector<std::string> seat::candidates() const {
  std::vector<std::string> out;
  if (!server_.empty())
    out.push_back(server_); // the server that holds the lease comes first
  if (opts_.servers.empty()) {
    auto found = discover({opts_.product}, opts_.discovery);
    if (auto best = choose(found, opts_.product))
      out.push_back(best->endpoint());
    for (const auto& f : found)
      out.push_back(f.endpoint());
  } else {
    out.insert(out.end(), opts_.servers.begin(), opts_.servers.end());
  }
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void seat::connect_any() {
  auto candidates_now = candidates();
  if (candidates_now.empty())
    throw connection_error("no server found (nothing answered the discovery broadcast)");
  auto g = connect_and_hello(candidates_now, opts_.computer, opts_.user, opts_.instance,
                             opts_.io_timeout, opts_.tls);
  std::lock_guard<std::mutex> lock(mu_);
  conn_ = std::move(g.conn);
  server_ = g.endpoint;
  if (ttl_ == 0)
    ttl_ = g.ttl;
}

void seat::checkout_now(std::chrono::seconds wait) {
  connection::waiting w;
  w.wait = std::min(wait, std::chrono::seconds(net::protocol::max_wait_seconds));
  w.on_queued = [this](uint32_t position, uint32_t waiting) {
    notify(seat_event::queued,
           "position " + std::to_string(position) + " of " + std::to_string(waiting));
  };
  auto g = conn_->checkout(opts_.product, w);
  std::lock_guard<std::mutex> lock(mu_);
  lease_ = g.lease;
  ttl_ = g.expires_in;
  held_ = true;
  last_renewal_ = clock::now();
}

void seat::notify(seat_event e, const std::string& detail) {
  if (opts_.on_event)
    opts_.on_event(e, detail);
}

seat::woke seat::wait(std::chrono::milliseconds d, bool watch) {
  platform::poll_entry fds[2] = {{wake_.handle(), POLLIN, 0},
                                 {platform::no_socket, platform::poll_readable, 0}};
  if (watch && conn_)
    fds[1].fd = conn_->socket();
  auto until = clock::now() + d;
  for (;;) {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (stopping_)
        return woke::stopping;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now());
    if (left.count() <= 0)
      return woke::timeout;
    int n =
      platform::poll_sockets(fds, 2, static_cast<int>(std::min<int64_t>(left.count(), 60'000)));
    if (n > 0 && fds[1].revents != 0)
      return woke::server_spoke;
  }
}

void seat::run() {
  auto backoff = opts_.backoff_min;
  bool link_down = false; // the server stopped answering and has not answered since
  for (;;) {
    clock::time_point next;
    {
      std::lock_guard<std::mutex> g(mu_);
      // Renew at a third of the TTL: two more chances before the lease lapses.
      next = !link_down && held_ ? last_renewal_ + std::chrono::seconds(ttl_) / 3 : clock::now();
    }
    auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - clock::now());
    // Between renewals the connection is watched: the server speaks unasked only to end it (an
    // administrator's disconnect, a timeout), and then this renews at once to find out.
    if (wait(std::max(wait_ms, std::chrono::milliseconds(0)), !link_down) == woke::stopping)
      return;
    try {
      if (!conn_)
        connect_any();
      bool was_held = held();
      try {
        auto left = conn_->renew(lease_);
        {
          std::lock_guard<std::mutex> g(mu_);
          ttl_ = left;
          held_ = true;
          last_renewal_ = clock::now();
        }
        if (!was_held)
          notify(seat_event::regained, "lease " + lease_ + " honoured again by " + server_);
        else if (link_down)
          notify(seat_event::reconnected, "lease " + lease_ + " renewed on " + server_);
      } catch (const refused& e) {
        if (e.code() == engine::errc::disconnected) {
          // An administrator disconnected this computer: its leases have ended, and new ones
          // are refused for a cooldown. The server closes the connection.
          {
            std::lock_guard<std::mutex> g(mu_);
            held_ = false;
            conn_.reset();
          }
          if (was_held)
            notify(seat_event::lost, "lease " + lease_ + " ended: " + e.message());
          throw;
        }
        if (e.code() != engine::errc::unknown_lease)
          throw;
        // The server says the lease is gone: only now may this instance check out again.
        {
          std::lock_guard<std::mutex> g(mu_);
          held_ = false;
        }
        if (was_held)
          notify(seat_event::lost,
                 "the server no longer knows lease " + lease_ + ": " + e.message());
        checkout_now();
        notify(seat_event::regained, "new lease " + lease_ + " from " + server_);
      }
      link_down = false;
      backoff = opts_.backoff_min;
      continue;
    } catch (const connection_error& e) {
      {
        std::lock_guard<std::mutex> g(mu_);
        conn_.reset();
      }
      if (!link_down) {
        link_down = true;
        notify(seat_event::connection_lost, e.what());
      }
    } catch (const refused&) {
      // NO_SEATS on a re-checkout, DISCONNECTED, STORAGE_ERROR: try again after the backoff.
    }
    // Without contact for a whole TTL, the server has let the lease go (unless it restarted
    // meanwhile and restored it: the next renewal will say).
    {
      std::unique_lock<std::mutex> g(mu_);
      if (held_ && clock::now() >= last_renewal_ + std::chrono::seconds(ttl_)) {
        held_ = false;
        g.unlock();
        notify(seat_event::lost, "no contact with the server for a whole lease TTL");
      }
    }
    if (!sleep_for(backoff))
      return;
    backoff = std::min(backoff * 2, opts_.backoff_max);
  }
}

} // namespace licd::client
