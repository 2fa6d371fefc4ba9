#include "admin/http_api.hpp"

#include "actors/ask.hpp"
#include "actors/clock.hpp"
#include "admin/http_parts.hpp"
#include "admin/http_status.hpp"
#include "admin/prometheus.hpp"
#include "admin/reports.hpp"
#include "admin/ui_assets.hpp"
#include "cluster/node.hpp"
#include "engine/errc_json.hpp"
#include "engine/fields.hpp"
#include "licd/version.hpp"

#include <caf/all.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <set>

namespace licd::admin {

namespace {

constexpr size_t max_body_bytes = 64 * 1024; ///< docs/ADMIN-API.md: "at most 64 KiB"

using json = nlohmann::json;

json license_json(const license_info& l) {
  return json{{"id", l.id},
              {"product", l.product},
              {"type", l.type},
              {"seats", l.seats},
              {"state", l.state},
              {"advice", l.advice},
              {"activation_required", l.activation_required},
              {"activated_on", l.activated_on},
              {"hardware", l.hardware},
              {"issued", l.issued},
              {"expires", l.expires},
              {"customer", l.customer},
              {"installed_at", iso_time(l.installed_at_ms)},
              {"code", l.code}};
}

json event_json(uint64_t seq, const engine::event& e) {
  return json{{"seq", seq},          {"time", iso_time(e.at_ms)}, {"kind", to_string(e.kind)},
              {"product", e.product}, {"computer", e.computer}, {"user", e.user},
              {"lease", e.lease},    {"detail", e.detail}};
}

/// Every computer that is connected or holds a lease, with what it holds.
json computers_json(const std::vector<session_info>& sessions,
                    const std::vector<lease_info>& leases) {
  struct computer {
    std::set<std::string> users, addresses, products;
    int sessions = 0;
    int64_t connected_since = 0, last_renewal = 0;
    std::optional<int64_t> expires_in_ms;
    json leases = json::array();
  };
  std::map<std::string, computer> all;
  for (const auto& s : sessions) {
    auto& c = all[s.computer];
    ++c.sessions;
    c.users.insert(s.user);
    c.addresses.insert(s.address);
    if (c.connected_since == 0 || s.connected_at_ms < c.connected_since)
      c.connected_since = s.connected_at_ms;
  }
  for (const auto& l : leases) {
    auto& c = all[l.computer];
    c.users.insert(l.user);
    c.products.insert(l.product);
    auto renewed = std::max(l.renewed_at_ms, l.granted_at_ms);
    c.last_renewal = std::max(c.last_renewal, l.renewed_at_ms);
    c.expires_in_ms = c.expires_in_ms ? std::max(*c.expires_in_ms, l.expires_in_ms)
                                      : l.expires_in_ms;
    c.leases.push_back(json{{"lease", l.lease},
                            {"product", l.product},
                            {"user", l.user},
                            {"instance", l.instance},
                            {"granted_at", iso_time(l.granted_at_ms)},
                            {"last_renewal", iso_time(l.renewed_at_ms)},
                            {"last_seen", iso_time(renewed)},
                            {"expires_in", l.expires_in_ms / 1000}});
  }
  auto out = json::array();
  for (auto& [name, c] : all)
    out.push_back(json{{"computer", name},
                       {"users", c.users},
                       {"addresses", c.addresses},
                       {"sessions", c.sessions},
                       {"connected_since", iso_time(c.connected_since)},
                       {"products", c.products},
                       {"last_renewal", iso_time(c.last_renewal)},
                       {"lease_expires_in", c.expires_in_ms ? json(*c.expires_in_ms / 1000)
                                                            : json(nullptr)},
                       {"leases", std::move(c.leases)}});
  return out;
}

json machine_json(const platform::machine_report& m) {
  return json{{"environment", m.environment},
              {"factors", platform::describe_factors(m.facts)},
              {"warnings", m.warnings}};
}

/// Events a log request looks at, at most (a second or two): a search of a longer log answers
/// with where to go on from.
constexpr size_t log_search_budget = 2'000'000;

struct log_query {
  engine::event_filter filter;
  uint32_t lines = 50;
  uint64_t before = 0;
  std::optional<uint64_t> after;
};

/// GET /api/v1/log's parameters (docs/ADMIN-API.md); throws request_failed naming a wrong one.
log_query parse_log_query(const httplib::Params& params) {
  log_query q;
  auto get = [&](const char* name) -> std::optional<std::string> {
    auto it = params.find(name);
    return it == params.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  auto bad = [](const std::string& why) { throw request_failed(engine::errc::bad_request, why); };
  auto number = [&](const char* name) -> std::optional<uint64_t> {
    auto text = get(name);
    uint64_t n = 0;
    if (text && !engine::parse_number(*text, n))
      bad(std::string(name) + " is a number");
    return text ? std::optional<uint64_t>(n) : std::nullopt;
  };
  if (auto n = number("lines"))
    q.lines = static_cast<uint32_t>(std::clamp<uint64_t>(*n, 1, 10'000));
  q.before = number("before").value_or(0);
  q.after = number("after");
  if (q.after && q.before != 0)
    bad("before and after do not go together");
  q.filter.product = get("product").value_or("");
  q.filter.computer = get("computer").value_or("");
  q.filter.user = get("user").value_or("");
  std::string kinds = get("kind").value_or("");
  for (auto name : comma_list(kinds)) {
    auto kind = engine::event_kind_from_string(name);
    if (!kind)
      bad("kind: '" + std::string(name) + "' is not an event kind (docs/ADMIN-API.md lists them)");
    q.filter.kinds.push_back(*kind);
  }
  bool utc = get("utc").value_or("0") == "1";
  for (auto [name, bound] :
       {std::pair{"since", &q.filter.since_ms}, std::pair{"until", &q.filter.until_ms}})
    if (auto text = get(name))
      *bound = time_param(name, *text, utc);
  return q;
}

/// The level as --log-level names it (spdlog calls warn "warning").
json policy_json(const policy_status& p) {
  auto problems = json::array();
  for (const auto& x : p.last_problems)
    problems.push_back(json{{"line", x.line}, {"message", x.message}});
  return json{{"file", p.file.empty() ? json(nullptr) : json(p.file)},
              {"loaded_at", iso_time(p.loaded_at_ms)},
              {"rules", p.current ? p.current->rules().size() : 0},
              {"groups", p.current ? p.current->groups() : 0},
              {"text", p.current ? p.current->describe() : ""},
              {"last_reload",
               {{"ok", p.last_ok}, {"at", iso_time(p.last_attempt_ms)}, {"problems", problems}}}};
}

std::string level_name(spdlog::level::level_enum level) {
  if (level == spdlog::level::warn)
    return "warn";
  auto name = spdlog::level::to_string_view(level);
  return std::string(name.data(), name.size());
}

void append_event(store_actor store, engine::event_kind kind, std::string detail) {
  storage::change_set cs;
  engine::event e;
  e.at_ms = wall_now_ms();
  e.kind = kind;
  e.detail = std::move(detail);
  cs.events.push_back(std::move(e));
  caf::anon_send(store, append_atom::value, std::move(cs));
}

} // namespace

bool loopback_address(const std::string& bind) {
  return bind == "localhost" || bind == "::1" || bind == "[::1]" || bind.rfind("127.", 0) == 0;
}

http_api::http_api(caf::actor_system& sys, server& srv, options opts)
  : sys_(sys), srv_(srv), opts_(std::move(opts)), started_(std::chrono::steady_clock::now()),
    sessions_(opts_.session_idle, opts_.session_max, defaults::admin_sessions_max) {
  if (opts_.token.empty())
    throw std::runtime_error("the admin API needs a token");
  listener_ = std::make_unique<http_listener>(opts_);
  routes();
  listener_->start();
  spdlog::info("admin API and License Manager listening on {}://{}:{}", tls() ? "https" : "http",
               opts_.bind, port());
  if (!tls() && !loopback_address(opts_.bind))
    spdlog::warn("the admin API listens on {} beyond this machine without TLS: admin tokens and "
                 "License Manager sessions cross the network readable by anyone on the way. Give "
                 "it --admin-tls-cert and --admin-tls-key, or keep --admin-bind=127.0.0.1",
                 opts_.bind);
}

std::string http_api::url() const {
  return listener_->url();
}

uint16_t http_api::port() const {
  return listener_->port();
}

std::string http_api::url_for_others(const std::string& host) const {
  return listener_->url_for_others(host);
}

http_api::~http_api() {
  stop();
}

void http_api::stop() {
  listener_->stop();
}

void http_api::routes() {
  auto& http = listener_->server();
  http.set_payload_max_length(max_body_bytes);
  http.set_read_timeout(std::chrono::seconds(10));
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    const auto& path = req.path;
    if (path.rfind("/api/", 0) != 0 && path != "/metrics")
      return httplib::Server::HandlerResponse::Unhandled; // the License Manager's files
    bool reads = req.method == "GET" || req.method == "HEAD";
    auto refuse = [&](engine::errc code, const std::string& why) {
      if (code == engine::errc::unauthorized)
        res.set_header("WWW-Authenticate", "Bearer");
      fail(res, code, why);
      return httplib::Server::HandlerResponse::Handled;
    };
    auto readonly_refusal = [&] {
      return refuse(engine::errc::forbidden, "the read-only admin token may look, not change: "
                                               + req.method + " needs the admin token");
    };
    // licadmin and scripts: a bearer token. A browser never adds one by itself, so a request
    // that carries one was not forged by another site.
    if (auto header = req.get_header_value("Authorization"); !header.empty()) {
      if (auto who = bearer_role(header, opts_.token, opts_.readonly_token))
        return (*who == role::admin || reads) ? httplib::Server::HandlerResponse::Unhandled
                                              : readonly_refusal();
      return refuse(engine::errc::unauthorized,
                    "a valid admin token is needed: Authorization: Bearer TOKEN");
    }
    // The License Manager: a session cookie; every change also needs the page's own origin
    // and the session's CSRF token.
    auto origin = req.get_header_value("Origin");
    if (!reads && !origin.empty() && !same_origin(origin, req.get_header_value("Host"), tls()))
      return refuse(engine::errc::forbidden,
                    "a change from another site (" + origin + ") is refused");
    bool login = path == "/api/v1/session" && req.method == "POST";
    if (login)
      return httplib::Server::HandlerResponse::Unhandled;
    auto s = sessions_.find(cookie_value(req.get_header_value("Cookie"), session_cookie_name),
                            wall_now_ms());
    if (!s)
      return refuse(engine::errc::unauthorized,
                    "a valid admin token is needed: Authorization: Bearer TOKEN, or log in to "
                    "the License Manager");
    if (reads)
      return httplib::Server::HandlerResponse::Unhandled;
    if (!same_secret(req.get_header_value(csrf_header), s->csrf))
      return refuse(engine::errc::forbidden,
                    std::string("a change needs the session's ") + csrf_header + " header");
    bool logout = path == "/api/v1/session" && req.method == "DELETE";
    if (s->who == role::readonly && !logout)
      return readonly_refusal();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http.set_post_routing_handler(
    [](const httplib::Request&, httplib::Response& res) { set_security_headers(res); });
  // httplib answers a body over the limit with 413 before any route runs; count it, and say
  // what happened in the API's JSON error shape.
  http.set_error_handler(httplib::Server::HandlerWithResponse(
    [this](const httplib::Request&, httplib::Response& res) {
      if (res.status != 413)
        return httplib::Server::HandlerResponse::Unhandled;
      too_large_.fetch_add(1, std::memory_order_relaxed);
      fail(res, engine::errc::request_too_large, "a request body may have at most 64 KiB");
      return httplib::Server::HandlerResponse::Handled;
    }));
  http.set_exception_handler(
    [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      auto code = engine::errc::server_error;
      std::string what = "unknown error";
      try {
        if (ep)
          std::rethrow_exception(ep);
      } catch (const request_failed& e) {
        code = e.code();
        what = e.what();
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      fail(res, code, what);
    });
  auto timeout = opts_.actor_timeout;

  http.Get("/api/v1/server", [this, timeout](const httplib::Request&, httplib::Response& res) {
    auto pools = ask<std::vector<pool_status>>(sys_, timeout, srv_.registry(), status_atom::value);
    auto sessions =
      ask<std::vector<session_info>>(sys_, timeout, srv_.registry(), sessions_atom::value);
    std::set<std::string> computers;
    for (const auto& s : sessions)
      computers.insert(s.computer);
    auto products = json::array();
    for (const auto& p : pools)
      products.push_back(json{{"product", p.product},
                              {"seats", p.seats},
                              {"used", p.used},
                              {"leases", p.leases},
                              {"waiting", p.waiting}});
    auto clock = ask<clock_status>(sys_, timeout, srv_.licenses(), lic_clock_atom::value);
    auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::steady_clock::now() - started_)
                    .count();
    auto space = srv_.database()->space();
    reply(res, 200,
          json{{"version", version},
               {"server_name", opts_.server_name},
               {"uptime_seconds", uptime},
               {"log_level", level_name(spdlog::get_level())},
               {"storage",
                {{"map_bytes", space.map_bytes},
                 {"max_map_bytes", space.max_map_bytes},
                 {"used_bytes", space.used_bytes},
                 {"disk_free_bytes", space.disk_free_bytes},
                 {"disk_total_bytes", space.disk_total_bytes}}},
               {"admin_tls", tls()},
               {"data_dir", opts_.data_dir},
               {"ports",
                {{"client_tcp", opts_.client_port},
                 {"admin_http", port()},
                 {"discovery_udp", opts_.discovery_port}}},
               {"connected_computers", computers.size()},
               {"sessions", sessions.size()},
               {"products", products},
               {"machine", machine_json(srv_.machine())},
               {"tls",
                {{"enabled", !srv_.tls_fingerprint().empty()},
                 {"fingerprint_sha256", srv_.tls_fingerprint()}}},
               {"clock",
                {{"error", clock.clock_error},
                 {"now", iso_time(clock.now_ms)},
                 {"latest_seen", iso_time(clock.seen_ms)},
                 {"tolerance_hours", clock.tolerance_ms / 3'600'000}}}});
  });

  http.Post("/api/v1/server/stop", [this](const httplib::Request&, httplib::Response& res) {
    spdlog::info("admin API: graceful stop requested");
    append_event(srv_.store(), engine::event_kind::admin, "server stop requested");
    reply(res, 202, json{{"stopping", true}});
    ::kill(::getpid(), SIGTERM); // main's sigwait runs the clean shutdown
  });

  http.Get("/api/v1/server/options", [this](const httplib::Request&, httplib::Response& res) {
    auto out = json::array();
    for (const auto& [name, value] : opts_.settings)
      out.push_back(json{{"name", name}, {"value", value}});
    reply(res, 200, json{{"options", out}});
  });

  http.Post(
    "/api/v1/server/log-level", [this](const httplib::Request& req, httplib::Response& res) {
      std::string level = req.body;
      if (req.get_header_value("Content-Type").find("json") != std::string::npos) {
        auto body = json::parse(req.body, nullptr, false);
        if (body.is_discarded() || !body.contains("level") || !body["level"].is_string())
          throw request_failed(engine::errc::bad_request, "send {\"level\": \"debug\"}");
        level = body["level"].get<std::string>();
      }
      const auto& levels = defaults::log_levels;
      if (std::find(levels.begin(), levels.end(), level) == levels.end()) {
        std::string known;
        for (auto l : levels)
          known += (known.empty() ? "" : ", ") + std::string(l);
        throw request_failed(engine::errc::bad_request, "level: one of " + known);
      }
      auto before = level_name(spdlog::get_level());
      spdlog::set_level(spdlog::level::from_str(level));
      spdlog::info("admin API: log level {} (was {})", level, before);
      append_event(srv_.store(), engine::event_kind::admin, "log level " + level);
      reply(res, 200, json{{"log_level", level}});
    });

  http.Get("/api/v1/licenses", [this, timeout](const httplib::Request&, httplib::Response& res) {
    auto all = ask<std::vector<license_info>>(sys_, timeout, srv_.licenses(),
                                              lic_list_atom::value);
    auto out = json::array();
    for (const auto& l : all)
      out.push_back(license_json(l));
    reply(res, 200, json{{"licenses", out}});
  });

  http.Post("/api/v1/licenses", [this, timeout](const httplib::Request& req,
                                                httplib::Response& res) {
    std::string code = req.body;
    if (req.get_header_value("Content-Type").find("json") != std::string::npos) {
      auto body = json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.contains("code") || !body["code"].is_string()) {
        fail(res, engine::errc::bad_request, "send {\"code\": \"LICD-...\"} or the code as text");
        return;
      }
      code = body["code"].get<std::string>();
    }
    auto r = ask<license_result>(sys_, timeout, srv_.licenses(), lic_add_atom::value, code);
    if (!r.ok) {
      fail(res, r.error, r.message);
      return;
    }
    reply(res, 201, license_json(r.info));
  });

  http.Get(R"(/api/v1/licenses/([^/]+))", [this, timeout](const httplib::Request& req,
                                                          httplib::Response& res) {
    auto id = req.matches[1].str();
    auto all = ask<std::vector<license_info>>(sys_, timeout, srv_.licenses(),
                                              lic_list_atom::value);
    for (const auto& l : all)
      if (l.id == id) {
        reply(res, 200, license_json(l));
        return;
      }
    fail(res, engine::errc::not_found, "no installed license " + id);
  });

  http.Delete(R"(/api/v1/licenses/([^/]+))", [this, timeout](const httplib::Request& req,
                                                             httplib::Response& res) {
    auto r = ask<license_result>(sys_, timeout, srv_.licenses(), lic_remove_atom::value,
                                 req.matches[1].str());
    if (!r.ok) {
      fail(res, r.error, r.message);
      return;
    }
    reply(res, 200, license_json(r.info));
  });

  // Activation: POST without a response gives the request for the vendor; POST with one
  // ({"response": "LICD-..."} or the code as text) activates; DELETE deactivates and gives the
  // release receipt.
  http.Post(R"(/api/v1/licenses/([^/]+)/activation)", [this, timeout](const httplib::Request& req,
                                                                      httplib::Response& res) {
    auto id = req.matches[1].str();
    std::string response = req.body;
    if (req.get_header_value("Content-Type").find("json") != std::string::npos) {
      auto body = json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object()
          || (body.contains("response") && !body["response"].is_string())) {
        fail(res, engine::errc::bad_request,
             "send {} for a request, or {\"response\": \"LICD-...\"}");
        return;
      }
      response = body.value("response", "");
    }
    auto blank = response.find_first_not_of(" \t\r\n") == std::string::npos;
    auto r = blank ? ask<license_result>(sys_, timeout, srv_.licenses(), lic_request_atom::value,
                                         id)
                   : ask<license_result>(sys_, timeout, srv_.licenses(),
                                         lic_activate_atom::value, id, response);
    if (!r.ok) {
      fail(res, r.error, r.message);
      return;
    }
    if (blank)
      reply(res, 200, json{{"request", r.code}, {"license", license_json(r.info)}});
    else
      reply(res, 200, json{{"license", license_json(r.info)}});
  });

  http.Delete(R"(/api/v1/licenses/([^/]+)/activation)", [this, timeout](
                                                          const httplib::Request& req,
                                                          httplib::Response& res) {
    auto r = ask<license_result>(sys_, timeout, srv_.licenses(), lic_deactivate_atom::value,
                                 req.matches[1].str());
    if (!r.ok) {
      fail(res, r.error, r.message);
      return;
    }
    reply(res, 200, json{{"receipt", r.code}, {"license", license_json(r.info)}});
  });

  http.Get("/api/v1/computers", [this, timeout](const httplib::Request&, httplib::Response& res) {
    auto sessions =
      ask<std::vector<session_info>>(sys_, timeout, srv_.registry(), sessions_atom::value);
    auto leases = ask<std::vector<lease_info>>(sys_, timeout, srv_.registry(), leases_atom::value);
    auto pools = ask<std::vector<pool_status>>(sys_, timeout, srv_.registry(), status_atom::value);
    auto cooldowns = json::array();
    auto now_ms = wall_now_ms();
    for (const auto& p : pools)
      for (const auto& [computer, until] : p.cooldowns)
        cooldowns.push_back(json{{"computer", computer},
                                 {"product", p.product},
                                 {"until", iso_time(until)},
                                 {"seconds_left", (until - now_ms + 999) / 1000}});
    reply(res, 200,
          json{{"computers", computers_json(sessions, leases)}, {"cooldowns", cooldowns}});
  });

  http.Get("/api/v1/queue", [this, timeout](const httplib::Request&, httplib::Response& res) {
    auto waiters = ask<std::vector<waiter_info>>(sys_, timeout, srv_.registry(), queue_atom::value);
    auto out = json::array();
    for (const auto& w : waiters)
      out.push_back(json{{"product", w.product},
                         {"position", w.position},
                         {"computer", w.computer},
                         {"user", w.user},
                         {"instance", w.instance},
                         {"address", w.address},
                         {"priority", w.priority},
                         {"since_ms", w.since_ms},
                         {"wait_left_ms", w.wait_left_ms}});
    reply(res, 200, json{{"waiting", out}});
  });

  http.Post(R"(/api/v1/computers/([^/]+)/disconnect)",
            [this, timeout](const httplib::Request& req, httplib::Response& res) {
              auto computer = req.matches[1].str();
              auto cooldown_ms = static_cast<int64_t>(opts_.cooldown.count()) * 1000;
              auto ended = ask<uint32_t>(sys_, timeout, srv_.registry(), disconnect_atom::value,
                                         computer, cooldown_ms);
              spdlog::info("admin API: disconnected computer {} ({} leases ended, cooldown {} s)",
                           computer, ended, opts_.cooldown.count());
              append_event(srv_.store(), engine::event_kind::admin,
                           "disconnect computer " + computer + ": " + std::to_string(ended)
                             + " leases ended");
              reply(res, 200, json{{"computer", computer},
                                   {"leases_ended", ended},
                                   {"cooldown_seconds", opts_.cooldown.count()}});
            });

  http.Delete(R"(/api/v1/leases/([^/]+))", [this, timeout](const httplib::Request& req,
                                                           httplib::Response& res) {
    auto text = req.matches[1].str();
    auto id = engine::lease_id::from_hex(text);
    if (!id) {
      fail(res, engine::errc::unknown_lease, "no live lease " + text);
      return;
    }
    if (!ask<bool>(sys_, timeout, srv_.registry(), end_lease_atom::value, *id)) {
      fail(res, engine::errc::unknown_lease, "no live lease " + text);
      return;
    }
    reply(res, 200, json{{"lease", text}, {"ended", true}});
  });

  http.Get("/api/v1/log", [this, timeout](const httplib::Request& req, httplib::Response& res) {
    auto q = parse_log_query(req.params);
    // What was acknowledged is in the log before it is read (the store flushes first).
    auto probe = ask<event_page>(sys_, timeout, srv_.store(), events_atom::value, uint64_t{0},
                                 uint32_t{0});
    auto found =
      srv_.database()->find_events(q.filter, q.before, q.after, q.lines, log_search_budget);
    auto events = json::array();
    for (const auto& [seq, e] : found.events)
      events.push_back(event_json(seq, e));
    json page{{"events", events}, {"next", probe.next}};
    if (q.after) // where to go on from: the search's end, or the log's
      page["after"] =
        found.newer ? found.highest : std::max({found.highest, *q.after, probe.next - 1});
    else // older matches: ask again with this as `before`; null: none
      page["before"] = found.older ? json(found.lowest) : json(nullptr);
    reply(res, 200, page);
  });

  auto report =
    [this, timeout](const httplib::Request& req, httplib::Response& res,
                    report_body (*make)(const storage::database&, const query_params&, int64_t)) {
      // What was acknowledged is stored before the report reads (the store flushes first).
      ask<event_page>(sys_, timeout, srv_.store(), events_atom::value, uint64_t{0}, uint32_t{0});
      auto body = make(*srv_.database(), req.params, wall_now_ms());
      res.status = 200;
      res.set_content(body.text, body.content_type);
    };
  http.Get("/api/v1/reports/usage", [report](const httplib::Request& req, httplib::Response& res) {
    report(req, res, usage_report);
  });
  http.Get("/api/v1/reports/denials",
           [report](const httplib::Request& req, httplib::Response& res) {
             report(req, res, denials_report);
           });

  http.Get("/metrics", [this, timeout](const httplib::Request&, httplib::Response& res) {
    auto pools = ask<std::vector<pool_status>>(sys_, timeout, srv_.registry(), status_atom::value);
    auto uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_);
    admin_counters admin{too_large_.load(std::memory_order_relaxed)};
    auto store = ask<store_stats>(sys_, timeout, srv_.store(), status_atom::value);
    std::optional<cluster_counters> cluster;
    if (opts_.cluster != nullptr)
      cluster =
        cluster_counters{opts_.cluster->name(), opts_.cluster->leading(),
                         opts_.cluster->leader_changes(), opts_.cluster->applied_revision()};
    res.set_content(prometheus_text(pools, store, srv_.metrics(), admin, uptime.count(),
                                    cluster ? &*cluster : nullptr),
                    "text/plain; version=0.0.4");
  });

