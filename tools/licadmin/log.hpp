#pragma once
// licadmin log: the activity log, filtered, paged past the API's 10,000 events a request, and
// followed.

#include "tools/licadmin/api.hpp"

#include <string>
#include <vector>

namespace licd::licadmin {

struct log_options {
  unsigned lines = 50;
  bool follow = false;
  std::string product, computer, user;
  std::vector<std::string> kinds;
  std::string since, until;
  bool utc = false;
};

/// Prints the newest `lines` matching events, oldest first; with `follow`, then every new
/// matching event until SIGINT or SIGTERM. Throws `failure`.
void show_log(const api& a, const log_options& o, bool json_out);

} // namespace licd::licadmin
