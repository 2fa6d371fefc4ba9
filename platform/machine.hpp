#pragma once

#include "engine/fingerprint.hpp"

#include <string>
#include <vector>

/// Reads what this machine says about itself, for hardware binding (engine/fingerprint.hpp),
/// and recognizes the containers and virtual machines where those facts are missing or unstable.
namespace licd::platform {

struct machine_report {
  engine::machine_facts facts;
  /// "physical", "virtual machine (kvm)", "container (docker)", ...
  std::string environment = "physical";
  /// What makes the binding weak here, one sentence each, for logs and `licadmin status`.
  std::vector<std::string> warnings;
  /// Set when the facts came from a file (the test twins' hook), not the system.
  std::string facts_file;
};

/// The file of simulated machine facts, or empty for the real machine. Installed binaries and
/// the installed client library always answer empty (a weak definition in machine.cpp): an end
/// user cannot fake the machine a stand-alone license or an activation is bound to. Only the
/// test twins (licd_test_hook etc., never installed) link platform/test_hook.cpp, which reads
/// the file name from $LICD_MACHINE_FACTS.
std::string simulated_facts_file();

/// Reads the machine's facts (read_system_facts), or the simulated ones; warns when there are
/// fewer than three. Never throws: what cannot be read is missing, and said so in the warnings.
machine_report probe_machine();

/// The system's own facts, environment and warnings, one implementation per platform. Linux
/// (machine_linux.cpp): /etc/machine-id, /sys/class/dmi/id/product_uuid, the MAC addresses of
/// the network interfaces backed by a device, the hostname. Windows (machine_windows.cpp): the
/// MachineGuid, the SMBIOS system UUID where readable, the physical adapters' MACs, the
/// computer name.
void read_system_facts(machine_report& r);

/// The facts file format (`machine-id=`, `dmi-uuid=`, `hostname=`, `mac=` lines, `#` comments),
/// exposed for tests.
engine::machine_facts parse_facts(const std::string& text);

/// Names of the factors a report yields, e.g. "machine-id, mac x2, hostname".
std::string describe_factors(const engine::machine_facts& facts);

} // namespace licd::platform
