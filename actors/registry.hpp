#pragma once

#include "actors/interfaces.hpp"

#include <map>
#include <string>

namespace licd {

/// State of the REGISTRY actor: which pool serves which product.
struct registry_state {
  static inline const char* name = "registry";
  std::map<std::string, pool_actor> pools;
};

registry_actor::behavior_type registry(registry_actor::stateful_pointer<registry_state> self,
                                       std::map<std::string, pool_actor> pools);

} // namespace licd
