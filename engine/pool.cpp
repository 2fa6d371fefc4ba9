#include "engine/pool.hpp"

#include <algorithm>
#include <functional>

namespace licd::engine {

namespace {

/// Chunks grow (doubling) up to 131,072 blocks: a lease node is under 200 bytes, so a pool with
/// a million leases takes most of them in chunks of tens of MiB, while a small pool only ever
/// asks for small chunks.
std::pmr::pool_options node_pool_options() {
  std::pmr::pool_options o;
  o.max_blocks_per_chunk = size_t{1} << 17;
  o.largest_required_pool_block = 512;
  return o;
}

} // namespace

pool::pool(std::string product, uint32_t seats, std::pmr::memory_resource* memory)
  : product_(std::move(product)), seats_(seats), nodes_(node_pool_options(), memory),
    leases_(&nodes_), per_computer_(&nodes_) {
  // nop
}

bool pool::has_room_for(const std::string& computer) const {
  return per_computer_.count(computer) != 0 || used() < seats_;
}

std::optional<pool::denial> pool::admit(const identity& who, mono_time now) {
  const auto& computer = who.computer;
  if (auto cd = cooldowns_.find(computer); cd != cooldowns_.end()) {
    if (now < cd->second.until) {
      auto left =
        std::chrono::duration_cast<std::chrono::seconds>(cd->second.until - now).count() + 1;
      return denial{errc::disconnected, "computer " + computer
                                          + " was disconnected by the administrator; retry in "
                                          + std::to_string(left) + " s"};
    }
    cooldowns_.erase(cd);
  }
  if (auto held = leases_of(computer); held >= max_leases_per_computer_)
    return denial{errc::too_many_leases, "computer " + computer + " holds " + std::to_string(held)
                                           + " leases of " + product_
                                           + ", the most one computer may hold; release some"};
  if (tally_) {
    auto held = per_computer_.find(computer);
    auto r = policy::requester{who.user, computer, policy::parse_address(who.address)};
    if (auto v = tally_->check(r, held != per_computer_.end(),
                               held == per_computer_.end() ? 0 : held->second, seats_, used())) {
      auto code = v->why == policy::refusal::reserved ? errc::reserved
                  : v->why == policy::refusal::limit  ? errc::limit
                                                      : errc::excluded;
      return denial{code, "site policy " + v->message};
    }
  }
  if (!has_room_for(computer))
    return denial{errc::no_seats, "all " + std::to_string(seats_) + " seats of " + product_
                                    + " are in use by other computers"};
  return std::nullopt;
}

uint32_t pool::enqueue(waiter w) {
  w.priority = tally_ ? tally_->priority(policy::requester{w.who.user, w.who.computer,
                                                           policy::parse_address(w.who.address)})
                      : 0;
  auto [position, added] = queue_.push(std::move(w));
  return added ? position : 0;
}

std::vector<pool::refused_waiter> pool::waits_over(mono_time now) {
  std::vector<refused_waiter> out;
  for (auto& w : queue_.take_due(now)) {
    auto why = admit(w.who, now)
                 .value_or(denial{errc::no_seats,
                                  "no seat became free for it in time"}); // not reached: served
    out.push_back(refused_waiter{std::move(w), std::move(why)});
  }
  return out;
}

std::optional<waiter> pool::next_waiter(mono_time now, std::vector<refused_waiter>& refused) {
  if (queue_.empty())
    return std::nullopt;
  if (used() >= seats_) {
    // Full: only a waiter whose computer holds a seat already could go (sharing it). Looking
    // for one costs the smaller of the two tables, not a walk of the whole queue per release.
    bool any = false;
    const auto& queued = queue_.computers();
    if (queued.size() < per_computer_.size()) {
      for (const auto& [computer, n] : queued)
        if ((any = per_computer_.count(computer) != 0))
          break;
    } else {
      for (const auto& [computer, n] : per_computer_)
        if ((any = queued.count(computer) != 0))
          break;
    }
    if (!any)
      return std::nullopt;
  }
  std::vector<denial> whys;
  std::vector<waiter> dropped;
  auto taken = queue_.serve(
    [&](const waiter& w) {
      auto d = admit(w.who, now);
      if (!d)
        return wait_queue::choice::take;
      if (waitable(d->code))
        return wait_queue::choice::keep;
      whys.push_back(std::move(*d));
      return wait_queue::choice::drop;
    },
    dropped);
  for (size_t i = 0; i < dropped.size(); ++i)
    refused.push_back(refused_waiter{std::move(dropped[i]), std::move(whys[i])});
  return taken;
}

void pool::set_policy(std::shared_ptr<const policy::document> doc) {
  tally_.reset();
  policy_ = std::move(doc);
  if (!policy_)
    return;
  tally_.emplace(policy_->for_product(product_));
  for (const auto& [id, l] : leases_)
    seat_taken(l); // once per computer: the tally ignores a computer it counts already
}

std::optional<std::chrono::seconds> pool::policy_ttl() const {
  return tally_ ? tally_->rules().ttl : std::nullopt;
}

void pool::seat_taken(const lease& l) {
  tally_->seat_taken(
    policy::requester{l.who.user, l.who.computer, policy::parse_address(l.who.address)});
}

void pool::start_cooldown(const std::string& computer, mono_time until, int64_t until_wall_ms) {
  cooldowns_[computer] = cooldown{until, until_wall_ms};
}

std::map<std::string, int64_t> pool::running_cooldowns(mono_time now) const {
  std::map<std::string, int64_t> out;
  for (const auto& [computer, cd] : cooldowns_)
    if (cd.until > now)
      out.emplace(computer, cd.until_wall_ms);
  return out;
}

bool pool::reserve(lease l) {
  if (!has_room_for(l.who.computer))
    return false;
  auto held = per_computer_.find(l.who.computer);
  if (leases_.count(l.id) != 0)
    return false; // an id collision with 128 random bits: refuse rather than overwrite
  if (held == per_computer_.end()) {
    per_computer_.emplace(l.who.computer, 1);
    if (tally_)
      seat_taken(l);
  } else {
    ++held->second;
  }
  l.state = lease_state::pending;
  leases_.emplace(l.id, std::move(l));
  return true;
}

void pool::confirm(const lease_id& id) {
  auto it = leases_.find(id);
  if (it != leases_.end() && it->second.state == lease_state::pending)
    it->second.state = lease_state::live;
}

void pool::abandon(const lease_id& id) {
  auto it = leases_.find(id);
  if (it != leases_.end() && it->second.state == lease_state::pending)
    drop(it);
}

bool pool::renew(const lease_id& id, mono_time new_deadline, int64_t now_ms) {
  auto it = leases_.find(id);
  if (it == leases_.end() || it->second.state != lease_state::live)
    return false;
  it->second.deadline = new_deadline;
  if (now_ms != 0)
    it->second.renewed_at_ms = now_ms;
  return true;
}

const lease* pool::log_renewal(const lease_id& id, int64_t now_ms, int64_t every_ms) {
  auto it = leases_.find(id);
  if (it == leases_.end() || it->second.state != lease_state::live)
    return nullptr;
  auto& last = it->second.renewal_logged_at_ms;
  if (last != 0 && every_ms > 0 && now_ms - last < every_ms && now_ms >= last)
    return nullptr; // logged recently (a wall clock gone back logs again rather than never)
  last = now_ms;
  return &it->second;
}

bool pool::begin_end(const lease_id& id) {
  auto it = leases_.find(id);
  if (it == leases_.end() || it->second.state != lease_state::live)
    return false;
  it->second.state = lease_state::ending;
  return true;
}

void pool::cancel_end(const lease_id& id) {
  auto it = leases_.find(id);
  if (it != leases_.end() && it->second.state == lease_state::ending)
    it->second.state = lease_state::live;
}

std::optional<lease> pool::finish_end(const lease_id& id) {
  auto it = leases_.find(id);
  if (it == leases_.end() || it->second.state != lease_state::ending)
    return std::nullopt;
  lease ended = it->second;
  drop(it);
  return ended;
}

bool pool::lapsed(const lease_id& id, mono_time now) const {
  auto it = leases_.find(id);
  return it != leases_.end() && it->second.state == lease_state::live
         && it->second.deadline <= now;
}

void pool::expect_leases(size_t n) {
  leases_.reserve(leases_.size() + n);
  per_computer_.reserve(per_computer_.size() + n);
}

bool pool::restore(lease l) {
  l.state = lease_state::live;
  auto [it, added] = leases_.try_emplace(l.id, std::move(l)); // moved from only when added
  if (added && ++per_computer_[it->second.who.computer] == 1 && tally_)
    seat_taken(it->second);
  return added;
}

const lease* pool::find(const lease_id& id) const {
  auto it = leases_.find(id);
  return it == leases_.end() ? nullptr : &it->second;
}

std::vector<lease> pool::leases() const {
  std::vector<lease> out;
  out.reserve(leases_.size());
  for (const auto& kv : leases_)
    out.push_back(kv.second);
  return out;
}

std::vector<lease_id> pool::live_leases_of(const std::string& computer) const {
  std::vector<lease_id> out;
  if (per_computer_.count(computer) == 0)
    return out;
  for (const auto& [id, l] : leases_)
    if (l.who.computer == computer && l.state == lease_state::live)
      out.push_back(id);
  return out;
}

std::vector<std::string> pool::computers_beyond_seats() const {
  if (used() <= seats_)
    return {};
  std::unordered_map<std::string, int64_t> first;
  for (const auto& [id, l] : leases_) {
    auto [it, fresh] = first.emplace(l.who.computer, l.granted_at_ms);
    if (!fresh && l.granted_at_ms < it->second)
      it->second = l.granted_at_ms;
  }
  std::vector<std::pair<int64_t, std::string>> newest_first;
  for (auto& [computer, at] : first)
    newest_first.emplace_back(at, computer);
  std::sort(newest_first.begin(), newest_first.end(), std::greater<>());
  std::vector<std::string> out;
  for (size_t i = 0; i < used() - seats_; ++i)
    out.push_back(newest_first[i].second);
  return out;
}

void pool::drop(lease_table::iterator it) {
  auto held = per_computer_.find(it->second.who.computer);
  if (held != per_computer_.end() && --held->second == 0) {
    per_computer_.erase(held);
    if (tally_)
      tally_->seat_freed(it->second.who.computer);
  }
  leases_.erase(it);
}

} // namespace licd::engine
