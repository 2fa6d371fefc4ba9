#include "actors/licenses.hpp"

#include "actors/clock.hpp"
#include "engine/activation.hpp"
#include "engine/lease_id.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace licd {

namespace {

using self_ptr = licenses_actor::stateful_pointer<licenses_state>;
constexpr int64_t day_ms = 86'400'000;

license_result failure(engine::errc error, std::string message) {
  license_result r;
  r.error = error;
  r.message = std::move(message);
  return r;
}

int64_t now_ms(self_ptr self) {
  return self->state.setup.wall_ms();
}

engine::state_context context(self_ptr self) {
  engine::state_context ctx(static_cast<int32_t>(now_ms(self) / day_ms));
  ctx.clock_error = self->state.clock_error;
  return ctx;
}

engine::event license_event(int64_t at_ms, engine::event_kind kind, const engine::license& lic,
                            std::string detail) {
  engine::event e;
  e.at_ms = at_ms;
  e.kind = kind;
  e.product = lic.product;
  e.detail = "license " + lic.id_hex() + ", " + std::to_string(lic.seats) + " seats"
             + (lic.customer.empty() ? "" : ", " + lic.customer)
             + (detail.empty() ? "" : ": " + detail);
  return e;
}

/// Tells the registry every product whose seats changed since it was last told.
void push_seats(self_ptr self) {
  auto& st = self->state;
  // Every product with any installed code is in `now`, at 0 when none of its codes counts.
  auto now = st.setup.installed.seats(context(self));
  for (const auto& [product, seats] : now) {
    auto told = st.seats_told.find(product);
    if (told != st.seats_told.end() && told->second == seats)
      continue;
    st.seats_told[product] = seats;
    self->send(st.setup.registry, set_seats_atom::value, product, seats);
  }
  // A product whose last code went keeps its pool, at 0 seats.
  for (auto& [product, seats] : st.seats_told) {
    if (now.count(product) == 0 && seats != 0) {
      seats = 0;
      self->send(st.setup.registry, set_seats_atom::value, product, uint32_t{0});
    }
  }
}

/// Writes every license state change since the last call to the activity log (write-behind),
/// then re-tells the seats. `why` says what caused the changes, when known.
void settle(self_ptr self, const std::string& why = "") {
  auto& st = self->state;
  auto ctx = context(self);
  storage::change_set cs;
  for (const auto& l : st.setup.installed.list()) {
    auto now = engine::license_set::state(l, ctx);
    auto told = st.states_told.find(l.lic.id);
    if (told != st.states_told.end() && told->second == now)
      continue;
    if (told == st.states_told.end() && now == engine::license_state::active) {
      st.states_told[l.lic.id] = now; // a license that counts from the start is no news
      continue;
    }
    std::string detail = (told == st.states_told.end()
                            ? std::string("now ")
                            : std::string(engine::to_string(told->second)) + " -> ")
                         + std::string(engine::to_string(now));
    if (!why.empty())
      detail += " (" + why + ")";
    if (!engine::advice(now).empty())
      detail += "; " + std::string(engine::advice(now));
    spdlog::log(now == engine::license_state::active ? spdlog::level::info : spdlog::level::warn,
                "license {}: {}", l.lic.id_hex(), detail);
    cs.events.push_back(
      license_event(now_ms(self), engine::event_kind::license_state, l.lic, detail));
    st.states_told[l.lic.id] = now;
  }
  if (!cs.empty())
    self->send(st.setup.store, append_atom::value, std::move(cs));
  push_seats(self);
}

/// The rollback guard. A clock more than the tolerance behind the latest time seen puts every
/// license with an expiry date in `clock error`; a clock that moved on advances the mark.
void check_clock(self_ptr self) {
  auto& st = self->state;
  auto now = now_ms(self);
  bool error = now + st.setup.clock_tolerance.count() < st.setup.clock_seen_ms;
  if (error != st.clock_error) {
    st.clock_error = error;
    engine::event e;
    e.at_ms = now;
    e.kind = engine::event_kind::clock;
    e.detail = error ? "the wall clock is " + std::to_string((st.setup.clock_seen_ms - now) / 1000)
                         + " s behind the latest time licd has seen: licenses with an expiry date "
                           "count no seats until it is corrected"
                     : "the wall clock is right again";
    spdlog::log(error ? spdlog::level::err : spdlog::level::info, "{}", e.detail);
    storage::change_set cs;
    cs.events.push_back(std::move(e));
    self->send(st.setup.store, append_atom::value, std::move(cs));
  }
  if (!error && now > st.setup.clock_seen_ms)
    st.setup.clock_seen_ms = now;
  // Keep the mark in LMDB, at most once a recheck period.
  if (st.setup.clock_seen_ms > st.clock_stored_ms) {
    st.clock_stored_ms = st.setup.clock_seen_ms;
    storage::change_set cs;
    cs.put_meta.emplace_back("clock_seen_ms", std::to_string(st.clock_stored_ms));
    self->send(st.setup.store, append_atom::value, std::move(cs));
  }
}

const engine::installed_license* find(self_ptr self, const std::string& id_text) {
  uint64_t id = 0;
  return engine::parse_hex64(id_text, id) ? self->state.setup.installed.find(id) : nullptr;
}

/// Commits `cs`, then runs `apply` and answers what it returns; answers storage_error if the
/// commit fails (and nothing changes).
template <class Apply>
caf::result<license_result> commit_then(self_ptr self, storage::change_set cs,
                                        std::string what, Apply apply) {
  auto rp = self->make_response_promise<license_result>();
  self->request(self->state.setup.store, caf::infinite, commit_atom::value, std::move(cs))
    .then([=](caf::ok_atom) mutable { rp.deliver(apply()); },
          [=](caf::error& err) mutable {
            spdlog::error("{} not stored: {}", what, to_string(err));
            rp.deliver(failure(is_storage_full(err) ? engine::errc::storage_full
                                                    : engine::errc::storage_error,
                               what + " could not be stored"));
          });
  return rp;
}

license_result done(self_ptr self, uint64_t id, std::string code = "") {
  license_result r;
  r.ok = true;
  if (const auto* l = self->state.setup.installed.find(id))
    r.info = describe(*l, context(self));
  r.code = std::move(code);
  return r;
}

caf::result<license_result> add(self_ptr self, const std::string& text) {
  auto& st = self->state.setup;
  auto checked = engine::check_code_of_type(text, st.keys, engine::license_type::network);
  if (auto* err = std::get_if<engine::code_error>(&checked)) {
    spdlog::warn("license code refused: {}", err->message);
    return failure(err->problem, err->message);
  }
  auto lic = std::get<engine::license>(checked);
  if (st.installed.find(lic.id) != nullptr)
    return failure(engine::errc::duplicate, "license " + lic.id_hex() + " is installed already");
  engine::installed_license inst;
  inst.lic = lic;
  inst.code = std::get<engine::decoded_code>(engine::decode_code(text)).canonical;
  inst.installed_at_ms = now_ms(self);
  storage::change_set cs;
  cs.put_licenses.push_back({lic.id, inst.code, inst.installed_at_ms});
  cs.events.push_back(license_event(inst.installed_at_ms, engine::event_kind::license_added, lic,
                                    lic.activation_required ? "activation required" : ""));
  return commit_then(self, std::move(cs), "license " + lic.id_hex(), [=]() {
    auto& st = self->state;
    if (!st.setup.installed.add(inst)) // a racing add of the same code won
      return failure(engine::errc::duplicate, "license " + lic.id_hex() + " is installed already");
    spdlog::info("license {} installed: product={} seats={} expires={} customer={}{}",
                 lic.id_hex(), lic.product, lic.seats,
                 lic.expires_day == 0 ? "never" : engine::format_date(lic.expires_day),
                 lic.customer, lic.activation_required ? " (activation required)" : "");
    settle(self, "installed");
    return done(self, lic.id);
  });
}

caf::result<license_result> remove(self_ptr self, const std::string& id_text) {
  const auto* found = find(self, id_text);
  if (found == nullptr)
    return failure(engine::errc::not_found, "no installed license " + id_text);
  if (!found->activation.empty() && found->hardware.ok())
    return failure(engine::errc::activated,
                   "license " + id_text
                     + " is activated on this server: deactivate it first (licadmin licenses "
                       "deactivate "
                     + id_text + ") to get the release receipt the vendor asks for");
  auto lic = found->lic;
  auto info = describe(*found, context(self));
  storage::change_set cs;
  cs.erase_licenses.push_back(lic.id);
  cs.erase_activations.push_back(lic.id);
  cs.events.push_back(license_event(now_ms(self), engine::event_kind::license_removed, lic, ""));
  return commit_then(self, std::move(cs), "removal of license " + lic.id_hex(), [=]() {
    auto& st = self->state;
    st.setup.installed.remove(lic.id);
    st.states_told.erase(lic.id);
    spdlog::info("license {} removed: product={} seats={}", lic.id_hex(), lic.product, lic.seats);
    push_seats(self);
    license_result r;
    r.ok = true;
    r.info = info;
    return r;
  });
}

engine::activation_request request_for(self_ptr self, const engine::installed_license& l,
                                       uint64_t nonce) {
  const auto& bind = self->state.setup.bind;
  engine::activation_request req;
  req.license_id = l.lic.id;
  req.type = l.lic.type;
  req.nonce = nonce;
  req.product = l.lic.product;
  if (bind.server_key)
    req.requester_key = bind.server_key->public_part().raw();
  // In a cluster: every node's machine, so that the response is valid on any of them.
  std::vector<engine::fingerprint> machines;
  if (bind.cluster_machines)
    for (const auto& m : bind.cluster_machines())
      machines.push_back(engine::fingerprint_of(m, l.lic.id));
  if (machines.empty())
    machines.push_back(engine::fingerprint_of(bind.machine, l.lic.id));
  req.factors = engine::cluster_fingerprint(machines);
  return req;
}

caf::result<license_result> make_request(self_ptr self, const std::string& id_text) {
  const auto* l = find(self, id_text);
  if (l == nullptr)
    return failure(engine::errc::not_found, "no installed license " + id_text);
  if (!l->lic.activation_required)
    return failure(engine::errc::not_required, "license " + id_text + " needs no activation");
  if (!l->activation.empty() && l->hardware.ok())
    return failure(engine::errc::already_active,
                   "license " + id_text + " is activated on this server");
  auto id = l->lic.id;
  if (l->pending_nonce != 0) // the same request until it is answered
    return done(self, id, engine::encode_request(request_for(self, *l, l->pending_nonce)));
  auto nonce = engine::random_u64();
  storage::change_set cs;
  cs.put_activations.push_back({id, nonce, l->activation});
  return commit_then(self, std::move(cs), "the activation request for " + id_text, [=]() {
    auto* l = self->state.setup.installed.find(id);
    if (l == nullptr)
      return failure(engine::errc::not_found, "license " + id_text + " was removed meanwhile");
    l->pending_nonce = nonce;
    spdlog::info("license {}: activation request made", id_text);
    return done(self, id, engine::encode_request(request_for(self, *l, nonce)));
  });
}

caf::result<license_result> activate(self_ptr self, const std::string& id_text,
                                     const std::string& text) {
  auto& st = self->state.setup;
  const auto* l = find(self, id_text);
  if (l == nullptr)
    return failure(engine::errc::not_found, "no installed license " + id_text);
  if (!l->lic.activation_required)
    return failure(engine::errc::not_required, "license " + id_text + " needs no activation");
  auto checked = engine::check_response(text, st.keys);
  if (auto* err = std::get_if<engine::code_error>(&checked))
    return failure(err->problem, err->message);
  auto resp = std::get<engine::activation_response>(std::move(checked));
  if (resp.license_id != l->lic.id)
    return failure(engine::errc::wrong_license, "this activation response is for license "
                                                  + engine::hex64(resp.license_id) + ", not "
                                                  + id_text);
  if (!st.bind.server_key || resp.requester_key != st.bind.server_key->public_part().raw())
    return failure(engine::errc::wrong_server,
                   "this activation response answers a request made by another licd "
                   "installation (another server or data dir): make a new request here with "
                   "`licadmin licenses activate "
                     + id_text + "`");
  if (l->pending_nonce == 0 || resp.nonce != l->pending_nonce)
    return failure(engine::errc::stale_response,
                   "this activation response answers an older request for license " + id_text
                     + ": send the vendor the current request (`licadmin licenses activate "
                     + id_text + "`)");
  auto m = engine::match(resp.factors, engine::fingerprint_of(st.bind.machine, l->lic.id),
                         st.bind.tolerance);
  if (!m.ok())
    return failure(engine::errc::wrong_machine,
                   "this activation response is for another machine: " + std::to_string(m.matched)
                     + " of " + std::to_string(m.total) + " hardware factors match here ("
                     + std::to_string(m.required) + " needed)");
  auto id = l->lic.id;
  auto canonical = engine::encode_block(resp.record);
  storage::change_set cs;
  cs.put_activations.push_back({id, resp.nonce, canonical});
  cs.events.push_back(license_event(now_ms(self), engine::event_kind::license_activated, l->lic,
                                    std::to_string(m.matched) + " of " + std::to_string(m.total)
                                      + " hardware factors"));
  return commit_then(self, std::move(cs), "the activation of " + id_text, [=]() {
    auto* l = self->state.setup.installed.find(id);
    if (l == nullptr)
      return failure(engine::errc::not_found, "license " + id_text + " was removed meanwhile");
    l->activation = canonical;
    l->activated_day = resp.issued_day;
    l->hardware = m;
    spdlog::info("license {} activated ({} of {} factors)", id_text, m.matched, m.total);
    settle(self, "activated");
    return done(self, id);
  });
}

caf::result<license_result> deactivate(self_ptr self, const std::string& id_text) {
  auto& st = self->state.setup;
  const auto* l = find(self, id_text);
  if (l == nullptr)
    return failure(engine::errc::not_found, "no installed license " + id_text);
  if (l->activation.empty())
    return failure(engine::errc::not_activated, "license " + id_text + " is not activated");
  if (!l->hardware.ok())
    return failure(engine::errc::hardware_mismatch,
                   "license " + id_text
                     + " was activated on other hardware: deactivate it on the machine it was "
                       "activated on");
  auto checked = engine::check_response(l->activation, st.keys);
  if (auto* err = std::get_if<engine::code_error>(&checked))
    return failure(engine::errc::untrusted,
                   "the stored activation no longer verifies: " + err->message);
  auto id = l->lic.id;
  auto released_at = now_ms(self);
  auto receipt = engine::issue_receipt(std::get<engine::activation_response>(checked),
                                       released_at, *st.bind.server_key);
  storage::change_set cs;
  cs.erase_activations.push_back(id);
  cs.events.push_back(license_event(released_at, engine::event_kind::license_deactivated, l->lic,
                                    "release receipt made"));
  return commit_then(self, std::move(cs), "the deactivation of " + id_text, [=]() {
    auto* l = self->state.setup.installed.find(id);
    if (l != nullptr) {
      l->activated_day = 0;
      l->activation.clear();
      l->hardware = {};
      l->pending_nonce = 0; // the next request gets a fresh nonce: old responses no longer fit
    }
    spdlog::info("license {} deactivated; release receipt made", id_text);
    settle(self, "deactivated");
    return done(self, id, receipt);
  });
}

} // namespace

