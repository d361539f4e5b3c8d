#include "notify/outbox.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/host_name.h"
#include "common/url.h"

namespace tw::notify {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kSchema[] = {
    R"sql(
CREATE TABLE deliveries (
  id               INTEGER PRIMARY KEY,
  message_id       TEXT    NOT NULL,
  type             TEXT    NOT NULL,
  topic_arn        TEXT    NOT NULL,
  subscription_arn TEXT    NOT NULL,
  protocol         TEXT    NOT NULL,
  endpoint         TEXT    NOT NULL,
  subject          TEXT    NOT NULL,
  origin           TEXT    NOT NULL,
  request          TEXT    NOT NULL,  -- JSON: {"http": {...}} or {"mail": {...}}
  retry_delays     TEXT    NOT NULL,  -- JSON array of seconds
  max_per_second   INTEGER,
  state            TEXT    NOT NULL,  -- pending | delivered | dead
  attempts         INTEGER NOT NULL DEFAULT 0,
  schedule_used    INTEGER NOT NULL DEFAULT 0,  -- retry delays consumed
  created_at       INTEGER NOT NULL,  -- epoch milliseconds
  next_attempt_at  INTEGER NOT NULL,
  finished_at      INTEGER,
  last_status      INTEGER NOT NULL DEFAULT 0,
  last_detail      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_subscription ON deliveries (subscription_arn);
CREATE INDEX deliveries_origin ON deliveries (origin);
CREATE TABLE delivery_attempts (
  delivery_id INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  number      INTEGER NOT NULL,
  started_at  INTEGER NOT NULL,
  elapsed_ms  INTEGER NOT NULL,
  outcome     TEXT    NOT NULL,
  status_code INTEGER NOT NULL,
  detail      TEXT    NOT NULL,
  PRIMARY KEY (delivery_id, number)
);
)sql",
    // Pruning finished rows by age (PruneFinished) without scanning the table.
    "CREATE INDEX deliveries_finished ON deliveries (finished_at) WHERE state != 'pending'",
    // Leases: which node is attempting a row, and until when the others
    // leave it alone (several nodes deliver from one PostgreSQL store).
    "ALTER TABLE deliveries ADD COLUMN leased_by TEXT",
    "ALTER TABLE deliveries ADD COLUMN leased_until INTEGER",
};

// The lanes' protocols, as SQL; every protocol that is not mail is HTTP, so
// that no row can fall between the lanes.
constexpr const char* kMailProtocols = "('email', 'email-json')";

// A set as one bound parameter (Database::JsonArrayValues): a variable
// number of values in one statement.
std::string JsonArray(const std::set<std::string>& values) {
  return nlohmann::json(values).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

constexpr const char* kSummaryColumns =
    "id, message_id, type, topic_arn, subscription_arn, protocol, endpoint, subject, origin, "
    "retry_delays, max_per_second, state, attempts, created_at, next_attempt_at, finished_at, "
    "last_status, last_detail";

Json RequestJson(const OutboxItem& item) {
  if (item.http) {
    Json headers = Json::array();
    for (const auto& [name, value] : item.http->headers) headers.push_back({name, value});
    return {{"http", {{"url", item.http->url}, {"headers", headers}, {"body", item.http->body}}}};
  }
  return {{"mail",
           {{"from", item.mail->from},
            {"recipients", item.mail->recipients},
            {"data", item.mail->data}}}};
}

Status ParseRequest(std::string_view text, OutboxItem* item) {
  Json request = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (request.is_object() && request.contains("http") && request["http"].is_object()) {
    const Json& h = request["http"];
    HttpRequest http;
    http.url = h.value("url", "");
    http.body = h.value("body", "");
    if (h.contains("headers") && h["headers"].is_array()) {
      for (const Json& pair : h["headers"]) {
        if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string()) {
          http.headers.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
        }
      }
    }
    item->http = std::move(http);
    return Status::Ok();
  }
  if (request.is_object() && request.contains("mail") && request["mail"].is_object()) {
    const Json& m = request["mail"];
    MailEnvelope mail;
    mail.from = m.value("from", "");
    mail.data = m.value("data", "");
    if (m.contains("recipients") && m["recipients"].is_array()) {
      for (const Json& r : m["recipients"]) {
        if (r.is_string()) mail.recipients.push_back(r.get<std::string>());
      }
    }
    item->mail = std::move(mail);
    return Status::Ok();
  }
  return DataLoss("the outbox holds a delivery whose request cannot be read");
}

std::vector<std::chrono::seconds> ParseDelays(std::string_view text) {
  std::vector<std::chrono::seconds> delays;
  Json array = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!array.is_array()) return delays;
  for (const Json& d : array) {
    if (d.is_number_integer()) delays.emplace_back(d.get<std::int64_t>());
  }
  return delays;
}

