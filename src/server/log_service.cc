#include "server/log_service.h"

#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "event/event_view.h"
#include "pattern/pattern.h"

namespace tw::server {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kSchema[] = {
    R"sql(
CREATE TABLE log_groups (
  name         TEXT PRIMARY KEY,
  created_at   INTEGER NOT NULL,
  retention    INTEGER,            -- days; NULL: never expire
  kms_key_id   TEXT NOT NULL DEFAULT '',
  tags         TEXT NOT NULL DEFAULT '{}',
  stored_bytes INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE log_streams (
  group_name     TEXT NOT NULL REFERENCES log_groups (name) ON DELETE CASCADE,
  name           TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  first_event    INTEGER,
  last_event     INTEGER,
  last_ingestion INTEGER,
  stored_bytes   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (group_name, name)
);
-- One row per event: how events were kept before store::EventLog's blocks.
-- LogService::Open moves any rows into blocks and drops the table.
CREATE TABLE log_events (
  id         INTEGER PRIMARY KEY,
  group_name TEXT NOT NULL,
  stream     TEXT NOT NULL,
  timestamp  INTEGER NOT NULL,
  ingestion  INTEGER NOT NULL,
  message    TEXT NOT NULL,
  FOREIGN KEY (group_name, stream) REFERENCES log_streams (group_name, name) ON DELETE CASCADE
);
CREATE INDEX log_events_by_stream ON log_events (group_name, stream, timestamp, id);
CREATE INDEX log_events_by_group ON log_events (group_name, timestamp, id);
CREATE TABLE metric_filters (
  group_name TEXT NOT NULL REFERENCES log_groups (name) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  pattern    TEXT NOT NULL,
  transformation TEXT NOT NULL,  -- JSON, PutMetricFilter's member names
  created_at INTEGER NOT NULL,
  PRIMARY KEY (group_name, name)
);
)sql",
    // Counts changes to the metric filters, so that nodes sharing a store
    // drop their compiled filters when another node changed them
    // (FollowFilterChanges).
    R"sql(
CREATE TABLE filter_changes (version INTEGER NOT NULL);
INSERT INTO filter_changes (version) VALUES (0);
)sql",
};

constexpr int kMaxEvents = 10'000;
constexpr std::int64_t kMaxBatchBytes = 1'048'576;
constexpr std::int64_t kEventOverheadBytes = 26;
constexpr std::int64_t kMaxEventBytes = 256 * 1024;
constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
constexpr std::int64_t kTooNewMs = 2LL * 3600 * 1000;
constexpr std::int64_t kTooOldMs = 14 * kDayMs;
constexpr std::size_t kMaxFiltersPerGroup = 100;
constexpr std::int64_t kMaxPageBytes = 1'048'576;
// A FilterLogEvents call scans at most this many events before answering
// with what it found and a nextToken, so one call never stalls the server.
constexpr int kMaxScannedPerCall = 200'000;

Status GroupNotFound() { return NotFound("The specified log group does not exist."); }
Status StreamNotFound() { return NotFound("The specified log stream does not exist."); }
Status BadToken() { return InvalidArgument("The specified nextToken is invalid."); }

Status Constraint(std::string_view value, std::string_view member, std::string_view constraint) {
  return InvalidArgument("1 validation error detected: Value '" + std::string(value) + "' at '" +
                         std::string(member) +
                         "' failed to satisfy constraint: " + std::string(constraint));
}

// A name of 1 to 512 characters, in the words of AWS's validator.
Status LengthConstraint(std::string_view name, std::string_view member) {
  return Constraint(name, member,
                    name.empty() ? "Member must have length greater than or equal to 1"
                                 : "Member must have length less than or equal to 512");
}

Status CheckGroupName(const std::string& name, std::string_view member = "logGroupName") {
  static const std::regex kPattern(R"([\.\-_/#A-Za-z0-9]+)");
  if (name.empty() || name.size() > 512) return LengthConstraint(name, member);
  if (!std::regex_match(name, kPattern)) {
    return Constraint(name, member,
                      "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+");
  }
  return Status::Ok();
}

Status CheckStreamName(const std::string& name) {
  if (name.empty() || name.size() > 512) return LengthConstraint(name, "logStreamName");
  if (name.find_first_of(":*") != std::string::npos) {
    return Constraint(name, "logStreamName",
                      "Member must satisfy regular expression pattern: [^:*]*");
  }
  return Status::Ok();
}

std::optional<TimePoint> OptionalTime(const store::Statement& row, int column) {
  std::optional<std::int64_t> ms = row.ColumnOptionalInt(column);
  if (!ms) return std::nullopt;
  return FromEpochMillis(*ms);
}

std::map<std::string, std::string> ParseTags(std::string_view text) {
  std::map<std::string, std::string> tags;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return tags;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.value().is_string()) tags[it.key()] = it.value().get<std::string>();
  }
  return tags;
}

