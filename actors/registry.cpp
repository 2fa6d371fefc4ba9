#include "actors/registry.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <memory>

namespace licd {

registry_actor::behavior_type registry(registry_actor::stateful_pointer<registry_state> self,
                                       std::map<std::string, pool_actor> pools) {
  self->state.pools = std::move(pools);
  return {
    [=](pool_atom, const std::string& product) -> pool_actor {
      auto it = self->state.pools.find(product);
      return it == self->state.pools.end() ? pool_actor{} : it->second;
    },
    [=](find_lease_atom, const engine::lease_id& id) -> caf::result<pool_actor> {
      // The rare path (a client back after a reconnect): ask every pool, first yes wins.
      auto& pools = self->state.pools;
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
      auto& pools = self->state.pools;
      if (pools.empty())
        return std::vector<pool_status>{};
      auto rp = self->make_response_promise<std::vector<pool_status>>();
      auto gathered = std::make_shared<std::vector<pool_status>>();
      auto expected = pools.size();
      auto finish = [=]() mutable {
        if (gathered->size() < expected)
          return;
        std::sort(gathered->begin(), gathered->end(),
                  [](const auto& a, const auto& b) { return a.product < b.product; });
        rp.deliver(std::move(*gathered));
      };
      for (auto& kv : pools) {
        auto product = kv.first;
        self->request(kv.second, caf::infinite, status_atom::value)
          .then(
            [=](pool_status& s) mutable {
              gathered->push_back(std::move(s));
              finish();
            },
            [=](caf::error&) mutable {
              gathered->push_back(pool_status{product, 0, 0, 0});
              finish();
            });
      }
      return rp;
    },
  };
}

} // namespace licd
