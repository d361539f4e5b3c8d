// The command-line options of everything that delivers notifications
// (`replay --notify`, `outbox deliver`, later `serve`): where the data
// directory is and how mail and HTTP leave the machine.
//
//   --data-dir DIR        the data directory (default ./trailwatch-data)
//   --store URL           postgresql://user@host/db: the store in PostgreSQL, shared by
//                         several nodes (env TRAILWATCH_STORE), instead of the data dir's
//   --smtp URL            smtp://[user:password@]host[:port] or smtps://...;
//                         without it e-mail goes to <data dir>/maildir. The
//                         password may come from TRAILWATCH_SMTP_PASSWORD
//                         instead (smtp://user@host), out of sight of ps
//   --smtp-starttls       require STARTTLS on smtp://
//   --smtp-from ADDR      the From address (default trailwatch@<host>)
//   --ca-file FILE        extra CA certificates to trust (https, SMTP TLS)
//   --http-timeout SECS   per HTTP(S) attempt (SNS: 15)
//   --public-url URL      base of the links in messages (default http://127.0.0.1:4566)
//   --allow-endpoint CIDR http(s)/slack endpoints may reach this network although it is
//                         loopback, private or link-local (repeatable)

#pragma once

#include <string>
#include <string_view>

#include "server/notifications.h"

namespace CLI {
class App;
}  // namespace CLI

namespace tw::cli {

struct DeliveryFlags {
  server::NotifierOptions options;
  double http_timeout_seconds = 15;
  bool public_url_given = false;  // --public-url was on the command line
};

// --store URL alone, for commands that only read or change the store.
void AddStoreOption(CLI::App* command, std::string* store);

// `public_url_default`: what --help says the default of --public-url is
// (serve's follows its --listen address).
void AddDeliveryOptions(CLI::App* command, DeliveryFlags* flags,
                        std::string_view public_url_default = "http://127.0.0.1:4566");

// The options, with the timeout converted; call after parsing.
server::NotifierOptions ResolveDeliveryOptions(const DeliveryFlags& flags);

// A line for the log after each attempt: "delivered email ops@example.com
// (attempt 1): written to ..." / "retrying https://x in 20 s (attempt 1): HTTP 503".
std::string DescribeAttempt(const notify::Delivery& delivery, const notify::AttemptRecord& attempt);

}  // namespace tw::cli
