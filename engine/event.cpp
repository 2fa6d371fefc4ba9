#include "engine/event.hpp"

#include "engine/fields.hpp"

#include <algorithm>
#include <array>

namespace licd::engine {

namespace {

constexpr std::array<std::string_view, 18> kind_names = {
  "granted",     "renewed",       "released",      "expired",           "denied",
  "started",     "stopped",       "license_added", "license_removed",   "disconnected",
  "lease_ended", "admin",         "license_state", "license_activated", "license_deactivated",
  "clock",       "seats_reduced", "seats"};

void append_field(std::string& out, std::string_view field) {
  out.push_back('\t');
  for (char c : field)
    out.push_back(c == '\t' || c == '\n' || c == '\r' ? ' ' : c);
}

} // namespace

std::string_view to_string(event_kind kind) {
  return kind_names[static_cast<size_t>(kind)];
}

std::optional<event_kind> event_kind_from_string(std::string_view text) {
  for (size_t i = 0; i < kind_names.size(); ++i)
    if (kind_names[i] == text)
      return static_cast<event_kind>(i);
  return std::nullopt;
}

bool event_filter::matches(const event& e) const {
  return (product.empty() || e.product == product) && (computer.empty() || e.computer == computer)
         && (user.empty() || e.user == user)
         && (kinds.empty() || std::find(kinds.begin(), kinds.end(), e.kind) != kinds.end())
         && (!since_ms || e.at_ms >= *since_ms) && (!until_ms || e.at_ms < *until_ms);
}

std::string encode(const event& e) {
  std::string out = std::to_string(e.at_ms);
  append_field(out, to_string(e.kind));
  append_field(out, e.product);
  append_field(out, e.computer);
  append_field(out, e.user);
  append_field(out, e.lease);
  append_field(out, e.detail);
  return out;
}

std::optional<event> decode_event(std::string_view line) {
  auto f = split_tabs<7>(line);
  if (!f)
    return std::nullopt;
  const auto& fields = *f;
  event e;
  if (!parse_number(fields[0], e.at_ms))
    return std::nullopt;
  auto kind = event_kind_from_string(fields[1]);
  if (!kind)
    return std::nullopt;
  e.kind = *kind;
  e.product = fields[2];
  e.computer = fields[3];
  e.user = fields[4];
  e.lease = fields[5];
  e.detail = fields[6];
  return e;
}

} // namespace licd::engine
