#include "actors/registry.hpp"

#include "actors/pool.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <tuple>

namespace licd {

namespace {

using self_ptr = registry_actor::stateful_pointer<registry_state>;

/// Asks every pool the same request and hands the gathered answers to `done` once all are in.
/// A pool that fails to answer contributes `fallback(product)`.
template <class T, class Fallback, class Done, class... Ts>
void gather(self_ptr self, Fallback fallback, Done done, Ts... request) {
  auto& pools = self->state.setup.pools;
  auto results = std::make_shared<std::vector<T>>();
  auto expected = pools.size();
  if (expected == 0) {
    done(*results);
    return;
  }
  auto finish = [=]() mutable {
    if (results->size() == expected)
      done(*results);
  };
  for (auto& kv : pools) {
    auto product = kv.first;
    self->request(kv.second, caf::infinite, request...)
      .then(
        [=](T& x) mutable {
          results->push_back(std::move(x));
          finish();
        },
        [=](caf::error&) mutable {
          results->push_back(fallback(product));
          finish();
        });
  }
}

} // namespace

pool_setup make_pool_setup(const registry_setup& rs, const std::string& product, uint32_t seats) {
  pool_setup ps;
  ps.product = {product, seats};
  ps.policy = rs.policy;
  ps.store = rs.store;
  ps.expiry = rs.expiry;
  ps.timers = rs.timers;
  return ps;
}

registry_actor::behavior_type registry(registry_actor::stateful_pointer<registry_state> self,
                                       registry_setup setup) {
  self->state.setup = std::move(setup);
  // The pools live and die with the registry.
  for (auto& kv : self->state.setup.pools)
    self->link_to(kv.second);
  return {
    [=](site_policy_atom, site_policy& site) {
      self->state.setup.policy.site = site;
      for (auto& kv : self->state.setup.pools)
        self->send(kv.second, site_policy_atom::value, site);
    },
    [=](pool_atom, const std::string& product) -> pool_actor {
      auto& pools = self->state.setup.pools;
      auto it = pools.find(product);
      return it == pools.end() ? pool_actor{} : it->second;
    },
    [=](find_lease_atom, const engine::lease_id& id) -> caf::result<pool_actor> {
      // The rare path (a client back after a reconnect): ask every pool, first yes wins.
      auto& pools = self->state.setup.pools;
      if (pools.empty())
        return pool_actor{};
      auto rp = self->make_response_promise<pool_actor>();
      auto pending = std::make_shared<size_t>(pools.size());
      auto done = std::make_shared<bool>(false);
      for (auto& kv : pools) {
        auto candidate = kv.second;
        auto answer = [=](bool found) mutable {
          --*pending;
          if (*done)
            return;
          if (found || *pending == 0) {
            *done = true;
            rp.deliver(found ? candidate : pool_actor{});
          }
        };
        self->request(candidate, caf::infinite, has_lease_atom::value, id)
          .then(answer, [=](caf::error&) mutable { answer(false); });
      }
      return rp;
    },
    [=](status_atom) -> caf::result<std::vector<pool_status>> {
      auto rp = self->make_response_promise<std::vector<pool_status>>();
      gather<pool_status>(
        self,
        [](const std::string& product) {
          pool_status s;
          s.product = product;
          return s;
        },
        [=](std::vector<pool_status>& all) mutable {
          std::sort(all.begin(), all.end(),
                    [](const auto& a, const auto& b) { return a.product < b.product; });
          rp.deliver(std::move(all));
        },
        status_atom::value);
      return rp;
    },
    [=](set_seats_atom, const std::string& product, uint32_t seats) {
      auto& st = self->state.setup;
      if (auto it = st.pools.find(product); it != st.pools.end()) {
        self->send(it->second, set_seats_atom::value, seats);
        return;
      }
      auto p = spawn_pool(self->system(), make_pool_setup(st, product, seats));
      self->link_to(p);
      st.pools.emplace(product, std::move(p));
      spdlog::info("new product {} with {} seats", product, seats);
    },
    [=](hello_atom, session_info& info) { self->state.sessions[info.id] = std::move(info); },
    [=](bye_atom, uint64_t id) { self->state.sessions.erase(id); },
    [=](sessions_atom) {
      std::vector<session_info> out;
      for (const auto& kv : self->state.sessions)
        out.push_back(kv.second);
      return out;
    },
    [=](leases_atom) -> caf::result<std::vector<lease_info>> {
      auto rp = self->make_response_promise<std::vector<lease_info>>();
      gather<std::vector<lease_info>>(
        self, [](const std::string&) { return std::vector<lease_info>{}; },
        [=](std::vector<std::vector<lease_info>>& per_pool) mutable {
          std::vector<lease_info> all;
          for (auto& v : per_pool)
            all.insert(all.end(), v.begin(), v.end());
          rp.deliver(std::move(all));
        },
        leases_atom::value);
      return rp;
    },
    [=](queue_atom) -> caf::result<std::vector<waiter_info>> {
      auto rp = self->make_response_promise<std::vector<waiter_info>>();
      gather<std::vector<waiter_info>>(
        self, [](const std::string&) { return std::vector<waiter_info>{}; },
        [=](std::vector<std::vector<waiter_info>>& per_pool) mutable {
          std::vector<waiter_info> all;
          for (auto& v : per_pool)
            all.insert(all.end(), v.begin(), v.end());
          std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
            return std::tie(a.product, a.position) < std::tie(b.product, b.position);
          });
          rp.deliver(std::move(all));
        },
        queue_atom::value);
      return rp;
    },
    [=](disconnect_atom, const std::string& computer,
        int64_t cooldown_ms) -> caf::result<uint32_t> {
      auto rp = self->make_response_promise<uint32_t>();
      auto disconnect = [=]() mutable {
        // Close the computer's sessions first, so they cannot check out again meanwhile.
        for (const auto& kv : self->state.sessions)
          if (kv.second.computer == computer)
            caf::anon_send(kv.second.handle, close_atom::value);
        gather<uint32_t>(
          self, [](const std::string&) { return uint32_t{0}; },
          [=](std::vector<uint32_t>& ended) mutable {
            uint32_t total = 0;
            for (auto n : ended)
              total += n;
            rp.deliver(total);
          },
          disconnect_atom::value, computer, cooldown_ms);
      };
      auto& sessions = self->state.sessions;
      if (std::any_of(sessions.begin(), sessions.end(),
                      [&](const auto& kv) { return kv.second.computer == computer; })) {
        disconnect();
        return rp;
      }
      // Not connected: known only if it holds a lease (it may be reconnecting).
      gather<std::vector<lease_info>>(
        self, [](const std::string&) { return std::vector<lease_info>{}; },
        [=](std::vector<std::vector<lease_info>>& per_pool) mutable {
          for (const auto& leases : per_pool)
            for (const auto& l : leases)
              if (l.computer == computer) {
                disconnect();
                return;
              }
          rp.deliver(make_error(engine::errc::unknown_computer,
                                "no computer " + computer + " is connected or holds a lease"));
        },
        leases_atom::value);
      return rp;
    },
    [=](end_lease_atom, const engine::lease_id& id) -> caf::result<bool> {
      auto rp = self->make_response_promise<bool>();
      gather<pool_reply>(
        self,
        [](const std::string&) {
          pool_reply r;
          r.result = engine::errc::unknown_lease;
          return r;
        },
        [=](std::vector<pool_reply>& replies) mutable {
          bool ended = std::any_of(replies.begin(), replies.end(),
                                   [](const auto& r) { return r.result == std::nullopt; });
          rp.deliver(ended);
        },
        end_lease_atom::value, id);
      return rp;
    },
  };
}

} // namespace licd
