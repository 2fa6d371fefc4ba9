#pragma once

#include "engine/event.hpp"
#include "engine/lease_id.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace licd::storage {

/// A product and its seats, as stored.
struct product_record {
  std::string name;
  uint32_t seats = 0;
};

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

/// Changes committed together in one transaction, applied in this order:
/// products, lease puts, lease erases, events.
struct change_set {
  std::vector<product_record> put_products;
  std::vector<lease_record> put_leases;
  std::vector<engine::lease_id> erase_leases;
  std::vector<engine::event> events;

  bool empty() const {
    return put_products.empty() && put_leases.empty() && erase_leases.empty() && events.empty();
  }
};

} // namespace licd::storage
