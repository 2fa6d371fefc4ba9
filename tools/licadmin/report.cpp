// licadmin report: asks the admin API and shows the answer.

#include "tools/licadmin/report.hpp"

#include "tools/licadmin/print.hpp"

#include <httplib.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>

namespace licd::licadmin {

namespace {

using engine::errc;

std::string query(const std::string& path, const report_options& o, bool with_by) {
  httplib::Params params;
  for (const auto& p : o.products)
    params.emplace("product", p);
  if (!o.from.empty())
    params.emplace("from", o.from);
  if (!o.to.empty())
    params.emplace("to", o.to);
  if (with_by)
    params.emplace("by", o.by);
  if (o.utc)
    params.emplace("utc", "1");
  if (o.csv)
    params.emplace("format", "csv");
  return httplib::append_query_params(path, params);
}

/// A time as the table shows it: the date, and the hour when intervals are hours.
std::string when(const nlohmann::json& t, bool with_time) {
  auto s = text(t);
  return with_time && s.size() >= 16 ? s.substr(0, 10) + " " + s.substr(11, 5) : s.substr(0, 10);
}

std::string fixed(const nlohmann::json& x, int decimals) {
  if (!x.is_number())
    return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x.get<double>());
  return buf;
}

std::string percent(const nlohmann::json& x) {
  return x.is_number() ? fixed(x.get<double>() * 100, 1) + "%" : "-";
}

/// Draws seats in use (average and peak) against installed seats, denials on a second axis,
/// one panel per product, with gnuplot.
void plot(const nlohmann::json& report, const std::string& png) {
  std::map<std::string, std::vector<const nlohmann::json*>> by_product;
  for (const auto& row : report["rows"])
    by_product[row["product"].get<std::string>()].push_back(&row);
  if (by_product.empty())
    throw failure{errc::failed, "nothing to plot: the report has no rows"};
  if (png.find('\'') != std::string::npos)
    throw failure{errc::bad_request, "--plot: a file name without a single quote, please"};
  if (by_product.size() > 6)
    throw failure{errc::bad_request, "--plot draws at most 6 products: name them with --product"};
  char dir_template[] = "/tmp/licadmin-plot-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr)
    throw failure{errc::failed, "cannot make a temporary directory for the plot"};
  std::string dir = dir_template;
  std::string data = dir + "/usage.dat", script = dir + "/usage.gp";
  {
    std::ofstream out(data);
    for (const auto& [product, rows] : by_product) {
      out << "# " << product << "\n";
      for (const auto* r : rows) // start, installed, peak, average, denials
        out << text((*r)["start"]).substr(0, 19) << ' ' << text((*r)["installed"]) << ' '
            << text((*r)["peak"]) << ' ' << text((*r)["average"]) << ' ' << text((*r)["denials"])
            << '\n';
      if (!rows.empty()) // the last interval's end, so that steps draw it
        out << text((*rows.back())["end"]).substr(0, 19) << ' ' << text((*rows.back())["installed"])
            << ' ' << text((*rows.back())["peak"]) << ' ' << text((*rows.back())["average"])
            << " 0\n";
      out << "\n\n";
    }
  }
  {
    std::ofstream gp(script);
    gp << "set terminal pngcairo size 1200," << 120 + 330 * by_product.size() << "\n"
       << "set output '" << png << "'\n"
       << "set xdata time\nset timefmt '%Y-%m-%dT%H:%M:%S'\nset format x \"%Y-%m-%d\\n%H:%M\"\n"
       << "set key outside top center horizontal\nset grid\nset ylabel 'seats'\n"
       << "set y2label 'denials'\nset ytics nomirror\nset y2tics\nset yrange [0:*]\n"
       << "set y2range [0:*]\nset offsets 0, 0, graph 0.08, 0\n"
       << "set multiplot layout " << by_product.size() << ",1 title 'licd usage from "
       << when(report["from"], true) << " to " << when(report["to"], true) << " (by "
       << text(report["by"]) << ")'\n";
    int index = 0;
    for (const auto& kv : by_product) {
      gp << "set title '" << kv.first << "'\n"
         << "plot '" << data << "' index " << index << " using 1:2 with steps lw 2 lc 'black' "
         << "title 'installed', '' index " << index
         << " using 1:3 with steps lc 'orange' title 'peak in use', '' index " << index
         << " using 1:4 with steps lw 2 lc 'blue' title 'average in use', '' index " << index
         << " using 1:($5 > 0 ? $5 : 1/0) axes x1y2 with points pt 7 lc 'red' title 'denials'\n";
      ++index;
    }
    gp << "unset multiplot\n";
  }
  auto cmd = "gnuplot '" + script + "' 2>&1";
  int rc = std::system(cmd.c_str());
  std::remove(data.c_str());
  std::remove(script.c_str());
  ::rmdir(dir.c_str());
  if (rc != 0)
    throw failure{errc::failed, "gnuplot failed (exit " + std::to_string(rc)
                                  + "); is it installed (apt-get install gnuplot-nox)?"};
}

} // namespace

