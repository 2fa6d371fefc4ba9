#include "engine/queue.hpp"

#include <algorithm>
#include <tuple>

namespace licd::engine {

std::pair<uint32_t, bool> wait_queue::push(waiter w) {
  if (index_.count(w.key) != 0)
    return {0, false};
  size_t ahead = 0;
  for (const auto& [priority, waiting] : lines_) {
    if (priority < w.priority)
      break;
    ahead += waiting.size();
  }
  auto key = w.key;
  auto priority = w.priority;
  auto deadline = w.deadline;
  ++computers_[w.who.computer];
  sessions_[key.session].insert(key.tag);
  auto& waiting = lines_[priority];
  auto at = waiting.insert(waiting.end(), std::move(w));
  auto due = deadlines_.emplace(deadline, key);
  index_.emplace(key, place{priority, ++next_seq_, at, due});
  return {static_cast<uint32_t>(ahead + 1), true};
}

waiter wait_queue::erase(std::unordered_map<waiter_key, place, waiter_key_hash>::iterator it) {
  auto& p = it->second;
  auto waiting = lines_.find(p.priority);
  waiter w = std::move(*p.at);
  waiting->second.erase(p.at);
  if (waiting->second.empty())
    lines_.erase(waiting);
  deadlines_.erase(p.due);
  if (auto s = sessions_.find(it->first.session); s != sessions_.end()) {
    s->second.erase(it->first.tag);
    if (s->second.empty())
      sessions_.erase(s);
  }
  index_.erase(it);
  if (auto c = computers_.find(w.who.computer); c != computers_.end() && --c->second == 0)
    computers_.erase(c);
  return w;
}

std::optional<waiter> wait_queue::remove(const waiter_key& key) {
  auto it = index_.find(key);
  if (it == index_.end())
    return std::nullopt;
  return erase(it);
}

std::vector<waiter> wait_queue::remove_session(uint64_t session) {
  auto s = sessions_.find(session);
  if (s == sessions_.end())
    return {};
  // In queue order: by priority, then arrival.
  std::vector<std::tuple<int32_t, uint64_t, waiter_key>> keys;
  for (auto tag : s->second) {
    const auto& p = index_.at(waiter_key{session, tag});
    keys.emplace_back(-p.priority, p.seq, waiter_key{session, tag});
  }
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
  });
  std::vector<waiter> out;
  out.reserve(keys.size());
  for (const auto& k : keys)
    out.push_back(erase(index_.find(std::get<2>(k))));
  return out;
}

std::vector<waiter> wait_queue::take_due(mono_time now) {
  std::vector<waiter> out;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now)
    out.push_back(erase(index_.find(deadlines_.begin()->second)));
  return out;
}

std::optional<mono_time> wait_queue::next_deadline() const {
  if (deadlines_.empty())
    return std::nullopt;
  return deadlines_.begin()->first;
}

std::optional<uint32_t> wait_queue::position(const waiter_key& key) const {
  auto it = index_.find(key);
  if (it == index_.end())
    return std::nullopt;
  uint32_t n = 1;
  for (const auto& [priority, waiting] : lines_) {
    if (priority == it->second.priority) {
      for (const auto& w : waiting) {
        if (w.key == key)
          return n;
        ++n;
      }
    }
    n += static_cast<uint32_t>(waiting.size());
  }
  return std::nullopt; // not reached: the index and the lines agree
}

std::optional<waiter> wait_queue::serve(const std::function<choice(const waiter&)>& f,
                                        std::vector<waiter>& dropped) {
  for (auto waiting = lines_.begin(); waiting != lines_.end();) {
    auto& queue = waiting->second;
    ++waiting; // erasing the last waiter of a priority erases its line
    for (auto w = queue.begin(); w != queue.end();) {
      auto c = f(*w);
      if (c == choice::keep) {
        ++w;
        continue;
      }
      auto next = std::next(w);
      bool last = next == queue.end();
      auto taken = erase(index_.find(w->key));
      if (c == choice::take)
        return taken;
      dropped.push_back(std::move(taken));
      if (last)
        break;
      w = next;
    }
  }
  return std::nullopt;
}

std::vector<waiter> wait_queue::in_order() const {
  std::vector<waiter> out;
  out.reserve(index_.size());
  for (const auto& [priority, waiting] : lines_)
    out.insert(out.end(), waiting.begin(), waiting.end());
  return out;
}

} // namespace licd::engine