DeliveryState ParseState(std::string_view text) {
  if (text == "delivered") return DeliveryState::kDelivered;
  if (text == "dead") return DeliveryState::kDead;
  return DeliveryState::kPending;
}

AttemptOutcome ParseOutcome(std::string_view text) {
  if (text == "delivered") return AttemptOutcome::kDelivered;
  if (text == "final") return AttemptOutcome::kFinal;
  return AttemptOutcome::kRetryable;
}

// A row of the kSummaryColumns select.
Delivery ReadSummary(const store::Statement& row) {
  Delivery d;
  d.id = row.ColumnInt(0);
  d.item.message_id = row.ColumnText(1);
  d.item.type = row.ColumnText(2);
  d.item.topic_arn = row.ColumnText(3);
  d.item.subscription_arn = row.ColumnText(4);
  d.item.protocol = row.ColumnText(5);
  d.item.endpoint = row.ColumnText(6);
  d.item.subject = row.ColumnText(7);
  d.item.origin = row.ColumnText(8);
  d.item.retry_delays = ParseDelays(row.ColumnText(9));
  if (std::optional<std::int64_t> max = row.ColumnOptionalInt(10)) {
    d.item.max_receives_per_second = static_cast<int>(*max);
  }
  d.state = ParseState(row.ColumnText(11));
  d.attempts = static_cast<int>(row.ColumnInt(12));
  d.created = FromEpochMillis(row.ColumnInt(13));
  d.next_attempt = FromEpochMillis(row.ColumnInt(14));
  if (std::optional<std::int64_t> finished = row.ColumnOptionalInt(15)) {
    d.finished = FromEpochMillis(*finished);
  }
  d.last_status_code = static_cast<int>(row.ColumnInt(16));
  d.last_detail = row.ColumnText(17);
  return d;
}

// One row with its request (item.http or item.mail).
Result<Delivery> RowWithRequest(store::Database& db, std::int64_t id) {
  Result<store::Statement> query = db.Prepare(std::string("SELECT ") + kSummaryColumns +
                                              ", request FROM deliveries WHERE id = ?");
  if (!query.ok()) return query.status();
  query->Bind(1, id);
  Result<bool> row = query->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no delivery " + std::to_string(id) + " in the outbox");
  Delivery d = ReadSummary(*query);
  TW_RETURN_IF_ERROR(ParseRequest(query->ColumnText(18), &d.item));
  return d;
}

}  // namespace

Lane LaneOf(std::string_view protocol) {
  return protocol == "email" || protocol == "email-json" ? Lane::kMail : Lane::kHttp;
}

std::string EndpointKey(std::string_view protocol, std::string_view endpoint) {
  std::string key(protocol);
  key += ' ';
  key += endpoint;
  return key;
}

const char* DeliveryStateName(DeliveryState state) {
  switch (state) {
    case DeliveryState::kPending:
      return "pending";
    case DeliveryState::kDelivered:
      return "delivered";
    case DeliveryState::kDead:
      return "dead";
  }
  return "pending";
}

// --- Outbox ------------------------------------------------------------------

Status Outbox::Migrate(store::Database& db) { return db.Migrate("outbox", kSchema); }