void usage_report(const api& a, const report_options& o, bool json_out) {
  bool intervals = o.by != "user" && o.by != "computer";
  if (!o.plot.empty() && (!intervals || o.csv))
    throw failure{errc::bad_request, "--plot draws the usage by hour, day, week or month"};
  auto r = a.call("GET", query("/api/v1/reports/usage", o, true));
  if (o.csv) {
    std::cout << text(r["text"]);
    return;
  }
  if (!o.plot.empty()) {
    plot(r, o.plot);
    std::cout << "wrote " << o.plot << '\n';
    return;
  }
  if (json_out) {
    std::cout << r.dump() << '\n';
    return;
  }
  std::vector<std::vector<std::string>> rows;
  if (intervals) {
    for (const auto& x : r["rows"])
      rows.push_back({text(x["product"]), when(x["start"], o.by == "hour"), text(x["installed"]),
                      text(x["peak"]), fixed(x["average"], 1), fixed(x["seat_hours"], 1),
                      percent(x["utilisation"]), fixed(x["hours_at_full"], 1), text(x["denials"]),
                      text(x["users_denied"])});
    table({"PRODUCT",
           o.by == "hour"  ? "HOUR"
           : o.by == "day" ? "DAY"
                           : "FROM",
           "SEATS", "PEAK", "AVERAGE", "SEAT-HOURS", "USED", "HOURS FULL", "DENIALS",
           "USERS DENIED"},
          rows);
  } else {
    for (const auto& x : r["rows"])
      rows.push_back({text(x["product"]), text(x[o.by]), fixed(x["seat_hours"], 1),
                      text(x["sessions"]), fixed(x["longest_session_hours"], 1),
                      text(x["denials"])});
    table({"PRODUCT", o.by == "user" ? "USER" : "COMPUTER", "SEAT-HOURS", "SESSIONS", "LONGEST (H)",
           "DENIALS"},
          rows);
  }
  std::cout << "\n"
            << text(r["from"]) << " to " << text(r["to"]) << (r["utc"].get<bool>() ? " (UTC)" : "")
            << '\n';
}

void denials_report(const api& a, const report_options& o, bool json_out) {
  auto r = a.call("GET", query("/api/v1/reports/denials", o, false));
  if (o.csv) {
    std::cout << text(r["text"]);
    return;
  }
  if (json_out) {
    std::cout << r.dump() << '\n';
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& x : r["rows"]) {
    auto outcome = text(x["outcome"]);
    if (outcome == "granted")
      outcome = "seated after " + fixed(x["waited_minutes"], 0) + " min";
    else if (outcome == "gave_up")
      outcome = "gave up";
    else
      outcome = "still waiting";
    rows.push_back({text(x["product"]), when(x["first"], true), text(x["computer"]),
                    text(x["user"]), text(x["denials"]), outcome, text(x["reason"])});
  }
  table({"PRODUCT", "FIRST DENIED", "COMPUTER", "USER", "DENIALS", "OUTCOME", "REASON"}, rows);
  std::cout << "\n"
            << r["rows"].size() << " denial episodes, " << text(r["from"]) << " to "
            << text(r["to"]) << '\n';
}

} // namespace licd::licadmin