std::string TagsJson(const std::map<std::string, std::string>& tags) {
  Json j = Json::object();
  for (const auto& [k, v] : tags) j[k] = v;
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json TransformationJson(const metrics::MetricTransformation& t) {
  Json j{{"metricName", t.metric_name},
         {"metricNamespace", t.metric_namespace},
         {"metricValue", t.metric_value},
         {"unit", t.unit}};
  if (t.default_value) j["defaultValue"] = *t.default_value;
  if (!t.dimensions.empty()) {
    Json dims = Json::object();
    for (const auto& [k, v] : t.dimensions) dims[k] = v;
    j["dimensions"] = dims;
  }
  return j;
}

metrics::MetricTransformation ParseTransformation(std::string_view text) {
  metrics::MetricTransformation t;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return t;
  t.metric_name = j.value("metricName", "");
  t.metric_namespace = j.value("metricNamespace", "");
  t.metric_value = j.value("metricValue", "");
  t.unit = j.value("unit", "None");
  if (j.contains("defaultValue") && j["defaultValue"].is_number()) {
    t.default_value = j["defaultValue"].get<double>();
  }
  if (j.contains("dimensions") && j["dimensions"].is_object()) {
    for (auto it = j["dimensions"].begin(); it != j["dimensions"].end(); ++it) {
      if (it.value().is_string())
        t.dimensions.emplace_back(it.key(), it.value().get<std::string>());
    }
  }
  return t;
}

// "<timestamp>/<id>" positions in event order.
struct Position {
  std::int64_t timestamp = 0;
  std::int64_t id = 0;
};

std::optional<Position> ParsePosition(std::string_view text) {
  std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  Position p;
  auto parse = [](std::string_view s, std::int64_t* out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && end == s.data() + s.size() && !s.empty();
  };
  if (!parse(text.substr(0, slash), &p.timestamp) || !parse(text.substr(slash + 1), &p.id)) {
    return std::nullopt;
  }
  return p;
}

std::string PositionText(std::int64_t timestamp, std::int64_t id) {
  return std::to_string(timestamp) + "/" + std::to_string(id);
}

StoredLogEvent ToStored(const store::LoggedEvent& e) {
  return {e.id, std::string(e.stream), e.timestamp_ms, e.ingestion_ms, std::string(e.message)};
}

}  // namespace

std::string StoredLogEvent::event_id() const {
  std::string digits = std::to_string(id);
  return std::string(56 - std::min<std::size_t>(56, digits.size()), '0') + digits;
}

Result<std::unique_ptr<LogService>> LogService::Open(store::Database* db, std::string region,
                                                     std::string account_id) {
  TW_RETURN_IF_ERROR(db->Migrate("logs", kSchema));
  std::unique_ptr<LogService> service(new LogService(db, std::move(region), std::move(account_id)));
  Result<std::unique_ptr<store::EventLog>> events = store::EventLog::Open(db);
  if (!events.ok()) return events.status();
  service->events_ = std::move(events).value();
  TW_RETURN_IF_ERROR(service->ImportRowEvents());
  return service;
}

Status LogService::ImportRowEvents() {
  Result<bool> found = db_->HasTable("log_events");
  if (!found.ok()) return found.status();
  if (!*found) return Status::Ok();
  Result<store::Transaction> tx = store::Transaction::Begin(*db_);
  if (!tx.ok()) return tx.status();
  Result<store::Statement> rows = db_->Prepare(
      "SELECT group_name, stream, id, timestamp, ingestion, message FROM log_events "
      "ORDER BY group_name, stream, id");
  if (!rows.ok()) return rows.status();
  // One block per batch-sized run of a stream, as PutLogEvents would have made.
  std::string group, stream;
  std::vector<std::string> messages;
  std::vector<store::EventLog::StoredEvent> batch;
  std::int64_t batch_bytes = 0;
  auto flush = [&]() -> Status {
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].message = messages[i];
    Status written = events_->WriteBlock(group, stream, batch);
    batch.clear();
    messages.clear();
    batch_bytes = 0;
    return written;
  };
  while (true) {
    Result<bool> row = rows->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    std::string row_group = rows->ColumnText(0), row_stream = rows->ColumnText(1);
    if (!batch.empty() &&
        (row_group != group || row_stream != stream ||
         static_cast<int>(batch.size()) >= kMaxEvents || batch_bytes >= kMaxBatchBytes)) {
      TW_RETURN_IF_ERROR(flush());
    }
    group = std::move(row_group);
    stream = std::move(row_stream);
    messages.push_back(rows->ColumnText(5));
    batch_bytes += static_cast<std::int64_t>(messages.back().size());
    batch.push_back({rows->ColumnInt(2), rows->ColumnInt(3), rows->ColumnInt(4), {}});
  }
  if (!batch.empty()) TW_RETURN_IF_ERROR(flush());
  rows->Reset();
  TW_RETURN_IF_ERROR(db_->Execute("DROP TABLE log_events"));
  return tx->Commit();
}

std::string LogService::GroupArn(const std::string& group) const {
  return "arn:aws:logs:" + region_ + ":" + account_id_ + ":log-group:" + group + ":*";
}

std::string LogService::GroupFromIdentifier(const std::string& identifier) const {
  static constexpr std::string_view kMarker = ":log-group:";
  if (!identifier.starts_with("arn:")) return identifier;
  std::size_t at = identifier.find(kMarker);
  if (at == std::string::npos) return identifier;
  std::string name = identifier.substr(at + kMarker.size());
  if (name.ends_with(":*")) name.resize(name.size() - 2);
  return name;
}