Result<std::int64_t> Outbox::Enqueue(const OutboxItem& item, TimePoint now) {
  if (item.http.has_value() == item.mail.has_value()) {
    return Internal("an outbox item needs exactly one of an HTTP request and a mail");
  }
  Json delays = Json::array();
  for (std::chrono::seconds d : item.retry_delays) delays.push_back(d.count());
  Result<store::Statement> insert = db_->Prepare(
      "INSERT INTO deliveries (message_id, type, topic_arn, subscription_arn, protocol, endpoint, "
      "subject, origin, request, retry_delays, max_per_second, state, created_at, "
      "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING id");
  if (!insert.ok()) return insert.status();
  std::optional<std::int64_t> max_per_second;
  if (item.max_receives_per_second) max_per_second = *item.max_receives_per_second;
  insert->BindAll(item.message_id, item.type, item.topic_arn, item.subscription_arn, item.protocol,
                  item.endpoint, item.subject, item.origin,
                  RequestJson(item).dump(-1, ' ', false, Json::error_handler_t::replace),
                  delays.dump(), max_per_second, ToEpochMillis(now), ToEpochMillis(now));
  Result<bool> row = insert->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Internal("the outbox insert returned no id");
  const std::int64_t id = insert->ColumnInt(0);
  insert->Reset();
  return id;
}

Result<std::vector<Delivery>> Outbox::List(const DeliveryFilter& filter) {
  std::string sql = std::string("SELECT ") + kSummaryColumns + " FROM deliveries WHERE 1 = 1";
  if (filter.state) sql += " AND state = ?";
  if (!filter.subscription_arn.empty()) sql += " AND subscription_arn = ?";
  if (!filter.topic_arn.empty()) sql += " AND topic_arn = ?";
  if (!filter.origin.empty()) sql += " AND origin = ?";
  if (filter.after_id) sql += " AND id > ?";
  sql += " ORDER BY id DESC LIMIT ?";
  Result<store::Statement> query = db_->Prepare(sql);
  if (!query.ok()) return query.status();
  int index = 0;
  if (filter.state) query->Bind(++index, DeliveryStateName(*filter.state));
  if (!filter.subscription_arn.empty()) query->Bind(++index, filter.subscription_arn);
  if (!filter.topic_arn.empty()) query->Bind(++index, filter.topic_arn);
  if (!filter.origin.empty()) query->Bind(++index, filter.origin);
  if (filter.after_id) query->Bind(++index, *filter.after_id);
  query->Bind(++index, static_cast<std::int64_t>(filter.limit));
  std::vector<Delivery> out;
  while (true) {
    Result<bool> row = query->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(ReadSummary(*query));
  }
  return out;
}

Result<Delivery> Outbox::Get(std::int64_t id) {
  Result<Delivery> loaded = RowWithRequest(*db_, id);
  if (!loaded.ok()) return loaded.status();
  Delivery d = std::move(loaded).value();

  Result<store::Statement> attempts = db_->Prepare(
      "SELECT number, started_at, elapsed_ms, outcome, status_code, detail "
      "FROM delivery_attempts WHERE delivery_id = ? ORDER BY number");
  if (!attempts.ok()) return attempts.status();
  attempts->Bind(1, id);
  while (true) {
    Result<bool> more = attempts->Step();
    if (!more.ok()) return more.status();
    if (!*more) break;
    AttemptRecord a;
    a.number = static_cast<int>(attempts->ColumnInt(0));
    a.started = FromEpochMillis(attempts->ColumnInt(1));
    a.elapsed = Duration(attempts->ColumnInt(2));
    a.outcome = ParseOutcome(attempts->ColumnText(3));
    a.status_code = static_cast<int>(attempts->ColumnInt(4));
    a.detail = attempts->ColumnText(5);
    d.history.push_back(std::move(a));
  }
  return d;
}

Result<OutboxCounts> Outbox::Counts() {
  Result<store::Statement> query =
      db_->Prepare("SELECT state, count(*) FROM deliveries GROUP BY state");
  if (!query.ok()) return query.status();
  OutboxCounts counts;
  while (true) {
    Result<bool> row = query->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    switch (ParseState(query->ColumnText(0))) {
      case DeliveryState::kPending:
        counts.pending = query->ColumnInt(1);
        break;
      case DeliveryState::kDelivered:
        counts.delivered = query->ColumnInt(1);
        break;
      case DeliveryState::kDead:
        counts.dead = query->ColumnInt(1);
        break;
    }
  }
  return counts;
}

