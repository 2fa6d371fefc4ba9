// licadmin's output.

#include "tools/licadmin/print.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace licd::licadmin {

using json = nlohmann::json;

std::string text(const json& j) {
  if (j.is_string())
    return j.get<std::string>();
  if (j.is_null())
    return "-";
  if (j.is_array()) {
    std::string out;
    for (const auto& x : j)
      out += (out.empty() ? "" : ",") + text(x);
    return out.empty() ? "-" : out;
  }
  return j.dump();
}

void table(const std::vector<std::string>& header,
           const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i)
    width[i] = header[i].size();
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size())
        out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    std::cout << out << '\n';
  };
  line(header);
  for (const auto& r : rows)
    line(r);
}

void print_license(const json& l) {
  for (const char* k :
       {"id", "product", "seats", "state", "issued", "expires", "customer", "installed_at"})
    std::printf("%-13s %s\n", k, text(l[k]).c_str());
  if (l.value("activation_required", false))
    std::printf("%-13s %s\n", "activation",
                l.value("activated_on", "").empty()
                  ? "required, not activated"
                  : ("activated " + text(l["activated_on"]) + ", " + text(l["hardware"])).c_str());
  if (!l.value("advice", "").empty())
    std::printf("%-13s %s\n", "to do", text(l["advice"]).c_str());
}

void print_event(const json& e) {
  std::cout << text(e["time"]) << "  " << text(e["kind"]);
  for (const char* k : {"product", "computer", "user", "lease"})
    if (!e[k].get<std::string>().empty())
      std::cout << "  " << k << '=' << e[k].get<std::string>();
  if (!e["detail"].get<std::string>().empty())
    std::cout << "  " << e["detail"].get<std::string>();
  std::cout << '\n';
}

} // namespace licd::licadmin
