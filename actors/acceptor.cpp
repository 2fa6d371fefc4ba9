#include "actors/acceptor.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>

#include <memory>
#include <set>

namespace licd {

caf::behavior acceptor(caf::io::broker* self, int listen_fd, session_setup setup) {
  self->add_doorman(listen_fd);
  auto sessions = std::make_shared<std::set<caf::actor>>();
  self->set_exit_handler([=](caf::exit_msg& msg) {
    for (const auto& s : *sessions)
      self->send_exit(s, msg.reason);
    sessions->clear();
    self->quit(msg.reason);
  });
  self->set_down_handler([=](caf::down_msg& msg) {
    sessions->erase(caf::actor_cast<caf::actor>(msg.source));
  });
  return {
    [=](const caf::io::new_connection_msg& msg) {
      auto s = self->fork(session, msg.handle, setup);
      self->monitor(s);
      sessions->insert(s);
    },
    [=](const caf::io::acceptor_closed_msg&) {
      spdlog::error("the client listener closed; no new connections are accepted");
    },
  };
}

} // namespace licd