Result<std::vector<ProtocolBacklog>> Outbox::BacklogByProtocol() {
  // Both states are in the deliveries_due index; delivered rows (the many)
  // are not read.
  Result<store::Statement> query = db_->Prepare(
      "SELECT protocol, state, count(*), min(created_at) FROM deliveries "
      "WHERE state IN ('pending', 'dead') GROUP BY protocol, state ORDER BY protocol");
  if (!query.ok()) return query.status();
  std::vector<ProtocolBacklog> out;
  while (true) {
    Result<bool> row = query->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const std::string protocol = query->ColumnText(0);
    if (out.empty() || out.back().protocol != protocol) out.push_back({protocol});
    if (ParseState(query->ColumnText(1)) == DeliveryState::kPending) {
      out.back().pending = query->ColumnInt(2);
      out.back().oldest_pending = FromEpochMillis(query->ColumnInt(3));
    } else {
      out.back().dead = query->ColumnInt(2);
    }
  }
  return out;
}

Result<std::optional<TimePoint>> Outbox::NextDueAfter(TimePoint now) {
  Result<store::Statement> query = db_->Prepare(
      "SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending' AND next_attempt_at > "
      "?");
  if (!query.ok()) return query.status();
  query->Bind(1, ToEpochMillis(now));
  Result<bool> row = query->Step();
  if (!row.ok()) return row.status();
  if (!*row || query->ColumnIsNull(0)) return std::optional<TimePoint>();
  return std::optional<TimePoint>(FromEpochMillis(query->ColumnInt(0)));
}

Status Outbox::Retry(std::int64_t id, TimePoint now) {
  // Read and write under the writers' lock: in SQLite, a read left open
  // while a deliverer's connection leases a row cannot become a write
  // ("database is locked" at once, without waiting).
  Result<store::Transaction> transaction = store::Transaction::Begin(*db_);
  if (!transaction.ok()) return transaction.status();
  Result<store::Statement> query = db_->Prepare("SELECT state FROM deliveries WHERE id = ?");
  if (!query.ok()) return query.status();
  query->Bind(1, id);
  Result<bool> row = query->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no delivery " + std::to_string(id) + " in the outbox");
  if (ParseState(query->ColumnText(0)) != DeliveryState::kDead) {
    return Status(StatusCode::kFailedPrecondition,
                  "delivery " + std::to_string(id) + " is " + query->ColumnText(0) +
                      ", not dead: only dead-lettered deliveries can be retried");
  }
  Result<store::Statement> update = db_->Prepare(
      "UPDATE deliveries SET state = 'pending', schedule_used = 0, next_attempt_at = ?, "
      "finished_at = NULL WHERE id = ?");
  if (!update.ok()) return update.status();
  update->BindAll(ToEpochMillis(now), id);
  TW_RETURN_IF_ERROR(update->Run());
  return transaction->Commit();
}

Result<std::vector<Delivery>> Outbox::Due(TimePoint now, const DueFilter& filter,
                                          std::size_t limit) {
  std::string sql = std::string("SELECT ") + kSummaryColumns +
                    " FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ?";
  if (filter.lane == Lane::kMail) sql += std::string(" AND protocol IN ") + kMailProtocols;
  if (filter.lane == Lane::kHttp) sql += std::string(" AND protocol NOT IN ") + kMailProtocols;
  // Rows another node attempts are skipped until their lease runs out; the
  // holder's own are its business (it knows which it has in flight).
  sql += " AND (leased_until IS NULL OR leased_until <= ? OR leased_by = ?)";
  if (filter.max_leased_per_endpoint > 0) {
    sql +=
        " AND (protocol || ' ' || endpoint) NOT IN (SELECT protocol || ' ' || endpoint FROM "
        "deliveries WHERE state = 'pending' AND leased_until > ? AND leased_by != ? "
        "GROUP BY protocol, endpoint HAVING count(*) >= ?)";
  }
  // Busy endpoints are skipped in the query, not after it: a backlog of rows
  // for one dead endpoint, due first, must not hide the rows behind it.
  if (!filter.exclude_endpoints.empty()) {
    sql += " AND (protocol || ' ' || endpoint) NOT IN (" + db_->JsonArrayValues() + ")";
  }
  if (!filter.exclude_subscriptions.empty()) {
    sql += " AND subscription_arn NOT IN (" + db_->JsonArrayValues() + ")";
  }
  sql += " ORDER BY next_attempt_at, id LIMIT ?";
  Result<store::Statement> query = db_->Prepare(sql);
  if (!query.ok()) return query.status();
  int index = 0;
  query->Bind(++index, ToEpochMillis(now));
  query->Bind(++index, ToEpochMillis(now));
  query->Bind(++index, filter.lease_holder);
  if (filter.max_leased_per_endpoint > 0) {
    query->Bind(++index, ToEpochMillis(now));
    query->Bind(++index, filter.lease_holder);
    query->Bind(++index, static_cast<std::int64_t>(filter.max_leased_per_endpoint));
  }
  if (!filter.exclude_endpoints.empty()) query->Bind(++index, JsonArray(filter.exclude_endpoints));
  if (!filter.exclude_subscriptions.empty()) {
    query->Bind(++index, JsonArray(filter.exclude_subscriptions));
  }
  // Claimed rows are still pending in the table; ask for enough to skip them.
  query->Bind(++index, static_cast<std::int64_t>(limit + filter.exclude_ids.size()));
  std::vector<Delivery> out;
  while (out.size() < limit) {
    Result<bool> row = query->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (filter.exclude_ids.count(query->ColumnInt(0))) continue;
    out.push_back(ReadSummary(*query));
  }
  return out;
}

