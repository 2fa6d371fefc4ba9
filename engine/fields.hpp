#pragma once

#include <array>
#include <charconv>
#include <cstddef>
#include <optional>
#include <string_view>

/// Helpers for the tab-separated records licd stores (events, leases).
namespace licd::engine {

/// Splits a record of exactly N tab-separated fields, in place (no allocation: a restart splits
/// a million lease records); "a\t\tb" gives {"a", "", "b"}. Nothing when there are fewer or more.
template <size_t N>
std::optional<std::array<std::string_view, N>> split_tabs(std::string_view s) {
  static_assert(N > 0);
  std::array<std::string_view, N> out;
  size_t start = 0;
  for (size_t i = 0; i < N; ++i) {
    auto tab = s.find('\t', start);
    if ((tab == std::string_view::npos) != (i == N - 1))
      return std::nullopt; // fewer or more than N fields
    out[i] = s.substr(start, tab == std::string_view::npos ? tab : tab - start);
    start = tab + 1;
  }
  return out;
}

/// Parses the whole of `text` as a decimal number; false on anything else (or empty).
template <class T>
bool parse_number(std::string_view text, T& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && ptr == text.data() + text.size() && !text.empty();
}

} // namespace licd::engine