std::vector<std::string> attach_activations(engine::license_set& set,
                                            const std::vector<storage::activation_record>& records,
                                            const engine::key_ring& keys, const binding& bind) {
  std::vector<std::string> problems;
  for (const auto& rec : records) {
    auto* l = set.find(rec.license_id);
    if (l == nullptr)
      continue;
    l->pending_nonce = rec.nonce;
    if (rec.response.empty())
      continue;
    auto checked = engine::check_response(rec.response, keys);
    if (auto* err = std::get_if<engine::code_error>(&checked)) {
      problems.push_back("the activation of license " + l->lic.id_hex()
                         + " does not verify and is ignored: " + err->message);
      continue;
    }
    const auto& resp = std::get<engine::activation_response>(checked);
    l->activation = rec.response;
    l->activated_day = resp.issued_day;
    l->hardware = engine::match(resp.factors, engine::fingerprint_of(bind.machine, l->lic.id),
                                bind.tolerance);
    bool same_server = bind.server_key && resp.requester_key == bind.server_key->public_part().raw();
    if (resp.license_id != l->lic.id || !same_server) {
      l->hardware.matched = 0; // an activation of another installation never counts
      problems.push_back("the activation of license " + l->lic.id_hex()
                         + " belongs to another licd installation");
    } else if (!l->hardware.ok()) {
      problems.push_back("license " + l->lic.id_hex() + " was activated on other hardware: "
                         + std::to_string(l->hardware.matched) + " of "
                         + std::to_string(l->hardware.total) + " factors match here ("
                         + std::to_string(l->hardware.required) + " needed)");
    }
  }
  return problems;
}