Result<bool> Outbox::Lease(std::int64_t id, std::string_view holder, TimePoint now,
                           Duration length) {
  // One conditional UPDATE: of two nodes leasing the same row at once, the
  // second finds the first's lease (PostgreSQL re-reads the row after
  // waiting for the first's update) and changes nothing.
  Result<store::Statement> update = db_->Prepare(
      "UPDATE deliveries SET leased_by = ?, leased_until = ? WHERE id = ? AND state = 'pending' "
      "AND next_attempt_at <= ? AND (leased_until IS NULL OR leased_until <= ? OR leased_by = ?)");
  if (!update.ok()) return update.status();
  update->BindAll(std::string(holder), ToEpochMillis(now + length), id, ToEpochMillis(now),
                  ToEpochMillis(now), std::string(holder));
  TW_RETURN_IF_ERROR(update->Run());
  return db_->Changes() == 1;
}

Result<OutboxItem> Outbox::Request(std::int64_t id) {
  Result<Delivery> d = RowWithRequest(*db_, id);
  if (!d.ok()) return d.status();
  if (d->state != DeliveryState::kPending) {
    return NotFound("delivery " + std::to_string(id) + " is no longer pending");
  }
  return std::move(d->item);
}

namespace {

// The row types a deleted subscription must no longer get.
constexpr const char* kUnsentTypes =
    "state = 'pending' AND type IN ('Notification', 'SubscriptionConfirmation')";

Result<std::int64_t> DeleteWhere(store::Database& db, const std::string& condition,
                                 std::string_view value) {
  Result<store::Statement> d = db.Prepare("DELETE FROM deliveries WHERE " + condition);
  if (!d.ok()) return d.status();
  d->Bind(1, value);
  TW_RETURN_IF_ERROR(d->Run());
  return db.Changes();
}

}  // namespace

Result<std::int64_t> Outbox::DropUnsentToSubscription(std::string_view subscription_arn) {
  return DeleteWhere(*db_, std::string(kUnsentTypes) + " AND subscription_arn = ?",
                     subscription_arn);
}

Result<std::int64_t> Outbox::DropUnsentToTopic(std::string_view topic_arn) {
  return DeleteWhere(*db_, std::string(kUnsentTypes) + " AND topic_arn = ?", topic_arn);
}

Result<std::int64_t> Outbox::PruneFinished(TimePoint before, std::size_t limit) {
  // Bounded, so that one call holds the store for a bounded time however
  // long pruning was off; the caller calls again while it gets `limit`.
  Result<store::Statement> d = db_->Prepare(
      "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE state != 'pending' "
      "AND finished_at < ? ORDER BY finished_at LIMIT ?)");
  if (!d.ok()) return d.status();
  d->BindAll(ToEpochMillis(before), static_cast<std::int64_t>(limit));
  TW_RETURN_IF_ERROR(d->Run());
  return db_->Changes();
}

