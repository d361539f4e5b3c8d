// trailwatch: command-line entry point. Parsing lives here; each subcommand
// lives in its own file.

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/outbox_command.h"
#include "cli/replay_command.h"
#include "cli/serve_command.h"
#include "cli/test_pattern_command.h"

namespace {

std::size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// "--templat": the option of the command given that was most likely meant,
// when one is close enough; "" otherwise.
std::string Suggestion(CLI::App& app, int argc, char** argv) {
  CLI::App* command = &app;
  for (std::vector<CLI::App*> parsed = command->get_subcommands(); !parsed.empty();
       parsed = command->get_subcommands()) {
    command = parsed.front();
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!arg.starts_with("--") || arg.size() < 3) continue;
    const std::string name =
        arg.substr(2, arg.find('=') == std::string::npos ? std::string::npos : arg.find('=') - 2);
    std::string best;
    std::size_t best_distance = std::string::npos;
    bool known = false;
    for (const CLI::Option* option : command->get_options()) {
      for (const std::string& candidate : option->get_lnames()) {
        if (candidate == name) known = true;
        const std::size_t d = EditDistance(name, candidate);
        if (d < best_distance) best_distance = d, best = candidate;
      }
    }
    if (!known && !best.empty() && best_distance <= std::max<std::size_t>(2, name.size() / 3)) {
      return "--" + name + ": did you mean --" + best + "?";
    }
  }
  return "";
}

}  // namespace

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

  tw::cli::TestPatternOptions test_pattern_options;
  CLI::App* test_pattern = tw::cli::AddTestPatternCommand(app, &test_pattern_options);
  tw::cli::ReplayCommandOptions replay_options;
  CLI::App* replay = tw::cli::AddReplayCommand(app, &replay_options);
  tw::cli::OutboxCommandOptions outbox_options;
  tw::cli::OutboxCommand outbox = tw::cli::AddOutboxCommand(app, &outbox_options);
  tw::cli::ServeCommandOptions serve_options;
  CLI::App* serve = tw::cli::AddServeCommand(app, &serve_options);
  // Set after the commands are added, which would otherwise inherit it.
  app.footer("Run 'trailwatch <command> --help' for the options of a command.");

  // CLI11 reports --help, --version and usage errors by throwing; they stop here.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // 0 for --help / --version (printed by exit()); usage errors exit 2.
    if (app.exit(e) == 0) return 0;
    if (const std::string hint = Suggestion(app, argc, argv); !hint.empty()) {
      std::fprintf(stderr, "%s\n", hint.c_str());
    }
    return 2;
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
