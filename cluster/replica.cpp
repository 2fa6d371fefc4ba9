#include "cluster/replica.hpp"

#include "engine/code_block.hpp"
#include "storage/database.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>

namespace licd::cluster {

namespace {

using json = nlohmann::json;

std::optional<uint64_t> from_hex16(std::string_view text) {
  if (text.size() != 16)
    return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0)
      return std::nullopt;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

/// "A TAB B": the two halves, or nullopt.
std::optional<std::pair<std::string_view, std::string_view>> halves(std::string_view v) {
  auto tab = v.find('\t');
  if (tab == std::string_view::npos)
    return std::nullopt;
  return std::pair{v.substr(0, tab), v.substr(tab + 1)};
}

std::optional<int64_t> number(std::string_view text) {
  if (text.empty() || text.size() > 19)
    return std::nullopt;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

/// One state record, decoded from its key (below `keys::state()`) and value, into `into`.
void put_state(const keys& k, std::string_view key, std::string_view value,
               storage::change_set& into) {
  auto state = k.state();
  std::string_view rest = key.substr(state.size());
  auto bad = [&] { return malformed("etcd holds a record licd cannot read: " + std::string(key)); };
  if (rest.substr(0, 6) == "lease/") {
    auto id = engine::lease_id::from_hex(rest.substr(6));
    storage::lease_record r;
    if (!id || !storage::decode_lease(storage::encode_lease_key(*id), value, r))
      throw bad();
    into.put_leases.push_back(std::move(r));
  } else if (rest.substr(0, 8) == "license/") {
    auto id = from_hex16(rest.substr(8));
    auto h = halves(value);
    std::optional<int64_t> at = h ? number(h->first) : std::nullopt;
    if (!id || !at)
      throw bad();
    into.put_licenses.push_back({*id, std::string(h->second), *at});
  } else if (rest.substr(0, 11) == "activation/") {
    auto id = from_hex16(rest.substr(11));
    auto h = halves(value);
    std::optional<uint64_t> nonce = h ? from_hex16(h->first) : std::nullopt;
    if (!id || !nonce)
      throw bad();
    into.put_activations.push_back({*id, *nonce, std::string(h->second)});
  } else if (rest.substr(0, 5) == "meta/" && rest.size() > 5) {
    into.put_meta.emplace_back(rest.substr(5), value);
  } else {
    throw bad();
  }
}

void erase_state(const keys& k, std::string_view key, storage::change_set& into) {
  std::string_view rest = key.substr(k.state().size());
  auto bad = [&] {
    return malformed("etcd deleted a key licd does not write: " + std::string(key));
  };
  if (rest.substr(0, 6) == "lease/") {
    auto id = engine::lease_id::from_hex(rest.substr(6));
    if (!id)
      throw bad();
    into.erase_leases.push_back(*id);
  } else if (rest.substr(0, 8) == "license/") {
    auto id = from_hex16(rest.substr(8));
    if (!id)
      throw bad();
    into.erase_licenses.push_back(*id);
  } else if (rest.substr(0, 11) == "activation/") {
    auto id = from_hex16(rest.substr(11));
    if (!id)
      throw bad();
    into.erase_activations.push_back(*id);
  } else if (rest.substr(0, 5) != "meta/") { // a meta value is never deleted
    throw bad();
  }
}

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

} // namespace

std::string keys::lease(const engine::lease_id& id) const {
  return state() + "lease/" + id.to_hex();
}
std::string keys::license(uint64_t id) const {
  return state() + "license/" + engine::hex64(id);
}
std::string keys::activation(uint64_t license_id) const {
  return state() + "activation/" + engine::hex64(license_id);
}
std::string keys::meta(std::string_view key) const {
  return state() + "meta/" + std::string(key);
}
std::string keys::log(int64_t at_ms, int64_t token, uint64_t count) const {
  char buf[72];
  std::snprintf(buf, sizeof buf, "%020lld/%020lld/%020llu", static_cast<long long>(at_ms),
                static_cast<long long>(token), static_cast<unsigned long long>(count));
  return log() + buf;
}

std::string keys::log_before(int64_t at_ms) const {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(at_ms));
  return log() + buf;
}

bool valid_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name)
    ok = ok
         && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
             || c == '_' || c == '-');
  return ok;
}

keys keys_for(std::string_view name) {
  if (!valid_name(name))
    throw std::invalid_argument("a cluster name is 1 to 64 letters, digits, '.', '_' or '-': '"
                                + std::string(name) + "' is not");
  return keys{"/licd/" + std::string(name) + "/"};
}

std::string encode(const node_info& n) {
  json machine{{"machine_id", n.machine.machine_id},
               {"dmi_uuid", n.machine.dmi_uuid},
               {"hostname", n.machine.hostname},
               {"macs", n.machine.macs}};
  return json{{"name", n.name},
              {"client", n.client},
              {"admin", n.admin},
              {"started_ms", n.started_ms},
              {"machine", machine}}
    .dump();
}