  // The cluster as etcd sees it (asks etcd: a blocking call on this HTTP thread).
  http.Get("/api/v1/cluster", [this](const httplib::Request&, httplib::Response& res) {
    if (opts_.cluster == nullptr) {
      reply(res, 200, json{{"enabled", false}});
      return;
    }
    reply(res, 200, cluster_json(opts_.cluster->status()));
  });

  http.Get("/api/v1/policy", [this](const httplib::Request&, httplib::Response& res) {
    reply(res, 200, policy_json(srv_.policy()));
  });
  http.Post("/api/v1/policy/reload", [this](const httplib::Request&, httplib::Response& res) {
    auto status = srv_.reload_policy();
    if (!status.last_ok)
      throw request_failed(engine::errc::bad_request,
                           "the site policy was not reloaded, the one in force stays: "
                             + describe_problems(status.last_problems));
    reply(res, 200, policy_json(status));
  });

  session_routes();
  ui_routes();
}

void http_api::session_routes() {
  auto& http = listener_->server();
  // Logging in to the License Manager: the token in a JSON body (never in a URL), a session
  // cookie back. JSON only: a form on another site cannot send it without the browser asking
  // this server first (CORS), which it never allows.
  http.Post("/api/v1/session", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = json::parse(req.body, nullptr, false);
    if (req.get_header_value("Content-Type").find("application/json") != 0 || !body.is_object()
        || !body.contains("token") || !body["token"].is_string())
      throw request_failed(engine::errc::bad_request,
                           "send {\"token\": \"...\"} as application/json");
    auto token = body["token"].get<std::string>();
    auto who = token_role(token, opts_.token, opts_.readonly_token);
    if (!who) {
      spdlog::warn("License Manager: a login from {} with a wrong token was refused",
                   req.remote_addr);
      throw request_failed(engine::errc::unauthorized, "wrong token");
    }
    auto s = sessions_.open(*who, wall_now_ms());
    spdlog::info("License Manager: {} logged in from {}", to_string(*who), req.remote_addr);
    res.set_header("Set-Cookie", session_cookie(s, sessions_.max_age(), tls()));
    reply(res, 201,
          json{{"role", to_string(*who)},
               {"csrf", s.csrf},
               {"idle_seconds", opts_.session_idle.count() / 1000},
               {"max_seconds", sessions_.max_age().count() / 1000}});
  });

