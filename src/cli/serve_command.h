// `trailwatch serve`: the live service (server/serve.h does the work; this
// file parses options and turns SIGTERM/SIGINT into a clean stop).
//
//   trailwatch serve [--data-dir DIR] [--listen HOST:PORT] [--template FILE]...
//                    [--access-key ID:SECRET]... [--region R] [--account-id ID]
//                    [--smtp URL --smtp-from ADDR] [--public-url URL]
//                    [--cloudtrail-dir DIR --log-group NAME] [--early-alarm]
//                    [--tls-cert FILE --tls-key FILE] [--metrics-from CIDR]... [--no-metrics]
//
// Exit status: 0 after a clean stop; 2 when it cannot start (bad options,
// data directory in use, port in use, unusable template).

#pragma once

#include "cli/delivery_options.h"
#include "server/serve.h"

namespace CLI {
class App;
}  // namespace CLI

namespace tw::cli {

struct ServeCommandOptions {
  DeliveryFlags delivery;
  server::ServeOptions serve;
};

CLI::App* AddServeCommand(CLI::App& app, ServeCommandOptions* options);

int RunServe(ServeCommandOptions options);

}  // namespace tw::cli
