#pragma once

// An admin fixture for end-to-end tests: a licd trusting a fresh vendor key, with licgen,
// licadmin and raw HTTP helpers.

#include "e2e_support.hpp"
#include "storage/database.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace licd::test {

using json = nlohmann::json;

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
    s.pop_back();
  return s;
}

/// Writes `text` to the file at `path`, replacing what it held.
inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

/// Logs in the data dir three admin events 40 days old ("old-0".."old-2") and one 2 days old
/// ("recent"), for the pruning tests: written before licd first runs there, they are the oldest.
inline void write_old_log(const std::string& data) {
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  licd::storage::database db({data});
  licd::storage::change_set cs;
  for (int i = 0; i < 3; ++i) {
    licd::engine::event e;
    e.at_ms = now_ms - int64_t{40} * 86'400'000 + i;
    e.kind = licd::engine::event_kind::admin;
    e.detail = "old-" + std::to_string(i);
    cs.events.push_back(e);
  }
  licd::engine::event recent;
  recent.at_ms = now_ms - int64_t{2} * 86'400'000;
  recent.kind = licd::engine::event_kind::admin;
  recent.detail = "recent";
  cs.events.push_back(recent);
  db.commit(cs);
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A licd trusting a fresh vendor key, with helpers for licgen, licadmin and raw HTTP.
struct admin_fixture {
  temp_dir tmp;
  std::string keys = tmp.path() + "/vendor";
  std::unique_ptr<server_fixture> s;

  explicit admin_fixture(std::vector<std::string> extra = {}, std::vector<std::string> env = {}) {
    REQUIRE(run({LICGEN_BINARY, "keygen", "--out=" + keys}).status == 0);
    std::vector<std::string> args{"--vendor-key=" + keys + "/vendor.pub"};
    args.insert(args.end(), extra.begin(), extra.end());
    s = std::make_unique<server_fixture>(args, env);
  }
  const licd_process& licd() const { return *s->licd; }
  std::string url() const { return trim(slurp(s->data + "/admin.url")); }
  std::string token() const { return trim(slurp(s->data + "/admin.token")); }

  std::string issue(const std::string& product, int seats, std::vector<std::string> extra = {},
                    const std::string& key = "") {
    std::vector<std::string> argv{LICGEN_BINARY, "issue",
                                  "--key=" + (key.empty() ? keys + "/vendor.key" : key),
                                  "--product=" + product, "--seats=" + std::to_string(seats)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = run(argv);
    REQUIRE(r.status == 0);
    return trim(r.out);
  }

  run_result licadmin(std::vector<std::string> args) const {
    std::vector<std::string> argv{LICADMIN_BINARY, "--data-dir=" + s->data};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }

  json licadmin_json(std::vector<std::string> args) const {
    args.insert(args.begin(), "--json");
    auto r = licadmin(args);
    INFO(r.out);
    REQUIRE(r.status == 0);
    return json::parse(r.out);
  }

  uint32_t seats(const std::string& product) const {
    licd::client::connection c("127.0.0.1", licd().port());
    auto all = c.status(product);
    REQUIRE(all.size() == 1);
    return all[0].seats;
  }
};

inline int http_status(const std::string& url, const std::string& method, const std::string& path,
                const std::string& auth) {
  httplib::Client cli(url);
  httplib::Headers h;
  if (!auth.empty())
    h.emplace("Authorization", auth);
  httplib::Result r{nullptr, httplib::Error::Unknown};
  if (method == "GET")
    r = cli.Get(path, h);
  else if (method == "POST")
    r = cli.Post(path, h, "{}", "application/json");
  else
    r = cli.Delete(path, h);
  REQUIRE(r);
  return r->status;
}


} // namespace licd::test
