#include "actors/session.hpp"

#include "actors/clock.hpp"
#include "actors/transport.hpp"
#include "licd/version.hpp"
#include "net/replies.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

namespace licd {

namespace {

namespace proto = net::protocol;
using hdl_t = caf::io::connection_handle;

/// Tells the registry who is connected here (for the admin API's computer list).
void announce(session_broker* self, hdl_t hdl) {
  session_info info;
  info.id = self->id();
  info.handle = caf::actor_cast<caf::actor>(self);
  info.computer = self->state.who->computer;
  info.user = self->state.who->user;
  info.address = self->remote_addr(hdl);
  info.connected_at_ms = self->state.connected_at_ms;
  self->send(self->state.setup->registry, hello_atom::value, std::move(info));
}

/// The socket behind a CAF 0.17 connection handle (its id is the file descriptor), when that
/// checks out against what CAF says of the peer; -1 otherwise (then CAF does all the writing).
int socket_of(session_broker* self, hdl_t hdl) {
  auto fd = static_cast<int>(hdl.id());
  int type = 0;
  socklen_t type_len = sizeof(type);
  sockaddr_storage peer{};
  socklen_t peer_len = sizeof(peer);
  if (fd < 0 || ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0
      || type != SOCK_STREAM
      || ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0)
    return -1;
  uint16_t port = peer.ss_family == AF_INET
                    ? ntohs(reinterpret_cast<sockaddr_in*>(&peer)->sin_port)
                  : peer.ss_family == AF_INET6
                    ? ntohs(reinterpret_cast<sockaddr_in6*>(&peer)->sin6_port)
                    : 0;
  return port != 0 && port == self->remote_port(hdl) ? fd : -1;
}

/// CAF's side of the connection, for the transport: the broker's write buffer.
class broker_connection : public caf_connection {
public:
  broker_connection(session_broker* self, hdl_t hdl) : self_(self), hdl_(hdl) {}
  void queue(std::string_view bytes) override {
    auto& buf = self_->wr_buf(hdl_);
    buf.insert(buf.end(), bytes.begin(), bytes.end());
    self_->flush(hdl_);
  }
  void close() override { self_->close(hdl_); }

private:
  session_broker* self_;
  hdl_t hdl_;
};

/// The session's waiting checkouts leave their queues (each pool answers them with a refusal):
/// nobody would take the seat.
void leave_queues(session_broker* self) {
  auto& st = self->state;
  if (st.queued == 0)
    return;
  std::vector<caf::actor_addr> told;
  for (const auto& p : st.pending)
    if (p.queued && std::find(told.begin(), told.end(), p.pool.address()) == told.end()) {
      told.push_back(p.pool.address());
      self->send(p.pool, unqueue_atom::value, static_cast<uint64_t>(self->id()));
    }
}

/// Ends the session: the registry forgets it, the connection closes.
void leave(session_broker* self, hdl_t hdl, bool reset = false) {
  auto& st = self->state;
  if (st.left)
    return;
  st.left = true;
  st.setup->metrics->sessions.fetch_sub(1, std::memory_order_relaxed);
  leave_queues(self);
  // Its HELLO and idle timeouts would keep this actor's memory for up to twice the lease TTL.
  self->send(st.setup->timers, timer_off_atom::value, self->id());
  if (st.who)
    self->send(st.setup->registry, bye_atom::value, self->id());
  st.io->close(st.cut_off, reset);
  (void)hdl;
  self->quit();
}

/// CAF reports the end of the client's stream: a full close, a broken connection, or a
/// half-close (`shutdown(SHUT_WR)`, as `printf ... | nc -N` does) after which the client still
/// reads. CAF drops the connection then, replies still owed included. So while any are owed,
/// the transport keeps the socket open, sends them, and the session ends after the last one; a
/// client that has gone makes the first send fail, which ends the session too.
void on_stream_end(session_broker* self, hdl_t hdl) {
  auto& st = self->state;
  if (st.left)
    return;
  // A closed connection waits for nothing: whether the client closed only its sending side or
  // all of it cannot be told apart here, so its waiting checkouts leave their queues and get
  // their refusal (which a half-closed client still reads).
  leave_queues(self);
  if (!st.io->keep_for_replies(st.outstanding > 0)) {
    leave(self, hdl);
    return;
  }
  st.closing = true; // nothing more can arrive: end once the replies owed are out
}

/// Writes one reply line (its LF is added here); after QUIT, closes once the last reply is out.
/// `reply` false: a line that answers no request by itself (QUEUED).
void write_line(session_broker* self, hdl_t hdl, std::string line, bool reply = true) {
  auto& st = self->state;
  if (st.left)
    return;
  if (!st.io->write_line(std::move(line))) {
    if (auto why = st.io->error(); !why.empty())
      spdlog::info("TLS session from {} ended: {}", self->remote_addr(hdl), why);
    leave(self, hdl); // a TLS failure, or the client closed its side and takes no replies
    return;
  }
  // What CAF still holds could not go to the kernel: the client is not reading its replies.
  // Past the bound it is cut off, so it cannot grow licd's memory.
  if (st.io->too_far_behind()) {
    st.setup->metrics->slow_readers_closed.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("resetting the connection from {}: it does not read its replies ({} bytes "
                 "waiting)",
                 self->remote_addr(hdl), st.io->queued());
    leave(self, hdl, true);
    return;
  }
  if (!reply)
    return;
  if (st.outstanding > 0)
    --st.outstanding;
  if (st.closing && st.outstanding == 0)
    leave(self, hdl);
}

/// Tells the client why it is being closed (one unsolicited error line, id "-"), then closes.
void say_goodbye(session_broker* self, hdl_t hdl, proto::error_code code,
                 const std::string& message) {
  auto& st = self->state;
  st.closing = true;
  st.cut_off = true;
  st.outstanding = 0;
  write_line(self, hdl, proto::format_error("-", code, message)); // leaves: closing, none owed
}

/// Answers one request exactly once, and records how long the answer took.
struct responder {
  session_broker* self;
  hdl_t hdl;
  std::string id;
  request_kind kind;
  engine::mono_time started;

