// The machine's identifying facts on Windows: the MachineGuid (set at installation), the SMBIOS
// system UUID, the MAC addresses of the physical network adapters, and the computer name.

#include "platform/machine.hpp"

#include "platform/adapters_windows.hpp"
#include "platform/host.hpp"
#include "platform/windows_text.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace licd::platform {
namespace {

/// HKLM\SOFTWARE\Microsoft\Cryptography\MachineGuid, in the 64-bit view; empty when unreadable.
std::string machine_guid() {
  wchar_t buf[128] = {};
  DWORD size = sizeof(buf);
  if (RegGetValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Microsoft\\Cryptography", L"MachineGuid",
                   RRF_RT_REG_SZ | RRF_SUBKEY_WOW6464KEY, nullptr, buf, &size)
      != ERROR_SUCCESS)
    return {};
  return from_utf16(buf);
}

/// The SMBIOS type-1 (system information) UUID, formatted as Linux's product_uuid is
/// (lower-case, the first three fields little-endian as SMBIOS 2.6 says); empty when the
/// firmware table is unreadable or the UUID is unset (all 0s or all 1s).
std::string smbios_uuid() {
  const DWORD rsmb = 'R' << 24 | 'S' << 16 | 'M' << 8 | 'B';
  UINT size = GetSystemFirmwareTable(rsmb, 0, nullptr, 0);
  if (size < 8)
    return {};
  std::vector<uint8_t> raw(size);
  if (GetSystemFirmwareTable(rsmb, 0, raw.data(), size) != size)
    return {};
  // RawSMBIOSData: 8 bytes of header, then the structure table.
  size_t at = 8;
  while (at + 4 <= raw.size()) {
    uint8_t type = raw[at], length = raw[at + 1];
    if (length < 4 || at + length > raw.size())
      break;
    if (type == 1 && length >= 0x18) {
      const uint8_t* u = &raw[at + 8];
      bool zeros = std::all_of(u, u + 16, [](uint8_t b) { return b == 0; });
      bool ones = std::all_of(u, u + 16, [](uint8_t b) { return b == 0xff; });
      if (zeros || ones)
        return {};
      char text[37];
      std::snprintf(text, sizeof text,
                    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[3],
                    u[2], u[1], u[0], u[5], u[4], u[7], u[6], u[8], u[9], u[10], u[11], u[12],
                    u[13], u[14], u[15]);
      return text;
    }
    if (type == 127)
      break;
    // The formatted part, then strings up to a double NUL.
    size_t next = at + length;
    while (next + 1 < raw.size() && !(raw[next] == 0 && raw[next + 1] == 0))
      ++next;
    at = next + 2;
  }
  return {};
}

/// The MAC addresses of Ethernet and Wi-Fi adapters, aa:bb:cc:dd:ee:ff, sorted; sets
/// `locally_administered` when one was made up by software.
std::vector<std::string> adapter_macs(bool& locally_administered) {
  std::vector<std::string> macs;
  for_each_adapter(AF_UNSPEC, [&](const IP_ADAPTER_ADDRESSES& a) {
    if (a.IfType != IF_TYPE_ETHERNET_CSMACD && a.IfType != IF_TYPE_IEEE80211)
      return;
    if (a.PhysicalAddressLength != 6)
      return;
    const auto* m = a.PhysicalAddress;
    if (std::all_of(m, m + 6, [](BYTE b) { return b == 0; }))
      return;
    if ((m[0] & 0x02) != 0)
      locally_administered = true;
    char text[18];
    std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
                  m[4], m[5]);
    macs.emplace_back(text);
  });
  std::sort(macs.begin(), macs.end());
  macs.erase(std::unique(macs.begin(), macs.end()), macs.end());
  return macs;
}

} // namespace

// Windows binaries have no test hook: the facts are always the machine's own.
std::string simulated_facts_file() {
  return {};
}

void read_system_facts(machine_report& r) {
  r.facts.machine_id = machine_guid();
  r.facts.dmi_uuid = smbios_uuid();
  bool made_up_macs = false;
  r.facts.macs = adapter_macs(made_up_macs);
  r.facts.hostname = host_name();
  if (r.facts.machine_id.empty())
    r.warnings.push_back("the registry's MachineGuid is not readable: one factor less");
  if (r.facts.dmi_uuid.empty())
    r.warnings.push_back("the SMBIOS system UUID is not readable or not set: one factor less");
  if (r.facts.macs.empty())
    r.warnings.push_back("no Ethernet or Wi-Fi adapter: no MAC address factor");
  else if (made_up_macs)
    r.warnings.push_back("a MAC address is locally administered (set by software, as in VMs): "
                         "it may change");
}

} // namespace licd::platform
