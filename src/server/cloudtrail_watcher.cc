#include "server/cloudtrail_watcher.h"

#include <filesystem>

#include "common/log.h"
#include "event/event_view.h"
#include "ingest/ingest.h"
#include "server/replay.h"

namespace tw::server {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSchema[] = {
    R"sql(
CREATE TABLE cloudtrail_files (
  path        TEXT PRIMARY KEY,
  size        INTEGER NOT NULL,
  mtime_ns    INTEGER NOT NULL,
  state       TEXT NOT NULL,  -- ingested | failed
  events      INTEGER NOT NULL,
  error       TEXT NOT NULL,
  recorded_at INTEGER NOT NULL
);
)sql",
};

std::int64_t MtimeNs(const fs::path& path, std::error_code& error) {
  auto t = fs::last_write_time(path, error);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

Status Record(store::Database& db, const std::string& path, std::uintmax_t size,
              std::int64_t mtime_ns, const char* state, std::size_t events,
              const std::string& error, TimePoint now) {
  Result<store::Statement> upsert = db.Prepare(
      "INSERT INTO cloudtrail_files (path, size, mtime_ns, state, events, error, recorded_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET size = excluded.size, "
      "mtime_ns = excluded.mtime_ns, state = excluded.state, events = excluded.events, "
      "error = excluded.error, recorded_at = excluded.recorded_at");
  if (!upsert.ok()) return upsert.status();
  upsert->BindAll(path, static_cast<std::int64_t>(size), mtime_ns, state,
                  static_cast<std::int64_t>(events), error, ToEpochMillis(now));
  return upsert->Run();
}

}  // namespace

Result<std::unique_ptr<CloudTrailWatcher>> CloudTrailWatcher::Open(
    Engine* engine, CloudTrailWatcherOptions options) {
  Status migrated =
      engine->Locked([](Services& sv) { return sv.db.Migrate("cloudtrail", kSchema); });
  TW_RETURN_IF_ERROR(migrated);
  std::error_code error;
  if (!fs::is_directory(options.dir, error)) {
    return InvalidArgument("--cloudtrail-dir " + options.dir + " is not a directory");
  }
  return std::unique_ptr<CloudTrailWatcher>(new CloudTrailWatcher(engine, std::move(options)));
}

CloudTrailWatcher::~CloudTrailWatcher() { Stop(); }

void CloudTrailWatcher::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mutex_);
    while (running_) {
      lock.unlock();
      Result<int> scanned = ScanOnce();
      if (!scanned.ok()) LogError("cloudtrail-dir: " + scanned.status().message());
      lock.lock();
      wake_.wait_for(lock, options_.poll_interval, [this] { return !running_; });
    }
  });
}

void CloudTrailWatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!running_) return;
    running_ = false;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<int> CloudTrailWatcher::ScanOnce() {
  std::vector<SkippedFile> missing;
  std::vector<std::string> files = CollectInputFiles({options_.dir}, &missing);
  // What the store already holds, with the size and time it had then.
  std::map<std::string, std::pair<std::string, Seen>> known;
  Status read = engine_->Locked([&](Services& sv) -> Status {
    Result<store::Statement> q =
        sv.db.Prepare("SELECT path, state, size, mtime_ns FROM cloudtrail_files");
    if (!q.ok()) return q.status();
    while (true) {
      Result<bool> row = q->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      known[q->ColumnText(0)] = {
          q->ColumnText(1), Seen{static_cast<std::uintmax_t>(q->ColumnInt(2)), q->ColumnInt(3)}};
    }
    return Status::Ok();
  });
  TW_RETURN_IF_ERROR(read);
  const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          fs::file_time_type::clock::now().time_since_epoch())
                          .count();
  std::map<std::string, Seen> this_scan;
  int ingested = 0;
  for (const std::string& path : files) {
    std::error_code error;
    Seen seen{fs::file_size(path, error), 0};
    if (error) continue;
    seen.mtime_ns = MtimeNs(path, error);
    if (error) continue;
    this_scan[path] = seen;
    auto k = known.find(path);
    if (k != known.end() &&
        (k->second.first == "ingested" ||
         (k->second.second.size == seen.size && k->second.second.mtime_ns == seen.mtime_ns))) {
      continue;  // done, or failed and unchanged since
    }
    auto previous = last_scan_.find(path);
    const bool stable = previous != last_scan_.end() && previous->second.size == seen.size &&
                        previous->second.mtime_ns == seen.mtime_ns;
    const bool settled =
        now_ns - seen.mtime_ns >=
        std::chrono::duration_cast<std::chrono::nanoseconds>(options_.settle).count();
    if (!stable || !settled) continue;
    Result<bool> done = Ingest(path, seen);
    if (!done.ok()) return done.status();
    if (*done) ++ingested;
  }
  last_scan_ = std::move(this_scan);
  return ingested;
}

Result<bool> CloudTrailWatcher::Ingest(const std::string& path, const Seen& seen) {
  Result<std::unique_ptr<ingest::MessageReader>> reader =
      ingest::MessageReader::Open(path, ingest::InputFormat::kCloudTrail);
  std::vector<InputLogEvent> events;
  std::string stream;
  Status status = reader.ok() ? Status::Ok() : reader.status();
  const TimePoint now = engine_->clock().Now();
  if (reader.ok()) {
    event::EventView view;
    std::string_view message;
    while ((*reader)->Next(&message)) {
      view.Reset(message);
      std::optional<TimePoint> time;
      event::JsonValue t = view.Json().Member("eventTime");
      if (t.valid() && t.type() == event::JsonType::kString) time = ParseTimestamp(t.AsString());
      if (stream.empty()) {
        event::JsonValue account = view.Json().Member("recipientAccountId");
        event::JsonValue region = view.Json().Member("awsRegion");
        if (account.valid() && region.valid() && account.type() == event::JsonType::kString &&
            region.type() == event::JsonType::kString) {
          stream =
              std::string(account.AsString()) + "_CloudTrail_" + std::string(region.AsString());
        }
      }
      events.push_back({ToEpochMillis(time.value_or(now)), std::string(message)});
    }
    status = (*reader)->status();
  }
  if (stream.empty()) stream = "CloudTrail";
  if (!status.ok()) {
    const auto age =
        std::chrono::nanoseconds(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     fs::file_time_type::clock::now().time_since_epoch())
                                     .count() -
                                 seen.mtime_ns);
    if (age < options_.give_up) return false;  // may still be being written
    LogWarning("cloudtrail-dir: " + path +
               " cannot be read and is skipped until it changes: " + status.message());
    Status recorded = engine_->Locked([&](Services& sv) {
      return Record(sv.db, path, seen.size, seen.mtime_ns, "failed", 0, status.message(), now);
    });
    TW_RETURN_IF_ERROR(recorded);
    return false;
  }
  Result<std::size_t> count =
      engine_->IngestRecords(options_.log_group, stream, events, [&](store::Database& db) {
        return Record(db, path, seen.size, seen.mtime_ns, "ingested", events.size(), "", now);
      });
  if (!count.ok()) return count.status();
  LogInfo("cloudtrail-dir: ingested " + std::to_string(*count) + " events of " + path + " into " +
          options_.log_group + "/" + stream);
  return true;
}

}  // namespace tw::server
