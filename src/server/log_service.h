// CloudWatch Logs kept in the store: log groups, streams, events, metric
// filters, retention and tags (spec aws-protocols-alarms.md §3.1,
// filter-patterns.md §7-9).
//
// Every method runs on the caller's store::Database, inside the caller's
// transaction when there is one; the caller (Engine) serializes calls.
// Errors are Status values whose code tells the API layer which exception
// to answer with: kNotFound (ResourceNotFoundException), kAlreadyExists
// (ResourceAlreadyExistsException), kInvalidArgument
// (InvalidParameterException), kResourceExhausted (LimitExceededException);
// messages are AWS's ("The specified log group does not exist.").

#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "metrics/metrics.h"
#include "store/database.h"
#include "store/event_log.h"

namespace tw::server {

struct LogGroupInfo {
  std::string name;
  std::string arn;  // arn:aws:logs:<region>:<account>:log-group:<name>:*
  TimePoint created;
  std::optional<int> retention_in_days;
  std::string kms_key_id;
  int metric_filter_count = 0;
  std::int64_t stored_bytes = 0;
  std::map<std::string, std::string> tags;
};

struct LogStreamInfo {
  std::string name;
  std::string arn;
  TimePoint created;
  std::optional<TimePoint> first_event, last_event, last_ingestion;
  std::int64_t stored_bytes = 0;
};

struct InputLogEvent {
  std::int64_t timestamp_ms = 0;
  std::string message;
};

struct StoredLogEvent {
  std::int64_t id = 0;  // the row id: unique, increasing with ingestion
  std::string stream;
  std::int64_t timestamp_ms = 0;
  std::int64_t ingestion_ms = 0;
  std::string message;

  // FilterLogEvents' eventId: the row id as 56 decimal digits, as AWS's look.
  std::string event_id() const;
};

// PutLogEvents' rejectedLogEventsInfo (inclusive indices).
struct RejectedLogEvents {
  std::optional<int> too_new_start;
  std::optional<int> too_old_end;
  std::optional<int> expired_end;
  bool any() const { return too_new_start || too_old_end || expired_end; }
};

struct PutLogEventsResult {
  RejectedLogEvents rejected;
  // The events stored, in batch order, have ids first_id, first_id + 1, ...
  std::size_t accepted = 0;
  std::int64_t first_id = 0;
  std::string next_sequence_token;
};

struct Page {
  std::optional<std::string> next_token;
  std::int64_t scanned = 0;  // events looked at (FilterLogEvents)
};

struct GetLogEventsResult {
  std::vector<StoredLogEvent> events;  // ascending
  std::string next_forward_token;
  std::string next_backward_token;
};

struct FilterLogEventsQuery {
  std::vector<std::string> stream_names;  // empty: all
  std::string stream_prefix;
  std::optional<std::int64_t> start_ms, end_ms;  // both inclusive
  std::string filter_pattern;                    // empty: every event
  std::optional<std::string> next_token;
  int limit = 10'000;
  bool newest_first = false;  // the console's order; AWS's API has only oldest first
};

struct MetricFilterInfo {
  metrics::MetricFilterSpec spec;
  TimePoint created;
};

class LogService {
 public:
  // Creates the tables if needed. `db` must outlive the service.
  static Result<std::unique_ptr<LogService>> Open(store::Database* db, std::string region,
                                                  std::string account_id);

  Status CreateLogGroup(const std::string& name, const std::string& kms_key_id,
                        const std::map<std::string, std::string>& tags, TimePoint now);
  Status DeleteLogGroup(const std::string& name);
  // Sorted by name; `prefix` and `pattern` (substring) are exclusive.
  // ListLogGroups: groups whose names `pattern` (AWS's logGroupNamePattern:
  // up to five '|'-separated alternatives of 3 to 24 name characters, each
  // a regular expression, '^' anchoring it at the start) matches anywhere;
  // `group_class` empty or STANDARD (the only class here; another gives
  // none). Pages of `limit` by name after `token`.
  Result<std::vector<LogGroupInfo>> ListLogGroups(const std::string& pattern,
                                                  const std::string& group_class,
                                                  const std::optional<std::string>& token,
                                                  int limit, Page* page);
  Result<std::vector<LogGroupInfo>> DescribeLogGroups(const std::string& prefix,
                                                      const std::string& pattern,
                                                      const std::optional<std::string>& token,
                                                      int limit, Page* page);
  Result<LogGroupInfo> GetLogGroup(const std::string& name);

  Status CreateLogStream(const std::string& group, const std::string& stream, TimePoint now);
  Status DeleteLogStream(const std::string& group, const std::string& stream);
  // order_by_last_event: by last event time instead of name.
  Result<std::vector<LogStreamInfo>> DescribeLogStreams(const std::string& group,
                                                        const std::string& prefix,
                                                        bool order_by_last_event, bool descending,
                                                        const std::optional<std::string>& token,
                                                        int limit, Page* page);

