#include "actors/acceptor.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace licd {

namespace {

/// Refuses a connection at a limit: one error line, then closed; nothing else happens.
void refuse(caf::io::broker* self, caf::io::connection_handle hdl, const std::string& why) {
  auto line = net::protocol::format_error("-", net::protocol::error_code::too_many_connections,
                                          why)
              + "\n";
  auto& buf = self->wr_buf(hdl);
  buf.insert(buf.end(), line.begin(), line.end());
  self->flush(hdl);
  self->close(hdl);
}

} // namespace

caf::behavior acceptor(caf::io::broker* self, int listen_fd, session_setup setup) {
  self->add_doorman(listen_fd);
  auto sessions = std::make_shared<std::set<caf::actor>>();
  // Open connections per client address, and each session's address.
  auto per_address = std::make_shared<std::map<std::string, size_t>>();
  auto address_of = std::make_shared<std::map<caf::actor_addr, std::string>>();
  // On exit, the acceptor ends every session and quits only once all of them are down: whoever
  // waits for the acceptor (the server's stop) then knows no session is left. A session still
  // holding its exit message when the actor system goes away would never run again, and with
  // it whatever it refers to (a leak the sanitizer build reports at exit).
  auto stopping = std::make_shared<std::optional<caf::error>>();
  self->set_exit_handler([=](caf::exit_msg& msg) {
    if (*stopping)
      return;
    // A "normal" exit, which actors ignore by default, would not end the sessions.
    *stopping = msg.reason ? msg.reason : caf::make_error(caf::exit_reason::user_shutdown);
    for (const auto& s : *sessions)
      self->send_exit(s, **stopping);
    if (sessions->empty())
      self->quit(**stopping);
  });
  self->set_down_handler([=](caf::down_msg& msg) {
    sessions->erase(caf::actor_cast<caf::actor>(msg.source));
    if (auto it = address_of->find(msg.source); it != address_of->end()) {
      if (auto n = per_address->find(it->second); n != per_address->end() && --n->second == 0)
        per_address->erase(n);
      address_of->erase(it);
    }
    if (*stopping && sessions->empty())
      self->quit(**stopping);
  });
  return {
    [=](const caf::io::new_connection_msg& msg) {
      if (*stopping) { // shutting down: no new session
        self->close(msg.handle);
        return;
      }
      const auto& lim = setup.limits;
      auto address = self->remote_addr(msg.handle);
      if (sessions->size() >= lim.max_connections) {
        setup.metrics->refused_total_limit.fetch_add(1, std::memory_order_relaxed);
        spdlog::warn("connection from {} refused: {} connections open (--max-connections)",
                     address, sessions->size());
        refuse(self, msg.handle, "the server has " + std::to_string(lim.max_connections)
                                   + " connections open, its limit; try again later");
        return;
      }
      auto& from_here = (*per_address)[address];
      if (lim.max_per_address != 0 && from_here >= lim.max_per_address) {
        setup.metrics->refused_address_limit.fetch_add(1, std::memory_order_relaxed);
        spdlog::warn("connection from {} refused: {} open from that address", address,
                     from_here);
        refuse(self, msg.handle, "this address has " + std::to_string(from_here)
                                   + " connections open, the server's limit per address");
        return;
      }
      auto s = self->fork(session, msg.handle, setup);
      self->monitor(s);
      sessions->insert(s);
      ++from_here;
      address_of->emplace(s.address(), address);
    },
    [=](const caf::io::acceptor_closed_msg&) {
      spdlog::error("the client listener closed; no new connections are accepted");
    },
  };
}

} // namespace licd
