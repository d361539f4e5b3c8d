// Log events kept in compressed blocks: the storage engine behind
// CloudWatch Logs' groups and streams.
//
// One PutLogEvents batch (or one CloudTrail file's records) becomes one
// block: its events sorted by (timestamp, id), varint-framed, compressed
// with zstd, and stored as one row of `event_blocks` with the block's
// stream, time range and id range. CloudTrail JSON compresses about ten
// times, and one row per block instead of per event leaves SQLite one
// B-tree entry (and three small index entries) per batch. Retention drops
// whole blocks; `Compact` merges a stream's small blocks (one-event
// batches compress poorly) into large ones.
//
//   Result<std::unique_ptr<EventLog>> log = EventLog::Open(&db);
//   Result<std::int64_t> first_id = (*log)->Append("group", "stream", now_ms, events);
//   EventScan scan{.group = "group", .from_ms = start};
//   (*log)->Scan(scan, [&](const LoggedEvent& e) { ...; return true; });
//
// Event ids are unique and increase with ingestion: a batch's events get
// consecutive ids in batch order. Scans return events in (timestamp, id)
// order, oldest or newest first, holding in memory only the blocks that
// overlap the scan's current position.
//
// Not synchronized: the caller serializes calls, as for Database. Writes
// join the caller's transaction when there is one.

#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace tw::store {

struct EventToAppend {
  std::int64_t timestamp_ms = 0;
  std::string_view message;
};

// One stored event, as a scan visits it; the views are valid during the visit.
struct LoggedEvent {
  std::int64_t id = 0;
  std::int64_t timestamp_ms = 0;
  std::int64_t ingestion_ms = 0;
  std::string_view stream;
  std::string_view message;
};

// A place in (timestamp, id) order.
struct EventPosition {
  std::int64_t timestamp_ms = 0;
  std::int64_t id = 0;
  auto operator<=>(const EventPosition&) const = default;
};

struct EventScan {
  std::string group;
  // Only the blocks of streams this accepts are read (empty: every stream).
  std::function<bool(std::string_view stream)> stream_filter;
  std::int64_t from_ms = std::numeric_limits<std::int64_t>::min();  // inclusive
  std::int64_t to_ms = std::numeric_limits<std::int64_t>::max();    // inclusive
  // Events strictly after this position in the scan's direction.
  std::optional<EventPosition> after;
  bool newest_first = false;
};

// What a scan cost: a scan holds the blocks it has open in memory, so
// `most_open` bounds its memory (a block is at most kLargestBlockRawBytes).
struct ScanStats {
  std::int64_t blocks_read = 0;
  std::int64_t most_open = 0;
};

// A batch of events framed and compressed, not yet stored (see
// EventLog::Encode): the costly part of an append, which needs no database.
struct EncodedEvents {
  struct Block {
    std::int64_t first_ts = 0, last_ts = 0;
    std::int64_t first_id = 0, last_id = 0;  // relative to the batch's first event
    std::int64_t first_ingestion = 0;
    std::int64_t events = 0, raw_bytes = 0;
    std::string frame;  // zstd
  };
  std::vector<Block> blocks;
  std::int64_t events = 0;
  std::int64_t message_bytes = 0;  // the events' messages alone
};

// What a group's blocks hold.
struct EventLogUsage {
  std::int64_t blocks = 0;
  std::int64_t events = 0;
  std::int64_t raw_bytes = 0;     // the events' messages and framing, uncompressed
  std::int64_t stored_bytes = 0;  // the compressed blocks
};

class EventLog {
 public:
  // Append and Compact make blocks of at most this many bytes uncompressed
  // (a PutLogEvents batch is at most 1 MiB), unless one event alone is larger.
  static constexpr std::int64_t kMaxBlockRawBytes = std::int64_t{4} << 20;
  // No block is larger than this: one event of the largest record a
  // CloudTrail file may hold (ingest's 256 MiB) and its framing. A block row
  // claiming more is damaged.
  static constexpr std::int64_t kLargestBlockRawBytes = std::int64_t{257} << 20;
  // Compact merges blocks smaller than this (uncompressed).
  static constexpr std::int64_t kSmallBlockRawBytes = 256 << 10;

