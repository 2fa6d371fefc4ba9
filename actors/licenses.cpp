#include "actors/licenses.hpp"

#include "actors/clock.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace licd {

namespace {

using self_ptr = licenses_actor::stateful_pointer<licenses_state>;

license_result failure(std::string error, std::string message) {
  license_result r;
  r.error = std::move(error);
  r.message = std::move(message);
  return r;
}

/// Tells the registry every product whose seats changed since it was last told.
void push_seats(self_ptr self) {
  auto& st = self->state;
  // Every product with any installed code is in `now`, at 0 when none of its codes counts.
  auto now = st.setup.installed.seats(st.setup.today());
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

engine::event license_event(engine::event_kind kind, const engine::license& lic) {
  engine::event e;
  e.at_ms = wall_now_ms();
  e.kind = kind;
  e.product = lic.product;
  e.detail = "license " + lic.id_hex() + ", " + std::to_string(lic.seats) + " seats"
             + (lic.customer.empty() ? "" : ", " + lic.customer);
  return e;
}

caf::result<license_result> add(self_ptr self, const std::string& text) {
  auto& st = self->state.setup;
  auto checked = engine::check_code(text, st.keys);
  if (auto* err = std::get_if<engine::code_error>(&checked)) {
    spdlog::warn("license code refused: {}", err->message);
    return failure(std::string(engine::to_string(err->problem)), err->message);
  }
  auto lic = std::get<engine::license>(checked);
  if (st.installed.find(lic.id) != nullptr)
    return failure("duplicate", "license " + lic.id_hex() + " is installed already");
  engine::installed_license inst;
  inst.lic = lic;
  inst.code = std::get<engine::decoded_code>(engine::decode_code(text)).canonical;
  inst.installed_at_ms = wall_now_ms();
  storage::change_set cs;
  cs.put_licenses.push_back({lic.id, inst.code, inst.installed_at_ms});
  cs.events.push_back(license_event(engine::event_kind::license_added, lic));
  auto rp = self->make_response_promise<license_result>();
  self->request(st.store, caf::infinite, commit_atom::value, std::move(cs))
    .then(
      [=](caf::ok_atom) mutable {
        auto& st = self->state.setup;
        if (!st.installed.add(inst)) { // a racing add of the same code won
          rp.deliver(failure("duplicate", "license " + lic.id_hex() + " is installed already"));
          return;
        }
        spdlog::info("license {} installed: product={} seats={} expires={} customer={}",
                     lic.id_hex(), lic.product, lic.seats,
                     lic.expires_day == 0 ? "never" : engine::format_date(lic.expires_day),
                     lic.customer);
        push_seats(self);
        license_result r;
        r.ok = true;
        r.info = describe(st.installed, inst, st.today());
        rp.deliver(std::move(r));
      },
      [=](caf::error& err) mutable {
        spdlog::error("license {} not stored: {}", lic.id_hex(), to_string(err));
        rp.deliver(failure("storage_error", "the license could not be stored"));
      });
  return rp;
}

caf::result<license_result> remove(self_ptr self, const std::string& id_text) {
  auto& st = self->state.setup;
  uint64_t id = 0;
  const engine::installed_license* found = nullptr;
  if (id_text.size() == 16 && id_text.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos) {
    id = std::stoull(id_text, nullptr, 16);
    found = st.installed.find(id);
  }
  if (found == nullptr)
    return failure("not_found", "no installed license " + id_text);
  auto lic = found->lic;
  auto info = describe(st.installed, *found, st.today());
  storage::change_set cs;
  cs.erase_licenses.push_back(id);
  cs.events.push_back(license_event(engine::event_kind::license_removed, lic));
  auto rp = self->make_response_promise<license_result>();
  self->request(st.store, caf::infinite, commit_atom::value, std::move(cs))
    .then(
      [=](caf::ok_atom) mutable {
        self->state.setup.installed.remove(id);
        spdlog::info("license {} removed: product={} seats={}", lic.id_hex(), lic.product,
                     lic.seats);
        push_seats(self);
        license_result r;
        r.ok = true;
        r.info = info;
        rp.deliver(std::move(r));
      },
      [=](caf::error& err) mutable {
        spdlog::error("removal of license {} not stored: {}", lic.id_hex(), to_string(err));
        rp.deliver(failure("storage_error", "the removal could not be stored"));
      });
  return rp;
}

} // namespace

license_info describe(const engine::license_set& set, const engine::installed_license& l,
                      int32_t today) {
  license_info i;
  i.id = l.lic.id_hex();
  i.product = l.lic.product;
  i.seats = l.lic.seats;
  i.state = std::string(engine::to_string(set.state(l, today)));
  i.issued = engine::format_date(l.lic.issued_day);
  i.expires = l.lic.expires_day == 0 ? "never" : engine::format_date(l.lic.expires_day);
  i.customer = l.lic.customer;
  i.installed_at_ms = l.installed_at_ms;
  i.code = l.code;
  return i;
}

licenses_actor::behavior_type licenses(licenses_actor::stateful_pointer<licenses_state> self,
                                       licenses_setup setup) {
  self->state.setup = std::move(setup);
  if (!self->state.setup.today)
    self->state.setup.today = today_day;
  // The pools were made with the seats of today; remember them as told.
  self->state.seats_told = self->state.setup.installed.seats(self->state.setup.today());
  self->delayed_send(self, self->state.setup.recheck, lic_tick_atom::value);
  return {
    [=](lic_add_atom, const std::string& code) { return add(self, code); },
    [=](lic_remove_atom, const std::string& id) { return remove(self, id); },
    [=](lic_list_atom) {
      std::vector<license_info> out;
      auto today = self->state.setup.today();
      for (const auto& l : self->state.setup.installed.list())
        out.push_back(describe(self->state.setup.installed, l, today));
      return out;
    },
    [=](lic_tick_atom) {
      push_seats(self);
      self->delayed_send(self, self->state.setup.recheck, lic_tick_atom::value);
    },
  };
}

} // namespace licd
