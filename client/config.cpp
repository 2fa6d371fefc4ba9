#include "client/config.hpp"

#include "client/connection.hpp"
#include "engine/names.hpp"
#include "platform/paths.hpp"
#include "storage/files.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace licd::client {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

/// Sections of one file, in order, each with its key = value lines.
struct ini {
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> sections;
};

ini parse_ini(std::istream& in, const std::string& path) {
  ini out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    auto t = trim(line.substr(0, line.find('#')));
    if (t.empty())
      continue;
    auto where = path + ":" + std::to_string(n);
    if (t.front() == '[') {
      if (t.back() != ']' || !engine::valid_product_name(t.substr(1, t.size() - 2)))
        throw std::runtime_error(where + ": a section is [PRODUCT]");
      out.sections.push_back({t.substr(1, t.size() - 2), {}});
      continue;
    }
    auto eq = t.find('=');
    if (eq == std::string::npos || out.sections.empty())
      throw std::runtime_error(where + ": expected key = value inside a [PRODUCT] section");
    out.sections.back().second[trim(t.substr(0, eq))] = trim(t.substr(eq + 1));
  }
  return out;
}

ini read_ini(const std::string& path) {
  std::ifstream in(platform::fs_path(path));
  if (!in)
    return {};
  return parse_ini(in, path);
}

product_mode to_mode(const std::map<std::string, std::string>& kv, const std::string& where) {
  product_mode m;
  m.source = where;
  if (auto it = kv.find("mode"); it != kv.end())
    m.mode = it->second;
  if (m.mode != "network" && m.mode != "standalone")
    throw std::runtime_error(where + ": mode is network or standalone, not '" + m.mode + "'");
  if (auto it = kv.find("server"); it != kv.end()) {
    try {
      m.servers = parse_server_list(it->second);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(where + ": " + e.what());
    }
  }
  return m;
}

std::string home_config() {
  auto dir = platform::user_config_dir();
  return dir.empty() ? ".licd-client.conf" : platform::join_path(dir, "client.conf");
}

} // namespace

product_mode mode_config::for_product(const std::string& product) const {
  auto it = products.find(product);
  return it == products.end() ? product_mode{} : it->second;
}

std::string system_config_path() {
  if (auto p = platform::env("LICD_SYSTEM_CONFIG"); !p.empty())
    return p;
  return platform::join_path(platform::system_config_dir(), "client.conf");
}

std::string user_config_path() {
  if (auto p = platform::env("LICD_USER_CONFIG"); !p.empty())
    return p;
  return home_config();
}

std::vector<std::string> parse_server_list(const std::string& text) {
  auto t = trim(text);
  if (t == "auto" || t.empty())
    return {};
  std::vector<std::string> out;
  std::stringstream ss(t);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item = trim(item);
    parse_endpoint(item); // throws std::invalid_argument for a bad one
    out.push_back(item);
  }
  return out;
}

mode_config parse_mode_config(const std::string& text, const std::string& source) {
  std::istringstream in(text);
  mode_config out;
  for (const auto& [product, kv] : parse_ini(in, source).sections)
    out.products[product] = to_mode(kv, source);
  return out;
}

mode_config load_mode_config(const std::string& system_path, const std::string& user_path) {
  mode_config out;
  for (const auto* path : {&system_path, &user_path})
    for (const auto& [product, kv] : read_ini(*path).sections)
      out.products[product] = to_mode(kv, *path);
  return out;
}

void set_product_mode(const std::string& path, const std::string& product,
                      const std::string& mode, const std::vector<std::string>& servers) {
  if (!engine::valid_product_name(product))
    throw std::invalid_argument("'" + product + "' is not a product name");
  if (mode != "network" && mode != "standalone")
    throw std::invalid_argument("the mode is network or standalone");
  for (const auto& s : servers)
    parse_endpoint(s);
  auto file = read_ini(path);
  std::map<std::string, std::string> section{{"mode", mode}};
  if (mode == "network") {
    std::string list;
    for (const auto& s : servers)
      list += (list.empty() ? "" : ",") + s;
    section["server"] = list.empty() ? "auto" : list;
  }
  bool replaced = false;
  for (auto& [name, kv] : file.sections)
    if (name == product) {
      kv = section;
      replaced = true;
    }
  if (!replaced)
    file.sections.push_back({product, section});
  std::ostringstream out;
  out << "# licd client license modes (licclient mode set ...): one section per product\n";
  for (const auto& [name, kv] : file.sections) {
    out << "\n[" << name << "]\n";
    for (const auto& [k, v] : kv)
      out << k << " = " << v << "\n";
  }
  auto dir = platform::fs_path(path).parent_path();
  std::error_code ec;
  if (!dir.empty())
    std::filesystem::create_directories(dir, ec);
  files::write_file(path, out.str(), 0644);
}

std::vector<std::string> configured_servers(const std::vector<std::string>& given,
                                            const product_mode& mode) {
  if (!given.empty())
    return given;
  if (auto env = platform::env("LICD_SERVER"); !env.empty()) {
    try {
      return parse_server_list(env);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("LICD_SERVER: ") + e.what());
    }
  }
  return mode.servers;
}

} // namespace licd::client