Result<DeliveryState> Outbox::RecordAttempt(std::int64_t id, const AttemptResult& result,
                                            TimePoint started, TimePoint now) {
  Result<store::Transaction> transaction = store::Transaction::Begin(*db_);
  if (!transaction.ok()) return transaction.status();
  Result<store::Statement> query = db_->Prepare(
      "SELECT attempts, schedule_used, retry_delays, state FROM deliveries WHERE id = ?");
  if (!query.ok()) return query.status();
  query->Bind(1, id);
  Result<bool> row = query->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no delivery " + std::to_string(id) + " in the outbox");
  const int number = static_cast<int>(query->ColumnInt(0)) + 1;
  const std::int64_t schedule_used = query->ColumnInt(1);
  const std::vector<std::chrono::seconds> delays = ParseDelays(query->ColumnText(2));
  if (ParseState(query->ColumnText(3)) != DeliveryState::kPending) {
    return Status(StatusCode::kFailedPrecondition,
                  "delivery " + std::to_string(id) + " is no longer pending");
  }

  Result<store::Statement> attempt = db_->Prepare(
      "INSERT INTO delivery_attempts (delivery_id, number, started_at, elapsed_ms, outcome, "
      "status_code, detail) VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!attempt.ok()) return attempt.status();
  // A transport's error text may quote the URL, with the password SNS
  // allows in it: stored details are shown by `outbox`, the console and the
  // log, so they are kept redacted.
  const std::string detail = RedactUrlPasswords(result.detail);
  attempt->BindAll(id, number, ToEpochMillis(started),
                   static_cast<std::int64_t>(result.elapsed.count()),
                   AttemptOutcomeName(result.outcome), result.status_code, detail);
  TW_RETURN_IF_ERROR(attempt->Run());

  DeliveryState state = DeliveryState::kPending;
  TimePoint next = now;
  switch (result.outcome) {
    case AttemptOutcome::kDelivered:
      state = DeliveryState::kDelivered;
      break;
    case AttemptOutcome::kFinal:
      state = DeliveryState::kDead;
      break;
    case AttemptOutcome::kRetryable:
      if (schedule_used < static_cast<std::int64_t>(delays.size())) {
        next = now + std::chrono::duration_cast<Duration>(delays[schedule_used]);
      } else {
        state = DeliveryState::kDead;
      }
      break;
  }
  Result<store::Statement> update = db_->Prepare(
      "UPDATE deliveries SET state = ?, attempts = ?, schedule_used = ?, next_attempt_at = ?, "
      "finished_at = ?, last_status = ?, last_detail = ?, leased_by = NULL, leased_until = NULL "
      "WHERE id = ?");
  if (!update.ok()) return update.status();
  std::optional<std::int64_t> finished;
  if (state != DeliveryState::kPending) finished = ToEpochMillis(now);
  update->BindAll(DeliveryStateName(state), number,
                  schedule_used + (state == DeliveryState::kPending ? 1 : 0), ToEpochMillis(next),
                  finished, result.status_code, detail, id);
  TW_RETURN_IF_ERROR(update->Run());
  TW_RETURN_IF_ERROR(transaction->Commit());
  return state;
}

// --- Deliverer ---------------------------------------------------------------

Result<std::unique_ptr<Deliverer>> Deliverer::Open(const std::string& db_path, HttpSender* http,
                                                   MailSender* mail, const Clock* clock,
                                                   DelivererOptions options) {
  Result<store::Database> db = store::Database::Open(db_path);
  if (!db.ok()) return db.status();
  TW_RETURN_IF_ERROR(Outbox::Migrate(*db));
  return std::unique_ptr<Deliverer>(
      new Deliverer(std::move(db).value(), http, mail, clock, std::move(options)));
}

Deliverer::Deliverer(store::Database db, HttpSender* http, MailSender* mail, const Clock* clock,
                     DelivererOptions options)
    : db_(std::move(db)),
      outbox_(&db_),
      http_(http),
      mail_(mail),
      clock_(clock),
      options_(std::move(options)) {
  if (options_.node.empty()) {
    options_.node = HostName() + ":" + std::to_string(getpid());
  }
}

Deliverer::~Deliverer() { Stop(); }

Duration Deliverer::LeaseFor(std::string_view protocol) const {
  return LaneOf(protocol) == Lane::kMail ? options_.mail_lease : options_.http_lease;
}

void Deliverer::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_) return;
  running_ = true;
  for (int i = 0; i < std::max(1, options_.http_workers); ++i) {
    threads_.emplace_back([this] { Work(Lane::kHttp); });
  }
  for (int i = 0; i < std::max(1, options_.mail_workers); ++i) {
    threads_.emplace_back([this] { Work(Lane::kMail); });
  }
}

