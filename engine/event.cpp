#include "engine/event.hpp"

#include <array>
#include <charconv>
#include <vector>

namespace licd::engine {

namespace {

constexpr std::array<std::string_view, 7> kind_names = {
  "granted", "renewed", "released", "expired", "denied", "started", "stopped"};

void append_field(std::string& out, std::string_view field) {
  out.push_back('\t');
  for (char c : field)
    out.push_back(c == '\t' || c == '\n' || c == '\r' ? ' ' : c);
}

} // namespace

std::string_view to_string(event_kind kind) {
  return kind_names[static_cast<size_t>(kind)];
}

std::optional<event_kind> event_kind_from_string(std::string_view text) {
  for (size_t i = 0; i < kind_names.size(); ++i)
    if (kind_names[i] == text)
      return static_cast<event_kind>(i);
  return std::nullopt;
}

std::string encode(const event& e) {
  std::string out = std::to_string(e.at_ms);
  append_field(out, to_string(e.kind));
  append_field(out, e.product);
  append_field(out, e.computer);
  append_field(out, e.user);
  append_field(out, e.lease);
  append_field(out, e.detail);
  return out;
}

std::optional<event> decode_event(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  for (;;) {
    auto tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
    if (tab == std::string_view::npos)
      break;
    start = tab + 1;
  }
  if (fields.size() != 7)
    return std::nullopt;
  event e;
  auto [ptr, ec] = std::from_chars(fields[0].data(), fields[0].data() + fields[0].size(), e.at_ms);
  if (ec != std::errc{} || ptr != fields[0].data() + fields[0].size())
    return std::nullopt;
  auto kind = event_kind_from_string(fields[1]);
  if (!kind)
    return std::nullopt;
  e.kind = *kind;
  e.product = fields[2];
  e.computer = fields[3];
  e.user = fields[4];
  e.lease = fields[5];
  e.detail = fields[6];
  return e;
}

} // namespace licd::engine