  void ok(const std::vector<proto::field>& fields = {}) const {
    send(proto::format_ok(id, fields));
  }
  void error(proto::error_code code, const std::string& message) const {
    send(proto::format_error(id, code, message));
  }
  void send(std::string line) const {
    self->state.setup->metrics->observe(kind, mono_now() - started);
    write_line(self, hdl, std::move(line));
  }
  /// The handler for a request to another actor that failed.
  auto on_failure() const {
    auto r = *this;
    return [r](caf::error& err) {
      spdlog::warn("session: request {} failed inside the server: {}", r.id, to_string(err));
      r.error(proto::error_code::server_error, "internal error, nothing changed");
    };
  }
};

/// Answers ERR for a refused pool reply; true if it did.
bool refused(const responder& r, const pool_reply& reply) {
  if (!reply.result)
    return false;
  r.error(*reply.result, reply.detail);
  return true;
}

/// Calls f(pool) with the product's pool, asking the registry once per product.
template <class F>
void with_pool(const responder& r, const std::string& product, F f) {
  auto* self = r.self;
  auto& cache = self->state.pools;
  if (auto it = cache.find(product); it != cache.end()) {
    f(it->second);
    return;
  }
  self->request(self->state.setup->registry, caf::infinite, pool_atom::value, product)
    .then(
      [=](pool_actor& p) mutable {
        if (!p) {
          r.error(proto::error_code::unknown_product,
                  "no product named " + product + " on this server");
          return;
        }
        self->state.pools.emplace(product, p);
        f(p);
      },
      r.on_failure());
}

/// Calls f(pool) with the pool holding the lease: the cache, else the registry asks the pools.
template <class F>
void with_lease_pool(const responder& r, const engine::lease_id& lease, F f) {
  auto* self = r.self;
  if (auto it = self->state.leases.find(lease); it != self->state.leases.end()) {
    f(it->second);
    return;
  }
  self->request(self->state.setup->registry, caf::infinite, find_lease_atom::value, lease)
    .then(
      [=](pool_actor& p) mutable {
        if (!p) {
          r.error(proto::error_code::unknown_lease, "no live lease " + lease.to_hex());
          return;
        }
        self->state.leases.emplace(lease, p);
        f(p);
      },
      r.on_failure());
}

/// Remembers a request sent to a pool; returns the tag the pool's reply will carry.
uint64_t remember(const responder& r, engine::lease_id lease, pool_actor pool = {}) {
  auto& st = r.self->state;
  auto tag = ++st.next_tag;
  st.pending.push_back(pending_request{tag, r.id, r.kind, r.started, lease, std::move(pool)});
  return tag;
}

void handle_checkout(const responder& r, const proto::request& req) {
  auto* self = r.self;
  engine::identity who = *self->state.who;
  if (req.computer)
    who.computer = *req.computer;
  if (req.user)
    who.user = *req.user;
  if (req.instance)
    who.instance = *req.instance;
  with_pool(r, req.product, [r, self, who = std::move(who), wait = req.wait](pool_actor p) mutable {
    auto tag = remember(r, engine::lease_id{}, p);
    self->send(p, checkout_atom::value, std::move(who), tag, wait);
  });
}

void handle_renew_or_release(const responder& r, const proto::request& req) {
  auto* self = r.self;
  auto lease = *req.lease;
  bool renewing = req.cmd == proto::command::renew;
  with_lease_pool(r, lease, [=](pool_actor p) {
    auto tag = remember(r, lease);
    if (renewing)
      self->send(p, renew_atom::value, lease, tag);
    else
      self->send(p, release_atom::value, lease, tag);
  });
}

/// The product a cached pool serves.
std::string product_of(session_broker* self, const pool_actor& pool) {
  for (const auto& [product, p] : self->state.pools)
    if (p == pool)
      return product;
  return "-"; // not reached: checkouts go through the cache
}

/// A CHECKOUT with wait= joined its product's queue: tells the client (`QUEUED ID ...`).
void on_queued(session_broker* self, hdl_t hdl, uint64_t tag, uint32_t position, uint32_t waiting) {
  auto& st = self->state;
  auto it = std::find_if(st.pending.begin(), st.pending.end(),
                         [&](const pending_request& p) { return p.tag == tag; });
  if (it == st.pending.end() || it->queued)
    return;
  it->queued = true;
  ++st.queued;
  write_line(
    self, hdl,
    proto::format_queued(it->id, proto::queue_place{product_of(self, it->pool), position, waiting}),
    false);
}

/// `STATUS ID queue=REQID`: the place in line of this connection's waiting CHECKOUT REQID.
void handle_queue_status(const responder& r, const std::string& request_id) {
  auto* self = r.self;
  auto& pending = self->state.pending;
  auto it = std::find_if(pending.begin(), pending.end(), [&](const pending_request& p) {
    return p.kind == request_kind::checkout && p.queued && p.id == request_id;
  });
  auto not_waiting = [r, request_id] {
    r.error(proto::error_code::not_waiting,
            "no CHECKOUT " + request_id + " waits in a queue on this connection");
  };
  if (it == pending.end()) {
    not_waiting();
    return;
  }
  auto product = product_of(self, it->pool);
  self
    ->request(it->pool, caf::infinite, queue_atom::value, static_cast<uint64_t>(self->id()),
              it->tag)
    .then(
      [=](uint32_t position, uint32_t waiting) {
        if (position == 0) { // granted or given up meanwhile: its reply is on its way
          not_waiting();
          return;
        }
        r.send(proto::format(r.id, proto::queue_place{product, position, waiting}));
      },
      r.on_failure());
}

/// Answers the client for a pool's reply to a CHECKOUT, RENEW or RELEASE.
void on_pool_reply(session_broker* self, hdl_t hdl, pool_reply& reply) {
  auto& pending = self->state.pending;
  auto it = std::find_if(pending.begin(), pending.end(),
                         [&](const pending_request& p) { return p.tag == reply.tag; });
  if (it == pending.end()) {
    spdlog::error("session: a pool answered request tag {}, which this session did not send",
                  reply.tag);
    return;
  }
  auto p = std::move(*it);
  if (&*it != &pending.back())
    *it = std::move(pending.back());
  pending.pop_back();
  responder r{self, hdl, std::move(p.id), p.kind, p.started};
  if (p.queued)
    --self->state.queued;
  if (p.kind == request_kind::checkout) {
    if (refused(r, reply))
      return;
    self->state.leases.emplace(reply.lease, std::move(p.pool));
    r.send(proto::format(r.id, proto::checkout_ok{reply.lease, reply.product, reply.expires_in,
                                                  reply.seats, reply.used}));
    return;
  }
  bool renewing = p.kind == request_kind::renew;
  if (reply.result || !renewing)
    self->state.leases.erase(p.lease);
  if (refused(r, reply))
    return;
  if (renewing)
    r.send(proto::format(r.id, proto::renew_ok{p.lease, reply.expires_in}));
  else
    r.send(proto::format(r.id, proto::release_ok{p.lease}));
}

proto::product_usage usage_of(const pool_status& s) {
  return {s.product, s.used, s.seats};
}

void handle_status(const responder& r, const proto::request& req) {
  auto* self = r.self;
  if (req.queue) {
    handle_queue_status(r, *req.queue);
    return;
  }
  if (!req.product.empty()) {
    with_pool(r, req.product, [=](pool_actor p) {
      self->request(p, caf::infinite, status_atom::value)
        .then([=](pool_status& s) { r.send(proto::format(r.id, proto::status_ok{{usage_of(s)}})); },
              r.on_failure());
    });
    return;
  }
  self->request(self->state.setup->registry, caf::infinite, status_atom::value)
    .then(
      [=](std::vector<pool_status>& all) {
        proto::status_ok status;
        for (const auto& s : all)
          status.products.push_back(usage_of(s));
        r.send(proto::format(r.id, status));
      },
      r.on_failure());
}

request_kind kind_of(proto::command c) {
  switch (c) {
    case proto::command::hello:
      return request_kind::hello;
    case proto::command::checkout:
      return request_kind::checkout;
    case proto::command::renew:
      return request_kind::renew;
    case proto::command::release:
      return request_kind::release;
    case proto::command::status:
      return request_kind::status;
    default:
      return request_kind::other;
  }
}

void handle_line(session_broker* self, hdl_t hdl, std::string_view line) {
  if (line.find_first_not_of(" \t") == std::string_view::npos)
    return; // blank lines are ignored
  auto& st = self->state;
  ++st.outstanding;
  auto started = mono_now();
  auto parsed = proto::parse_request(line);
  if (auto* err = std::get_if<proto::parse_error>(&parsed)) {
    st.setup->metrics->protocol_errors.fetch_add(1, std::memory_order_relaxed);
    responder{self, hdl, err->id, request_kind::other, started}.error(err->code, err->message);
    return;
  }
  auto& req = std::get<proto::request>(parsed);
  responder r{self, hdl, req.id, kind_of(req.cmd), started};
  bool needs_hello = req.cmd == proto::command::checkout || req.cmd == proto::command::renew
                     || req.cmd == proto::command::release;
  if (needs_hello && !st.who) {
    r.error(proto::error_code::no_hello, "send HELLO with version=, computer= and user= first");
    return;
  }
  switch (req.cmd) {
    case proto::command::hello:
      if (*req.version != protocol_version) {
        r.error(proto::error_code::bad_version,
                "this server speaks protocol version " + std::to_string(protocol_version));
        return;
      }
      st.who = engine::identity{*req.computer, *req.user, req.instance.value_or("-"),
                                self->remote_addr(hdl)};
      announce(self, hdl);
      r.send(proto::format(r.id, proto::hello_ok{protocol_version, std::string("licd/") + version,
                                                 st.setup->ttl_seconds}));
      return;
    case proto::command::ping:
      r.ok();
      return;
    case proto::command::quit:
      st.closing = true; // later lines are ignored; earlier ones still get their replies
      r.ok();
      return;
    case proto::command::status:
      handle_status(r, req);
      return;
    case proto::command::checkout:
      handle_checkout(r, req);
      return;
    case proto::command::renew:
    case proto::command::release:
      handle_renew_or_release(r, req);
      return;
  }
}

} // namespace

caf::behavior session(session_broker* self, hdl_t hdl, session_setup setup) {
  self->configure_read(hdl, caf::io::receive_policy::at_most(4096));
  self->ack_writes(hdl, true); // data_transferred_msg: when CAF's queue is empty again
  auto fd = socket_of(self, hdl);
  if (fd < 0)
    spdlog::warn("session: the socket behind a CAF connection handle could not be confirmed; "
                 "replies go through CAF's write buffer");
  self->state.caf = std::make_unique<broker_connection>(self, hdl);
  self->state.io = std::make_unique<transport>(fd, setup.tls, *self->state.caf);
  self->state.setup = std::make_shared<session_setup>(setup);
  self->state.connected_at_ms = wall_now_ms();
  setup.metrics->sessions.fetch_add(1, std::memory_order_relaxed);
  setup.metrics->connections.fetch_add(1, std::memory_order_relaxed);
  self->set_exception_handler([=](std::exception_ptr&) -> caf::error {
    spdlog::error("session: unexpected exception, closing the connection");
    leave(self, hdl);
    return caf::sec::runtime_error;
  });
  self->state.last_heard = mono_now();
  auto idle = setup.limits.idle_timeout.count() > 0
                ? setup.limits.idle_timeout
                : defaults::idle_timeout(std::chrono::seconds(setup.ttl_seconds));
  send_later(setup.timers, self, setup.limits.hello_timeout, hello_due_atom::value);
  send_later(setup.timers, self, idle, idle_check_atom::value);
  auto handler = std::make_shared<net::line_splitter::handler>();
  handler->on_line = [=](std::string_view line) {
    if (!self->state.closing)
      handle_line(self, hdl, line);
  };
  handler->on_too_long = [=] {
    if (self->state.closing)
      return;
    ++self->state.outstanding;
    self->state.setup->metrics->protocol_errors.fetch_add(1, std::memory_order_relaxed);
    responder{self, hdl, "-", request_kind::other, mono_now()}.error(
      proto::error_code::line_too_long, "a request line may have at most "
                                          + std::to_string(proto::max_line)
                                          + " bytes; the line was skipped");
  };
  return {
    [=](const caf::io::new_data_msg& msg) {
      auto& st = self->state;
      st.last_heard = mono_now();
      std::string plain;
      switch (st.io->receive(std::string_view(msg.buf.data(), msg.buf.size()), plain)) {
        case transport::received::ok:
          if (!st.closing && !plain.empty())
            st.splitter.feed(plain, *handler);
          return;
        case transport::received::failed:
          spdlog::info("TLS session from {} ended: {}", self->remote_addr(hdl), st.io->error());
          break;
        case transport::received::tls_required:
          break;
      }
      st.setup->metrics->protocol_errors.fetch_add(1, std::memory_order_relaxed);
      leave(self, hdl);
    },
    [=](pool_reply& reply) { on_pool_reply(self, hdl, reply); },
    [=](queued_atom, uint64_t tag, uint32_t position, uint32_t waiting) {
      on_queued(self, hdl, tag, position, waiting);
    },
    [=](const caf::io::connection_closed_msg&) { on_stream_end(self, hdl); },
    [=](const caf::io::data_transferred_msg& msg) {
      self->state.io->written(static_cast<size_t>(msg.written));
    },
    [=](hello_due_atom) {
      auto& st = self->state;
      if (st.who || st.left)
        return;
      st.setup->metrics->hello_timeouts.fetch_add(1, std::memory_order_relaxed);
      say_goodbye(self, hdl, proto::error_code::timeout,
                  "no HELLO within " + std::to_string(st.setup->limits.hello_timeout.count())
                    + " s: closing");
    },
    [=](idle_check_atom) {
      auto& st = self->state;
      if (st.left)
        return;
      auto silent = mono_now() - st.last_heard;
      if (st.queued > 0) // waiting in a queue is not idling: the server owes it a reply
        silent = decltype(silent)::zero();
      if (silent < idle) {
        send_later(st.setup->timers, self, idle - silent, idle_check_atom::value);
        return;
      }
      st.setup->metrics->idle_timeouts.fetch_add(1, std::memory_order_relaxed);
      say_goodbye(self, hdl, proto::error_code::timeout,
                  "nothing heard for " + std::to_string(idle.count()) + " s: closing");
    },
    [=](close_atom) {
      spdlog::info("session from {} closed by the administrator", self->remote_addr(hdl));
      // Said before the close, so that the client knows at once that its leases have ended
      // (and does not take the close for a network blip).
      say_goodbye(self, hdl, proto::error_code::disconnected,
                  "an administrator disconnected this computer; its leases have ended");
    },
  };
}

} // namespace licd
