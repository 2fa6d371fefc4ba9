// The test twins' hook (never in an installed binary or library): $LICD_MACHINE_FACTS=FILE makes
// probe_machine read the machine's facts from FILE, so tests can move a data dir or a
// stand-alone license to "other hardware". Its strong definition replaces machine.cpp's weak one.

#include "platform/machine.hpp"

#include <cstdlib>

namespace licd::platform {

std::string simulated_facts_file() {
  const char* file = std::getenv("LICD_MACHINE_FACTS");
  return file == nullptr ? std::string() : std::string(file);
}

} // namespace licd::platform
