#include "cluster/etcd_json.hpp"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <stdexcept>

namespace licd::cluster::etcd {

namespace {

using json = nlohmann::json;

/// A 64-bit number as the gateway sends it: a string of digits (a plain number is taken too);
/// absent: 0.
int64_t number(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null())
    return 0;
  if (it->is_number_integer())
    return it->get<int64_t>();
  if (!it->is_string())
    throw std::runtime_error(std::string("etcd: '") + field + "' is not a number");
  const auto& s = it->get_ref<const std::string&>();
  size_t used = 0;
  int64_t v = 0;
  try {
    v = std::stoll(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != s.size())
    throw std::runtime_error(std::string("etcd: '") + field + "' is not a number: " + s);
  return v;
}

std::string bytes_of(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end())
    return {};
  if (!it->is_string())
    throw std::runtime_error(std::string("etcd: '") + field + "' is not base64 text");
  auto decoded = unbase64(it->get_ref<const std::string&>());
  if (!decoded)
    throw std::runtime_error(std::string("etcd: '") + field + "' is not base64");
  return std::move(*decoded);
}

kv kv_of(const json& j) {
  kv out;
  out.key = bytes_of(j, "key");
  out.value = bytes_of(j, "value");
  out.create_revision = number(j, "create_revision");
  out.mod_revision = number(j, "mod_revision");
  out.version = number(j, "version");
  out.lease = number(j, "lease");
  return out;
}

std::vector<kv> kvs_of(const json& j) {
  std::vector<kv> out;
  if (auto it = j.find("kvs"); it != j.end() && it->is_array())
    for (const auto& x : *it)
      out.push_back(kv_of(x));
  return out;
}

json parse_object(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw std::runtime_error("etcd: the answer is not a JSON object");
  if (auto err = j.find("error"); err != j.end()) // the gateway's error form
    throw std::runtime_error("etcd: " + (err->is_string() ? err->get<std::string>() : err->dump()));
  return j;
}

int64_t revision_of(const json& j) {
  auto h = j.find("header");
  return h == j.end() ? 0 : number(*h, "revision");
}

/// `{"key": ..., "range_end": ...}`, the range left out when empty (the key alone).
json key_range(std::string_view key, std::string_view range_end) {
  json j{{"key", base64(key)}};
  if (!range_end.empty())
    j["range_end"] = base64(range_end);
  return j;
}

json op_json(const op& o) {
  switch (o.what) {
    case op::kind::put: {
      json put{{"key", base64(o.key)}, {"value", base64(o.value)}};
      if (o.lease != 0)
        put["lease"] = std::to_string(o.lease);
      return json{{"request_put", put}};
    }
    case op::kind::del:
      return json{{"request_delete_range", key_range(o.key, o.range_end)}};
    case op::kind::range:
      break;
  }
  return json{{"request_range", key_range(o.key, o.range_end)}};
}

} // namespace

bool kv::operator==(const kv& o) const {
  return key == o.key && value == o.value && create_revision == o.create_revision
         && mod_revision == o.mod_revision && version == o.version && lease == o.lease;
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(bytes.data()),
                           static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> unbase64(std::string_view text) {
  if (text.size() % 4 != 0)
    return std::nullopt;
  for (char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=')
      return std::nullopt;
  std::string out(3 * (text.size() / 4), '\0');
  auto n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(text.data()),
                           static_cast<int>(text.size()));
  if (n < 0)
    return std::nullopt;
  // EVP_DecodeBlock counts the padding's bytes as zeros: take them off.
  size_t pad = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i)
    ++pad;
  if (pad > 2)
    return std::nullopt;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0'); // every key (etcd's "\0" range end)
}

op op::put(std::string key, std::string value, int64_t lease) {
  op o;
  o.what = kind::put;
  o.key = std::move(key);
  o.value = std::move(value);
  o.lease = lease;
  return o;
}

op op::del(std::string key, std::string range_end) {
  op o;
  o.what = kind::del;
  o.key = std::move(key);
  o.range_end = std::move(range_end);
  return o;
}

op op::range(std::string key, std::string range_end) {
  op o;
  o.what = kind::range;
  o.key = std::move(key);
  o.range_end = std::move(range_end);
  return o;
}

std::string txn_request(const std::vector<created_at>& conditions, const std::vector<op>& success,
                        const std::vector<op>& failure) {
  json compare = json::array();
  for (const auto& c : conditions)
    compare.push_back(json{{"key", base64(c.key)},
                           {"target", "CREATE"},
                           {"result", "EQUAL"},
                           {"create_revision", std::to_string(c.create_revision)}});
  json ok = json::array(), otherwise = json::array();
  for (const auto& o : success)
    ok.push_back(op_json(o));
  for (const auto& o : failure)
    otherwise.push_back(op_json(o));
  return json{{"compare", compare}, {"success", ok}, {"failure", otherwise}}.dump();
}

txn_result parse_txn(std::string_view body) {
  auto j = parse_object(body);
  if (j.find("header") == j.end())
    throw std::runtime_error("etcd: not a transaction's answer");
  txn_result r;
  r.revision = revision_of(j);
  if (auto s = j.find("succeeded"); s != j.end())
    r.succeeded = s->is_boolean() && s->get<bool>();
  if (auto responses = j.find("responses"); responses != j.end() && responses->is_array())
    for (const auto& x : *responses) {
      if (auto range = x.find("response_range"); range != x.end())
        r.ranges.push_back(kvs_of(*range));
      if (auto del = x.find("response_delete_range"); del != x.end() && del->is_object())
        r.deleted += number(*del, "deleted");
    }
  return r;
}

std::string range_request(std::string_view key, std::string_view range_end) {
  return key_range(key, range_end).dump();
}

range_result parse_range(std::string_view body) {
  auto j = parse_object(body);
  range_result r;
  r.revision = revision_of(j);
  r.kvs = kvs_of(j);
  if (auto more = j.find("more"); more != j.end())
    r.more = more->is_boolean() && more->get<bool>();
  return r;
}

std::string lease_grant_request(std::chrono::seconds ttl) {
  return json{{"TTL", std::to_string(ttl.count())}}.dump();
}

std::string lease_id_request(int64_t id) {
  return json{{"ID", std::to_string(id)}}.dump();
}

lease_answer parse_lease(std::string_view body) {
  auto j = parse_object(body);
  const json& a = j.contains("result") ? j["result"] : j;
  if (!a.is_object() || !a.contains("ID"))
    throw std::runtime_error("etcd: not a lease's answer");
  return lease_answer{number(a, "ID"), number(a, "TTL")};
}

std::string watch_request(std::string_view key, std::string_view range_end,
                          int64_t start_revision) {
  auto create = key_range(key, range_end);
  if (start_revision > 0)
    create["start_revision"] = std::to_string(start_revision);
  return json{{"create_request", create}}.dump();
}

watch_message parse_watch_line(std::string_view line) {
  auto j = parse_object(line);
  auto r = j.find("result");
  if (r == j.end() || !r->is_object())
    throw std::runtime_error("etcd: not a watch message");
  watch_message m;
  m.revision = revision_of(*r);
  m.created = r->value("created", false);
  m.canceled = r->value("canceled", false);
  m.compact_revision = number(*r, "compact_revision");
  if (auto events = r->find("events"); events != r->end() && events->is_array())
    for (const auto& e : *events) {
      watch_event we;
      we.deleted = e.value("type", std::string("PUT")) == "DELETE";
      if (auto item = e.find("kv"); item != e.end())
        we.item = kv_of(*item);
      m.events.push_back(std::move(we));
    }
  return m;
}

} // namespace licd::cluster::etcd
