#pragma once

#include "engine/event.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

/// Usage roll-ups: what the reports are built from, kept up to date from the activity log's
/// events as they are stored (docs/OPERATIONS.md, "Reports"). Pure: the storage layer feeds
/// events in log order and writes the changes in the same transaction.
///
/// A seat is held by a computer: it is in use from the computer's first lease of the product to
/// the end of its last one (a grant to an end: released, expired, lease_ended, disconnected,
/// seats_reduced). Restarts are not ends: a lease that lives through one counts once.
namespace licd::engine::usage {

inline constexpr int64_t hour_ms = 3'600'000;
/// Denials of one computer and user closer together than this are one episode (the retries of
/// one wait); a longer silence means the user gave up, and the next denial starts another.
inline constexpr int64_t episode_gap_ms = 15 * 60'000;

/// A product's seats in use and installed, as they have been since `at_ms` (the last event).
struct level {
  int64_t first_ms = 0; ///< the product's first event
  int64_t at_ms = 0;
  uint32_t in_use = 0;            ///< computers holding leases
  uint32_t installed = 0;         ///< seats the licenses cover (the last `seats` event)
  int64_t longest_session_ms = 0; ///< of every session ended so far (bounds report scans)
};

/// One product's UTC hour [start, start + hour_ms). Integrals in seat-milliseconds.
struct hour {
  int64_t seat_ms = 0;      ///< seats in use, integrated over the hour
  int64_t installed_ms = 0; ///< seats installed, integrated over the hour
  int64_t full_ms = 0;      ///< time every installed seat was in use (none installed: never)
  uint32_t peak = 0;        ///< most seats in use for any time at all
  uint32_t installed = 0;   ///< most seats installed
  uint32_t denials = 0;
  std::vector<std::string> denied_users; ///< sorted, distinct
};

/// The start of the UTC hour that holds `at_ms`.
int64_t hour_start(int64_t at_ms);

/// Adds `more` (a later part of the same hour, or a delta) into `into`.
void merge(hour& into, const hour& more);

/// Adds the time [from_ms, to_ms) at one level to the hours it covers.
void add_segment(std::map<int64_t, hour>& hours, int64_t from_ms, int64_t to_ms, uint32_t in_use,
                 uint32_t installed);

/// A computer holding a seat of a product: open while it has leases.
struct hold {
  int64_t since_ms = 0;
  std::vector<std::string> leases; ///< hex ids
  std::vector<std::string> users;  ///< everyone who held a lease in it, in order of arrival
};

/// A computer's hold on a seat, ended.
struct session {
  std::string product;
  std::string computer;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  std::vector<std::string> users;
};

/// A user on a computer turned away, with the retries that followed within episode_gap_ms.
struct episode {
  std::string product;
  std::string computer;
  std::string user;
  std::string reason; ///< the first denial's
  int64_t first_ms = 0;
  int64_t last_ms = 0;
  uint32_t denials = 0;
  /// When the same computer and user got a seat, asking until then (no gap longer than
  /// episode_gap_ms); 0: not (yet), or they gave up.
  int64_t granted_ms = 0;
};

bool operator==(const level& a, const level& b);
bool operator==(const hour& a, const hour& b);
bool operator==(const hold& a, const hold& b);
bool operator==(const session& a, const session& b);
bool operator==(const episode& a, const episode& b);

using holder_key = std::pair<std::string, std::string>;               ///< product, computer
using waiter_key = std::tuple<std::string, std::string, std::string>; ///< + user

/// What applying events changed, for the storage layer to write with them.
struct changes {
  std::map<std::pair<std::string, int64_t>, hour> hours; ///< (product, hour start): to merge in
  std::set<std::string> levels;                          ///< products whose level to write
  std::set<holder_key> holds;                            ///< to write, or erase when closed
  std::vector<session> sessions;                         ///< ended
  /// Changed episodes, by whose and first denial: to write (and index while open).
  std::map<std::pair<waiter_key, int64_t>, episode> episodes;
  bool empty() const {
    return hours.empty() && levels.empty() && holds.empty() && sessions.empty() && episodes.empty();
  }
};

/// Keeps levels and open episodes, and turns events into roll-up changes. Open holds (one per
/// computer holding a seat: a million with a million leases) are not kept: the tracker asks
/// `fetch` for the ones an event touches and keeps them only until `forget_holds`, once the
/// changes are written.
class tracker {
public:
  /// Where the open holds are: the stored one of a computer, or nothing. Without one, holds
  /// are never forgotten (tests, replays).
  using hold_source = std::function<std::optional<hold>(const holder_key&)>;
  void set_source(hold_source fetch) { fetch_ = std::move(fetch); }

  /// Applies one event (events of other kinds change nothing). Times are taken as they come,
  /// except that a product's time never goes back: an event older than the product's last one
  /// counts at that last one's time.
  void apply(const event& e, changes& out);

  const std::map<std::string, level>& levels() const { return levels_; }
  /// The open hold of a computer (fetched when not at hand), or null.
  const hold* hold_of(const holder_key& k);
  /// The open holds at hand (all of them when there is no source).
  std::map<holder_key, hold> holds() const;
  /// Drops the holds at hand (after their changes are written).
  void forget_holds() { holds_.clear(); }
  /// Episodes not granted yet (the latest of each computer and user).
  const std::map<waiter_key, episode>& open_episodes() const { return waiting_; }

  /// Loading the stored state (at start, or after a commit failed).
  void clear();
  void load(const std::string& product, const level& l) { levels_[product] = l; }
  void load(episode e);

private:
  level& advance(const std::string& product, int64_t at_ms, changes& out);
  void granted(const event& e, int64_t at, changes& out);
  void ended(const event& e, int64_t at, changes& out);
  void denied(const event& e, int64_t at, changes& out);

  std::map<std::string, level> levels_;
  hold* find_hold(const holder_key& k);

  hold_source fetch_;
  std::map<holder_key, std::optional<hold>> holds_; ///< at hand; nullopt: known to be none
  std::map<waiter_key, episode> waiting_;
};

/// A `seats` event's detail ("5 seats"), and its number back.
std::string seats_detail(uint32_t seats);
bool parse_seats(std::string_view detail, uint32_t& seats);

/// Whether an event of this kind ends a lease.
bool ends_lease(event_kind kind);

} // namespace licd::engine::usage
