#pragma once

#include "client/connection.hpp"
#include "client/discovery.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

/// A floating seat an application holds while it runs: acquired once, renewed in the
/// background well before it expires, kept through network blips and server restarts, released
/// on destruction. docs/CLIENT.md describes what the application sees in each failure case.
namespace licd::client {

enum class seat_event {
  connection_lost, ///< the server stopped answering; the lease is still held (renewals retry)
  reconnected,     ///< the server answers again and renewed the same lease
  lost,            ///< the server said the lease is gone, or a whole TTL passed without contact
  regained,        ///< a seat is held again (the same lease, or a new checkout)
  queued, ///< while acquiring: no seat now, the checkout waits in the server's queue (detail:
          ///< "position N of M")
};

std::string_view to_string(seat_event e);

struct seat_options {
  std::string product;
  /// Servers to try in order ("host:port"); empty: discovery by broadcast.
  std::vector<std::string> servers;
  discovery_options discovery;
  std::string computer; ///< default: the host name
  std::string user;     ///< default: the current user
  std::string instance; ///< default: the process id
  /// How long acquiring may take: a checkout refused for want of a seat (NO_SEATS, RESERVED,
  /// LIMIT) waits this long in the server's queue for one (`wait=`); an unreachable server is
  /// retried with backoff.
  std::chrono::milliseconds acquire_timeout{30'000};
  std::chrono::milliseconds io_timeout{5'000};       ///< per request
  std::chrono::milliseconds backoff_min{200};        ///< first retry delay; doubles
  std::chrono::milliseconds backoff_max{10'000};
  tls_options tls;
  /// Called from the renewal thread; keep it short. `detail` is for people.
  std::function<void(seat_event, const std::string& detail)> on_event;
};

class seat {
public:
  /// Checks a seat out, waiting in the server's queue and retrying unreachable servers until
  /// acquire_timeout. Throws
  /// `refused` (the last refusal: NO_SEATS, UNKNOWN_PRODUCT, ...) or `connection_error` (no
  /// server answered).
  explicit seat(seat_options opts);
  /// Stops renewing and releases the lease (best effort: an unreachable server lets it expire).
  ~seat();
  seat(const seat&) = delete;
  seat& operator=(const seat&) = delete;

  std::string lease() const;
  std::string server() const; ///< "host:port" of the server that holds it
  uint32_t ttl() const;       ///< seconds, as the server said
  /// True while the server honours the lease as far as this client knows.
  bool held() const;
  /// When the lease lapses unless renewed (local estimate from the last renewal).
  std::chrono::steady_clock::time_point expires_at() const;

  /// Releases now (idempotent); the renewal thread stops.
  void release();

private:
  using clock = std::chrono::steady_clock;
  void run();
  void connect_any();  ///< to the current server first, then the others; HELLO
  /// On the current connection; `wait`: how long it may wait in the server's queue.
  void checkout_now(std::chrono::seconds wait = std::chrono::seconds(0));
  void notify(seat_event e, const std::string& detail);
  std::vector<std::string> candidates() const;
  enum class woke { timeout, stopping, server_spoke };
  /// Waits `d`, or until release() (stopping), or, with `watch`, until the server sends
  /// something or closes the connection unasked (server_spoke: an administrator's disconnect).
  woke wait(std::chrono::milliseconds d, bool watch = false);
  bool sleep_for(std::chrono::milliseconds d) { return wait(d) != woke::stopping; }

  seat_options opts_;
  mutable std::mutex mu_;
  bool stopping_ = false;
  platform::waker wake_; ///< release() wakes it to end a wait at once
  std::unique_ptr<connection> conn_;
  std::string server_;
  std::string lease_;
  uint32_t ttl_ = 0;
  bool held_ = false;
  clock::time_point last_renewal_;
  std::thread thread_;
};

} // namespace licd::client