  // Who is asking: the session's role and CSRF token (for a page loaded again), or the bearer
  // token's role.
  http.Get("/api/v1/session", [this](const httplib::Request& req, httplib::Response& res) {
    auto header = req.get_header_value("Authorization");
    if (!header.empty()) {
      // (The pre-routing handler let only the two tokens through.)
      auto who = bearer_role(header, opts_.token, opts_.readonly_token).value_or(role::readonly);
      reply(res, 200, json{{"role", to_string(who)}, {"csrf", nullptr}});
      return;
    }
    auto s = sessions_.find(cookie_value(req.get_header_value("Cookie"), session_cookie_name),
                            wall_now_ms());
    if (!s)
      throw request_failed(engine::errc::unauthorized, "not logged in");
    reply(res, 200, json{{"role", to_string(s->who)}, {"csrf", s->csrf}});
  });

  http.Delete("/api/v1/session", [this](const httplib::Request& req, httplib::Response& res) {
    sessions_.close(cookie_value(req.get_header_value("Cookie"), session_cookie_name));
    res.set_header("Set-Cookie", expired_session_cookie(tls()));
    reply(res, 200, json{{"logged_out", true}});
  });
}

void http_api::ui_routes() {
  listener_->server().Get(R"(/|/ui/.*)", [](const httplib::Request& req, httplib::Response& res) {
    auto asset = find_ui_asset(req.path);
    if (!asset) {
      res.status = 404;
      res.set_content("not found\n", "text/plain");
      return;
    }
    res.set_content(asset->body.data(), asset->body.size(), std::string(asset->content_type));
  });
}

} // namespace licd::admin
