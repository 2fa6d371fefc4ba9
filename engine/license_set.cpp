#include "engine/license_set.hpp"

#include <algorithm>

namespace licd::engine {

std::string_view to_string(license_state s) {
  switch (s) {
    case license_state::active:
      return "active";
    case license_state::expired:
      return "expired";
    case license_state::untrusted:
      return "untrusted";
    case license_state::not_activated:
      return "not activated";
    case license_state::hardware_mismatch:
      return "hardware mismatch";
    case license_state::clock_error:
      return "clock error";
  }
  return "unknown";
}

std::string_view advice(license_state s) {
  switch (s) {
    case license_state::active:
      return "";
    case license_state::expired:
      return "the license is past its expiry date: ask the vendor for a renewed code";
    case license_state::untrusted:
      return "the code's vendor key is not configured: start licd with --vendor-key for it";
    case license_state::not_activated:
      return "activate it: `licadmin licenses activate ID` prints a request for the vendor";
    case license_state::hardware_mismatch:
      return "the license was activated on other hardware (a moved or copied data dir): move it "
             "back, or deactivate it there and activate it here";
    case license_state::clock_error:
      return "the system clock is earlier than a time licd has already seen: correct the clock";
  }
  return "";
}

bool license_set::add(installed_license l) {
  auto id = l.lic.id;
  return by_id_.emplace(id, std::move(l)).second;
}

std::optional<installed_license> license_set::remove(uint64_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end())
    return std::nullopt;
  auto out = std::move(it->second);
  by_id_.erase(it);
  return out;
}

const installed_license* license_set::find(uint64_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

installed_license* license_set::find(uint64_t id) {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

license_state license_set::state(const installed_license& l, const state_context& ctx) {
  if (!l.verified)
    return license_state::untrusted;
  if (l.lic.activation_required) {
    if (l.activation.empty())
      return license_state::not_activated;
    if (!l.hardware.ok())
      return license_state::hardware_mismatch;
  }
  if (l.lic.expires_day != 0 && ctx.clock_error)
    return license_state::clock_error;
  if (l.lic.expired_on(ctx.today))
    return license_state::expired;
  return license_state::active;
}

std::map<std::string, uint32_t> license_set::seats(const state_context& ctx) const {
  std::map<std::string, uint32_t> out;
  for (const auto& [id, l] : by_id_) {
    auto& seats = out[l.lic.product];
    if (state(l, ctx) == license_state::active)
      seats += l.lic.seats;
  }
  return out;
}

std::vector<installed_license> license_set::list() const {
  std::vector<installed_license> out;
  for (const auto& kv : by_id_)
    out.push_back(kv.second);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.installed_at_ms < b.installed_at_ms;
  });
  return out;
}

} // namespace licd::engine
