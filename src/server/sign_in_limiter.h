// Failed console sign-ins, counted per client address and per access key in
// a sliding window, so that guessing a secret costs hours rather than
// seconds. Checked before the secret is: while a client or a key is over
// its limit, every attempt is refused (429) unchecked, right or wrong.
//
// Memory is bounded: per-key counts are kept for the server's own keys only
// (unknown key IDs count against the client alone), and at most
// kMaxClients client addresses are remembered (the oldest forgotten first).
//
// Thread-safe.

#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"

namespace tw::server {

class SignInLimiter {
 public:
  struct Limits {
    Duration window = std::chrono::minutes(5);
    std::size_t per_client = 5;  // failures per window from one address
    std::size_t per_key = 20;    // failures per window against one key, from anywhere
  };
  static constexpr std::size_t kMaxClients = 10'000;

  SignInLimiter() = default;
  explicit SignInLimiter(Limits limits) : limits_(limits) {}

  // How long `client` must wait before trying `access_key_id` again, or
  // nullopt when it may try now.
  std::optional<Duration> RetryAfter(std::string_view client, std::string_view access_key_id,
                                     TimePoint now);
  // Counts a failed attempt. `known_key`: the key ID is one of the server's.
  void Failed(std::string_view client, std::string_view access_key_id, bool known_key,
              TimePoint now);
  // A successful sign-in clears the client's count.
  void Succeeded(std::string_view client);

 private:
  using Failures = std::deque<TimePoint>;
  void Prune(Failures* failures, TimePoint now) const;
  std::optional<Duration> Wait(Failures* failures, std::size_t limit, TimePoint now) const;

  Limits limits_;
  std::mutex mutex_;
  std::map<std::string, Failures, std::less<>> clients_;  // GUARDED_BY(mutex_)
  std::map<std::string, Failures, std::less<>> keys_;     // GUARDED_BY(mutex_)
};

}  // namespace tw::server
