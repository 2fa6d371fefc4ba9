#include "platform/machine.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace licd::platform {

engine::machine_facts parse_facts(const std::string& text) {
  engine::machine_facts f;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos)
      continue;
    auto key = line.substr(0, eq);
    auto value = line.substr(eq + 1);
    if (key == "machine-id")
      f.machine_id = value;
    else if (key == "dmi-uuid")
      f.dmi_uuid = value;
    else if (key == "hostname")
      f.hostname = value;
    else if (key == "mac")
      f.macs.push_back(value);
  }
  return f;
}

std::string describe_factors(const engine::machine_facts& facts) {
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : ", ") + s; };
  if (!facts.machine_id.empty())
    add("machine-id");
  if (!facts.dmi_uuid.empty())
    add("dmi-uuid");
  if (!facts.macs.empty())
    add("mac x" + std::to_string(std::min(facts.macs.size(), engine::max_mac_factors)));
  if (!facts.hostname.empty())
    add("hostname");
  return out.empty() ? "none" : out;
}

machine_report probe_machine() {
  machine_report r;
  if (auto file = simulated_facts_file(); !file.empty()) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    r.facts = parse_facts(text.str());
    r.facts_file = file;
    r.environment = "simulated (facts from " + r.facts_file + ")";
    r.warnings.push_back("the machine facts come from " + r.facts_file
                         + ", a test build's hook: hardware binding is not real");
    return r;
  }
  read_system_facts(r);
  auto count = engine::fingerprint_of(r.facts, 0).size();
  if (count < 3)
    r.warnings.push_back("only " + std::to_string(count)
                         + " hardware factors: the binding to this machine is weak");
  return r;
}

} // namespace licd::platform
