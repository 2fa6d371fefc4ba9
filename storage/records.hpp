#pragma once

#include "engine/event.hpp"
#include "engine/lease_id.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace licd::storage {

/// A granted lease, as stored. Renewals are not written (see docs/ARCHITECTURE.md): a restored
/// lease gets a full TTL from the restart, which is never earlier than any acknowledged expiry.
struct lease_record {
  engine::lease_id id;
  std::string product;
  std::string computer;
  std::string user;
  std::string instance;
  int64_t granted_at_ms = 0; ///< wall clock
};

/// An installed license code, as stored.
struct license_record {
  uint64_t id = 0;
  std::string code; ///< canonical text; verified again at every start
  int64_t installed_at_ms = 0;
};

/// A license's activation, as stored: the nonce of the request last made for it and, once
/// accepted, the vendor's response (canonical text; verified again at every start).
struct activation_record {
  uint64_t license_id = 0;
  uint64_t nonce = 0;
  std::string response; ///< empty: a request is pending
};

/// Changes committed together in one transaction, applied in this order:
/// meta, licenses, activations, lease puts, lease erases, events.
struct change_set {
  std::vector<std::pair<std::string, std::string>> put_meta;
  std::vector<license_record> put_licenses;
  std::vector<uint64_t> erase_licenses;
  std::vector<activation_record> put_activations;
  std::vector<uint64_t> erase_activations;
  std::vector<lease_record> put_leases;
  std::vector<engine::lease_id> erase_leases;
  std::vector<engine::event> events;
  /// False: the events count in the usage roll-ups but are not kept in the activity log (the
  /// store drops them so that the changes fit a full data dir).
  bool log_events = true;

  bool empty() const {
    return put_meta.empty() && put_licenses.empty() && erase_licenses.empty()
           && put_activations.empty() && erase_activations.empty()
           && put_leases.empty() && erase_leases.empty() && events.empty();
  }
};

/// The `meta` key that holds a product's force-disconnect cooldowns, and its value: one
/// "computer TAB until_ms" line per computer (wall clock, ms since the epoch). Decoding skips
/// malformed lines.
std::string cooldowns_key(const std::string& product);
std::string encode_cooldowns(const std::map<std::string, int64_t>& until_ms);
std::map<std::string, int64_t> decode_cooldowns(std::string_view value);

} // namespace licd::storage
