#pragma once
// The License Manager's files (admin/ui/, and Debian's Chart.js with its licence), built into
// licd so that the browser loads nothing from anywhere else.

#include <optional>
#include <string_view>

namespace licd::admin {

struct ui_asset {
  std::string_view content_type;
  std::string_view body;
};

/// The file served at `path` ("/" is the License Manager's page, the rest is under "/ui/"), or
/// nullopt when there is none.
std::optional<ui_asset> find_ui_asset(std::string_view path);

} // namespace licd::admin