Status LogService::RequireGroup(const std::string& group) {
  Result<store::Statement> q = db_->Prepare("SELECT 1 FROM log_groups WHERE name = ?");
  if (!q.ok()) return q.status();
  q->Bind(1, group);
  Result<bool> row = q->Step();
  if (!row.ok()) return row.status();
  return *row ? Status::Ok() : GroupNotFound();
}

Status LogService::RequireStream(const std::string& group, const std::string& stream) {
  TW_RETURN_IF_ERROR(RequireGroup(group));
  Result<store::Statement> q =
      db_->Prepare("SELECT 1 FROM log_streams WHERE group_name = ? AND name = ?");
  if (!q.ok()) return q.status();
  q->BindAll(group, stream);
  Result<bool> row = q->Step();
  if (!row.ok()) return row.status();
  return *row ? Status::Ok() : StreamNotFound();
}

// --- Groups --------------------------------------------------------------------

Status LogService::CreateLogGroup(const std::string& name, const std::string& kms_key_id,
                                  const std::map<std::string, std::string>& tags, TimePoint now) {
  TW_RETURN_IF_ERROR(CheckGroupName(name));
  if (tags.size() > 50) return Constraint("tags", "tags", "Member must have at most 50 entries");
  Result<store::Statement> insert = db_->Prepare(
      "INSERT INTO log_groups (name, created_at, kms_key_id, tags) VALUES (?, ?, ?, ?) "
      "ON CONFLICT DO NOTHING");
  if (!insert.ok()) return insert.status();
  insert->BindAll(name, ToEpochMillis(now), kms_key_id, TagsJson(tags));
  // Not a failed INSERT: on PostgreSQL that would abort the caller's
  // transaction (a template's groups are created inside one).
  TW_RETURN_IF_ERROR(insert->Run());
  if (db_->Changes() == 0) {
    return Status(StatusCode::kAlreadyExists, "The specified log group already exists");
  }
  return Status::Ok();
}

Status LogService::DeleteLogGroup(const std::string& name) {
  TW_RETURN_IF_ERROR(RequireGroup(name));
  Result<store::Transaction> tx = store::Transaction::Begin(*db_);
  if (!tx.ok()) return tx.status();
  TW_RETURN_IF_ERROR(events_->DeleteGroup(name));
  Result<store::Statement> d = db_->Prepare("DELETE FROM log_groups WHERE name = ?");
  if (!d.ok()) return d.status();
  d->Bind(1, name);
  TW_RETURN_IF_ERROR(d->Run());
  TW_RETURN_IF_ERROR(FiltersChanged(name));
  return tx->Commit();
}

Result<LogGroupInfo> LogService::GetLogGroup(const std::string& name) {
  Page page;
  Result<std::vector<LogGroupInfo>> groups = DescribeLogGroups(name, "", std::nullopt, 50, &page);
  if (!groups.ok()) return groups.status();
  for (LogGroupInfo& g : *groups) {
    if (g.name == name) return std::move(g);
  }
  return GroupNotFound();
}

Result<std::vector<LogGroupInfo>> LogService::DescribeLogGroups(
    const std::string& prefix, const std::string& pattern, const std::optional<std::string>& token,
    int limit, Page* page) {
  std::string sql =
      "SELECT g.name, g.created_at, g.retention, g.kms_key_id, g.tags, g.stored_bytes, "
      "(SELECT count(*) FROM metric_filters f WHERE f.group_name = g.name) "
      "FROM log_groups g WHERE g.name > ? AND substr(g.name, 1, length(?)) = ? "
      "AND instr(g.name, ?) > 0 ORDER BY g.name LIMIT ?";
  Result<store::Statement> q = db_->Prepare(sql);
  if (!q.ok()) return q.status();
  q->BindAll(token.value_or(""), prefix, prefix, pattern, limit + 1);
  std::vector<LogGroupInfo> out;
  while (true) {
    Result<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    LogGroupInfo g;
    g.name = q->ColumnText(0);
    g.arn = GroupArn(g.name);
    g.created = FromEpochMillis(q->ColumnInt(1));
    if (std::optional<std::int64_t> days = q->ColumnOptionalInt(2)) {
      g.retention_in_days = static_cast<int>(*days);
    }
    g.kms_key_id = q->ColumnText(3);
    g.tags = ParseTags(q->ColumnText(4));
    g.stored_bytes = q->ColumnInt(5);
    g.metric_filter_count = static_cast<int>(q->ColumnInt(6));
    out.push_back(std::move(g));
  }
  page->next_token.reset();
  if (static_cast<int>(out.size()) > limit) {
    out.resize(static_cast<std::size_t>(limit));
    page->next_token = out.back().name;
  }
  return out;
}

