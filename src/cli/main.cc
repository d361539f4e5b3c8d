// trailwatch: command-line entry point. Parsing lives here; each subcommand
// lives in its own file.

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "cli/outbox_command.h"
#include "cli/replay_command.h"
#include "cli/serve_command.h"
#include "cli/test_pattern_command.h"

int main(int argc, char** argv) {
  // A peer that hangs up mid-write (an SMTP or HTTP endpoint) must give an
  // error to handle, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  // Everything trailwatch creates (the data directory, the store and its
  // -wal/-shm, the credentials, the Maildir) holds keys, tokens or log
  // events: private to the user from the first byte, whatever the shell's
  // umask (store/data_directory.h).
  umask(077);

  // An explicit name keeps the build path out of "Usage:" lines.
  CLI::App app{
      "trailwatch: CloudTrail -> CloudWatch Logs metric filters -> CloudWatch alarms -> SNS "
      "notifications, on one machine",
      "trailwatch"};
  app.set_version_flag("--version", "trailwatch " TW_VERSION, "Print the version and exit");
  app.footer("Run 'trailwatch test-pattern --help' for the options of a command.");

  tw::cli::TestPatternOptions test_pattern_options;
  CLI::App* test_pattern = tw::cli::AddTestPatternCommand(app, &test_pattern_options);
  tw::cli::ReplayCommandOptions replay_options;
  CLI::App* replay = tw::cli::AddReplayCommand(app, &replay_options);
  tw::cli::OutboxCommandOptions outbox_options;
  tw::cli::OutboxCommand outbox = tw::cli::AddOutboxCommand(app, &outbox_options);
  tw::cli::ServeCommandOptions serve_options;
  CLI::App* serve = tw::cli::AddServeCommand(app, &serve_options);

  // CLI11 reports --help, --version and usage errors by throwing; they stop here.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // 0 for --help / --version (printed by exit()); usage errors exit 2.
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (test_pattern->parsed()) {
    return tw::cli::RunTestPattern(test_pattern_options, stdout, stderr);
  }
  if (replay->parsed()) return tw::cli::RunReplay(replay_options, stdout, stderr);
  if (outbox.self->parsed()) return tw::cli::RunOutbox(outbox, outbox_options, stdout, stderr);
  if (serve->parsed()) return tw::cli::RunServe(serve_options);
  std::fputs(app.help().c_str(), stderr);
  return 2;
}
