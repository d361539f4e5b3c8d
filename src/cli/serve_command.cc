#include "cli/serve_command.h"

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdlib>

#include "cli/template_parameters.h"

namespace tw::cli {
namespace {

std::atomic<bool> stop_requested{false};

extern "C" void OnStopSignal(int) { stop_requested.store(true); }

}  // namespace

CLI::App* AddServeCommand(CLI::App& app, ServeCommandOptions* options) {
  CLI::App* command = app.add_subcommand(
      "serve",
      "Run the AWS-compatible service: CloudWatch Logs, CloudWatch and SNS on one port, for the "
      "aws CLI, boto3 and the SDKs (--endpoint-url), with alarms evaluated every minute and "
      "notifications delivered from a durable outbox.");
  server::ServeOptions& s = options->serve;
  AddDeliveryOptions(command, &options->delivery, "http://<the --listen address>");
  command->add_option("--listen", s.listen, "HOST:PORT to listen on")->capture_default_str();
  command->add_option("--template", s.templates,
                      "CloudFormation template to apply at start (repeatable)");
  AddParameterOption(command, &s.parameters);
  command->add_option("--access-key", s.access_keys,
                      "ID:SECRET of an access key to accept (repeatable; visible to every local "
                      "user in ps: prefer --access-key-file or TRAILWATCH_ACCESS_KEYS). Without "
                      "any key: the one kept in <data dir>/credentials, created on first start");
  command->add_option("--access-key-file", s.access_key_files,
                      "File of access keys to accept, mode 0600: ID:SECRET lines (# comments) "
                      "or an AWS shared-credentials file (repeatable). The environment variable "
                      "TRAILWATCH_ACCESS_KEYS takes ID:SECRET items too");
  command->add_option("--region", options->delivery.options.region, "Region for ARNs")
      ->capture_default_str();
  command->add_option("--account-id", options->delivery.options.account_id, "Account ID for ARNs")
      ->capture_default_str();
  command->add_option("--cloudtrail-dir", s.cloudtrail_dir,
                      "Directory where CloudTrail files arrive (e.g. an aws s3 sync target); each "
                      "new file is ingested once into --log-group");
  command->add_option("--log-group", s.log_group, "Log group of --cloudtrail-dir")
      ->capture_default_str();
  command
      ->add_option("--keep-history-days", s.keep_history_days,
                   "Days to keep finished deliveries (delivered or dead, with their attempts) "
                   "and alarm history; pruned hourly. Pending deliveries are never pruned")
      ->capture_default_str()
      ->check(CLI::Range(1, 3650));
  command->add_flag("--early-alarm", s.early_alarm,
                    "Evaluate alarms whose statistic can only grow on the current minute as soon "
                    "as data arrives, so ALARM goes out within a second");
  command->add_option("--metrics-from", s.metrics_from,
                      "Network (CIDR) whose clients may scrape the Prometheus metrics at "
                      "/metrics, besides loopback (repeatable; 0.0.0.0/0 and ::/0: anyone)");
  command->add_flag("--no-metrics", s.no_metrics, "Do not serve /metrics at all");
  command->add_option("--tls-cert", s.tls_cert_file, "PEM certificate to serve HTTPS with");
  command->add_option("--tls-key", s.tls_key_file, "PEM private key of --tls-cert");
  command->footer(
      "Example:\n  trailwatch serve --template examples/iam-policy-change.yaml --early-alarm\n"
      "  aws --endpoint-url http://127.0.0.1:4566 cloudwatch describe-alarms");
  return command;
}

int RunServe(ServeCommandOptions options) {
  options.serve.delivery = ResolveDeliveryOptions(options.delivery);
  options.serve.public_url_given = options.delivery.public_url_given;
  if (const char* keys = std::getenv("TRAILWATCH_ACCESS_KEYS")) {
    options.serve.access_keys_environment = keys;
  }
  std::signal(SIGTERM, OnStopSignal);
  std::signal(SIGINT, OnStopSignal);
  return server::Serve(options.serve, stop_requested);
}

}  // namespace tw::cli
