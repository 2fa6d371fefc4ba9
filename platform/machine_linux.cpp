// The machine's identifying facts on Linux: files under /etc, /sys and /proc.

#include "platform/machine.hpp"

#include "platform/host.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace licd::platform {

namespace fs = std::filesystem;

namespace {

/// The first line of a file, trimmed; empty when it cannot be read.
std::string first_line(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  if (!in || !std::getline(in, line))
    return {};
  auto end = line.find_last_not_of(" \t\r\n");
  return end == std::string::npos ? std::string{} : line.substr(0, end + 1);
}

std::string whole_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool contains(const std::string& haystack, const char* needle) {
  return haystack.find(needle) != std::string::npos;
}

/// A container runtime's traces, or empty.
std::string container_kind() {
  std::error_code ec;
  if (fs::exists("/.dockerenv", ec))
    return "docker";
  if (fs::exists("/run/.containerenv", ec))
    return "podman";
  if (const char* c = std::getenv("container"); c != nullptr && *c != '\0')
    return c;
  auto cgroup = whole_file("/proc/1/cgroup");
  for (const char* k : {"kubepods", "docker", "lxc", "containerd"})
    if (contains(cgroup, k))
      return k;
  return {};
}

/// A hypervisor's traces, or empty.
std::string hypervisor_kind() {
  auto vendor = first_line("/sys/class/dmi/id/sys_vendor");
  auto product = first_line("/sys/class/dmi/id/product_name");
  std::pair<const char*, const char*> known[] = {{"QEMU", "qemu"},
                                                 {"KVM", "kvm"},
                                                 {"VMware", "vmware"},
                                                 {"innotek", "virtualbox"},
                                                 {"VirtualBox", "virtualbox"},
                                                 {"Xen", "xen"},
                                                 {"Microsoft Corporation", "hyper-v"},
                                                 {"Amazon EC2", "aws"},
                                                 {"Google", "gce"}};
  for (auto [mark, name] : known)
    if (contains(vendor, mark) || contains(product, mark))
      return name;
  auto cpuinfo = whole_file("/proc/cpuinfo");
  if (contains(cpuinfo, " hypervisor"))
    return "unknown hypervisor";
  std::error_code ec;
  if (fs::exists("/proc/xen", ec))
    return "xen";
  return {};
}

std::vector<std::string> device_macs(bool& locally_administered) {
  std::vector<std::string> macs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/sys/class/net", ec)) {
    // Only interfaces backed by a device: not lo, bridges, veth pairs, tunnels, ifb.
    if (!fs::exists(entry.path() / "device", ec))
      continue;
    auto mac = first_line(entry.path() / "address");
    if (mac.size() != 17 || mac == "00:00:00:00:00:00")
      continue;
    // The second-lowest bit of the first octet marks an address made up by software.
    if ((std::strtoul(mac.substr(0, 2).c_str(), nullptr, 16) & 0x02) != 0)
      locally_administered = true;
    macs.push_back(mac);
  }
  std::sort(macs.begin(), macs.end());
  return macs;
}

} // namespace

// Weak: every installed binary and library has this one, which never simulates anything. The
// test twins link platform/test_hook.cpp, whose strong definition replaces it.
__attribute__((weak)) std::string simulated_facts_file() {
  return {};
}

void read_system_facts(machine_report& r) {
  r.facts.machine_id = first_line("/etc/machine-id");
  if (r.facts.machine_id.empty())
    r.facts.machine_id = first_line("/var/lib/dbus/machine-id");
  r.facts.dmi_uuid = first_line("/sys/class/dmi/id/product_uuid");
  bool made_up_macs = false;
  r.facts.macs = device_macs(made_up_macs);
  r.facts.hostname = host_name();

  auto container = container_kind();
  auto hypervisor = hypervisor_kind();
  if (!container.empty()) {
    r.environment = "container (" + container + ")";
    r.warnings.push_back("running in a container (" + container
                         + "): its machine-id, hostname and network addresses may change when "
                           "it is re-created; give it a fixed machine-id, hostname and MAC, or "
                           "run licd on the host");
  } else if (!hypervisor.empty()) {
    r.environment = "virtual machine (" + hypervisor + ")";
    r.warnings.push_back("running in a virtual machine (" + hypervisor
                         + "): a clone of it has the same factors, and a re-created one new ones");
  }
  if (r.facts.machine_id.empty())
    r.warnings.push_back("no /etc/machine-id: one factor less");
  if (r.facts.dmi_uuid.empty())
    r.warnings.push_back("the DMI product UUID is not readable (it needs root, and containers "
                         "have none): one factor less");
  if (r.facts.macs.empty())
    r.warnings.push_back("no network interface backed by a device: no MAC address factor");
  else if (made_up_macs)
    r.warnings.push_back("a MAC address is locally administered (set by software, as in VMs "
                         "and containers): it may change");
}

} // namespace licd::platform
