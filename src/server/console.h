// The web console: the files of web/ (embedded) at /console/, and the JSON
// API of docs/console-api.md under /console/api/, on the service's port.
//
// Security (docs/console-api.md): sign-in with an access key ID and secret
// the server knows; a random session cookie (HttpOnly, SameSite=Strict,
// Secure with TLS) that expires after 12 hours; every POST/DELETE needs the
// session's CSRF token in X-CSRF-Token and a same-origin Origin when one is
// sent; the secret never goes back to the browser; every response carries a
// strict Content-Security-Policy.
//
// Thread safety: Handle() may be called from many threads; sessions are
// guarded by a mutex, everything else goes through the Engine's lock.

#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "api/router.h"
#include "server/engine.h"

namespace tw::server {

class Console {
 public:
  // `secrets`: access key ID -> secret. `engine` and `clock` must outlive
  // the console.
  Console(Engine* engine, std::map<std::string, std::string> secrets, bool tls, const Clock* clock);

  // The response for a console request (a path of /console or "/" from a
  // browser), or nullopt for anything else.
  std::optional<api::HttpResponse> Handle(const api::HttpRequest& request);

 private:
  struct Session {
    std::string access_key_id;
    std::string csrf_token;
    TimePoint expires;
  };

  api::HttpResponse Api(const api::HttpRequest& request, std::string_view path);
  std::optional<Session> SessionOf(const api::HttpRequest& request);

  Engine* engine_;
  std::map<std::string, std::string> secrets_;
  bool tls_;
  const Clock* clock_;
  std::mutex mutex_;
  std::map<std::string, Session> sessions_;  // GUARDED_BY(mutex_); by cookie value
};

// "ALARM when Maximum > 0 for 1 of 1 periods of 5 minutes; missing data =
// not breaching": an alarm's condition in words.
std::string DescribeCondition(const alarm::AlarmSpec& spec);

}  // namespace tw::server
