// `trailwatch replay`: what a template's alarms would have done over archived
// CloudTrail files (server/replay.h does the work; this file parses options
// and prints).
//
//   trailwatch replay --template FILE [--log-group NAME] [--region R]
//                     [--account-id ID] [--json] PATH...
//
// Output for people: a timeline of state changes with the evidence behind
// each change to ALARM, then a summary per alarm and per metric. --json: one
// JSON object per line, {"type":"transition",...} then {"type":"summary",...}.
// Exit status: 0 when the replay ran (files that could not be read are
// reported and skipped), 2 for an unusable template or no readable input.

#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace tw::cli {

struct ReplayCommandOptions {
  std::string template_path;
  std::string log_group;  // empty: the template's
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  bool json = false;
  std::vector<std::string> paths;
};

CLI::App* AddReplayCommand(CLI::App& app, ReplayCommandOptions* options);

int RunReplay(const ReplayCommandOptions& options, std::FILE* out, std::FILE* err);

}  // namespace tw::cli
