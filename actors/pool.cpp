#include "actors/pool.hpp"

#include "platform/huge_pages.hpp"

#include "actors/clock.hpp"
#include "engine/usage.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <string_view>

namespace licd {

namespace {

using self_ptr = pool_broker*;

engine::event make_event(self_ptr self, engine::event_kind kind, const engine::identity& who,
                         const engine::lease_id* id, std::string detail = {}) {
  engine::event e;
  e.at_ms = wall_now_ms();
  e.kind = kind;
  e.product = self->state.seats->product();
  e.computer = who.computer;
  e.user = who.user;
  if (id != nullptr)
    e.lease = id->to_hex();
  e.detail = std::move(detail);
  return e;
}

/// Tells the activity log (and so the usage roll-ups) how many seats the product has now.
void log_seats(self_ptr self) {
  engine::event e;
  e.at_ms = wall_now_ms();
  e.kind = engine::event_kind::seats;
  e.product = self->state.seats->product();
  e.detail = engine::usage::seats_detail(self->state.seats->seats());
  storage::change_set cs;
  cs.events.push_back(std::move(e));
  self->send(self->state.store, append_atom::value, std::move(cs));
}

void arm(self_ptr self, std::vector<expiry_entry> entries) {
  if (!entries.empty())
    self->send(self->state.expiry, arm_atom::value, std::move(entries),
               caf::actor_cast<pool_actor>(self));
}

void send_commits(self_ptr self);
void serve_queue(self_ptr self);

/// Hands a change to the store; `then` runs once it is stored (with nullptr) or not (with the
/// error). One commit request per pool is in flight at a time: changes that come meanwhile are
/// gathered and go together when it is answered (fewer messages to and from the store's thread
/// than one request each, and they would have waited for that fsync anyway).
void commit(self_ptr self, storage::change_set changes, pool_state::commit_then then) {
  auto& st = self->state;
  st.unsent.push_back(std::move(changes));
  st.unsent_then.push_back(std::move(then));
  if (!st.commit_in_flight)
    send_commits(self);
}

/// Sends the gathered changes to the store; when it answers, runs each one's continuation,
/// arms the leases they granted or kept with one message to expiry, and sends what gathered
/// meanwhile.
void send_commits(self_ptr self) {
  auto& st = self->state;
  if (st.unsent.empty())
    return;
  st.commit_in_flight = true;
  auto then = std::make_shared<std::vector<pool_state::commit_then>>(
    std::exchange(st.unsent_then, {}));
  // Each change's own result: near full, the store refuses only the ones that do not fit.
  auto finish = [self, then](const std::vector<uint8_t>* results, const caf::error* err) {
    static const auto full = storage_failure(true, "the data dir is full");
    static const auto failed = storage_failure(false, "the change could not be stored");
    std::vector<expiry_entry> to_arm;
    for (size_t i = 0; i < then->size(); ++i) {
      const caf::error* e = err;
      if (results != nullptr)
        e = i >= results->size() || (*results)[i] == commit_failed ? &failed
            : (*results)[i] == commit_full                          ? &full
                                                                    : nullptr;
      (*then)[i](e, to_arm);
    }
    arm(self, std::move(to_arm));
    self->state.commit_in_flight = false;
    send_commits(self);
  };
  self->request(st.store, caf::infinite, commit_atom::value, std::exchange(st.unsent, {}))
    .then([finish](std::vector<uint8_t>& results) { finish(&results, nullptr); },
          [finish](caf::error& err) { finish(nullptr, &err); });
}

pool_reply reply_for(self_ptr self, uint64_t tag, std::optional<engine::errc> result,
                     std::string detail = {}) {
  pool_reply r;
  r.tag = tag;
  r.result = result;
  r.detail = std::move(detail);
  r.product = self->state.seats->product();
  r.seats = self->state.seats->seats();
  r.used = self->state.seats->used();
  return r;
}

/// The reply to a request whose change the store refused: STORAGE_FULL when the data dir is
/// full (renewals need no disk, so leases already granted keep going), else STORAGE_ERROR.
pool_reply not_stored(self_ptr self, uint64_t tag, const caf::error& err, std::string_view what) {
  if (is_storage_full(err))
    return reply_for(self, tag, engine::errc::storage_full,
                     "the server's storage is full: nothing changed; leases already granted "
                     "keep renewing");
  return reply_for(self, tag, engine::errc::storage_error,
                   std::string(what) + " could not be stored; nothing changed");
}

uint32_t ttl_seconds(self_ptr self) {
  return static_cast<uint32_t>(self->state.policy.ttl.count());
}

/// Refuses a checkout: logged at info, written behind to the activity log, answered at once.
pool_reply deny(self_ptr self, const engine::identity& who, uint64_t tag, engine::errc why_code,
                std::string why) {
  auto& st = self->state;
  ++(why_code == engine::errc::disconnected      ? st.counters.denied_cooldown
     : why_code == engine::errc::too_many_leases ? st.counters.denied_too_many
     : why_code == engine::errc::reserved        ? st.counters.denied_reserved
     : why_code == engine::errc::limit           ? st.counters.denied_limit
     : why_code == engine::errc::excluded        ? st.counters.denied_excluded
                                                 : st.counters.denied_no_seats);
  spdlog::info("denied product={} computer={} user={}: {}", st.seats->product(), who.computer,
               who.user, why);
  storage::change_set denial;
  denial.events.push_back(make_event(self, engine::event_kind::denied, who, nullptr, why));
  self->send(st.store, append_atom::value, std::move(denial));
  return reply_for(self, tag, why_code, std::move(why));
}

using reply_promise = caf::typed_response_promise<pool_reply>;

/// Grants `who` a lease (admit() let it through: a seat is free, or its computer's own); the
/// reply goes through `rp` once the grant is durable.
void grant(self_ptr self, const engine::identity& who, uint64_t tag, reply_promise rp) {
  auto& st = self->state;
  engine::lease l;
  l.granted_at_ms = wall_now_ms();
  try {
    l.id = engine::make_lease_id(l.granted_at_ms);
  } catch (const std::exception& e) {
    spdlog::error("checkout for product={} refused: {}", st.seats->product(), e.what());
    rp.deliver(reply_for(self, tag, engine::errc::server_error, "no random lease id available"));
    return;
  }
  l.who = who;
  l.deadline = mono_now() + st.policy.ttl;
  if (!st.seats->reserve(l)) { // only an id collision gets here: the seat was checked before
    rp.deliver(
      reply_for(self, tag, engine::errc::server_error, "lease id collision, nothing changed"));
    return;
  }
  storage::change_set grant;
  grant.put_leases.push_back(storage::lease_record{l.id, st.seats->product(), who.computer,
                                                   who.user, who.instance, l.granted_at_ms});
  grant.events.push_back(make_event(self, engine::event_kind::granted, who, &l.id));
  auto id = l.id;
  auto then = [self, rp, id, who, tag](const caf::error* err,
                                       std::vector<expiry_entry>& to_arm) mutable {
    auto& st = self->state;
    if (err != nullptr) {
      st.seats->abandon(id);
      ++st.counters.storage_errors;
      spdlog::error("grant for product={} computer={} not stored, seat given back: {}",
                    st.seats->product(), who.computer, to_string(*err));
      rp.deliver(not_stored(self, tag, *err, "the grant"));
      // The seat is free again. The waiters get it a second from now, not at once: with the
      // disk full, each would fail the same way in turn.
      if (!st.seats->queue().empty())
        send_later(st.timers, self, std::chrono::seconds(1), queue_due_atom::value);
      return;
    }
    st.seats->confirm(id);
    auto deadline = mono_now() + st.policy.ttl; // the full TTL counts from the answer
    st.seats->renew(id, deadline);
    to_arm.push_back(expiry_entry{id, to_ns(deadline)});
    ++st.counters.grants;
    if (spdlog::should_log(spdlog::level::info))
      spdlog::info("granted product={} computer={} user={} lease={} used={}/{}",
                   st.seats->product(), who.computer, who.user, id.to_hex(), st.seats->used(),
                   st.seats->seats());
    auto r = reply_for(self, tag, std::nullopt);
    r.lease = id;
    r.expires_in = ttl_seconds(self);
    rp.deliver(std::move(r));
    if (st.seats->used() > st.seats->seats()) // the seats fell while this grant was stored
      self->send(self, shrink_atom::value);
  };
  commit(self, std::move(grant), std::move(then));
}

/// Arms the queue_due tick for the earliest wait to run out, unless one is armed for sooner.
void arm_queue_timer(self_ptr self) {
  auto& st = self->state;
  auto next = st.seats->queue().next_deadline();
  if (!next || (st.queue_timer != engine::mono_time{} && st.queue_timer <= *next))
    return;
  st.queue_timer = *next;
  send_later(st.timers, self, *next - mono_now(), queue_due_atom::value);
}

/// Takes the reply promise of a waiter that leaves the queue (nullopt: none, not reached).
std::optional<reply_promise> take_promise(self_ptr self, const engine::waiter_key& key) {
  auto& waiting = self->state.waiting;
  auto it = waiting.find(key);
  if (it == waiting.end())
    return std::nullopt;
  auto rp = std::move(it->second);
  waiting.erase(it);
  return rp;
}

/// Answers a waiter that leaves the queue without a seat: its wait ran out, or its rules now
/// refuse it for good. Counted and logged as a denial, with how long it waited.
void refuse_waiter(self_ptr self, engine::pool::refused_waiter& r, bool timed_out) {
  auto& st = self->state;
  auto rp = take_promise(self, r.who.key);
  if (!rp)
    return;
  if (timed_out)
    ++st.counters.wait_timeouts;
  auto waited = std::chrono::duration_cast<std::chrono::seconds>(mono_now() - r.who.since);
  rp->deliver(
    deny(self, r.who.who, r.who.key.tag, r.why.code,
         r.why.reason + " (waited " + std::to_string(waited.count()) + " s in the queue)"));
}

/// Gives every seat a waiter may have to the waiters, in queue order: called whenever a seat
/// may have become free or the rules changed, so a newcomer never finds a seat a waiter could
/// take (no barging).
void serve_queue(self_ptr self) {
  auto& st = self->state;
  if (st.seats->queue().empty())
    return;
  auto now = mono_now();
  std::vector<engine::pool::refused_waiter> refused;
  while (auto w = st.seats->next_waiter(now, refused)) {
    auto rp = take_promise(self, w->key);
    if (!rp)
      continue; // not reached: every waiter has its promise
    ++st.counters.served_from_queue;
    spdlog::debug("product={} seat for waiter computer={} user={} after {} ms", st.seats->product(),
                  w->who.computer, w->who.user,
                  std::chrono::duration_cast<std::chrono::milliseconds>(now - w->since).count());
    grant(self, w->who, w->key.tag, std::move(*rp));
  }
  for (auto& r : refused)
    refuse_waiter(self, r, false);
}

caf::result<pool_reply> checkout(self_ptr self, engine::identity& who, uint64_t tag,
                                 uint32_t wait_s) {
  auto& st = self->state;
  auto now = mono_now();
  // Denials are answered before a lease id (the costliest step: OpenSSL's CSPRNG) is made.
  if (auto denied = st.seats->admit(who, now)) {
    // A copy: make_response_promise takes the sender out of the current message.
    auto sender = self->current_sender();
    if (wait_s == 0 || !engine::pool::waitable(denied->code) || !sender)
      return deny(self, who, tag, denied->code, std::move(denied->reason));
    engine::waiter w;
    w.key = engine::waiter_key{sender->id(), tag};
    w.who = who;
    w.since = now;
    w.deadline = now + std::chrono::seconds(wait_s);
    w.since_wall_ms = wall_now_ms();
    auto key = w.key;
    auto position = st.seats->enqueue(std::move(w));
    if (position == 0) // the same tag twice from one session: not reached from sessions
      return reply_for(self, tag, engine::errc::bad_request, "that request waits already");
    ++st.counters.queued;
    auto rp = self->make_response_promise<pool_reply>();
    st.waiting.emplace(key, rp);
    auto waiting = static_cast<uint32_t>(st.seats->queue().size());
    // Before the reply, from the same thread: the session reads it first.
    caf::anon_send(caf::actor_cast<caf::actor>(sender), queued_atom::value, tag, position, waiting);
    spdlog::info("queued product={} computer={} user={} position={} of {}: {}", st.seats->product(),
                 who.computer, who.user, position, waiting, denied->reason);
    arm_queue_timer(self);
    return rp;
  }
  auto rp = self->make_response_promise<pool_reply>();
  grant(self, who, tag, rp);
  return rp;
}

pool_reply renew(self_ptr self, const engine::lease_id& id, uint64_t tag) {
  auto& st = self->state;
  auto now_ms = wall_now_ms();
  if (!st.seats->renew(id, mono_now() + st.policy.ttl, now_ms))
    return reply_for(self, tag, engine::errc::unknown_lease, "no live lease " + id.to_hex());
  ++st.counters.renewals;
  // The activity log gets a lease's renewals at most every --renewal-log-interval: a client
  // renewing in a tight loop would otherwise fill the log (and keep the disk busy).
  auto every_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    st.policy.renewal_log_interval)
                    .count();
  if (const auto* l = st.seats->log_renewal(id, now_ms, every_ms)) {
    spdlog::debug("renewed product={} computer={} lease={}", st.seats->product(),
                  l->who.computer, id.to_hex());
    storage::change_set renewal;
    renewal.events.push_back(make_event(self, engine::event_kind::renewed, l->who, &id));
    self->send(st.store, append_atom::value, std::move(renewal));
  }
  auto r = reply_for(self, tag, std::nullopt);
  r.lease = id;
  r.expires_in = ttl_seconds(self);
  return r;
}

/// What runs once the end of some leases is stored (err nullptr: they are gone, `ended` holds
/// them) or not (err set: they are live again and re-armed with expiry).
using ended_then = std::function<void(const caf::error* err, std::vector<engine::lease>& ended)>;

/// The one way leases end durably (a release, an administrator's end or disconnect, the seats
/// falling, an expiry): each live lease in `ids` starts ending, its removal and an activity-log
/// event of `kind` go into `change` (with whatever else the caller put there), and the change
/// goes through the gathered commit. When it fails, the leases are live again and re-armed: at
/// their deadline, or a second from now when that has passed (an expiry is then retried).
void end_leases(self_ptr self, const std::vector<engine::lease_id>& ids, engine::event_kind kind,
                const std::string& detail, storage::change_set change, ended_then then) {
  auto& st = self->state;
  std::vector<engine::lease_id> ending;
  ending.reserve(ids.size());
  for (const auto& id : ids) {
    if (!st.seats->begin_end(id))
      continue;
    ending.push_back(id);
    change.erase_leases.push_back(id);
    change.events.push_back(make_event(self, kind, st.seats->find(id)->who, &id, detail));
  }
  commit(self, std::move(change),
         [self, ending = std::move(ending),
          then = std::move(then)](const caf::error* err, std::vector<expiry_entry>& to_arm) {
           auto& st = self->state;
           std::vector<engine::lease> ended;
           auto retry = mono_now() + std::chrono::seconds(1);
           for (const auto& id : ending) {
             if (err == nullptr) {
               if (auto l = st.seats->finish_end(id))
                 ended.push_back(std::move(*l));
               continue;
             }
             st.seats->cancel_end(id);
             if (const auto* l = st.seats->find(id))
               to_arm.push_back(expiry_entry{id, to_ns(std::max(l->deadline, retry))});
           }
           if (err != nullptr)
             ++st.counters.storage_errors;
           then(err, ended);
           if (!ended.empty())
             serve_queue(self); // seats are free: the waiters come first
         });
}

/// Ends a live lease durably: a client's release, or an administrator's end.
caf::result<pool_reply> end_lease(self_ptr self, const engine::lease_id& id,
                                  engine::event_kind kind, std::string detail, uint64_t tag) {
  auto& st = self->state;
  const auto* l = st.seats->find(id);
  if (l == nullptr || l->state != engine::lease_state::live)
    return reply_for(self, tag, engine::errc::unknown_lease, "no live lease " + id.to_hex());
  auto rp = self->make_response_promise<pool_reply>();
  end_leases(
    self, {id}, kind, detail, {},
    [self, rp, id, kind, detail, tag](const caf::error* err,
                                      std::vector<engine::lease>& ended) mutable {
      auto& st = self->state;
      if (err != nullptr) {
        spdlog::error("end of lease={} not stored, lease kept: {}", id.to_hex(), to_string(*err));
        rp.deliver(not_stored(self, tag, *err, "the change"));
        return;
      }
      ++(kind == engine::event_kind::released ? st.counters.releases : st.counters.ended_by_admin);
      for (const auto& l : ended)
        if (spdlog::should_log(spdlog::level::info))
          spdlog::info("{} product={} computer={} user={} lease={} used={}/{}{}{}",
                       kind == engine::event_kind::released ? "released" : "ended",
                       st.seats->product(), l.who.computer, l.who.user, id.to_hex(),
                       st.seats->used(), st.seats->seats(), detail.empty() ? "" : ": ", detail);
      auto r = reply_for(self, tag, std::nullopt);
      r.lease = id;
      rp.deliver(std::move(r));
    });
  return rp;
}

/// Ends every live lease of a computer in one commit and starts its cooldown.
caf::result<uint32_t> disconnect(self_ptr self, const std::string& computer,
                                 int64_t cooldown_ms) {
  auto& st = self->state;
  auto now = mono_now();
  st.seats->start_cooldown(computer, now + std::chrono::milliseconds(cooldown_ms),
                           wall_now_ms() + cooldown_ms);
  // The cooldowns still running are stored with the removal, so a restart keeps them.
  storage::change_set change;
  change.put_meta.emplace_back(storage::cooldowns_key(st.seats->product()),
                               storage::encode_cooldowns(st.seats->running_cooldowns(now)));
  auto rp = self->make_response_promise<uint32_t>();
  end_leases(
    self, st.seats->live_leases_of(computer), engine::event_kind::disconnected,
    "by the administrator", std::move(change),
    [self, rp, computer](const caf::error* err, std::vector<engine::lease>& ended) mutable {
      auto& st = self->state;
      if (err != nullptr) {
        rp.deliver(*err);
        return;
      }
      st.counters.ended_by_admin += ended.size();
      spdlog::info("disconnected computer={} product={}: {} leases ended, used={}/{}", computer,
                   st.seats->product(), ended.size(), st.seats->used(), st.seats->seats());
      rp.deliver(static_cast<uint32_t>(ended.size()));
    });
  return rp;
}

/// Keeps the seat invariant when the seats fall below the computers holding leases: ends every
/// lease of the computers that arrived last, in one commit, and says so in the activity log.
/// A failed commit is retried a second later; leases still pending or ending are looked at
/// again once they settle.
void shrink(self_ptr self) {
  auto& st = self->state;
  if (st.shrinking)
    return;
  std::vector<engine::lease_id> ending;
  for (const auto& computer : st.seats->computers_beyond_seats())
    for (const auto& id : st.seats->live_leases_of(computer))
      ending.push_back(id);
  if (ending.empty())
    return;
  st.shrinking = true;
  auto detail = "the product's licenses now cover " + std::to_string(st.seats->seats()) + " seats";
  end_leases(self, ending, engine::event_kind::seats_reduced, detail, {},
             [self, detail](const caf::error* err, std::vector<engine::lease>& ended) {
               auto& st = self->state;
               st.shrinking = false;
               if (err != nullptr) {
                 spdlog::error("ending leases beyond the seats not stored, retrying in 1 s: {}",
                               to_string(*err));
                 send_later(st.timers, self, std::chrono::seconds(1), shrink_atom::value);
                 return;
               }
               for (const auto& l : ended)
                 spdlog::warn("ended product={} computer={} user={} lease={}: {}",
                              st.seats->product(), l.who.computer, l.who.user, l.id.to_hex(),
                              detail);
               st.counters.ended_by_seats += ended.size();
               shrink(self); // anything that settled meanwhile
             });
}

std::vector<lease_info> list_leases(self_ptr self) {
  auto& p = *self->state.seats;
  auto now = mono_now();
  std::vector<lease_info> out;
  for (const auto& l : p.leases()) {
    if (l.state == engine::lease_state::pending)
      continue;
    out.push_back(lease_info{
      l.id.to_hex(), p.product(), l.who.computer, l.who.user, l.who.instance, l.granted_at_ms,
      l.renewed_at_ms,
      std::chrono::duration_cast<std::chrono::milliseconds>(l.deadline - now).count()});
  }
  return out;
}

std::vector<waiter_info> list_waiters(self_ptr self) {
  const auto& p = *self->state.seats;
  auto now = mono_now();
  std::vector<waiter_info> out;
  uint32_t position = 0;
  for (const auto& w : p.queue().in_order())
    out.push_back(
      waiter_info{p.product(), ++position, w.who.computer, w.who.user, w.who.instance,
                  w.who.address, w.priority, w.since_wall_ms,
                  std::chrono::duration_cast<std::chrono::milliseconds>(w.deadline - now).count()});
  return out;
}

void lapsed(self_ptr self, const std::vector<engine::lease_id>& ids) {
  auto& st = self->state;
  auto now = mono_now();
  std::vector<expiry_entry> rearm;
  std::vector<engine::lease_id> ending;
  for (const auto& id : ids) {
    const auto* l = st.seats->find(id);
    if (l == nullptr || l->state != engine::lease_state::live)
      continue; // released meanwhile, or already ending
    if (!st.seats->lapsed(id, now)) {
      rearm.push_back(expiry_entry{id, to_ns(l->deadline)}); // renewed meanwhile
      continue;
    }
    ending.push_back(id);
  }
  arm(self, std::move(rearm));
  if (ending.empty())
    return;
  end_leases(self, ending, engine::event_kind::expired, "", {},
             [self](const caf::error* err, std::vector<engine::lease>& ended) {
               auto& st = self->state;
               if (err != nullptr) {
                 spdlog::error("expiry of leases not stored, retrying in 1 s: {}", to_string(*err));
                 return; // re-armed a second from now
               }
               for (const auto& l : ended) {
                 ++st.counters.expiries;
                 spdlog::info("expired product={} computer={} user={} lease={} used={}/{}",
                              st.seats->product(), l.who.computer, l.who.user, l.id.to_hex(),
                              st.seats->used(), st.seats->seats());
               }
             });
}

/// Takes a batch of stored leases as live. Each gets a full TTL from now: never earlier than
/// what any client was told before the stop.
void restore(self_ptr self, std::vector<storage::lease_record>& batch) {
  auto& st = self->state;
  auto deadline = mono_now() + st.policy.ttl;
  std::vector<expiry_entry> entries;
  entries.reserve(batch.size());
  for (auto& r : batch) {
    engine::lease l;
    l.id = r.id;
    l.who = engine::identity{std::move(r.computer), std::move(r.user), std::move(r.instance)};
    l.granted_at_ms = r.granted_at_ms;
    l.deadline = deadline;
    if (st.seats->restore(std::move(l)))
      entries.push_back(expiry_entry{r.id, to_ns(deadline)});
  }
  arm(self, std::move(entries));
}

} // namespace

