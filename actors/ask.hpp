#pragma once

#include <caf/scoped_actor.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace licd {

/// Asks an actor and waits for the answer. Blocks the calling thread: for threads outside the
/// scheduler only (the admin API's HTTP threads, tests), never inside an actor.
/// Throws std::runtime_error when the actor fails or does not answer in time.
template <class T, class Handle, class... Ts>
T ask(caf::actor_system& sys, std::chrono::milliseconds timeout, const Handle& h, Ts... xs) {
  caf::scoped_actor self{sys};
  std::optional<T> out;
  std::string why;
  self->request(h, timeout, xs...)
    .receive([&](T& x) { out = std::move(x); }, [&](caf::error& e) { why = to_string(e); });
  if (!out)
    throw std::runtime_error("the server did not answer in time: " + why);
  return std::move(*out);
}

} // namespace licd
