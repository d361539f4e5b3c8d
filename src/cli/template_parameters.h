// --parameter KEY=VALUE (repeatable), as `aws cloudformation deploy
// --parameter-overrides` gives a template's Parameters their values:
//
//   trailwatch serve --template examples/cis-benchmark.yaml
//       --parameter AlarmEmail=secops@example.org
//
// Refused at parse time (exit 2) unless it is KEY=VALUE with a key that
// could name a CloudFormation parameter; given twice, the last one counts.

#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>

namespace tw::cli {

void AddParameterOption(CLI::App* command, std::map<std::string, std::string>* parameters);

}  // namespace tw::cli