Result<std::vector<LogGroupInfo>> LogService::ListLogGroups(const std::string& pattern,
                                                            const std::string& group_class,
                                                            const std::optional<std::string>& token,
                                                            int limit, Page* page) {
  static constexpr std::string_view kPatternRule =
      R"((\^?[\.\-_\/#A-Za-z0-9]{3,24})(\|\^?[\.\-_\/#A-Za-z0-9]{3,24}){0,4})";
  static const re2::RE2 kValidPattern{std::string(kPatternRule)};
  if (!pattern.empty() && !re2::RE2::FullMatch(pattern, kValidPattern)) {
    return Constraint(
        pattern, "logGroupNamePattern",
        "Member must satisfy regular expression pattern: " + std::string(kPatternRule));
  }
  if (!group_class.empty() && group_class != "STANDARD" && group_class != "INFREQUENT_ACCESS" &&
      group_class != "DELIVERY") {
    return Constraint(
        group_class, "logGroupClass",
        "Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]");
  }
  page->next_token.reset();
  std::vector<LogGroupInfo> out;
  if (!group_class.empty() && group_class != "STANDARD") return out;
  // The validated pattern is a plain alternation of anchored or floating
  // literals with '.' as the only wildcard: linear in RE2, nothing to bound.
  const re2::RE2 names(pattern);
  std::optional<std::string> after = token;
  while (true) {
    Page chunk;
    Result<std::vector<LogGroupInfo>> groups = DescribeLogGroups("", "", after, 1000, &chunk);
    if (!groups.ok()) return groups.status();
    for (LogGroupInfo& g : *groups) {
      if (!pattern.empty() && !re2::RE2::PartialMatch(g.name, names)) continue;
      if (static_cast<int>(out.size()) == limit) {
        page->next_token = out.back().name;
        return out;
      }
      out.push_back(std::move(g));
    }
    if (!chunk.next_token) return out;
    after = chunk.next_token;
  }
}

// --- Streams -------------------------------------------------------------------

Status LogService::CreateLogStream(const std::string& group, const std::string& stream,
                                   TimePoint now) {
  TW_RETURN_IF_ERROR(CheckGroupName(group));
  TW_RETURN_IF_ERROR(CheckStreamName(stream));
  TW_RETURN_IF_ERROR(RequireGroup(group));
  Result<store::Statement> insert = db_->Prepare(
      "INSERT INTO log_streams (group_name, name, created_at) VALUES (?, ?, ?) "
      "ON CONFLICT DO NOTHING");
  if (!insert.ok()) return insert.status();
  insert->BindAll(group, stream, ToEpochMillis(now));
  TW_RETURN_IF_ERROR(insert->Run());
  if (db_->Changes() == 0) {
    return Status(StatusCode::kAlreadyExists, "The specified log stream already exists");
  }
  return Status::Ok();
}

Status LogService::DeleteLogStream(const std::string& group, const std::string& stream) {
  TW_RETURN_IF_ERROR(RequireStream(group, stream));
  Result<store::Transaction> tx = store::Transaction::Begin(*db_);
  if (!tx.ok()) return tx.status();
  TW_RETURN_IF_ERROR(events_->DeleteStream(group, stream));
  Result<store::Statement> d =
      db_->Prepare("DELETE FROM log_streams WHERE group_name = ? AND name = ?");
  if (!d.ok()) return d.status();
  d->BindAll(group, stream);
  TW_RETURN_IF_ERROR(d->Run());
  return tx->Commit();
}

Result<std::vector<LogStreamInfo>> LogService::DescribeLogStreams(
    const std::string& group, const std::string& prefix, bool order_by_last_event, bool descending,
    const std::optional<std::string>& token, int limit, Page* page) {
  TW_RETURN_IF_ERROR(RequireGroup(group));
  if (order_by_last_event && !prefix.empty()) {
    return InvalidArgument("Cannot order by LastEventTime with a logStreamNamePrefix.");
  }
  // The token is the offset of the next page: simple, and stable enough for
  // a listing that clients read to the end at once.
  std::int64_t offset = 0;
  if (token) {
    auto [end, ec] = std::from_chars(token->data(), token->data() + token->size(), offset);
    if (ec != std::errc() || end != token->data() + token->size() || offset < 0) return BadToken();
  }
  std::string order = order_by_last_event ? "coalesce(last_event, 0)" : "name";
  std::string sql =
      "SELECT name, created_at, first_event, last_event, last_ingestion, stored_bytes FROM "
      "log_streams WHERE group_name = ? AND substr(name, 1, length(?)) = ? ORDER BY " +
      order + (descending ? " DESC" : "") + ", name" + (descending ? " DESC" : "") +
      " LIMIT ? OFFSET ?";
  Result<store::Statement> q = db_->Prepare(sql);
  if (!q.ok()) return q.status();
  q->BindAll(group, prefix, prefix, limit + 1, offset);
  std::vector<LogStreamInfo> out;
  while (true) {
    Result<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    LogStreamInfo s;
    s.name = q->ColumnText(0);
    s.arn = "arn:aws:logs:" + region_ + ":" + account_id_ + ":log-group:" + group +
            ":log-stream:" + s.name;
    s.created = FromEpochMillis(q->ColumnInt(1));
    s.first_event = OptionalTime(*q, 2);
    s.last_event = OptionalTime(*q, 3);
    s.last_ingestion = OptionalTime(*q, 4);
    s.stored_bytes = q->ColumnInt(5);
    out.push_back(std::move(s));
  }
  page->next_token.reset();
  if (static_cast<int>(out.size()) > limit) {
    out.resize(static_cast<std::size_t>(limit));
    page->next_token = std::to_string(offset + limit);
  }
  return out;
}

// --- Events --------------------------------------------------------------------

