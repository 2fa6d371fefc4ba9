#pragma once
// licadmin report: the usage and denial reports of licd's admin API, as a table, JSON, CSV or a
// plot (gnuplot).

#include "tools/licadmin/api.hpp"

#include <string>
#include <vector>

namespace licd::licadmin {

struct report_options {
  std::vector<std::string> products;
  std::string from, to;
  std::string by = "day"; ///< usage: hour, day, week, month, user, computer
  bool utc = false;
  bool csv = false;
  std::string plot; ///< a PNG file to draw the usage report into
};

/// `report usage`; prints, or writes the plot. Throws `failure`.
void usage_report(const api& a, const report_options& o, bool json_out);

/// `report denials`. Throws `failure`.
void denials_report(const api& a, const report_options& o, bool json_out);

} // namespace licd::licadmin