  // PutLogEvents in steps, so that the engine holds its lock only to read
  // and write the store, and decodes, matches and compresses outside it:
  // 1. (no lock) The batch's own limits (§3.1.1: 1 to 10,000 events, 1 MiB
  //    with 26 bytes per event, 256 KiB per event, chronological order).
  static Status CheckPutLogEvents(const std::vector<InputLogEvent>& events);
  // 2. The stream must exist. Drops too-new (> 2 h ahead), too-old
  //    (> 14 days) and expired (older than retention) events, reporting them
  //    in `rejected`, and returns the indexes of the others, which may span
  //    24 h at most.
  Result<std::vector<std::size_t>> WindowPutLogEvents(const std::string& group,
                                                      const std::string& stream,
                                                      const std::vector<InputLogEvent>& events,
                                                      TimePoint now, RejectedLogEvents* rejected);
  // 3. (no lock) store::EventLog::Encode of the kept events.
  // 4. Stores them (the stream must still exist); returns the first one's
  //    id.
  Result<std::int64_t> StoreEvents(const std::string& group, const std::string& stream,
                                   const store::EncodedEvents& encoded);
  // Stores events as they are (no time window): CloudTrail files being
  // ingested from a directory. The stream is created if needed. Returns the
  // first event's id; events[i] has that + i.
  Result<std::int64_t> IngestEvents(const std::string& group, const std::string& stream,
                                    const std::vector<InputLogEvent>& events, TimePoint now);

  // GetLogEvents: [start, end) (end exclusive), pages of `limit`, tokens
  // "f/<n>" and "b/<n>"; without a token the newest page, or the oldest with
  // start_from_head.
  Result<GetLogEventsResult> GetLogEvents(const std::string& group, const std::string& stream,
                                          std::optional<std::int64_t> start_ms,
                                          std::optional<std::int64_t> end_ms,
                                          const std::optional<std::string>& token, int limit,
                                          bool start_from_head);
  Result<std::vector<StoredLogEvent>> FilterLogEvents(const std::string& group,
                                                      const FilterLogEventsQuery& query,
                                                      Page* page);

  // The newest `limit` events of a group, newest first (by timestamp, then
  // ingestion), for the console.
  Result<std::vector<StoredLogEvent>> RecentEvents(const std::string& group, int limit);

  // The scans behind the three queries above, on any EventLog of this
  // store: the service's own (under the engine's lock), or one on a reader
  // connection (outside it: Engine::GetLogEvents & co.). They check nothing
  // of the group or stream; their callers do, first.
  static Result<GetLogEventsResult> ScanStream(store::EventLog& events, const std::string& group,
                                               const std::string& stream,
                                               std::optional<std::int64_t> start_ms,
                                               std::optional<std::int64_t> end_ms,
                                               const std::optional<std::string>& token, int limit,
                                               bool start_from_head);
  static Result<std::vector<StoredLogEvent>> ScanGroup(store::EventLog& events,
                                                       const std::string& group,
                                                       const FilterLogEventsQuery& query,
                                                       Page* page);
  static Result<std::vector<StoredLogEvent>> ScanNewest(store::EventLog& events,
                                                        const std::string& group, int limit);

  // The message of stored event `id` at `timestamp_ms` in `group`; nullopt
  // once it is gone (retention, a deleted stream or group).
  Result<std::optional<std::string>> EventMessage(const std::string& group,
                                                  std::int64_t timestamp_ms, std::int64_t id);

  // kNotFound with AWS's message unless the group (the stream) exists.
  Status RequireGroup(const std::string& group);
  Status RequireStream(const std::string& group, const std::string& stream);

  Status PutMetricFilter(const metrics::MetricFilterSpec& spec, TimePoint now);
  Status DeleteMetricFilter(const std::string& group, const std::string& name);
  // Filters of `group` (all groups when empty), by group then name.
  Result<std::vector<MetricFilterInfo>> MetricFilters(const std::string& group);
  // The compiled filters of a group, kept until its filters change.
  Result<std::shared_ptr<const metrics::FilterSet>> FilterSetOf(const std::string& group);
  // For nodes sharing a store: forgets every compiled filter set when
  // another node changed metric filters since the last call (true then).
  Result<bool> FollowFilterChanges();

  Status PutRetentionPolicy(const std::string& group, std::optional<int> days);
  // Deletes events older than each group's retention (whole blocks: an
  // older event stays until the newest event of its block expires, as AWS
  // too deletes expired events eventually rather than at once); returns how
  // many.
  Result<std::int64_t> ApplyRetention(TimePoint now);
  // Merges each group's small event blocks (see store::EventLog::Compact);
  // returns how many blocks were merged away.
  Result<std::int64_t> CompactEvents();
  Result<store::EventLogUsage> EventUsage(const std::string& group);

  // Tags by ARN of a log group (TagResource & co.).
  Status TagResource(const std::string& arn, const std::map<std::string, std::string>& tags);
  Status UntagResource(const std::string& arn, const std::vector<std::string>& keys);
  Result<std::map<std::string, std::string>> ListTags(const std::string& arn);

  std::string GroupArn(const std::string& group) const;
  // The group name of a group ARN or name (logGroupIdentifier).
  std::string GroupFromIdentifier(const std::string& identifier) const;

 private:
  LogService(store::Database* db, std::string region, std::string account_id)
      : db_(db), region_(std::move(region)), account_id_(std::move(account_id)) {}
  // Moves the events of a database written before the block store (one row
  // per event in log_events) into blocks, keeping their ids.
  Status ImportRowEvents();
  // After a change to `group`'s metric filters (inside its transaction):
  // drops the compiled set here and counts the change for every node.
  Status FiltersChanged(const std::string& group);

  store::Database* db_;
  std::unique_ptr<store::EventLog> events_;
  std::string region_, account_id_;
  std::map<std::string, std::shared_ptr<const metrics::FilterSet>> filter_sets_;
  std::int64_t seen_filter_changes_ = 0;  // filter_changes.version last followed
};

}  // namespace tw::server