Result<std::int64_t> LogService::StoreEvents(const std::string& group, const std::string& stream,
                                             const store::EncodedEvents& encoded) {
  TW_RETURN_IF_ERROR(RequireStream(group, stream));
  Result<std::int64_t> first_id = events_->Insert(group, stream, encoded);
  if (!first_id.ok() || encoded.blocks.empty()) return first_id;
  std::int64_t first = encoded.blocks.front().first_ts, last = encoded.blocks.front().last_ts;
  for (const store::EncodedEvents::Block& block : encoded.blocks) {
    first = std::min(first, block.first_ts);
    last = std::max(last, block.last_ts);
  }
  Result<store::Statement> update = db_->Prepare(
      "UPDATE log_streams SET first_event = min(coalesce(first_event, ?1), ?1), "
      "last_event = max(coalesce(last_event, ?2), ?2), last_ingestion = ?3, "
      "stored_bytes = stored_bytes + ?4 WHERE group_name = ?5 AND name = ?6");
  if (!update.ok()) return update.status();
  update->BindAll(first, last, encoded.blocks.front().first_ingestion, encoded.message_bytes, group,
                  stream);
  TW_RETURN_IF_ERROR(update->Run());
  Result<store::Statement> group_bytes =
      db_->Prepare("UPDATE log_groups SET stored_bytes = stored_bytes + ? WHERE name = ?");
  if (!group_bytes.ok()) return group_bytes.status();
  group_bytes->BindAll(encoded.message_bytes, group);
  TW_RETURN_IF_ERROR(group_bytes->Run());
  return first_id;
}

Status LogService::CheckPutLogEvents(const std::vector<InputLogEvent>& events) {
  if (events.empty()) {
    return Constraint("[]", "logEvents", "Member must have length greater than or equal to 1");
  }
  if (static_cast<int>(events.size()) > kMaxEvents) {
    return Constraint(std::to_string(events.size()) + " events", "logEvents",
                      "Member must have length less than or equal to 10000");
  }
  std::int64_t batch_bytes = 0;
  for (const InputLogEvent& e : events) {
    if (e.message.empty()) {
      return Constraint("", "logEvents.member.message",
                        "Member must have length greater than or equal to 1");
    }
    if (static_cast<std::int64_t>(e.message.size()) > kMaxEventBytes) {
      return InvalidArgument("Log event too large: " + std::to_string(e.message.size()) +
                             " bytes exceeds limit of " + std::to_string(kMaxEventBytes));
    }
    batch_bytes += static_cast<std::int64_t>(e.message.size()) + kEventOverheadBytes;
  }
  if (batch_bytes > kMaxBatchBytes) {
    return InvalidArgument("Upload too large: " + std::to_string(batch_bytes) +
                           " bytes exceeds limit of " + std::to_string(kMaxBatchBytes));
  }
  for (std::size_t i = 1; i < events.size(); ++i) {
    if (events[i].timestamp_ms < events[i - 1].timestamp_ms) {
      return InvalidArgument(
          "Log events in a single PutLogEvents request must be in chronological order.");
    }
  }
  return Status::Ok();
}

Result<std::vector<std::size_t>> LogService::WindowPutLogEvents(
    const std::string& group, const std::string& stream, const std::vector<InputLogEvent>& events,
    TimePoint now, RejectedLogEvents* rejected) {
  TW_RETURN_IF_ERROR(RequireStream(group, stream));
  Result<LogGroupInfo> info = GetLogGroup(group);
  if (!info.ok()) return info.status();
  const std::int64_t now_ms = ToEpochMillis(now);
  std::vector<std::size_t> kept;
  kept.reserve(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::int64_t t = events[i].timestamp_ms;
    const int index = static_cast<int>(i);
    if (t > now_ms + kTooNewMs) {
      if (!rejected->too_new_start) rejected->too_new_start = index;
      continue;
    }
    if (t < now_ms - kTooOldMs) {
      rejected->too_old_end = index;
      continue;
    }
    if (info->retention_in_days && t < now_ms - *info->retention_in_days * kDayMs) {
      rejected->expired_end = index;
      continue;
    }
    kept.push_back(i);
  }
  if (!kept.empty() &&
      events[kept.back()].timestamp_ms - events[kept.front()].timestamp_ms > kDayMs) {
    return InvalidArgument(
        "The batch of log events in a single PutLogEvents request cannot span "
        "more than 24 hours.");
  }
  return kept;
}

Result<std::int64_t> LogService::IngestEvents(const std::string& group, const std::string& stream,
                                              const std::vector<InputLogEvent>& events,
                                              TimePoint now) {
  Status exists = RequireStream(group, stream);
  if (exists.code() == StatusCode::kNotFound) {
    if (!RequireGroup(group).ok()) TW_RETURN_IF_ERROR(CreateLogGroup(group, "", {}, now));
    TW_RETURN_IF_ERROR(CreateLogStream(group, stream, now));
  } else {
    TW_RETURN_IF_ERROR(exists);
  }
  std::vector<store::EventToAppend> block;
  block.reserve(events.size());
  for (const InputLogEvent& e : events) block.push_back({e.timestamp_ms, e.message});
  Result<store::EncodedEvents> encoded = store::EventLog::Encode(ToEpochMillis(now), block);
  if (!encoded.ok()) return encoded.status();
  return StoreEvents(group, stream, *encoded);
}

Result<GetLogEventsResult> LogService::GetLogEvents(const std::string& group,
                                                    const std::string& stream,
                                                    std::optional<std::int64_t> start_ms,
                                                    std::optional<std::int64_t> end_ms,
                                                    const std::optional<std::string>& token,
                                                    int limit, bool start_from_head) {
  TW_RETURN_IF_ERROR(RequireStream(group, stream));
  return ScanStream(*events_, group, stream, start_ms, end_ms, token, limit, start_from_head);
}

