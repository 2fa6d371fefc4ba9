#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace licd::engine {

/// What the activity log records.
enum class event_kind : uint8_t {
  granted,
  renewed,
  released,
  expired,
  denied,
  started,
  stopped,
  license_added,
  license_removed,
  disconnected,        ///< an administrator disconnected a computer
  lease_ended,         ///< an administrator ended a lease
  admin,               ///< another administrative action (detail says which)
  license_state,       ///< a license's state changed (detail: from, to and why)
  license_activated,   ///< an activation response was accepted
  license_deactivated, ///< an activation was given up (a release receipt was made)
  clock,               ///< the wall clock went back beyond the tolerance, or came right again
  seats_reduced,       ///< leases ended because the product's seats fell below its computers
  seats,               ///< the product's seats, as its pool starts and when they change (detail)
};

std::string_view to_string(event_kind kind);
std::optional<event_kind> event_kind_from_string(std::string_view text);

/// One entry of the activity log (usage reports are built from these).
struct event {
  int64_t at_ms = 0; ///< wall clock, milliseconds since the Unix epoch
  event_kind kind = event_kind::granted;
  std::string product;
  std::string computer;
  std::string user;
  std::string lease; ///< hex lease id, empty where there is none (denied, started)
  std::string detail; ///< free text: a denial's reason, a start's version
};

/// Which events a reader of the activity log wants: every condition that is set must hold.
struct event_filter {
  std::string product;
  std::string computer;
  std::string user;
  std::vector<event_kind> kinds; ///< empty: any kind
  std::optional<int64_t> since_ms;
  std::optional<int64_t> until_ms; ///< exclusive
  bool matches(const event& e) const;
};

/// One line of tab-separated fields; tabs and newlines inside fields become spaces.
std::string encode(const event& e);
std::optional<event> decode_event(std::string_view line);

} // namespace licd::engine
