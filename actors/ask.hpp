#pragma once

#include "actors/messages.hpp"

#include <caf/scoped_actor.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace licd {

/// An actor refused a request (with a licd error), failed, or did not answer in time
/// (server_error).
class request_failed : public std::runtime_error {
public:
  request_failed(engine::errc code, const std::string& message)
    : std::runtime_error(message), code_(code) {}
  engine::errc code() const { return code_; }

private:
  engine::errc code_;
};

/// Asks an actor and waits for the answer. Blocks the calling thread: for threads outside the
/// scheduler only (the admin API's HTTP threads, tests), never inside an actor.
/// Throws request_failed when the actor refuses, fails or does not answer in time.
template <class T, class Handle, class... Ts>
T ask(caf::actor_system& sys, std::chrono::milliseconds timeout, const Handle& h, Ts... xs) {
  caf::scoped_actor self{sys};
  std::optional<T> out;
  caf::error err;
  self->request(h, timeout, xs...)
    .receive([&](T& x) { out = std::move(x); }, [&](caf::error& e) { err = std::move(e); });
  if (out)
    return std::move(*out);
  auto code = errc_of(err);
  if (code != engine::errc::server_error && !err.context().empty()
      && err.context().match_elements<std::string>())
    throw request_failed(code, err.context().get_as<std::string>(0));
  throw request_failed(engine::errc::server_error,
                       "the server did not answer in time: " + to_string(err));
}

} // namespace licd