/// The site policy's rules from now on, and its TTL for the product (else --lease-ttl's).
static void apply_site_policy(pool_broker* self, site_policy site) {
  auto& st = self->state;
  st.seats->set_policy(site);
  st.policy.site = std::move(site);
  st.policy.ttl = st.seats->policy_ttl().value_or(st.server_ttl);
}

pool_actor spawn_pool(caf::actor_system& sys, pool_setup setup) {
  return sys.middleman().spawn_broker(pool, std::move(setup));
}

pool_actor::behavior_type pool(pool_broker* self, pool_setup setup) {
  auto& st = self->state;
  st.seats.emplace(setup.product.name, setup.product.seats, platform::huge_pages());
  st.policy = setup.policy;
  st.store = std::move(setup.store);
  st.expiry = std::move(setup.expiry);
  st.timers = std::move(setup.timers);
  st.seats->expect_leases(setup.expected_leases);
  st.seats->set_max_leases_per_computer(st.policy.max_leases_per_computer);
  st.server_ttl = st.policy.ttl;
  apply_site_policy(self, st.policy.site);
  auto now = mono_now();
  auto now_wall = wall_now_ms();
  for (const auto& [computer, until_wall] : setup.cooldowns)
    if (until_wall > now_wall)
      st.seats->start_cooldown(computer, now + std::chrono::milliseconds(until_wall - now_wall),
                               until_wall);
  log_seats(self);
  return {
    [=](checkout_atom, engine::identity& who, uint64_t tag, uint32_t wait_s) {
      return checkout(self, who, tag, wait_s);
    },
    [=](unqueue_atom, uint64_t session) {
      auto& st = self->state;
      for (const auto& w : st.seats->leave_queue(session)) {
        auto rp = take_promise(self, w.key);
        if (!rp)
          continue;
        spdlog::info("left the queue product={} computer={} user={}: the connection closed",
                     st.seats->product(), w.who.computer, w.who.user);
        rp->deliver(reply_for(self, w.key.tag, engine::errc::no_seats,
                              "the connection closed while the checkout waited in the queue; "
                              "nothing changed"));
      }
    },
    [=](queue_atom, uint64_t session, uint64_t tag) {
      const auto& q = self->state.seats->queue();
      return std::make_tuple(q.position(engine::waiter_key{session, tag}).value_or(0u),
                             static_cast<uint32_t>(q.size()));
    },
    [=](queue_atom) { return list_waiters(self); },
    [=](queue_due_atom) {
      auto& st = self->state;
      st.queue_timer = {};
      // The timers actor may deliver up to its resolution early.
      for (auto& r : st.seats->waits_over(mono_now() + timer_resolution))
        refuse_waiter(self, r, true);
      serve_queue(self); // after a grant that could not be stored
      arm_queue_timer(self);
    },
    [=](renew_atom, const engine::lease_id& id, uint64_t tag) { return renew(self, id, tag); },
    [=](release_atom, const engine::lease_id& id, uint64_t tag) {
      return end_lease(self, id, engine::event_kind::released, "", tag);
    },
    [=](status_atom) {
      const auto& p = *self->state.seats;
      auto s = self->state.counters;
      s.product = p.product();
      s.seats = p.seats();
      s.used = p.used();
      s.leases = p.lease_count();
      s.waiting = static_cast<uint32_t>(p.queue().size());
      for (const auto& [computer, until] : p.running_cooldowns(mono_now()))
        s.cooldowns.emplace_back(computer, until);
      return s;
    },
    [=](has_lease_atom, const engine::lease_id& id) {
      const auto* l = self->state.seats->find(id);
      return l != nullptr && l->state == engine::lease_state::live;
    },
    [=](lapsed_atom, const std::vector<engine::lease_id>& ids) { lapsed(self, ids); },
    [=](site_policy_atom, site_policy& site) {
      apply_site_policy(self, std::move(site));
      serve_queue(self); // the new rules may let waiters in
    },
    [=](set_seats_atom, uint32_t seats) {
      auto& p = *self->state.seats;
      if (p.seats() == seats)
        return;
      spdlog::info("product={} now has {} seats (was {}); {} in use", p.product(), seats,
                   p.seats(), p.used());
      p.set_seats(seats);
      log_seats(self);
      shrink(self);
      serve_queue(self);
    },
    [=](shrink_atom) { shrink(self); },
    [=](disconnect_atom, const std::string& computer, int64_t cooldown_ms) {
      return disconnect(self, computer, cooldown_ms);
    },
    [=](end_lease_atom, const engine::lease_id& id) {
      return end_lease(self, id, engine::event_kind::lease_ended, "by the administrator", 0);
    },
    [=](leases_atom) { return list_leases(self); },
    [=](restore_atom, std::vector<storage::lease_record>& batch) { restore(self, batch); },
    [=](restored_atom) {
      auto& p = *self->state.seats;
      spdlog::info("restored {} leases of product={} on {} of {} seats", p.lease_count(),
                   p.product(), p.used(), p.seats());
      if (p.used() > p.seats()) // the licenses cover fewer seats than before the stop
        shrink(self);
    },
  };
}

} // namespace licd
