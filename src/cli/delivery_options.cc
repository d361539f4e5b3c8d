#include "cli/delivery_options.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>

namespace tw::cli {

void AddDeliveryOptions(CLI::App* command, DeliveryFlags* flags) {
  server::NotifierOptions& o = flags->options;
  command->add_option("--data-dir", o.data_dir, "Data directory (store, outbox, Maildir)")
      ->capture_default_str();
  command->add_option("--smtp", o.smtp_url,
                      "SMTP server: smtp://[user:password@]host[:port] or smtps://...; "
                      "without it e-mail is written to <data dir>/maildir");
  command->add_flag("--smtp-starttls", o.smtp_starttls, "Require STARTTLS on smtp://");
  command->add_option("--smtp-from", o.mail_from,
                      "From address of e-mail (default trailwatch@<host>)");
  command->add_option("--ca-file", o.ca_file,
                      "PEM file of extra CA certificates to trust for https:// endpoints and SMTP "
                      "TLS");
  command
      ->add_option("--http-timeout", flags->http_timeout_seconds,
                   "Seconds an HTTP(S) endpoint has to answer before the attempt counts as failed")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  command
      ->add_option("--public-url", o.public_url,
                   "Base URL of the confirm/unsubscribe links and of SigningCertURL")
      ->capture_default_str()
      ->each([flags](const std::string&) { flags->public_url_given = true; });
}

server::NotifierOptions ResolveDeliveryOptions(const DeliveryFlags& flags) {
  server::NotifierOptions o = flags.options;
  o.http_timeout =
      Duration(static_cast<std::int64_t>(std::llround(flags.http_timeout_seconds * 1000)));
  while (o.public_url.ends_with('/')) o.public_url.pop_back();
  return o;
}

std::string DescribeAttempt(const notify::Delivery& d, const notify::AttemptRecord& a) {
  std::string target = d.item.protocol + " " + d.item.endpoint;
  std::string head;
  switch (d.state) {
    case notify::DeliveryState::kDelivered:
      head = "delivered " + target;
      break;
    case notify::DeliveryState::kDead:
      head = "dead-lettered " + target;
      break;
    case notify::DeliveryState::kPending: {
      auto wait =
          std::chrono::duration_cast<std::chrono::seconds>(d.next_attempt - a.started - a.elapsed);
      head = "retrying " + target + " in " + std::to_string(std::max<long long>(0, wait.count())) +
             " s";
      break;
    }
  }
  return head + " (" + d.item.type + " " + d.item.message_id + ", attempt " +
         std::to_string(a.number) + "): " + a.detail;
}

}  // namespace tw::cli
