#include "server/sign_in_limiter.h"

#include <algorithm>
#include <iterator>

namespace tw::server {

void SignInLimiter::Prune(Failures* failures, TimePoint now) const {
  while (!failures->empty() && failures->front() + limits_.window <= now) failures->pop_front();
}

std::optional<Duration> SignInLimiter::Wait(Failures* failures, std::size_t limit,
                                            TimePoint now) const {
  Prune(failures, now);
  if (failures->size() < limit) return std::nullopt;
  // Free again when enough of the window's failures have aged out.
  return (*failures)[failures->size() - limit] + limits_.window - now;
}

std::optional<Duration> SignInLimiter::RetryAfter(std::string_view client,
                                                  std::string_view access_key_id, TimePoint now) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::optional<Duration> wait;
  if (auto it = clients_.find(client); it != clients_.end()) {
    wait = Wait(&it->second, limits_.per_client, now);
  }
  if (auto it = keys_.find(access_key_id); it != keys_.end()) {
    std::optional<Duration> key_wait = Wait(&it->second, limits_.per_key, now);
    if (key_wait && (!wait || *key_wait > *wait)) wait = key_wait;
  }
  return wait;
}

void SignInLimiter::Failed(std::string_view client, std::string_view access_key_id, bool known_key,
                           TimePoint now) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = clients_.find(client);
  if (it == clients_.end()) {
    if (clients_.size() >= kMaxClients) {
      // Forget the clients whose failures are all past the window, and if
      // that is not enough, the one with the oldest last failure.
      for (auto entry = clients_.begin(); entry != clients_.end();) {
        Prune(&entry->second, now);
        entry = entry->second.empty() ? clients_.erase(entry) : std::next(entry);
      }
      if (clients_.size() >= kMaxClients) {
        auto oldest = std::min_element(
            clients_.begin(), clients_.end(),
            [](const auto& a, const auto& b) { return a.second.back() < b.second.back(); });
        clients_.erase(oldest);
      }
    }
    it = clients_.emplace(std::string(client), Failures()).first;
  }
  Prune(&it->second, now);
  it->second.push_back(now);
  if (known_key) {
    Failures& key = keys_[std::string(access_key_id)];
    Prune(&key, now);
    key.push_back(now);
  }
}

void SignInLimiter::Succeeded(std::string_view client) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = clients_.find(client); it != clients_.end()) clients_.erase(it);
}

}  // namespace tw::server
