// The web console: the files of web/ (embedded) at /console/, and the JSON
// API of docs/console-api.md under /console/api/, on the service's port.
//
// Security (docs/console-api.md): every console request must name an
// allowed Host (421 otherwise: a DNS-rebinding page reaches the console under
// its own name); sign-in takes a JSON body with a same-origin Origin (no
// login CSRF), and failed sign-ins are limited per client and per key
// (SignInLimiter, 429); a random session cookie (HttpOnly, SameSite=Strict,
// Secure with TLS) that expires after 12 hours; every POST/DELETE needs the
// session's CSRF token in X-CSRF-Token and a same-origin Origin when one is
// sent; the secret never goes back to the browser; every response carries a
// strict Content-Security-Policy.
//
// Sessions are kept in the store (the cookie's token as its SHA-256), so a
// restart signs nobody out and every node of a shared store knows them.
//
// Thread safety: Handle() may be called from many threads; everything,
// sessions included, goes through the Engine's lock.

#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/router.h"
#include "server/engine.h"
#include "server/sign_in_limiter.h"

namespace tw::server {

class Console {
 public:
  // `secrets`: access key ID -> secret. `engine` and `clock` must outlive
  // the console. `host_names`: the names (without port) the console answers
  // to besides IP literals and "localhost", e.g. the --public-url's and the
  // --listen address's hosts.
  Console(Engine* engine, std::map<std::string, std::string> secrets, bool tls, const Clock* clock,
          std::vector<std::string> host_names = {});

  // Lets the signed-in console call the service's AWS operations
  // (POST /console/api/aws/<service>/<Operation>), so that every change the
  // console makes goes through the same validation and engine calls as the
  // API's. `operations` must outlive the console; without it that route
  // answers 404.
  void ServeOperations(const api::Operations* operations) { operations_ = operations; }

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
  Result<std::optional<Session>> StoredSession(const std::string& token, TimePoint now);
  Status StoreSession(const std::string& token, const Session& session, TimePoint now);
  Status ForgetSession(const std::string& token);

  api::HttpResponse SignIn(const api::HttpRequest& request, TimePoint now);
  api::HttpResponse CallOperation(const api::HttpRequest& request, std::string_view path,
                                  const Session& session, TimePoint now);
  bool HostAllowed(std::string_view host) const;

  Engine* engine_;
  const api::Operations* operations_ = nullptr;
  std::map<std::string, std::string> secrets_;
  bool tls_;
  const Clock* clock_;
  std::vector<std::string> host_names_;  // lower-case
  SignInLimiter sign_ins_;
  Status sessions_table_;  // the migration's outcome
};

// "ALARM when Maximum > 0 for 1 of 1 periods of 5 minutes; missing data =
// not breaching": an alarm's condition in words.
std::string DescribeCondition(const alarm::AlarmSpec& spec);

}  // namespace tw::server
