#include "net/discovery.hpp"

#include "engine/fields.hpp"
#include "engine/names.hpp"

namespace licd::net::discovery {

namespace {

std::vector<std::string_view> words(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.remove_suffix(1);
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ')
      ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ')
      ++i;
    if (i > start)
      out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

bool printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x21 || c == 0x7f)
      return false;
  return !s.empty() && s.size() <= 128;
}

} // namespace

bool valid_server_name(std::string_view name) {
  return printable(name) && name.size() <= 64;
}

std::string format(const query& q) {
  std::string out = "LICD-DISCOVER 1";
  if (!q.products.empty()) {
    out += " products=";
    for (size_t i = 0; i < q.products.size(); ++i)
      out += (i == 0 ? "" : ",") + q.products[i];
  }
  return out + "\n";
}

std::optional<query> parse_query(std::string_view datagram) {
  if (datagram.size() > max_datagram)
    return std::nullopt;
  auto w = words(datagram);
  if (w.size() < 2 || w[0] != "LICD-DISCOVER" || w[1] != "1")
    return std::nullopt;
  query q;
  for (size_t i = 2; i < w.size(); ++i) {
    if (w[i].rfind("products=", 0) != 0)
      continue; // a later client's field
    for (auto p : split(w[i].substr(9), ','))
      if (engine::valid_product_name(p))
        q.products.emplace_back(p);
  }
  return q;
}

std::string format(const answer& a) {
  // Empty fields are left out (an answer read without them must format and read back).
  std::string out = "LICD-SERVER 1";
  if (!a.id.empty())
    out += " id=" + a.id;
  if (!a.name.empty())
    out += " name=" + a.name;
  out += " port=" + std::to_string(a.port) + " tls=" + (a.tls ? "1" : "0");
  if (!a.leader.empty())
    out += " leader=" + a.leader;
  for (const auto& p : a.products) {
    auto field = " product=" + p.product + "," + std::to_string(p.seats) + ","
                 + std::to_string(p.free);
    if (out.size() + field.size() + 1 > max_datagram)
      break;
    out += field;
  }
  return out + "\n";
}

std::optional<answer> parse_answer(std::string_view datagram) {
  if (datagram.size() > max_datagram)
    return std::nullopt;
  auto w = words(datagram);
  if (w.size() < 2 || w[0] != "LICD-SERVER" || w[1] != "1")
    return std::nullopt;
  answer a;
  for (size_t i = 2; i < w.size(); ++i) {
    auto eq = w[i].find('=');
    if (eq == std::string_view::npos)
      return std::nullopt;
    auto key = w[i].substr(0, eq);
    auto value = w[i].substr(eq + 1);
    if (key == "id") {
      if (!printable(value))
        return std::nullopt;
      a.id = value;
    } else if (key == "name") {
      if (!printable(value))
        return std::nullopt;
      a.name = value;
    } else if (key == "port") {
      if (!engine::parse_number(value, a.port) || a.port == 0)
        return std::nullopt;
    } else if (key == "tls") {
      a.tls = value == "1";
    } else if (key == "leader") {
      if (!printable(value) || value.find(':') == std::string_view::npos)
        return std::nullopt;
      a.leader = value;
    } else if (key == "product") {
      auto f = split(value, ',');
      product_seats p;
      if (f.size() != 3 || !engine::valid_product_name(f[0])
          || !engine::parse_number(f[1], p.seats) || !engine::parse_number(f[2], p.free))
        return std::nullopt;
      p.product = f[0];
      a.products.push_back(std::move(p));
    }
  }
  if (a.port == 0)
    return std::nullopt;
  return a;
}

} // namespace licd::net::discovery