  // Creates the tables if needed. `db` must outlive the log.
  static Result<std::unique_ptr<EventLog>> Open(Database* db);

  // Stores `events` of one stream, with `ingestion_ms` as their ingestion
  // time, as one block (or several, each up to kMaxBlockRawBytes). Returns
  // the id of events[0]; events[i] has that + i. The same as Insert(Encode()).
  Result<std::int64_t> Append(std::string_view group, std::string_view stream,
                              std::int64_t ingestion_ms, std::span<const EventToAppend> events);
  // Append in two steps, so that framing and compressing (thread-safe, no
  // database) can run outside the caller's lock, and Insert under it.
  static Result<EncodedEvents> Encode(std::int64_t ingestion_ms,
                                      std::span<const EventToAppend> events);
  Result<std::int64_t> Insert(std::string_view group, std::string_view stream,
                              const EncodedEvents& encoded);

  // Visits the events `scan` selects, in order, until `visit` returns false.
  // kDataLoss if a block cannot be read back.
  Status Scan(const EventScan& scan, const std::function<bool(const LoggedEvent&)>& visit,
              ScanStats* stats = nullptr);

  Status DeleteStream(std::string_view group, std::string_view stream);
  Status DeleteGroup(std::string_view group);
  // Deletes the blocks of `group` whose newest event is older than
  // `cutoff_ms` (whole blocks: a block with a newer event stays until that
  // one expires too). Returns how many events were deleted.
  Result<std::int64_t> DeleteOlderThan(std::string_view group, std::int64_t cutoff_ms);

  // Merges runs of small blocks of each stream of `group` into blocks of up
  // to kMaxBlockRawBytes, reading at most `max_input_bytes` of small blocks
  // per call (so one call stays short and small). Ids, timestamps and order
  // are kept. Returns how many blocks were merged away.
  Result<std::int64_t> Compact(std::string_view group,
                               std::int64_t max_input_bytes = std::int64_t{32} << 20);

  Result<EventLogUsage> Usage(std::string_view group);

  // An EventLog that only reads, on `db` (a reader connection of a file an
  // EventLog::Open has set up): for scans beside the writer.
  static std::unique_ptr<EventLog> OpenForScans(Database* db);

  // Writes one block with the given ids (for importing stored events).
  // `events` need not be sorted. Keeps the id sequence above every id given.
  struct StoredEvent {
    std::int64_t id = 0;
    std::int64_t timestamp_ms = 0;
    std::int64_t ingestion_ms = 0;
    std::string_view message;
  };
  Status WriteBlock(std::string_view group, std::string_view stream,
                    std::span<const StoredEvent> events);

  ~EventLog();

 private:
  // zstd's decompression context, kept from call to call (compression's is
  // per thread, in event_log.cc).
  struct Codec;

  Status InsertBlock(std::string_view group, std::string_view stream,
                     const EncodedEvents::Block& block, std::int64_t id_offset);

  explicit EventLog(Database* db);

  Database* db_;
  std::unique_ptr<Codec> codec_;
};

// Scans beside the writer: EventLogs on reader connections of their own to
// the same file (Database::OpenReader), lent one per scan, so that a long
// FilterLogEvents holds no lock the writer needs. Connections are opened when
// all are lent and kept for the next scan. Thread-safe.
class EventReaders {
 public:
  explicit EventReaders(std::string database_path) : path_(std::move(database_path)) {}
  EventReaders(const EventReaders&) = delete;
  EventReaders& operator=(const EventReaders&) = delete;

  // Runs `scan` with an EventLog of its own. It sees what was committed
  // when its first statement ran.
  template <typename F>
  auto With(F&& scan) -> decltype(scan(std::declval<EventLog&>())) {
    Result<std::unique_ptr<Reader>> reader = Borrow();
    if (!reader.ok()) return reader.status();
    auto result = scan(*(*reader)->log);
    Return(std::move(reader).value());
    return result;
  }

 private:
  struct Reader {
    Database db;
    std::unique_ptr<EventLog> log;
  };
  Result<std::unique_ptr<Reader>> Borrow();
  void Return(std::unique_ptr<Reader> reader);

  const std::string path_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Reader>> idle_;
};

}  // namespace tw::store
