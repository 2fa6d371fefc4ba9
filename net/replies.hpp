#pragma once

#include "engine/lease_id.hpp"
#include "net/protocol.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// The typed OK replies of the wire protocol (docs/PROTOCOL.md), both directions: the server
/// formats them, the client library and licbench read them. Every reply field's name is spelled
/// here and nowhere else. Reading ignores fields it does not know (a newer server may add some)
/// and refuses a reply that lacks a field or carries an unreadable one.
namespace licd::net::protocol {

/// OK to HELLO: `version=1 server=licd/X.Y.Z ttl=SECONDS`.
struct hello_ok {
  uint32_t version = 0;
  std::string server;
  uint32_t ttl = 0; ///< the server's lease time in seconds
  bool operator==(const hello_ok& other) const;
};

/// OK to CHECKOUT: `lease=LEASE product=PRODUCT expires_in=SECONDS seats=N used=M`.
struct checkout_ok {
  engine::lease_id lease;
  std::string product;
  uint32_t expires_in = 0;
  uint32_t seats = 0; ///< the product's seats
  uint32_t used = 0;  ///< computers holding a seat of it, after this grant
  bool operator==(const checkout_ok& other) const;
};

/// OK to RENEW: `lease=LEASE expires_in=SECONDS`.
struct renew_ok {
  engine::lease_id lease;
  uint32_t expires_in = 0;
  bool operator==(const renew_ok& other) const;
};

/// OK to RELEASE: `lease=LEASE`.
struct release_ok {
  engine::lease_id lease;
  bool operator==(const release_ok& other) const;
};

/// One product in a STATUS reply: `PRODUCT=USED/SEATS`.
struct product_usage {
  std::string product;
  uint32_t used = 0;
  uint32_t seats = 0;
  bool operator==(const product_usage& other) const;
};

/// OK to STATUS: one field per product.
struct status_ok {
  std::vector<product_usage> products;
  bool operator==(const status_ok& other) const;
};

/// A waiting CHECKOUT's place in its product's queue: `product=PRODUCT position=N waiting=M`
/// (position 1 is next; waiting counts the product's waiters). The `QUEUED ID ...` line a
/// CHECKOUT with `wait=` gets when it joins the queue, and the OK to `STATUS ID queue=REQID`.
struct queue_place {
  std::string product;
  uint32_t position = 0;
  uint32_t waiting = 0;
  bool operator==(const queue_place& other) const;
};

/// The OK line for request `id` (no trailing LF).
std::string format(std::string_view id, const hello_ok& r);
std::string format(std::string_view id, const checkout_ok& r);
std::string format(std::string_view id, const renew_ok& r);
std::string format(std::string_view id, const release_ok& r);
std::string format(std::string_view id, const status_ok& r);
std::string format(std::string_view id, const queue_place& r);
/// The `QUEUED ID product=... position=N waiting=M` line (no trailing LF).
std::string format_queued(std::string_view id, const queue_place& r);

/// The typed reply from a parsed OK line; nullopt when a field is missing or unreadable (or the
/// line is an ERR).
/// The reply a cluster's standby gives request `id`: NOT_LEADER, naming `leader` ("host:port")
/// as `leader=HOST:PORT` when one leads.
std::string format_not_leader(std::string_view id, std::string_view leader);
/// The leader a NOT_LEADER message names, or "" when it names none.
std::string leader_named(std::string_view message);

std::optional<hello_ok> read_hello(const reply& r);
std::optional<checkout_ok> read_checkout(const reply& r);
std::optional<renew_ok> read_renew(const reply& r);
std::optional<release_ok> read_release(const reply& r);
std::optional<status_ok> read_status(const reply& r);
/// From an OK to `STATUS queue=` or a QUEUED line.
std::optional<queue_place> read_queue_place(const reply& r);

/// A reply field's decimal value: digits only, no sign, fits in 32 bits.
std::optional<uint32_t> read_u32(std::string_view text);

} // namespace licd::net::protocol
