// `trailwatch replay`: what a template's alarms would have done over archived
// CloudTrail files (server/replay.h does the work; this file parses options
// and prints).
//
//   trailwatch replay --template FILE [--log-group NAME] [--region R]
//                     [--account-id ID] [--json] [--notify [delivery options]
//                     [--max-wait SECONDS]] PATH...
//
// Output for people: a timeline of state changes with the evidence behind
// each change to ALARM, then a summary per alarm and per metric. --json: one
// JSON object per line, {"type":"transition",...} then {"type":"summary",...}.
// --notify: the notifications the replayed transitions would have sent are
// queued in the data directory's outbox and delivered to the template's
// subscriptions (confirmed: the template is the owner's word), and the
// command exits once each one is delivered or dead-lettered (or --max-wait
// passes), with a line per delivery. Without --notify nothing is sent.
//
// Exit status: 0 when the replay ran (files that could not be read are
// reported and skipped) and every notification was delivered; 1 when some
// notification was dead-lettered or is still pending at --max-wait; 2 for
// an unusable template, no readable input, or a data directory that cannot
// be used.

#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "cli/delivery_options.h"

namespace CLI {
class App;
}  // namespace CLI

namespace tw::cli {

struct ReplayCommandOptions {
  std::string template_path;
  std::map<std::string, std::string> parameters;  // --parameter KEY=VALUE
  std::string log_group;                          // empty: the template's
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  bool json = false;
  std::vector<std::string> paths;
  bool notify = false;
  DeliveryFlags delivery;
  double max_wait_seconds = 0;  // 0: as long as the retry policies take
};

CLI::App* AddReplayCommand(CLI::App& app, ReplayCommandOptions* options);

int RunReplay(const ReplayCommandOptions& options, std::FILE* out, std::FILE* err);

}  // namespace tw::cli
