// licadmin: the site administrator's tool, a thin client of licd's admin API.
// Exit status (tools/common/exit_status.hpp): 0 success, 2 usage error, 3 refused (unknown id,
// bad code, duplicate, ...), 4 server unreachable, 5 token refused, 1 anything else (a server
// error, a command not confirmed).

#include "tools/licadmin/api.hpp"
#include "tools/licadmin/log.hpp"
#include "tools/licadmin/print.hpp"
#include "tools/licadmin/report.hpp"

#include "licd/version.hpp"

#include "tools/common/cli.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <iterator>

namespace {

using json = nlohmann::json;

using licd::engine::errc;
using licd::licadmin::failure;
using licd::licadmin::print_event;
using licd::licadmin::print_license;
using licd::licadmin::table;
using licd::licadmin::text;

/// Asks before a destructive command when a person is at a terminal; --yes (or no terminal:
/// a script) goes ahead.
void confirm(bool yes, const std::string& question) {
  if (yes || !::isatty(STDIN_FILENO))
    return;
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  if (answer != "y" && answer != "Y" && answer != "yes")
    throw failure{errc::not_confirmed, "not confirmed; nothing changed (--yes skips the question)"};
}

std::string read_stdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

} // namespace

int main(int argc, char** argv) {
  std::string url, token_file, ca_cert, data_dir = "/var/lib/licd";
  bool json_out = false, yes = false;
  CLI::App app{"licadmin: manage a licd server (licenses, computers, leases, log)"};
  licd::tools::global_options_anywhere(app);
  app.set_version_flag("--version", std::string("licadmin ") + licd::version);
  app.add_option("--server", url, "admin API URL (default: from DATA_DIR/admin.url)");
  app.add_option("--token-file", token_file, "admin token file (default: DATA_DIR/admin.token)");
  app.add_option("--ca-cert", ca_cert,
                 "trust this certificate (PEM) for an https admin API, such as licd's own "
                 "self-signed one (default: the system's CAs)");
  app.add_option("--data-dir", data_dir, "licd's data dir, to find the URL and token by itself")
    ->capture_default_str();
  app.add_flag("--json", json_out, "print JSON");
  app.add_flag("--yes,-y", yes, "do destructive commands without asking");
  app.require_subcommand(1);

  auto* status = app.add_subcommand("status", "server version, uptime, ports and seats");
  auto* lic = app.add_subcommand("licenses", "installed license codes")->require_subcommand(1);
  auto* lic_list = lic->add_subcommand("list", "every license with its state");
  std::vector<std::string> code_words;
  auto* lic_add = lic->add_subcommand("add", "install a code (several words are joined)");
  lic_add->add_option("CODE", code_words, "the license code (- reads it from stdin)")->required();
  std::string id;
  auto* lic_show = lic->add_subcommand("show", "one license");
  lic_show->add_option("ID", id)->required();
  auto* lic_remove = lic->add_subcommand("remove", "remove a license");
  lic_remove->add_option("ID", id)->required();
  std::string response;
  auto* lic_activate = lic->add_subcommand(
    "activate", "print the activation request for the vendor, or apply the vendor's --response");
  lic_activate->add_option("ID", id)->required();
  lic_activate->add_option("--response", response,
                           "the vendor's activation response (- reads it from stdin)");
  auto* lic_deactivate = lic->add_subcommand(
    "deactivate", "give up the activation and print the release receipt for the vendor");
  lic_deactivate->add_option("ID", id)->required();
  auto* comp = app.add_subcommand("computers", "connected and lease-holding computers")
                 ->require_subcommand(1);
  auto* comp_list = comp->add_subcommand("list", "every computer with what it holds");
  std::string computer;
  auto* comp_disc = comp->add_subcommand("disconnect", "end a computer's leases and sessions");
  comp_disc->add_option("COMPUTER", computer)->required();
  auto* leases = app.add_subcommand("leases", "leases")->require_subcommand(1);
  std::string lease;
  auto* lease_end = leases->add_subcommand("end", "end one lease now");
  lease_end->add_option("LEASE", lease)->required();
  auto* queue = app.add_subcommand(
    "queue", "checkouts waiting for a seat (CHECKOUT ... wait=), in the order they are served");
  auto* cluster = app.add_subcommand("cluster", "the licd cluster on etcd (docs/CLUSTER.md)")
                    ->require_subcommand(1);
  auto* cluster_status =
    cluster->add_subcommand("status", "the nodes, which one leads, and the etcd members' health");
  licd::licadmin::log_options lo;
  auto* log = app.add_subcommand("log", "the activity log, newest last");
  log->add_option("--lines", lo.lines, "how many of the newest matching events (any number)")
    ->capture_default_str();
  log->add_flag("--follow", lo.follow, "keep printing new events until interrupted");
  log->add_option("--product", lo.product, "only events of this product");
  log->add_option("--computer", lo.computer, "only events of this computer");
  log->add_option("--user", lo.user, "only events of this user");
  log->add_option("--kind", lo.kinds,
                  "only events of this kind (repeat for more): granted, "
                  "released, expired, denied, ...");
  log->add_option("--since", lo.since, "only events at or after YYYY-MM-DD[THH:MM[:SS]]");
  log->add_option("--until", lo.until, "only events before YYYY-MM-DD[THH:MM[:SS]]");
  log->add_flag("--utc", lo.utc, "--since and --until in UTC (default: the server's time zone)");
  licd::licadmin::report_options ro;
  auto* report = app.add_subcommand("report", "usage and denial reports")->require_subcommand(1);
  auto* report_usage = report->add_subcommand(
    "usage", "seats installed, peak and average in use, seat-hours, utilisation, time at full "
             "and denials per product and interval; or per user or computer");
  auto* report_denials = report->add_subcommand(
    "denials", "each time a user was turned away (retries folded in), and how it ended");
  for (auto* r : {report_usage, report_denials}) {
    r->add_option("--product", ro.products, "only this product (repeat for more)");
    r->add_option("--from", ro.from, "YYYY-MM-DD[THH:MM[:SS]] (default: 30 days before --to)");
    r->add_option("--to", ro.to, "YYYY-MM-DD[THH:MM[:SS]] (default: now)");
    r->add_flag("--utc", ro.utc, "dates and intervals in UTC (default: the server's time zone)");
    r->add_flag("--csv", ro.csv, "print CSV (for spreadsheets)");
  }
  report_usage->add_option("--by", ro.by, "hour, day, week, month, user or computer")
    ->check(CLI::IsMember({"hour", "day", "week", "month", "user", "computer"}))
    ->capture_default_str();
  report_usage->add_option("--plot", ro.plot,
                           "draw seats in use against installed seats into this PNG file");
  auto* policy =
    app.add_subcommand("policy", "the site policy (docs/POLICY.md)")->require_subcommand(1);
  auto* policy_show = policy->add_subcommand("show", "the policy in force, and its last reload");
  auto* policy_reload =
    policy->add_subcommand("reload", "read --policy's file again (an invalid one is refused)");
  auto* server = app.add_subcommand("server", "the server")->require_subcommand(1);
  auto* server_stop = server->add_subcommand("stop", "stop licd gracefully");
  auto* server_options = server->add_subcommand("options", "the options licd runs with");
  auto* server_level = server->add_subcommand("log-level", "set licd's log level until it stops");
  std::string level;
  server_level->add_option("level", level, "trace, debug, info, warn, error, critical or off")
    ->required();

  if (auto stop = licd::tools::parse_command_line(app, argc, argv))
    return *stop;

  try {
    auto a = licd::licadmin::connect(url, token_file, data_dir);
    a.ca_cert = ca_cert;
    auto emit = [&](const json& j) { std::cout << j.dump() << '\n'; };

    if (status->parsed()) {
      auto s = a.call("GET", "/api/v1/server");
      if (json_out)
        return emit(s), 0;
      std::cout << "licd " << text(s["version"]) << ", up " << text(s["uptime_seconds"])
                << " s, data dir " << text(s["data_dir"]) << "\nports: client tcp "
                << text(s["ports"]["client_tcp"]) << ", admin http "
                << text(s["ports"]["admin_http"]) << ", discovery udp "
                << (s["ports"]["discovery_udp"] == 0 ? std::string("off")
                                                     : text(s["ports"]["discovery_udp"]))
                << "\n" << text(s["connected_computers"])
                << " computers connected over " << text(s["sessions"]) << " sessions\n\n";
      std::vector<std::vector<std::string>> rows;
      for (const auto& p : s["products"])
        rows.push_back({text(p["product"]), text(p["seats"]), text(p["used"]), text(p["leases"]),
                        text(p["waiting"])});
      table({"PRODUCT", "SEATS", "USED", "LEASES", "WAITING"}, rows);
      const auto& m = s["machine"];
      std::cout << "\nmachine: " << text(m["environment"]) << "; hardware factors: "
                << text(m["factors"]) << '\n';
      for (const auto& w : m["warnings"])
        std::cout << "  warning: " << text(w) << '\n';
      if (s["clock"]["error"].get<bool>())
        std::cout << "clock error: the clock reads " << text(s["clock"]["now"])
                  << " but licd has seen " << text(s["clock"]["latest_seen"])
                  << "; licenses with an expiry date count no seats until it is corrected\n";
    } else if (lic_list->parsed()) {
      auto all = a.call("GET", "/api/v1/licenses");
      if (json_out)
        return emit(all), 0;
      std::vector<std::vector<std::string>> rows;
      for (const auto& l : all["licenses"])
        rows.push_back({text(l["id"]), text(l["product"]), text(l["seats"]), text(l["state"]),
                        text(l["expires"]), text(l["customer"])});
      table({"ID", "PRODUCT", "SEATS", "STATE", "EXPIRES", "CUSTOMER"}, rows);
    } else if (lic_add->parsed()) {
      std::string code;
      for (const auto& w : code_words)
        code += (code.empty() ? "" : " ") + w;
      if (code == "-")
        code = read_stdin();
      auto l = a.call("POST", "/api/v1/licenses", json{{"code", code}}.dump(), "application/json");
      if (json_out)
        return emit(l), 0;
      std::cout << "installed:\n";
      print_license(l);
    } else if (lic_show->parsed()) {
      auto l = a.call("GET", "/api/v1/licenses/" + id);
      json_out ? emit(l) : print_license(l);
    } else if (lic_remove->parsed()) {
      confirm(yes, "Remove license " + id + "? Its seats go at once.");
      auto l = a.call("DELETE", "/api/v1/licenses/" + id);
      if (json_out)
        return emit(l), 0;
      std::cout << "removed license " << text(l["id"]) << " (" << text(l["seats"]) << " seats of "
                << text(l["product"]) << ")\n";
    } else if (lic_activate->parsed()) {
      if (response == "-")
        response = read_stdin();
      auto path = "/api/v1/licenses/" + id + "/activation";
      if (response.empty()) {
        auto r = a.call("POST", path, "{}", "application/json");
        if (json_out)
          return emit(r), 0;
        std::cout << "Send this activation request to the vendor:\n\n"
                  << text(r["request"]) << "\n\nthen apply the response with:\n"
                  << "  licadmin licenses activate " << id << " --response=LICD-...\n";
      } else {
        auto r = a.call("POST", path, json{{"response", response}}.dump(), "application/json");
        if (json_out)
          return emit(r), 0;
        std::cout << "activated:\n";
        print_license(r["license"]);
      }
    } else if (lic_deactivate->parsed()) {
      confirm(yes, "Deactivate license " + id + "? It counts no seats here afterwards.");
      auto r = a.call("DELETE", "/api/v1/licenses/" + id + "/activation");
      if (json_out)
        return emit(r), 0;
      std::cout << "License " << id << " is deactivated here and counts no seats.\n"
                << "Send this release receipt to the vendor (licgen verify-release checks it):\n\n"
                << text(r["receipt"]) << '\n';
    } else if (comp_list->parsed()) {
      auto all = a.call("GET", "/api/v1/computers");
      if (json_out)
        return emit(all), 0;
      std::vector<std::vector<std::string>> rows;
      for (const auto& c : all["computers"]) {
        std::vector<std::string> ids;
        for (const auto& l : c["leases"])
          ids.push_back(text(l["lease"]));
        std::string held;
        for (const auto& x : ids)
          held += (held.empty() ? "" : ",") + x;
        rows.push_back({text(c["computer"]), text(c["users"]), text(c["addresses"]),
                        text(c["products"]), text(c["connected_since"]), text(c["last_renewal"]),
                        text(c["lease_expires_in"]), held.empty() ? "-" : held});
      }
      table({"COMPUTER", "USERS", "ADDRESS", "PRODUCTS", "CONNECTED SINCE", "LAST RENEWAL",
             "EXPIRES IN", "LEASES"},
            rows);
      if (!all["cooldowns"].empty()) {
        std::cout << "\ndisconnected, cooling down:\n";
        std::vector<std::vector<std::string>> cooling;
        for (const auto& cd : all["cooldowns"])
          cooling.push_back({text(cd["computer"]), text(cd["product"]), text(cd["until"]),
                             text(cd["seconds_left"])});
        table({"COMPUTER", "PRODUCT", "UNTIL", "SECONDS LEFT"}, cooling);
      }
    } else if (comp_disc->parsed()) {
      confirm(yes, "Disconnect " + computer + "? Its leases end and it waits out a cooldown.");
      auto r = a.call("POST", "/api/v1/computers/" + computer + "/disconnect");
      if (json_out)
        return emit(r), 0;
      std::cout << "disconnected " << computer << ": " << text(r["leases_ended"])
                << " leases ended; it may check out again in " << text(r["cooldown_seconds"])
                << " s\n";
    } else if (lease_end->parsed()) {
      confirm(yes, "End lease " + lease + "?");
      auto r = a.call("DELETE", "/api/v1/leases/" + lease);
      json_out ? emit(r) : void(std::cout << "lease " << lease << " ended\n");
    } else if (queue->parsed()) {
      auto all = a.call("GET", "/api/v1/queue");
      if (json_out)
        return emit(all), 0;
      std::vector<std::vector<std::string>> rows;
      auto seconds = [](const json& ms) { return std::to_string(ms.get<int64_t>() / 1000); };
      auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
      for (const auto& w : all["waiting"])
        rows.push_back({text(w["product"]), text(w["position"]), text(w["computer"]),
                        text(w["user"]), text(w["address"]), text(w["priority"]),
                        seconds(json(now_ms - w["since_ms"].get<int64_t>())),
                        seconds(w["wait_left_ms"])});
      table({"PRODUCT", "POSITION", "COMPUTER", "USER", "ADDRESS", "PRIORITY", "WAITED S",
             "GIVES UP IN S"},
            rows);
    } else if (cluster_status->parsed()) {
      auto c = a.call("GET", "/api/v1/cluster");
      if (json_out)
        return emit(c), 0;
      if (!c["enabled"].get<bool>()) {
        std::cout << "licd runs as a single machine (no --cluster)\n";
        return 0;
      }
      std::cout << "cluster " << text(c["cluster"]) << ": "
                << (c["leader"].is_null() ? std::string("no node leads now")
                                          : text(c["leader"]["name"]) + " leads")
                << " (this is " << text(c["self"]) << ", " << text(c["elections"])
                << " elections seen since it started)\n";
      std::vector<std::vector<std::string>> nodes;
      for (const auto& n : c["nodes"])
        nodes.push_back({text(n["name"]), n["leads"].get<bool>() ? "leader" : "standby",
                         text(n["client"]), text(n["admin"]), text(n["started"])});
      table({"NODE", "ROLE", "CLIENTS AT", "ADMIN API", "STARTED"}, nodes);
      std::vector<std::vector<std::string>> members;
      for (const auto& m : c["etcd"])
        members.push_back({text(m["endpoint"]), text(m["health"])});
      std::cout << '\n';
      table({"ETCD MEMBER", "HEALTH"}, members);
    } else if (log->parsed()) {
      licd::licadmin::show_log(a, lo, json_out);
    } else if (report_usage->parsed()) {
      licd::licadmin::usage_report(a, ro, json_out);
    } else if (report_denials->parsed()) {
      licd::licadmin::denials_report(a, ro, json_out);
    } else if (server_stop->parsed()) {
      confirm(yes, "Stop licd? Clients cannot check out until it is started again.");
      auto r = a.call("POST", "/api/v1/server/stop");
      json_out ? emit(r) : void(std::cout << "licd is stopping\n");
    } else if (policy_show->parsed()) {
      auto p = a.call("GET", "/api/v1/policy");
      if (json_out)
        return emit(p), 0;
      if (p["file"].is_null()) {
        std::cout << "licd runs without a site policy (start it with --policy=FILE)\n";
        return 0;
      }
      std::cout << "site policy " << text(p["file"]) << ", loaded " << text(p["loaded_at"]) << ": "
                << text(p["rules"]) << " rules, " << text(p["groups"]) << " groups\n";
      if (!p["last_reload"]["ok"].get<bool>()) {
        std::cout << "the last reload (" << text(p["last_reload"]["at"])
                  << ") was refused, the policy above stays:\n";
        for (const auto& x : p["last_reload"]["problems"])
          std::cout << "  line " << text(x["line"]) << ": " << text(x["message"]) << '\n';
      }
      std::cout << '\n' << text(p["text"]);
    } else if (policy_reload->parsed()) {
      auto p = a.call("POST", "/api/v1/policy/reload");
      if (json_out)
        return emit(p), 0;
      std::cout << "site policy reloaded from " << text(p["file"]) << ": " << text(p["rules"])
                << " rules, " << text(p["groups"]) << " groups\n";
    } else if (server_options->parsed()) {
      auto r = a.call("GET", "/api/v1/server/options");
      if (json_out)
        return emit(r), 0;
      std::vector<std::vector<std::string>> rows;
      for (const auto& o : r["options"])
        rows.push_back({text(o["name"]), text(o["value"])});
      table({"OPTION", "VALUE"}, rows);
    } else if (server_level->parsed()) {
      auto r = a.call("POST", "/api/v1/server/log-level", json{{"level", level}}.dump(),
                      "application/json");
      json_out ? emit(r) : void(std::cout << "log level " << text(r["log_level"]) << '\n');
    }
  } catch (const failure& f) {
    return licd::tools::report_error("licadmin", json_out, f.code, f.message);
  } catch (const std::exception& e) {
    return licd::tools::report_error("licadmin", json_out, errc::failed, e.what());
  }
  return 0;
}
