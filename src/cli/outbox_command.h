// `trailwatch outbox`: the durable outbox of a data directory, for people.
//
//   trailwatch outbox list    [--data-dir DIR] [--state pending|delivered|dead] [--limit N]
//   [--json] trailwatch outbox show    [--data-dir DIR] ID trailwatch outbox retry   [--data-dir
//   DIR] (ID... | --all-dead) trailwatch outbox deliver [delivery options] [--max-wait SECONDS]
//
// `list --state dead` is the dead-letter list. `retry` puts dead-lettered
// deliveries back with a fresh retry schedule; `deliver` sends everything
// pending (after a crash, or after `retry`) and exits when nothing is
// pending. All of them lock the data directory, so they refuse to run
// beside a `serve` or `replay --notify` that uses it.
//
// Exit status: 0 on success; 1 when `deliver` ends with something dead or
// still pending; 2 for a usage error or an unusable data directory.

#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/delivery_options.h"

namespace CLI {
class App;
}  // namespace CLI

namespace tw::cli {

struct OutboxCommandOptions {
  DeliveryFlags delivery;  // --data-dir and, for deliver, the transports
  std::string state;       // list: "", "pending", "delivered" or "dead"
  std::size_t limit = 50;
  bool json = false;
  std::vector<std::int64_t> ids;
  bool all_dead = false;
  double max_wait_seconds = 0;
};

struct OutboxCommand {
  CLI::App* list = nullptr;
  CLI::App* show = nullptr;
  CLI::App* retry = nullptr;
  CLI::App* deliver = nullptr;
  CLI::App* self = nullptr;
};

OutboxCommand AddOutboxCommand(CLI::App& app, OutboxCommandOptions* options);

int RunOutbox(const OutboxCommand& command, const OutboxCommandOptions& options, std::FILE* out,
              std::FILE* err);

}  // namespace tw::cli
