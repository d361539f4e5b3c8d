#include "cli/delivery_options.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>

#include "common/url.h"
#include "store/database.h"

namespace tw::cli {
namespace {

// `url` ("smtp://user@host:587") with `password` added to its user, so that
// the password need not be on the command line. A URL that already has a
// password, or no user, is returned as it is.
std::string WithSmtpPassword(const std::string& url, const std::string& password) {
  std::size_t start = url.find("://");
  if (start == std::string::npos) return url;
  start += 3;
  const std::size_t end = url.find_first_of("/?#", start);
  const std::size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at == std::string::npos || at < start || at == start) return url;
  if (url.substr(start, at - start).find(':') != std::string::npos) return url;
  return url.substr(0, at) + ":" + PercentEncode(password) + url.substr(at);
}

}  // namespace

void AddStoreOption(CLI::App* command, std::string* store) {
  command
      ->add_option("--store", *store,
                   "Keep the store in this PostgreSQL database, shared by several trailwatch "
                   "nodes, instead of <data dir>/trailwatch.db: postgresql://user@host[:port]/db"
                   "[?sslmode=require]. Keep the password out of ps: PGPASSWORD or ~/.pgpass")
      ->envname("TRAILWATCH_STORE")
      ->type_name("URL")
      ->check([](const std::string& url) -> std::string {
        if (store::IsPostgresUrl(url)) return "";
        return "'" + url +
               "' is not a PostgreSQL URL: it must start with postgresql:// "
               "(without --store, the store is <data dir>/trailwatch.db)";
      });
}

void AddDeliveryOptions(CLI::App* command, DeliveryFlags* flags,
                        std::string_view public_url_default) {
  server::NotifierOptions& o = flags->options;
  command->add_option("--data-dir", o.data_dir, "Data directory (store, outbox, Maildir)")
      ->capture_default_str();
  AddStoreOption(command, &o.store);
  command
      ->add_option("--smtp", o.smtp_url,
                   "SMTP server: smtp://[user:password@]host[:port] or smtps://...; "
                   "without it e-mail is written to <data dir>/maildir. Keep the password "
                   "out of ps: smtp://user@host with TRAILWATCH_SMTP_PASSWORD set")
      ->type_name("URL")
      ->check([](const std::string& url) -> std::string {
        if (url.starts_with("smtp://") || url.starts_with("smtps://")) return "";
        // A bare host name is the usual slip: say what it should be.
        if (url.find("://") == std::string::npos) {
          return "'" + url + "' is not an SMTP URL; did you mean smtp://" + url +
                 " (port 25, or :587 with --smtp-starttls) or smtps://" + url + ":465?";
        }
        return "'" + url + "' is not an SMTP URL: it must start with smtp:// or smtps://";
      });
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
                   "Base URL of the confirm/unsubscribe links, of SigningCertURL and of the "
                   "console links in messages (default: " +
                       std::string(public_url_default) + ")")
      ->type_name("URL")
      ->each([flags](const std::string&) { flags->public_url_given = true; });
  command
      ->add_option("--allow-endpoint", o.allowed_endpoints,
                   "CIDR (e.g. 127.0.0.1/32, 10.1.2.0/24, fd00::/8) that http, https and slack "
                   "endpoints may reach although it is loopback, private, link-local or another "
                   "special-purpose range (refused by default; repeatable)")
      // One network per occurrence, so that `replay` does not take its
      // PATH arguments for more networks.
      ->allow_extra_args(false)
      ->type_name("CIDR")
      ->check([](const std::string& text) -> std::string {
        Result<notify::Cidr> cidr = notify::Cidr::Parse(text);
        return cidr.ok() ? std::string() : cidr.status().message();
      });
}

server::NotifierOptions ResolveDeliveryOptions(const DeliveryFlags& flags) {
  server::NotifierOptions o = flags.options;
  o.http_timeout =
      Duration(static_cast<std::int64_t>(std::llround(flags.http_timeout_seconds * 1000)));
  while (o.public_url.ends_with('/')) o.public_url.pop_back();
  if (const char* password = std::getenv("TRAILWATCH_SMTP_PASSWORD"); password && *password) {
    o.smtp_url = WithSmtpPassword(o.smtp_url, password);
  }
  return o;
}

std::string DescribeAttempt(const notify::Delivery& d, const notify::AttemptRecord& a) {
  std::string target = d.item.protocol + " " + RedactUrlPasswords(d.item.endpoint);
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
         std::to_string(a.number) + "): " + RedactUrlPasswords(a.detail);
}

}  // namespace tw::cli
