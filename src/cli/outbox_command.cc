#include "cli/outbox_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/json_output.h"
#include "common/log.h"
#include "common/url.h"
#include "notify/outbox.h"
#include "store/data_directory.h"
#include "store/database.h"

namespace tw::cli {
namespace {

using Json = nlohmann::ordered_json;

// Opens the data directory (locked) without starting anything.
Result<std::unique_ptr<server::Notifier>> OpenNotifier(const OutboxCommandOptions& options,
                                                       const Clock* clock) {
  return server::Notifier::Open(ResolveDeliveryOptions(options.delivery), clock);
}

// list and show only read: they open the store as a reader, without the
// data directory's lock, so that they work while `serve` runs (SQLite's WAL
// lets readers beside the writer).
// The directory gets the checks every command gives it (refused when others
// may write it, tightened when they may read it) and the store its
// integrity check; nothing is created. nullopt when the store has no outbox
// tables yet (never used by a notifying command, or rebuilt by hand from a
// damaged file): opening it as a writer creates them.
Result<std::optional<store::Database>> OpenForReading(const OutboxCommandOptions& options) {
  const std::string dir = options.delivery.options.data_dir;
  const std::string path = server::DataDirLayout{dir, options.delivery.options.store}.database();
  // A shared PostgreSQL store lives apart from the data directory.
  if (!store::IsPostgresUrl(path)) {
    const Status missing =
        NotFound("no trailwatch data directory at " + dir + " (no " + path + ")");
    std::error_code error;
    if (!std::filesystem::exists(dir, error)) return missing;
    Result<std::string> tightened = store::SecureDataDirectory(dir);
    if (!tightened.ok()) return tightened.status();
    if (!tightened->empty()) LogWarning(*tightened);
    if (!std::filesystem::exists(path, error)) return missing;
  }
  Result<store::Database> db = store::Database::OpenReader(path);
  if (!db.ok()) return db.status();
  TW_RETURN_IF_ERROR(db->CheckIntegrity());
  Result<bool> found = db->HasTable("deliveries");
  if (!found.ok()) return found.status();
  if (!*found) return std::optional<store::Database>();
  return std::optional<store::Database>(std::move(db).value());
}

int List(const OutboxCommandOptions& options, store::Database& db, std::FILE* out, std::FILE* err) {
  notify::DeliveryFilter filter;
  if (options.state == "pending") filter.state = notify::DeliveryState::kPending;
  if (options.state == "delivered") filter.state = notify::DeliveryState::kDelivered;
  if (options.state == "dead") filter.state = notify::DeliveryState::kDead;
  filter.limit = options.limit;
  notify::Outbox outbox(&db);
  Result<std::vector<notify::Delivery>> rows = outbox.List(filter);
  Result<notify::OutboxCounts> counts = outbox.Counts();
  if (!rows.ok() || !counts.ok()) {
    std::fprintf(err, "trailwatch outbox: %s\n",
                 (rows.ok() ? counts.status() : rows.status()).message().c_str());
    return 2;
  }
  if (options.json) {
    for (const notify::Delivery& d : *rows)
      std::fprintf(out, "%s\n", DumpJson(DeliveryJson(d)).c_str());
    return 0;
  }
  std::fprintf(out, "%lld pending, %lld delivered, %lld dead\n",
               static_cast<long long>(counts->pending), static_cast<long long>(counts->delivered),
               static_cast<long long>(counts->dead));
  for (const notify::Delivery& d : *rows) {
    std::fprintf(out, "%6lld  %-9s %-10s %-40s %2d attempt%s  %s\n", static_cast<long long>(d.id),
                 notify::DeliveryStateName(d.state), d.item.protocol.c_str(),
                 RedactUrlPasswords(d.item.endpoint).c_str(), d.attempts,
                 d.attempts == 1 ? " " : "s", RedactUrlPasswords(d.last_detail).c_str());
  }
  return 0;
}

int Show(const OutboxCommandOptions& options, store::Database& db, std::FILE* out, std::FILE* err) {
  notify::Outbox outbox(&db);
  for (std::int64_t id : options.ids) {
    Result<notify::Delivery> d = outbox.Get(id);
    if (!d.ok()) {
      std::fprintf(err, "trailwatch outbox: %s\n", d.status().message().c_str());
      return 2;
    }
    Json j = DeliveryJson(*d);
    if (d->item.http) {
      Json headers = Json::object();
      for (const auto& [name, value] : d->item.http->headers) headers[name] = value;
      // The URL as delivered, but with its password masked: the output of
      // `show` ends up in terminals and bug reports.
      j["request"] = {{"url", RedactUrlPasswords(d->item.http->url)},
                      {"headers", headers},
                      {"body", d->item.http->body}};
    } else if (d->item.mail) {
      j["mail"] = {{"from", d->item.mail->from},
                   {"recipients", d->item.mail->recipients},
                   {"data", d->item.mail->data}};
    }
    std::fprintf(out, "%s\n", DumpJson(j, 2).c_str());
  }
  return 0;
}

int Retry(const OutboxCommandOptions& options, server::Notifier& n, const Clock& clock,
          std::FILE* out, std::FILE* err) {
  notify::Outbox outbox(&n.db());
  std::vector<std::int64_t> ids = options.ids;
  if (options.all_dead) {
    Result<std::vector<notify::Delivery>> dead =
        outbox.List({.state = notify::DeliveryState::kDead,
                     .limit = std::numeric_limits<std::size_t>::max() / 2});
    if (!dead.ok()) {
      std::fprintf(err, "trailwatch outbox: %s\n", dead.status().message().c_str());
      return 2;
    }
    for (const notify::Delivery& d : *dead) ids.push_back(d.id);
  }
  for (std::int64_t id : ids) {
    Status s = outbox.Retry(id, clock.Now());
    if (!s.ok()) {
      std::fprintf(err, "trailwatch outbox: %s\n", s.message().c_str());
      return 2;
    }
  }
  std::fprintf(out, "%zu deliver%s pending again; `trailwatch outbox deliver` sends %s\n",
               ids.size(), ids.size() == 1 ? "y is" : "ies are", ids.size() == 1 ? "it" : "them");
  return 0;
}

int Deliver(const OutboxCommandOptions& options, server::Notifier& n, const Clock& clock,
            std::FILE* out) {
  n.deliverer().Start();
  std::optional<TimePoint> deadline;
  if (options.max_wait_seconds > 0) {
    deadline = clock.Now() + Duration(static_cast<std::int64_t>(options.max_wait_seconds * 1000));
  }
  bool idle = n.deliverer().WaitUntilIdle(deadline);
  n.deliverer().Stop();
  Result<notify::OutboxCounts> counts = n.deliverer().Counts();
  if (!counts.ok()) return 2;
  std::fprintf(out, "%lld pending, %lld delivered, %lld dead\n",
               static_cast<long long>(counts->pending), static_cast<long long>(counts->delivered),
               static_cast<long long>(counts->dead));
  return idle && counts->dead == 0 ? 0 : 1;
}

}  // namespace

OutboxCommand AddOutboxCommand(CLI::App& app, OutboxCommandOptions* options) {
  OutboxCommand c;
  c.self = app.add_subcommand("outbox",
                              "The durable outbox of notifications: list, show, retry the "
                              "dead-lettered, deliver what is pending");
  c.self->require_subcommand(1);
  auto data_dir = [&](CLI::App* sub) {
    sub->add_option("--data-dir", options->delivery.options.data_dir, "Data directory")
        ->capture_default_str();
    AddStoreOption(sub, &options->delivery.options.store);
  };
  c.list = c.self->add_subcommand("list", "Deliveries, newest first, with their outcome");
  data_dir(c.list);
  c.list
      ->add_option("--state", options->state, "Only pending, delivered or dead (the dead letters)")
      ->check(CLI::IsMember({"pending", "delivered", "dead"}));
  c.list->add_option("--limit", options->limit, "At most this many")->capture_default_str();
  c.list->add_flag("--json", options->json, "One JSON object per delivery");

  c.show = c.self->add_subcommand("show", "One delivery with its request and every attempt (JSON)");
  data_dir(c.show);
  c.show->add_option("ID", options->ids, "Delivery IDs (from list)")->required();

  c.retry = c.self->add_subcommand(
      "retry", "Put dead-lettered deliveries back, with a fresh retry schedule");
  data_dir(c.retry);
  c.retry->add_option("ID", options->ids, "Delivery IDs (from list --state dead)");
  c.retry->add_flag("--all-dead", options->all_dead, "Every dead-lettered delivery");

  c.deliver = c.self->add_subcommand("deliver", "Send what is pending; exit when nothing is");
  AddDeliveryOptions(c.deliver, &options->delivery);
  c.deliver
      ->add_option("--max-wait", options->max_wait_seconds,
                   "Stop waiting for retries after this many seconds (0: as long as the retry "
                   "policies take)")
      ->check(CLI::NonNegativeNumber);
  // Set last: the commands added before would inherit it.
  c.self->footer(
      "Run 'trailwatch outbox <command> --help' for its options. Examples:\n"
      "  trailwatch outbox list --state dead\n"
      "  trailwatch outbox show 12\n"
      "  trailwatch outbox deliver --smtp smtp://mail.example.com:587 --smtp-starttls");
  return c;
}

int RunOutbox(const OutboxCommand& command, const OutboxCommandOptions& options, std::FILE* out,
              std::FILE* err) {
  if (command.retry->parsed() && options.ids.empty() && !options.all_dead) {
    std::fprintf(err, "trailwatch outbox retry: give delivery IDs or --all-dead\n");
    return 2;
  }
  const bool reading = command.list->parsed() || command.show->parsed();
  if (reading) {
    Result<std::optional<store::Database>> db = OpenForReading(options);
    if (!db.ok()) {
      std::fprintf(err, "trailwatch outbox: %s\n", db.status().message().c_str());
      return 2;
    }
    if (*db) {
      return command.list->parsed() ? List(options, **db, out, err) : Show(options, **db, out, err);
    }
  }
  SystemClock clock;
  Result<std::unique_ptr<server::Notifier>> n = OpenNotifier(options, &clock);
  if (!n.ok()) {
    std::fprintf(err, "trailwatch outbox: %s\n", n.status().message().c_str());
    return 2;
  }
  if (command.list->parsed()) return List(options, (*n)->db(), out, err);
  if (command.show->parsed()) return Show(options, (*n)->db(), out, err);
  if (command.retry->parsed()) return Retry(options, **n, clock, out, err);
  if ((*n)->MailDescription().rfind("Maildir", 0) == 0 &&
      options.delivery.options.smtp_url.empty()) {
    std::fprintf(err, "no --smtp server given: e-mail is written to the Maildir %s\n",
                 (*n)->layout().maildir().c_str());
  }
  return Deliver(options, **n, clock, out);
}

}  // namespace tw::cli
