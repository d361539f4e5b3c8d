// `trailwatch test-pattern`: runs one filter pattern over log events read
// from files or standard input, as CloudWatch Logs' TestMetricFilter does,
// but over any number of events and without the 50-message limit.
//
//   trailwatch test-pattern [--json] [--format auto|lines|cloudtrail]
//                           [--strict-delimited] PATTERN [FILE...]
//
// Events are numbered from 1 across all inputs, in input order. Output is
// streamed: memory stays flat however large the input.
//
// Exit status: 0 when every input was read (whether or not anything
// matched); 2 for an invalid pattern, an unreadable input or invalid data.
// Reading stops at the first input error. Matches printed before it stay
// printed (the "N of M events matched" tally is left out, being partial),
// and --json output is still closed so that stdout holds a valid document.

#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace tw::cli {

struct TestPatternOptions {
  std::string pattern;
  std::vector<std::string> files;  // empty or "-": standard input
  bool json = false;               // print the TestMetricFilter response body
  std::string format = "auto";     // "auto", "lines" or "cloudtrail" (ingest::ParseInputFormat)
  bool strict_delimited = false;   // pattern::DelimitedAlignment::kStrict
};

// Registers the subcommand on `app`; parsing fills *options, which must
// outlive `app`. Returns the subcommand so the caller can ask parsed().
CLI::App* AddTestPatternCommand(CLI::App& app, TestPatternOptions* options);

// Runs the command; writes results to `out` and diagnostics to `err`.
// Returns the process exit status.
int RunTestPattern(const TestPatternOptions& options, std::FILE* out, std::FILE* err);

}  // namespace tw::cli
