#include "net/replies.hpp"

#include <charconv>

namespace licd::net::protocol {

namespace {

// The field names, once.
constexpr std::string_view k_version = "version";
constexpr std::string_view k_server = "server";
constexpr std::string_view k_ttl = "ttl";
constexpr std::string_view k_lease = "lease";
constexpr std::string_view k_product = "product";
constexpr std::string_view k_expires_in = "expires_in";
constexpr std::string_view k_seats = "seats";
constexpr std::string_view k_used = "used";
constexpr std::string_view k_position = "position";
constexpr std::string_view k_waiting = "waiting";

ok_line& add_lease(ok_line& line, const engine::lease_id& lease) {
  auto hex = lease.hex();
  return line.add(k_lease, std::string_view(hex.data(), hex.size()));
}

const std::string* find(const reply& r, std::string_view key) {
  for (const auto& [k, v] : r.fields)
    if (k == key)
      return &v;
  return nullptr;
}

std::optional<uint32_t> number(const reply& r, std::string_view key) {
  auto* v = find(r, key);
  return v == nullptr ? std::nullopt : read_u32(*v);
}

std::optional<engine::lease_id> lease(const reply& r) {
  auto* v = find(r, k_lease);
  return v == nullptr ? std::nullopt : engine::lease_id::from_hex(*v);
}

/// A non-empty value, as the protocol's words are.
std::optional<std::string> word(const reply& r, std::string_view key) {
  auto* v = find(r, key);
  if (v == nullptr || v->empty())
    return std::nullopt;
  return *v;
}

} // namespace

bool hello_ok::operator==(const hello_ok& o) const {
  return version == o.version && server == o.server && ttl == o.ttl;
}
bool checkout_ok::operator==(const checkout_ok& o) const {
  return lease == o.lease && product == o.product && expires_in == o.expires_in
         && seats == o.seats && used == o.used;
}
bool renew_ok::operator==(const renew_ok& o) const {
  return lease == o.lease && expires_in == o.expires_in;
}
bool release_ok::operator==(const release_ok& o) const {
  return lease == o.lease;
}
bool product_usage::operator==(const product_usage& o) const {
  return product == o.product && used == o.used && seats == o.seats;
}
bool queue_place::operator==(const queue_place& o) const {
  return product == o.product && position == o.position && waiting == o.waiting;
}
bool status_ok::operator==(const status_ok& o) const {
  return products == o.products;
}

std::optional<uint32_t> read_u32(std::string_view text) {
  uint32_t value = 0;
  if (text.empty() || text.size() > 10)
    return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

std::string format(std::string_view id, const hello_ok& r) {
  return ok_line(id).add(k_version, r.version).add(k_server, r.server).add(k_ttl, r.ttl).take();
}

std::string format(std::string_view id, const checkout_ok& r) {
  ok_line line(id);
  return add_lease(line, r.lease)
    .add(k_product, r.product)
    .add(k_expires_in, r.expires_in)
    .add(k_seats, r.seats)
    .add(k_used, r.used)
    .take();
}

std::string format(std::string_view id, const renew_ok& r) {
  ok_line line(id);
  return add_lease(line, r.lease).add(k_expires_in, r.expires_in).take();
}

std::string format(std::string_view id, const release_ok& r) {
  ok_line line(id);
  return add_lease(line, r.lease).take();
}

std::string format(std::string_view id, const status_ok& r) {
  ok_line line(id);
  std::string usage;
  for (const auto& p : r.products) {
    usage = std::to_string(p.used) + "/" + std::to_string(p.seats);
    line.add(p.product, usage);
  }
  return line.take();
}

namespace {
std::string format_place(ok_line line, const queue_place& r) {
  return line.add(k_product, r.product)
    .add(k_position, r.position)
    .add(k_waiting, r.waiting)
    .take();
}
} // namespace

std::string format(std::string_view id, const queue_place& r) {
  return format_place(ok_line(id), r);
}

std::string format_queued(std::string_view id, const queue_place& r) {
  return format_place(ok_line(id, "QUEUED"), r);
}

std::optional<hello_ok> read_hello(const reply& r) {
  auto version = number(r, k_version);
  auto server = word(r, k_server);
  auto ttl = number(r, k_ttl);
  if (!r.ok || !version || !server || !ttl)
    return std::nullopt;
  return hello_ok{*version, std::move(*server), *ttl};
}

std::optional<checkout_ok> read_checkout(const reply& r) {
  auto id = lease(r);
  auto product = word(r, k_product);
  auto expires_in = number(r, k_expires_in);
  auto seats = number(r, k_seats);
  auto used = number(r, k_used);
  if (!r.ok || !id || !product || !expires_in || !seats || !used)
    return std::nullopt;
  return checkout_ok{*id, std::move(*product), *expires_in, *seats, *used};
}

std::optional<renew_ok> read_renew(const reply& r) {
  auto id = lease(r);
  auto expires_in = number(r, k_expires_in);
  if (!r.ok || !id || !expires_in)
    return std::nullopt;
  return renew_ok{*id, *expires_in};
}

std::optional<release_ok> read_release(const reply& r) {
  auto id = lease(r);
  if (!r.ok || !id)
    return std::nullopt;
  return release_ok{*id};
}

std::optional<status_ok> read_status(const reply& r) {
  if (!r.ok)
    return std::nullopt;
  status_ok out;
  out.products.reserve(r.fields.size());
  for (const auto& [name, value] : r.fields) {
    auto slash = value.find('/');
    if (name.empty() || slash == std::string::npos)
      return std::nullopt;
    auto used = read_u32(std::string_view(value).substr(0, slash));
    auto seats = read_u32(std::string_view(value).substr(slash + 1));
    if (!used || !seats)
      return std::nullopt;
    out.products.push_back({name, *used, *seats});
  }
  return out;
}

std::optional<queue_place> read_queue_place(const reply& r) {
  auto product = word(r, k_product);
  auto position = number(r, k_position);
  auto waiting = number(r, k_waiting);
  if (!(r.ok || r.queued) || !product || !position || !waiting)
    return std::nullopt;
  return queue_place{std::move(*product), *position, *waiting};
}

namespace {
constexpr std::string_view leader_field = "leader=";
}

std::string format_not_leader(std::string_view id, std::string_view leader) {
  if (leader.empty())
    return format_error(id, error_code::not_leader,
                        "this node of the cluster stands by and no node leads now: try again in "
                        "a moment");
  return format_error(id, error_code::not_leader,
                      std::string(leader_field) + std::string(leader)
                        + " this node of the cluster stands by: ask the leader");
}

std::string leader_named(std::string_view message) {
  if (message.substr(0, leader_field.size()) != leader_field)
    return {};
  auto rest = message.substr(leader_field.size());
  return std::string(rest.substr(0, rest.find(' ')));
}

} // namespace licd::net::protocol
