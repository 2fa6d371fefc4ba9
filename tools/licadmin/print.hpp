#pragma once
// licadmin's output: the admin API's JSON as text and aligned tables.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace licd::licadmin {

/// A JSON value as a table cell: strings as they are, null as "-", arrays comma-separated.
std::string text(const nlohmann::json& j);

/// Prints rows as aligned columns under a header.
void table(const std::vector<std::string>& header,
           const std::vector<std::vector<std::string>>& rows);

/// One license, a field per line.
void print_license(const nlohmann::json& l);

/// One activity-log event on one line.
void print_event(const nlohmann::json& e);

} // namespace licd::licadmin