Result<GetLogEventsResult> LogService::ScanStream(store::EventLog& events, const std::string& group,
                                                  const std::string& stream,
                                                  std::optional<std::int64_t> start_ms,
                                                  std::optional<std::int64_t> end_ms,
                                                  const std::optional<std::string>& token,
                                                  int limit, bool start_from_head) {
  bool forward = start_from_head;
  std::optional<Position> from;
  if (token) {
    if (token->size() < 3 || (token->substr(0, 2) != "f/" && token->substr(0, 2) != "b/")) {
      return BadToken();
    }
    forward = token->front() == 'f';
    from = ParsePosition(std::string_view(*token).substr(2));
    if (!from) return BadToken();
  }
  const std::int64_t lo = start_ms.value_or(INT64_MIN), hi = end_ms.value_or(INT64_MAX);
  GetLogEventsResult result;
  if (hi == INT64_MIN) return result;
  store::EventScan scan;
  scan.group = group;
  scan.stream_filter = [&stream](std::string_view s) { return s == stream; };
  scan.from_ms = lo;
  scan.to_ms = hi - 1;  // endTime is exclusive
  if (from) scan.after = store::EventPosition{from->timestamp, from->id};
  scan.newest_first = !forward;
  std::int64_t bytes = 0;
  TW_RETURN_IF_ERROR(events.Scan(scan, [&](const store::LoggedEvent& e) {
    if (static_cast<int>(result.events.size()) >= limit) return false;
    bytes += static_cast<std::int64_t>(e.message.size()) + kEventOverheadBytes;
    if (bytes > kMaxPageBytes && !result.events.empty()) return false;
    result.events.push_back(ToStored(e));
    return true;
  }));
  if (!forward) std::reverse(result.events.begin(), result.events.end());
  if (result.events.empty()) {
    // At either end the client gets its own token back and stops.
    const std::string at =
        from ? PositionText(from->timestamp, from->id) : PositionText(lo == INT64_MIN ? 0 : lo, 0);
    result.next_forward_token = "f/" + at;
    result.next_backward_token = "b/" + at;
    return result;
  }
  const StoredLogEvent& first = result.events.front();
  const StoredLogEvent& last = result.events.back();
  result.next_forward_token = "f/" + PositionText(last.timestamp_ms, last.id);
  result.next_backward_token = "b/" + PositionText(first.timestamp_ms, first.id);
  return result;
}

Result<std::vector<StoredLogEvent>> LogService::FilterLogEvents(const std::string& group,
                                                                const FilterLogEventsQuery& query,
                                                                Page* page) {
  TW_RETURN_IF_ERROR(RequireGroup(group));
  return ScanGroup(*events_, group, query, page);
}

Result<std::vector<StoredLogEvent>> LogService::ScanGroup(store::EventLog& events,
                                                          const std::string& group,
                                                          const FilterLogEventsQuery& query,
                                                          Page* page) {
  if (!query.stream_names.empty() && !query.stream_prefix.empty()) {
    return InvalidArgument("logStreamNames and logStreamNamePrefix are mutually exclusive");
  }
  std::optional<pattern::Matcher> matcher;
  if (!query.filter_pattern.empty()) {
    Result<pattern::Matcher, pattern::PatternError> compiled =
        pattern::Matcher::Compile(query.filter_pattern);
    if (!compiled.ok()) return compiled.error().ToStatus("Invalid filter pattern");
    matcher.emplace(std::move(compiled).value());
  }
  Position after{INT64_MIN, INT64_MIN};
  if (query.next_token) {
    std::optional<Position> p = ParsePosition(*query.next_token);
    if (!p) return BadToken();
    after = *p;
  }
  std::set<std::string> streams(query.stream_names.begin(), query.stream_names.end());
  store::EventScan scan;
  scan.group = group;
  if (!streams.empty()) {
    scan.stream_filter = [&streams](std::string_view s) {
      return streams.count(std::string(s)) > 0;
    };
  } else if (!query.stream_prefix.empty()) {
    scan.stream_filter = [&query](std::string_view s) {
      return s.starts_with(query.stream_prefix);
    };
  }
  scan.from_ms = query.start_ms.value_or(INT64_MIN);
  scan.to_ms = query.end_ms.value_or(INT64_MAX);
  if (query.next_token) scan.after = store::EventPosition{after.timestamp, after.id};
  scan.newest_first = query.newest_first;
  std::vector<StoredLogEvent> out;
  event::EventView view;
  std::int64_t bytes = 0;
  int scanned = 0;
  std::optional<Position> last_scanned;
  bool more = false;
  TW_RETURN_IF_ERROR(events.Scan(scan, [&](const store::LoggedEvent& e) {
    if (scanned >= kMaxScannedPerCall) {
      more = true;
      return false;
    }
    if (static_cast<int>(out.size()) >= query.limit ||
        (bytes + static_cast<std::int64_t>(e.message.size()) > kMaxPageBytes && !out.empty())) {
      more = true;
      return false;
    }
    ++scanned;
    last_scanned = Position{e.timestamp_ms, e.id};
    if (matcher) {
      view.Reset(e.message);
      if (!matcher->Matches(view)) return true;
    }
    bytes += static_cast<std::int64_t>(e.message.size());
    out.push_back(ToStored(e));
    return true;
  }));
  page->next_token.reset();
  page->scanned = scanned;
  if (more && last_scanned)
    page->next_token = PositionText(last_scanned->timestamp, last_scanned->id);
  return out;
}

