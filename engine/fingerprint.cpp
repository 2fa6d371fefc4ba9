#include "engine/fingerprint.hpp"

#include "engine/code_block.hpp"
#include "engine/ed25519.hpp"

#include <algorithm>
#include <cctype>

namespace licd::engine {

namespace {

std::string normalized(std::string_view value) {
  std::string out;
  for (char c : value)
    if (!std::isspace(static_cast<unsigned char>(c)))
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

void add(fingerprint& fp, factor_kind kind, std::string_view value, uint64_t salt) {
  auto v = normalized(value);
  if (v.empty())
    return;
  std::string input = "licd-fingerprint-1";
  put_uint(input, salt, 8);
  input.push_back(static_cast<char>(kind));
  input += v;
  auto digest = ed25519::sha256(input);
  uint64_t h = 0;
  for (int i = 0; i < 8; ++i)
    h = (h << 8) | static_cast<unsigned char>(digest[static_cast<size_t>(i)]);
  fp.push_back(factor{kind, h});
}

} // namespace

std::string_view to_string(factor_kind k) {
  switch (k) {
    case factor_kind::machine_id:
      return "machine-id";
    case factor_kind::dmi_uuid:
      return "dmi-uuid";
    case factor_kind::mac:
      return "mac";
    case factor_kind::node:
      return "node";
    case factor_kind::hostname:
      return "hostname";
  }
  return "unknown";
}

fingerprint fingerprint_of(const machine_facts& facts, uint64_t salt) {
  fingerprint fp;
  add(fp, factor_kind::machine_id, facts.machine_id, salt);
  add(fp, factor_kind::dmi_uuid, facts.dmi_uuid, salt);
  std::vector<std::string> macs;
  for (const auto& m : facts.macs)
    if (auto n = normalized(m); !n.empty())
      macs.push_back(n);
  std::sort(macs.begin(), macs.end());
  macs.erase(std::unique(macs.begin(), macs.end()), macs.end());
  if (macs.size() > max_mac_factors)
    macs.resize(max_mac_factors);
  for (const auto& m : macs)
    add(fp, factor_kind::mac, m, salt);
  add(fp, factor_kind::hostname, facts.hostname, salt);
  return fp;
}

namespace {

fingerprint_match match_one(const fingerprint& bound, const fingerprint& here, size_t tolerance) {
  fingerprint_match m;
  m.total = bound.size();
  m.required = m.total > tolerance ? m.total - tolerance : 1;
  for (const auto& f : bound)
    if (std::find(here.begin(), here.end(), f) != here.end())
      ++m.matched;
  return m;
}

} // namespace

fingerprint cluster_fingerprint(const std::vector<fingerprint>& machines) {
  if (machines.size() == 1)
    return machines.front();
  fingerprint out;
  for (size_t i = 0; i < machines.size(); ++i) {
    out.push_back({factor_kind::node, i});
    out.insert(out.end(), machines[i].begin(), machines[i].end());
  }
  return out;
}

std::vector<fingerprint> machines_of(const fingerprint& fp) {
  std::vector<fingerprint> out;
  for (const auto& f : fp) {
    if (f.kind == factor_kind::node)
      out.emplace_back();
    else if (out.empty())
      out.emplace_back(1, f);
    else
      out.back().push_back(f);
  }
  if (out.empty())
    out.emplace_back();
  return out;
}

fingerprint_match match(const fingerprint& bound, const fingerprint& here, size_t tolerance) {
  auto machines = machines_of(bound);
  fingerprint_match best;
  for (const auto& m : machines) {
    auto now = match_one(m, here, tolerance);
    bool better = now.ok() != best.ok() ? now.ok()
                                        : now.matched * std::max<size_t>(best.total, 1)
                                            > best.matched * std::max<size_t>(now.total, 1);
    if (better || best.total == 0)
      best = now;
  }
  best.machines = machines.size();
  return best;
}

} // namespace licd::engine