void Deliverer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!running_) return;
    running_ = false;
  }
  wake_.notify_all();
  idle_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void Deliverer::Wake() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++wake_generation_;
  }
  wake_.notify_all();
}

bool Deliverer::Throttled(const Delivery& delivery, TimePoint now) {
  if (!delivery.item.max_receives_per_second) return false;
  std::vector<TimePoint>& sends = recent_sends_[delivery.item.subscription_arn];
  std::erase_if(sends, [&](TimePoint t) { return now - t >= std::chrono::seconds(1); });
  if (static_cast<int>(sends.size()) >= *delivery.item.max_receives_per_second) return true;
  sends.push_back(now);
  return false;
}

Result<DeliveryState> Deliverer::Attempt(std::int64_t id) {
  Result<OutboxItem> item = [&] {
    std::lock_guard<std::mutex> lock(db_mutex_);
    return outbox_.Request(id);
  }();
  if (!item.ok()) return item.status();  // kNotFound: dropped, nothing to send
  const TimePoint started = clock_->Now();
  AttemptResult result;
  if (item->http) {
    result = http_->Post(*item->http);
  } else if (mail_ != nullptr) {
    result = mail_->Send(*item->mail);
  } else {
    result = {AttemptOutcome::kRetryable, 0, "no mail transport configured", Duration(0)};
  }
  std::lock_guard<std::mutex> lock(db_mutex_);
  Result<DeliveryState> state = outbox_.RecordAttempt(id, result, started, clock_->Now());
  if (state.ok() && options_.on_attempt) {
    Delivery delivery;
    delivery.id = id;
    delivery.item = std::move(item).value();
    delivery.state = *state;
    AttemptRecord record{0,
                         started,
                         result.elapsed,
                         result.outcome,
                         result.status_code,
                         RedactUrlPasswords(result.detail)};
    Result<Delivery> stored = outbox_.Get(id);
    if (stored.ok()) {
      delivery.attempts = stored->attempts;
      record.number = stored->attempts;
      delivery.next_attempt = stored->next_attempt;
    }
    options_.on_attempt(delivery, record);
  }
  return state;
}

Result<int> Deliverer::DeliverDue() {
  std::vector<Delivery> due;
  {
    std::lock_guard<std::mutex> lock(db_mutex_);
    Result<std::vector<Delivery>> rows =
        outbox_.Due(clock_->Now(), DueFilter{.lease_holder = options_.node}, 1000);
    if (!rows.ok()) return rows.status();
    due = std::move(rows).value();
  }
  int attempted = 0;
  for (const Delivery& d : due) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (Throttled(d, clock_->Now())) continue;
    }
    {
      std::lock_guard<std::mutex> lock(db_mutex_);
      Result<bool> leased =
          outbox_.Lease(d.id, options_.node, clock_->Now(), LeaseFor(d.item.protocol));
      if (!leased.ok()) return leased.status();
      if (!*leased) continue;  // another node's, or gone
    }
    Result<DeliveryState> state = Attempt(d.id);
    if (!state.ok() && state.status().code() == StatusCode::kNotFound) continue;  // dropped
    if (!state.ok()) return state.status();
    ++attempted;
  }
  return attempted;
}

