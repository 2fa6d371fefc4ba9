#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

/// Hardware binding: a machine's identifying facts, hashed one by one so that no raw identifier
/// leaves the machine, and a tolerant match between the fingerprint an activation was made for
/// and the machine's fingerprint now. Pure: the facts are read elsewhere (platform/).
namespace licd::engine {

/// What a machine says about itself. Empty fields are unknown and make no factor.
struct machine_facts {
  std::string machine_id;        ///< /etc/machine-id
  std::string dmi_uuid;          ///< /sys/class/dmi/id/product_uuid (root only on most systems)
  std::string hostname;
  std::vector<std::string> macs; ///< physical network interfaces, aa:bb:cc:dd:ee:ff
};

/// The numbers are part of the activation code format.
/// `node` is no fact: in a cluster's fingerprint it starts the factors of each node's machine (its
/// hash is the node's place, 0, 1, ...).
enum class factor_kind : uint8_t { machine_id = 1, dmi_uuid = 2, mac = 3, hostname = 4, node = 5 };

std::string_view to_string(factor_kind k);

/// One hashed fact: the first 8 bytes of SHA-256 over a domain tag, the salt (the license id,
/// so the same machine gives different hashes per license), the kind and the normalized value.
struct factor {
  factor_kind kind = factor_kind::machine_id;
  uint64_t hash = 0;
  bool operator==(const factor& o) const { return kind == o.kind && hash == o.hash; }
};

using fingerprint = std::vector<factor>;

/// At most this many MAC addresses count (the lowest, sorted), so a machine with many
/// interfaces does not make a code block longer than people want to paste.
inline constexpr size_t max_mac_factors = 4;

fingerprint fingerprint_of(const machine_facts& facts, uint64_t salt);

/// A cluster's fingerprint (docs/CLUSTER.md, "Activation"): each machine's factors after a
/// `node` marker. One machine's is its own fingerprint, unmarked.
fingerprint cluster_fingerprint(const std::vector<fingerprint>& machines);
/// The machines a fingerprint binds: one, or each node's of a cluster's.
std::vector<fingerprint> machines_of(const fingerprint& fp);

struct fingerprint_match {
  size_t matched = 0;  ///< factors of the bound fingerprint that this machine still has
  size_t total = 0;    ///< factors in the bound fingerprint
  size_t required = 0; ///< how many must match
  size_t machines = 1; ///< machines the fingerprint binds (a cluster's nodes)
  bool ok() const { return total > 0 && matched >= required; }
};

/// How far `here` matches `bound`, allowing `tolerance` of bound's factors to differ (at least
/// one must always match). Extra factors here (a new network card) do not count against it.
/// For a cluster's fingerprint: the match with the machine that matches best (counts of that
/// machine's factors).
fingerprint_match match(const fingerprint& bound, const fingerprint& here, size_t tolerance);

} // namespace licd::engine