license_info describe(const engine::installed_license& l, const engine::state_context& ctx) {
  license_info i;
  auto state = engine::license_set::state(l, ctx);
  i.id = l.lic.id_hex();
  i.product = l.lic.product;
  i.type = l.lic.type == engine::license_type::standalone ? "standalone" : "network";
  i.seats = l.lic.seats;
  i.state = std::string(engine::to_string(state));
  i.advice = std::string(engine::advice(state));
  i.activation_required = l.lic.activation_required;
  if (!l.activation.empty()) {
    i.hardware = std::to_string(l.hardware.matched) + " of " + std::to_string(l.hardware.total)
                 + " factors match (" + std::to_string(l.hardware.required) + " needed)";
    if (l.hardware.machines > 1)
      i.hardware +=
        ", activated for a cluster of " + std::to_string(l.hardware.machines) + " machines";
    i.activated_on = engine::format_date(l.activated_day);
  }
  i.issued = engine::format_date(l.lic.issued_day);
  i.expires = l.lic.expires_day == 0 ? "never" : engine::format_date(l.lic.expires_day);
  i.customer = l.lic.customer;
  i.installed_at_ms = l.installed_at_ms;
  i.code = l.code;
  return i;
}

licenses_actor::behavior_type licenses(licenses_actor::stateful_pointer<licenses_state> self,
                                       licenses_setup setup) {
  auto& st = self->state;
  st.setup = std::move(setup);
  if (!st.setup.wall_ms)
    st.setup.wall_ms = wall_now_ms;
  st.clock_stored_ms = st.setup.clock_seen_ms;
  check_clock(self);
  // The pools were made with the seats as the server computed them at start (clock and all):
  // remember those as told, and log the state of every license that does not count.
  st.seats_told = st.setup.installed.seats(context(self));
  settle(self, "at start");
  self->delayed_send(self, st.setup.recheck, lic_tick_atom::value);
  return {
    [=](lic_add_atom, const std::string& code) { return add(self, code); },
    [=](lic_remove_atom, const std::string& id) { return remove(self, id); },
    [=](lic_list_atom) {
      std::vector<license_info> out;
      auto ctx = context(self);
      for (const auto& l : self->state.setup.installed.list())
        out.push_back(describe(l, ctx));
      return out;
    },
    [=](lic_request_atom, const std::string& id) { return make_request(self, id); },
    [=](lic_activate_atom, const std::string& id, const std::string& response) {
      return activate(self, id, response);
    },
    [=](lic_deactivate_atom, const std::string& id) { return deactivate(self, id); },
    [=](lic_clock_atom) {
      auto& st = self->state;
      return clock_status{st.clock_error, now_ms(self), st.setup.clock_seen_ms,
                          static_cast<int64_t>(st.setup.clock_tolerance.count())};
    },
    [=](lic_tick_atom) {
      check_clock(self);
      settle(self);
      self->delayed_send(self, self->state.setup.recheck, lic_tick_atom::value);
    },
  };
}

} // namespace licd
