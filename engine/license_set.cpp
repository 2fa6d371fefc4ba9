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
  }
  return "unknown";
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

license_state license_set::state(const installed_license& l, int32_t today) const {
  if (!l.verified)
    return license_state::untrusted;
  if (l.lic.expired_on(today))
    return license_state::expired;
  return license_state::active;
}

std::map<std::string, uint32_t> license_set::seats(int32_t today) const {
  std::map<std::string, uint32_t> out;
  for (const auto& [id, l] : by_id_) {
    auto& seats = out[l.lic.product];
    if (state(l, today) == license_state::active)
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
