#pragma once
// Windows only: the network adapters as GetAdaptersAddresses lists them, for the machine's MAC
// addresses (machine_windows.cpp) and discovery's broadcast addresses (client/discovery.cpp).
#ifdef _WIN32

// In this order: winsock2 before windows, iphlpapi after both.
#include <winsock2.h>

#include <windows.h>

#include <iphlpapi.h>

#include <functional>

namespace licd::platform {

/// Calls `each` with every adapter of address `family` (AF_INET, AF_UNSPEC), skipping anycast,
/// multicast and DNS server addresses; nothing when Windows will not list them.
void for_each_adapter(ULONG family, const std::function<void(const IP_ADAPTER_ADDRESSES&)>& each);

} // namespace licd::platform

#endif