Result<std::optional<std::string>> LogService::EventMessage(const std::string& group,
                                                            std::int64_t timestamp_ms,
                                                            std::int64_t id) {
  store::EventScan scan;
  scan.group = group;
  scan.from_ms = scan.to_ms = timestamp_ms;
  scan.after = store::EventPosition{timestamp_ms, id - 1};
  std::optional<std::string> message;
  TW_RETURN_IF_ERROR(events_->Scan(scan, [&](const store::LoggedEvent& e) {
    if (e.id == id) message = std::string(e.message);
    return false;
  }));
  return message;
}

Result<std::vector<StoredLogEvent>> LogService::RecentEvents(const std::string& group, int limit) {
  TW_RETURN_IF_ERROR(RequireGroup(group));
  return ScanNewest(*events_, group, limit);
}

Result<std::vector<StoredLogEvent>> LogService::ScanNewest(store::EventLog& events,
                                                           const std::string& group, int limit) {
  std::vector<StoredLogEvent> out;
  store::EventScan scan;
  scan.group = group;
  scan.newest_first = true;
  TW_RETURN_IF_ERROR(events.Scan(scan, [&](const store::LoggedEvent& e) {
    if (static_cast<int>(out.size()) >= limit) return false;
    out.push_back(ToStored(e));
    return true;
  }));
  return out;
}

// --- Metric filters ------------------------------------------------------------

Status LogService::PutMetricFilter(const metrics::MetricFilterSpec& spec, TimePoint now) {
  TW_RETURN_IF_ERROR(RequireGroup(spec.log_group_name));
  Result<store::Transaction> tx = store::Transaction::Begin(*db_);
  if (!tx.ok()) return tx.status();
  Result<metrics::MetricFilter> compiled = metrics::MetricFilter::Compile(spec);
  if (!compiled.ok()) return compiled.status();
  Result<std::vector<MetricFilterInfo>> existing = MetricFilters(spec.log_group_name);
  if (!existing.ok()) return existing.status();
  bool replacing = std::any_of(existing->begin(), existing->end(), [&](const MetricFilterInfo& f) {
    return f.spec.filter_name == spec.filter_name;
  });
  if (!replacing && existing->size() >= kMaxFiltersPerGroup) {
    return Status(StatusCode::kResourceExhausted,
                  "Resource limit exceeded: at most 100 metric filters per log group");
  }
  Result<store::Statement> upsert = db_->Prepare(
      "INSERT INTO metric_filters (group_name, name, pattern, transformation, created_at) "
      "VALUES (?, ?, ?, ?, ?) ON CONFLICT (group_name, name) DO UPDATE SET "
      "pattern = excluded.pattern, transformation = excluded.transformation");
  if (!upsert.ok()) return upsert.status();
  upsert->BindAll(spec.log_group_name, spec.filter_name, spec.filter_pattern,
                  TransformationJson(spec.transformation).dump(), ToEpochMillis(now));
  TW_RETURN_IF_ERROR(upsert->Run());
  TW_RETURN_IF_ERROR(FiltersChanged(spec.log_group_name));
  return tx->Commit();
}

Status LogService::DeleteMetricFilter(const std::string& group, const std::string& name) {
  TW_RETURN_IF_ERROR(RequireGroup(group));
  Result<store::Transaction> tx = store::Transaction::Begin(*db_);
  if (!tx.ok()) return tx.status();
  Result<store::Statement> d =
      db_->Prepare("DELETE FROM metric_filters WHERE group_name = ? AND name = ?");
  if (!d.ok()) return d.status();
  d->BindAll(group, name);
  TW_RETURN_IF_ERROR(d->Run());
  if (db_->Changes() == 0) return NotFound("The specified metric filter does not exist.");
  TW_RETURN_IF_ERROR(FiltersChanged(group));
  return tx->Commit();
}

Status LogService::FiltersChanged(const std::string& group) {
  filter_sets_.erase(group);
  // This node's next FollowFilterChanges() sees the change too and drops
  // every set once more: simpler than telling its own changes from the
  // others' (and a change rolled back later must not count as seen).
  Result<std::int64_t> bumped = db_->TakeFromCounter("filter_changes", "version", 1);
  return bumped.ok() ? Status::Ok() : bumped.status();
}

Result<bool> LogService::FollowFilterChanges() {
  Result<store::Statement> query = db_->Prepare("SELECT version FROM filter_changes");
  if (!query.ok()) return query.status();
  Result<bool> row = query->Step();
  if (!row.ok()) return row.status();
  if (!*row || query->ColumnInt(0) == seen_filter_changes_) return false;
  seen_filter_changes_ = query->ColumnInt(0);
  filter_sets_.clear();
  return true;
}