std::optional<Delivery> Deliverer::Claim(Lane lane, bool* more_due, Duration* wait) {
  std::lock_guard<std::mutex> db_lock(db_mutex_);
  const TimePoint now = clock_->Now();
  const int cap = std::max(1, options_.max_in_flight_per_endpoint);
  DueFilter filter{.lane = lane, .lease_holder = options_.node, .max_leased_per_endpoint = cap};
  {
    std::lock_guard<std::mutex> state_lock(mutex_);
    filter.exclude_ids = claimed_;
    for (const auto& [key, attempts] : in_flight_) {
      if (attempts >= cap) filter.exclude_endpoints.insert(key);
    }
  }
  std::optional<Delivery> claimed;
  // A round skips what the previous one found throttled or busy; a few
  // rounds bound the work when many subscriptions are throttled at once.
  for (int round = 0; round < 4 && !*more_due; ++round) {
    Result<std::vector<Delivery>> due = outbox_.Due(now, filter, 8);
    if (!due.ok() || due->empty()) break;
    std::lock_guard<std::mutex> state_lock(mutex_);
    auto busy = [&](const std::string& key) {
      auto it = in_flight_.find(key);  // not operator[]: idle endpoints leave no entry
      return it != in_flight_.end() && it->second >= cap;
    };
    for (const Delivery& d : *due) {
      const std::string key = EndpointKey(d.item.protocol, d.item.endpoint);
      if (claimed_.count(d.id)) continue;  // claimed by another worker since the query
      if (busy(key)) {
        filter.exclude_endpoints.insert(key);
        continue;
      }
      if (claimed) {
        *more_due = true;
        break;
      }
      if (Throttled(d, now)) {
        filter.exclude_subscriptions.insert(d.item.subscription_arn);
        continue;
      }
      // Another node may have taken it since the query.
      Result<bool> leased = outbox_.Lease(d.id, options_.node, now, LeaseFor(d.item.protocol));
      if (!leased.ok() || !*leased) {
        filter.exclude_ids.insert(d.id);
        continue;
      }
      claimed_.insert(d.id);
      ++in_flight_[key];
      claimed = d;
      filter.exclude_ids.insert(d.id);
      if (busy(key)) filter.exclude_endpoints.insert(key);
    }
    if (due->size() < 8) break;  // every due row of the lane was seen
  }
  // Rows due now but in flight, busy or throttled wake us when an attempt
  // ends or at the next poll; only future rows shorten the wait.
  if (!claimed) {
    Result<std::optional<TimePoint>> due_at = outbox_.NextDueAfter(now);
    if (due_at.ok() && *due_at) {
      *wait = std::clamp(std::chrono::duration_cast<Duration>(**due_at - now), Duration(1),
                         options_.poll_interval);
    }
  }
  return claimed;
}

void Deliverer::Work(Lane lane) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (running_) {
    // Counting wake-ups rather than flagging them: one that comes while this
    // worker claims is not lost, and one worker's own wake-up is not reset
    // by another's loop before it is seen.
    const std::uint64_t seen = wake_generation_;
    lock.unlock();
    bool more_due = false;
    Duration wait = options_.poll_interval;
    std::optional<Delivery> claimed = Claim(lane, &more_due, &wait);
    if (claimed) {
      if (more_due) Wake();  // another worker can take the next row meanwhile
      // An attempt that cannot be recorded (the store failed) leaves the row
      // pending; it is tried again after the poll interval.
      Result<DeliveryState> state = Attempt(claimed->id);
      lock.lock();
      claimed_.erase(claimed->id);
      const std::string key = EndpointKey(claimed->item.protocol, claimed->item.endpoint);
      if (--in_flight_[key] <= 0) in_flight_.erase(key);
      idle_.notify_all();
      // The endpoint is free again: a worker that found only its rows due
      // may be asleep.
      ++wake_generation_;
      wake_.notify_all();
      if (!state.ok() && state.status().code() != StatusCode::kNotFound) {
        wake_.wait_for(lock, options_.poll_interval, [&] { return !running_; });
      }
      continue;
    }
    lock.lock();
    idle_.notify_all();
    wake_.wait_for(lock, wait, [&] { return !running_ || wake_generation_ != seen; });
  }
}

bool Deliverer::WaitUntilIdle(std::optional<TimePoint> deadline) {
  while (true) {
    Result<OutboxCounts> counts = Counts();
    if (counts.ok() && counts->pending == 0) return true;
    if (deadline && clock_->Now() >= *deadline) return false;
    std::unique_lock<std::mutex> lock(mutex_);
    if (!running_) return false;
    idle_.wait_for(lock, options_.poll_interval);
  }
}

Result<OutboxCounts> Deliverer::Counts() {
  std::lock_guard<std::mutex> lock(db_mutex_);
  return outbox_.Counts();
}

}  // namespace tw::notify
