#pragma once

#include "actors/session.hpp"

#include <caf/io/broker.hpp>

namespace licd {

/// The ACCEPTOR broker: takes connections on a listening socket (already bound and listening)
/// and forks a SESSION for each. It monitors its sessions and ends them when it is told to exit.
caf::behavior acceptor(caf::io::broker* self, int listen_fd, session_setup setup);

} // namespace licd
