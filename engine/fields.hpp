#pragma once

#include <charconv>
#include <string_view>
#include <vector>

/// Helpers for the tab-separated records licd stores (events, leases).
namespace licd::engine {

/// Splits at every tab; "a\t\tb" gives {"a", "", "b"}.
inline std::vector<std::string_view> split_tabs(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    auto tab = s.find('\t', start);
    out.push_back(s.substr(start, tab == std::string_view::npos ? tab : tab - start));
    if (tab == std::string_view::npos)
      return out;
    start = tab + 1;
  }
}

/// Parses the whole of `text` as a decimal number; false on anything else (or empty).
template <class T>
bool parse_number(std::string_view text, T& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && ptr == text.data() + text.size() && !text.empty();
}

} // namespace licd::engine
