// licadmin log: pages of GET /api/v1/log.

#include "tools/licadmin/log.hpp"

#include "tools/licadmin/print.hpp"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <deque>
#include <iostream>
#include <thread>

namespace licd::licadmin {

namespace {

volatile std::sig_atomic_t interrupted = 0;

/// The API's most events a request.
constexpr unsigned page_lines = 10'000;

std::string path_for(const log_options& o, unsigned lines, const char* cursor, uint64_t at) {
  httplib::Params p;
  p.emplace("lines", std::to_string(lines));
  if (cursor != nullptr)
    p.emplace(cursor, std::to_string(at));
  for (auto [name, value] :
       {std::pair{"product", &o.product}, std::pair{"computer", &o.computer},
        std::pair{"user", &o.user}, std::pair{"since", &o.since}, std::pair{"until", &o.until}})
    if (!value->empty())
      p.emplace(name, *value);
  std::string kinds;
  for (const auto& k : o.kinds)
    kinds += (kinds.empty() ? "" : ",") + k;
  if (!kinds.empty())
    p.emplace("kind", kinds);
  if (o.utc)
    p.emplace("utc", "1");
  return httplib::append_query_params("/api/v1/log", p);
}

} // namespace

void show_log(const api& a, const log_options& o, bool json_out) {
  auto show = [&](const nlohmann::json& e) {
    if (json_out)
      std::cout << e.dump() << '\n';
    else
      print_event(e);
  };
  // The newest `lines` matches, page by page backwards, then printed oldest first.
  std::deque<nlohmann::json> newest;
  uint64_t before = 0, next = 1;
  bool first = true;
  while (newest.size() < o.lines) {
    auto want = std::min<unsigned>(page_lines, o.lines - static_cast<unsigned>(newest.size()));
    auto page = a.call("GET", path_for(o, want, first ? nullptr : "before", before));
    if (first)
      next = page["next"].get<uint64_t>();
    first = false;
    const auto& events = page["events"];
    newest.insert(newest.begin(), events.begin(), events.end());
    if (page["before"].is_null())
      break;
    before = page["before"].get<uint64_t>();
  }
  while (newest.size() > o.lines)
    newest.pop_front();
  for (const auto& e : newest)
    show(e);
  std::cout.flush();
  if (!o.follow)
    return;
  std::signal(SIGINT, [](int) { interrupted = 1; });
  std::signal(SIGTERM, [](int) { interrupted = 1; });
  uint64_t after = next - 1;
  while (!interrupted) {
    auto page = a.call("GET", path_for(o, 1000, "after", after));
    for (const auto& e : page["events"])
      show(e);
    std::cout.flush();
    after = page["after"].get<uint64_t>();
    if (page["events"].empty())
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

} // namespace licd::licadmin