std::optional<node_info> decode_node(std::string_view value) {
  auto j = json::parse(value, nullptr, false);
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string())
    return std::nullopt;
  node_info n;
  n.name = j["name"].get<std::string>();
  n.client = j.value("client", "");
  n.admin = j.value("admin", "");
  n.started_ms = j.value("started_ms", int64_t{0});
  if (auto m = j.find("machine"); m != j.end() && m->is_object()) {
    n.machine.machine_id = m->value("machine_id", "");
    n.machine.dmi_uuid = m->value("dmi_uuid", "");
    n.machine.hostname = m->value("hostname", "");
    if (auto macs = m->find("macs"); macs != m->end() && macs->is_array())
      for (const auto& mac : *macs)
        if (mac.is_string())
          n.machine.macs.push_back(mac.get<std::string>());
  }
  return n;
}

std::string encode_log(const std::vector<const storage::change_set*>& sets) {
  json out = json::array();
  for (const auto* s : sets) {
    if (s->events.empty())
      continue;
    json events = json::array();
    for (const auto& e : s->events)
      events.push_back(engine::encode(e));
    out.push_back({{"log", s->log_events}, {"events", std::move(events)}});
  }
  return out.dump();
}

std::vector<storage::change_set> decode_log(std::string_view value) {
  auto j = json::parse(value, nullptr, false);
  if (!j.is_array())
    throw malformed("a log entry in etcd is not licd's");
  std::vector<storage::change_set> out;
  for (const auto& part : j) {
    if (!part.is_object() || !part.contains("events") || !part["events"].is_array())
      throw malformed("a log entry in etcd is not licd's");
    storage::change_set cs;
    cs.log_events = part.value("log", true);
    for (const auto& e : part["events"]) {
      auto ev = e.is_string() ? engine::decode_event(e.get<std::string>()) : std::nullopt;
      if (!ev)
        throw malformed("a log entry in etcd holds an event licd cannot read");
      cs.events.push_back(std::move(*ev));
    }
    out.push_back(std::move(cs));
  }
  return out;
}

std::vector<etcd::op> to_ops(const keys& k, const std::vector<const storage::change_set*>& sets,
                             const std::string& log_key) {
  // Key -> its last value (nullopt: deleted). A map keeps the order stable for tests.
  std::map<std::string, std::optional<std::string>> last;
  bool events = false;
  for (const auto* s : sets) {
    for (const auto& [key, value] : s->put_meta)
      last[k.meta(key)] = value;
    for (const auto& l : s->put_licenses)
      last[k.license(l.id)] = storage::encode_license_value(l);
    for (auto id : s->erase_licenses)
      last[k.license(id)] = std::nullopt;
    for (const auto& a : s->put_activations)
      last[k.activation(a.license_id)] = storage::encode_activation_value(a);
    for (auto id : s->erase_activations)
      last[k.activation(id)] = std::nullopt;
    for (const auto& l : s->put_leases)
      last[k.lease(l.id)] = storage::encode_lease_value(l);
    for (const auto& id : s->erase_leases)
      last[k.lease(id)] = std::nullopt;
    events = events || !s->events.empty();
  }
  std::vector<etcd::op> ops;
  ops.reserve(last.size() + 1);
  for (auto& [key, value] : last)
    ops.push_back(value ? etcd::op::put(key, std::move(*value)) : etcd::op::del(key));
  if (events)
    ops.push_back(etcd::op::put(log_key, encode_log(sets)));
  return ops;
}

std::vector<storage::change_set> from_events(const keys& k,
                                             const std::vector<etcd::watch_event>& events) {
  std::vector<storage::change_set> out(1);
  auto state = k.state();
  auto log = k.log();
  for (const auto& e : events) {
    const auto& key = e.item.key;
    if (starts_with(key, state)) {
      if (e.deleted)
        erase_state(k, key, out.front());
      else
        put_state(k, key, e.item.value, out.front());
    } else if (starts_with(key, log) && !e.deleted) {
      for (auto& cs : decode_log(e.item.value))
        out.push_back(std::move(cs));
    }
  }
  if (out.front().empty())
    out.erase(out.begin());
  return out;
}

storage::change_set from_state(const keys& k, const std::vector<etcd::kv>& kvs,
                               const local_state& local) {
  storage::change_set cs;
  for (const auto& item : kvs) {
    if (!starts_with(item.key, k.state()))
      throw malformed("not a state key: " + item.key);
    put_state(k, item.key, item.value, cs);
  }
  std::set<engine::lease_id> leases;
  for (const auto& l : cs.put_leases)
    leases.insert(l.id);
  for (const auto& id : local.leases)
    if (leases.count(id) == 0)
      cs.erase_leases.push_back(id);
  std::set<uint64_t> licenses, activations;
  for (const auto& l : cs.put_licenses)
    licenses.insert(l.id);
  for (auto id : local.licenses)
    if (licenses.count(id) == 0)
      cs.erase_licenses.push_back(id);
  for (const auto& a : cs.put_activations)
    activations.insert(a.license_id);
  for (auto id : local.activations)
    if (activations.count(id) == 0)
      cs.erase_activations.push_back(id);
  return cs;
}

} // namespace licd::cluster
