// `trailwatch serve`: the live service. One process, one port, the store in
// the data directory, and every AWS client a user already has.
//
// Boot steps, in this order (teardown runs them backwards):
//   1. open the data directory (lock, store, SNS, outbox, transports)
//   2. load or create the access keys (never logging a secret)
//   3. open the engine (log, metric and alarm services)
//   4. apply the --template files
//   5. register the operations and build the router
//   6. listen (HTTP or HTTPS)
//   7. start the delivery workers (pending deliveries resume)
//   8. start the minute evaluator
//   9. start the CloudTrail directory watcher (with --cloudtrail-dir)
// then wait for SIGTERM or SIGINT.

#pragma once

#include <atomic>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/sigv4.h"
#include "common/status.h"
#include "server/access_keys.h"
#include "server/notifications.h"

namespace tw::server {

struct ServeOptions {
  NotifierOptions delivery;  // data_dir, smtp, public_url, region, account_id, ...
  std::string listen = "127.0.0.1:4566";
  std::vector<std::string> templates;
  std::map<std::string, std::string> parameters;  // --parameter KEY=VALUE
  // Keys to accept (server/access_keys.h); none of the three: the pair in
  // <data dir>/credentials, made at the first start.
  std::vector<std::string> access_keys;                // --access-key "ID:SECRET" (visible in ps)
  std::vector<std::string> access_key_files;           // --access-key-file
  std::optional<std::string> access_keys_environment;  // TRAILWATCH_ACCESS_KEYS
  std::string tls_cert_file, tls_key_file;
  std::string cloudtrail_dir;
  std::string log_group = "CloudTrail/DefaultLogGroup";
  bool early_alarm = false;
  // How long finished deliveries and alarm history are kept (--keep-history-days).
  int keep_history_days = 30;
  bool public_url_given = false;  // else it follows the listen address
  // Who may scrape GET /metrics besides loopback (--metrics-from CIDR), and
  // whether it is served at all (--no-metrics); service_metrics.h.
  std::vector<std::string> metrics_from;
  bool no_metrics = false;
};

// Parses "HOST:PORT" ("[::1]:4566" for IPv6). kInvalidArgument otherwise.
Result<std::pair<std::string, int>> ParseListenAddress(const std::string& text);

// Runs until `stop` becomes true (the CLI sets it from SIGTERM/SIGINT).
// Writes its log to standard error. Returns the exit status.
int Serve(const ServeOptions& options, const std::atomic<bool>& stop);

}  // namespace tw::server
