#include "actors/session.hpp"

#include "licd/version.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>

namespace licd {

namespace {

namespace proto = net::protocol;
using hdl_t = caf::io::connection_handle;

/// Writes the reply to one request line; after QUIT, closes once the last reply is out.
void write_line(session_broker* self, hdl_t hdl, const std::string& line) {
  auto& st = self->state;
  auto& buf = self->wr_buf(hdl);
  buf.insert(buf.end(), line.begin(), line.end());
  buf.push_back('\n');
  self->flush(hdl);
  if (st.outstanding > 0)
    --st.outstanding;
  if (st.closing && st.outstanding == 0) {
    self->close(hdl);
    self->quit();
  }
}

void write_error(session_broker* self, hdl_t hdl, const std::string& id, proto::error_code code,
                 const std::string& message) {
  write_line(self, hdl, proto::format_error(id, code, message));
}

proto::error_code to_error_code(outcome o) {
  switch (o) {
    case outcome::no_seats:
      return proto::error_code::no_seats;
    case outcome::unknown_lease:
      return proto::error_code::unknown_lease;
    case outcome::storage_error:
      return proto::error_code::storage_error;
    case outcome::server_error:
    case outcome::ok:
      break;
  }
  return proto::error_code::server_error;
}

/// Writes an ERR line for a failed pool reply; true if it did.
bool write_if_refused(session_broker* self, hdl_t hdl, const std::string& id,
                      const pool_reply& r) {
  if (r.result == outcome::ok)
    return false;
  write_error(self, hdl, id, to_error_code(r.result), r.detail);
  return true;
}

auto server_failure(session_broker* self, hdl_t hdl, std::string id) {
  return [=](caf::error& err) {
    spdlog::warn("session: request {} failed inside the server: {}", id, to_string(err));
    write_error(self, hdl, id, proto::error_code::server_error, "internal error, nothing changed");
  };
}

/// Calls f(pool) with the product's pool, asking the registry once per product.
template <class F>
void with_pool(session_broker* self, hdl_t hdl, registry_actor reg, const proto::request& req,
               F f) {
  auto& cache = self->state.pools;
  if (auto it = cache.find(req.product); it != cache.end()) {
    f(it->second);
    return;
  }
  auto id = req.id;
  auto product = req.product;
  self->request(reg, caf::infinite, pool_atom::value, product)
    .then(
      [=](pool_actor& p) mutable {
        if (!p) {
          write_error(self, hdl, id, proto::error_code::unknown_product,
                      "no product named " + product + " on this server");
          return;
        }
        self->state.pools.emplace(product, p);
        f(p);
      },
      server_failure(self, hdl, id));
}

/// Calls f(pool) with the pool holding the lease: the cache, else the registry asks the pools.
template <class F>
void with_lease_pool(session_broker* self, hdl_t hdl, registry_actor reg,
                     const proto::request& req, F f) {
  auto lease = *req.lease;
  if (auto it = self->state.leases.find(lease); it != self->state.leases.end()) {
    f(it->second);
    return;
  }
  auto id = req.id;
  self->request(reg, caf::infinite, find_lease_atom::value, lease)
    .then(
      [=](pool_actor& p) mutable {
        if (!p) {
          write_error(self, hdl, id, proto::error_code::unknown_lease,
                      "no live lease " + lease.to_hex());
          return;
        }
        self->state.leases.emplace(lease, p);
        f(p);
      },
      server_failure(self, hdl, id));
}

void handle_checkout(session_broker* self, hdl_t hdl, const session_setup& setup,
                     const proto::request& req) {
  engine::identity who = *self->state.who;
  if (req.computer)
    who.computer = *req.computer;
  if (req.user)
    who.user = *req.user;
  if (req.instance)
    who.instance = *req.instance;
  auto id = req.id;
  with_pool(self, hdl, setup.registry, req, [=](pool_actor p) {
    self->request(p, caf::infinite, checkout_atom::value, who)
      .then(
        [=](pool_reply& r) {
          if (write_if_refused(self, hdl, id, r))
            return;
          self->state.leases.emplace(r.lease, p);
          write_line(self, hdl,
                     proto::format_ok(id, {{"lease", r.lease.to_hex()},
                                           {"product", r.product},
                                           {"expires_in", std::to_string(r.expires_in)},
                                           {"seats", std::to_string(r.seats)},
                                           {"used", std::to_string(r.used)}}));
        },
        server_failure(self, hdl, id));
  });
}

void handle_renew_or_release(session_broker* self, hdl_t hdl, const session_setup& setup,
                             const proto::request& req) {
  auto id = req.id;
  auto lease = *req.lease;
  bool renewing = req.cmd == proto::command::renew;
  with_lease_pool(self, hdl, setup.registry, req, [=](pool_actor p) {
    auto on_reply = [=](pool_reply& r) {
      if (r.result != outcome::ok || !renewing)
        self->state.leases.erase(lease);
      if (write_if_refused(self, hdl, id, r))
        return;
      std::vector<proto::field> fields{{"lease", lease.to_hex()}};
      if (renewing)
        fields.emplace_back("expires_in", std::to_string(r.expires_in));
      write_line(self, hdl, proto::format_ok(id, fields));
    };
    if (renewing)
      self->request(p, caf::infinite, renew_atom::value, lease)
        .then(on_reply, server_failure(self, hdl, id));
    else
      self->request(p, caf::infinite, release_atom::value, lease)
        .then(on_reply, server_failure(self, hdl, id));
  });
}

std::string usage_field(const pool_status& s) {
  return std::to_string(s.used) + "/" + std::to_string(s.seats);
}

void handle_status(session_broker* self, hdl_t hdl, const session_setup& setup,
                   const proto::request& req) {
  auto id = req.id;
  if (!req.product.empty()) {
    with_pool(self, hdl, setup.registry, req, [=](pool_actor p) {
      self->request(p, caf::infinite, status_atom::value)
        .then(
          [=](pool_status& s) {
            write_line(self, hdl, proto::format_ok(id, {{s.product, usage_field(s)}}));
          },
          server_failure(self, hdl, id));
    });
    return;
  }
  self->request(setup.registry, caf::infinite, status_atom::value)
    .then(
      [=](std::vector<pool_status>& all) {
        std::vector<proto::field> fields;
        for (const auto& s : all)
          fields.emplace_back(s.product, usage_field(s));
        write_line(self, hdl, proto::format_ok(id, fields));
      },
      server_failure(self, hdl, id));
}

void handle_line(session_broker* self, hdl_t hdl, const session_setup& setup,
                 std::string_view line) {
  if (line.find_first_not_of(" \t") == std::string_view::npos)
    return; // blank lines are ignored
  ++self->state.outstanding;
  auto parsed = proto::parse_request(line);
  if (auto* err = std::get_if<proto::parse_error>(&parsed)) {
    write_error(self, hdl, err->id, err->code, err->message);
    return;
  }
  auto& req = std::get<proto::request>(parsed);
  auto& st = self->state;
  bool needs_hello = req.cmd == proto::command::checkout || req.cmd == proto::command::renew
                     || req.cmd == proto::command::release;
  if (needs_hello && !st.who) {
    write_error(self, hdl, req.id, proto::error_code::no_hello,
                "send HELLO with version=, computer= and user= first");
    return;
  }
  switch (req.cmd) {
    case proto::command::hello:
      if (*req.version != protocol_version) {
        write_error(self, hdl, req.id, proto::error_code::bad_version,
                    "this server speaks protocol version " + std::to_string(protocol_version));
        return;
      }
      st.who = engine::identity{*req.computer, *req.user, req.instance.value_or("-")};
      write_line(self, hdl,
                 proto::format_ok(req.id, {{"version", std::to_string(protocol_version)},
                                           {"server", std::string("licd/") + version},
                                           {"ttl", std::to_string(setup.ttl_seconds)}}));
      return;
    case proto::command::ping:
      write_line(self, hdl, proto::format_ok(req.id));
      return;
    case proto::command::quit:
      st.closing = true; // later lines are ignored; earlier ones still get their replies
      write_line(self, hdl, proto::format_ok(req.id));
      return;
    case proto::command::status:
      handle_status(self, hdl, setup, req);
      return;
    case proto::command::checkout:
      handle_checkout(self, hdl, setup, req);
      return;
    case proto::command::renew:
    case proto::command::release:
      handle_renew_or_release(self, hdl, setup, req);
      return;
  }
}

} // namespace

caf::behavior session(session_broker* self, hdl_t hdl, session_setup setup) {
  self->configure_read(hdl, caf::io::receive_policy::at_most(4096));
  self->set_exception_handler([=](std::exception_ptr&) -> caf::error {
    spdlog::error("session: unexpected exception, closing the connection");
    return caf::sec::runtime_error;
  });
  auto handler = std::make_shared<net::line_splitter::handler>();
  handler->on_line = [=](std::string_view line) {
    if (!self->state.closing)
      handle_line(self, hdl, setup, line);
  };
  handler->on_too_long = [=] {
    if (self->state.closing)
      return;
    ++self->state.outstanding;
    write_error(self, hdl, "-", proto::error_code::line_too_long,
                "a request line may have at most " + std::to_string(proto::max_line)
                    + " bytes; the line was skipped");
  };
  return {
    [=](const caf::io::new_data_msg& msg) {
      std::string_view bytes(msg.buf.data(), msg.buf.size());
      if (!self->state.closing)
        self->state.splitter.feed(bytes, *handler);
    },
    [=](const caf::io::connection_closed_msg&) { self->quit(); },
  };
}

} // namespace licd