Result<std::vector<MetricFilterInfo>> LogService::MetricFilters(const std::string& group) {
  Result<store::Statement> q = db_->Prepare(
      "SELECT group_name, name, pattern, transformation, created_at FROM metric_filters "
      "WHERE ? = '' OR group_name = ? ORDER BY group_name, name");
  if (!q.ok()) return q.status();
  q->BindAll(group, group);
  std::vector<MetricFilterInfo> out;
  while (true) {
    Result<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    MetricFilterInfo f;
    f.spec.log_group_name = q->ColumnText(0);
    f.spec.filter_name = q->ColumnText(1);
    f.spec.filter_pattern = q->ColumnText(2);
    f.spec.transformation = ParseTransformation(q->ColumnText(3));
    f.created = FromEpochMillis(q->ColumnInt(4));
    out.push_back(std::move(f));
  }
  return out;
}

Result<std::shared_ptr<const metrics::FilterSet>> LogService::FilterSetOf(
    const std::string& group) {
  if (auto it = filter_sets_.find(group); it != filter_sets_.end()) return it->second;
  Result<std::vector<MetricFilterInfo>> infos = MetricFilters(group);
  if (!infos.ok()) return infos.status();
  std::vector<metrics::MetricFilter> filters;
  for (const MetricFilterInfo& f : *infos) {
    Result<metrics::MetricFilter> compiled = metrics::MetricFilter::Compile(f.spec);
    // Stored filters were validated when put; one that no longer compiles
    // (a stricter trailwatch) is skipped rather than stopping ingestion.
    if (compiled.ok()) filters.push_back(std::move(compiled).value());
  }
  auto set = std::make_shared<const metrics::FilterSet>(std::move(filters));
  filter_sets_[group] = set;
  return set;
}

// --- Retention and tags --------------------------------------------------------

Status LogService::PutRetentionPolicy(const std::string& group, std::optional<int> days) {
  static constexpr int kDays[] = {1,   3,   5,   7,   14,   30,   60,   90,   120,  150,  180,
                                  365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};
  if (days && std::find(std::begin(kDays), std::end(kDays), *days) == std::end(kDays)) {
    return Constraint(std::to_string(*days), "retentionInDays",
                      "Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, "
                      "180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]");
  }
  TW_RETURN_IF_ERROR(RequireGroup(group));
  Result<store::Statement> u = db_->Prepare("UPDATE log_groups SET retention = ? WHERE name = ?");
  if (!u.ok()) return u.status();
  std::optional<std::int64_t> value;
  if (days) value = *days;
  u->BindAll(value, group);
  return u->Run();
}

Result<std::int64_t> LogService::ApplyRetention(TimePoint now) {
  Result<store::Statement> q =
      db_->Prepare("SELECT name, retention FROM log_groups WHERE retention IS NOT NULL");
  if (!q.ok()) return q.status();
  std::vector<std::pair<std::string, std::int64_t>> groups;
  while (true) {
    Result<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    groups.emplace_back(q->ColumnText(0), q->ColumnInt(1));
  }
  std::int64_t removed = 0;
  for (const auto& [group, days] : groups) {
    Result<std::int64_t> n = events_->DeleteOlderThan(group, ToEpochMillis(now) - days * kDayMs);
    if (!n.ok()) return n.status();
    removed += *n;
  }
  return removed;
}

Result<std::int64_t> LogService::CompactEvents() {
  Result<store::Statement> q = db_->Prepare("SELECT name FROM log_groups ORDER BY name");
  if (!q.ok()) return q.status();
  std::vector<std::string> groups;
  while (true) {
    Result<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    groups.push_back(q->ColumnText(0));
  }
  std::int64_t merged = 0;
  for (const std::string& group : groups) {
    Result<std::int64_t> n = events_->Compact(group);
    if (!n.ok()) return n.status();
    merged += *n;
  }
  return merged;
}

Result<store::EventLogUsage> LogService::EventUsage(const std::string& group) {
  TW_RETURN_IF_ERROR(RequireGroup(group));
  return events_->Usage(group);
}

Status LogService::TagResource(const std::string& arn,
                               const std::map<std::string, std::string>& tags) {
  Result<LogGroupInfo> group = GetLogGroup(GroupFromIdentifier(arn));
  if (!group.ok()) return group.status();
  for (const auto& [k, v] : tags) group->tags[k] = v;
  if (group->tags.size() > 50) {
    return Status(StatusCode::kResourceExhausted, "A resource can have at most 50 tags");
  }
  Result<store::Statement> u = db_->Prepare("UPDATE log_groups SET tags = ? WHERE name = ?");
  if (!u.ok()) return u.status();
  u->BindAll(TagsJson(group->tags), group->name);
  return u->Run();
}

Status LogService::UntagResource(const std::string& arn, const std::vector<std::string>& keys) {
  Result<LogGroupInfo> group = GetLogGroup(GroupFromIdentifier(arn));
  if (!group.ok()) return group.status();
  for (const std::string& k : keys) group->tags.erase(k);
  Result<store::Statement> u = db_->Prepare("UPDATE log_groups SET tags = ? WHERE name = ?");
  if (!u.ok()) return u.status();
  u->BindAll(TagsJson(group->tags), group->name);
  return u->Run();
}

Result<std::map<std::string, std::string>> LogService::ListTags(const std::string& arn) {
  Result<LogGroupInfo> group = GetLogGroup(GroupFromIdentifier(arn));
  if (!group.ok()) return group.status();
  return group->tags;
}

}  // namespace tw::server
