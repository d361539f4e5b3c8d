#include "store/event_log.h"

#include <zstd.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <queue>
#include <vector>

namespace tw::store {
namespace {

constexpr std::string_view kSchema[] = {
    R"sql(
CREATE TABLE event_blocks (
  id              INTEGER PRIMARY KEY,
  group_name      TEXT NOT NULL,
  stream          TEXT NOT NULL,
  first_ts        INTEGER NOT NULL,  -- the oldest event's timestamp (ms)
  last_ts         INTEGER NOT NULL,  -- the newest event's timestamp
  first_id        INTEGER NOT NULL,  -- the smallest event id
  last_id         INTEGER NOT NULL,
  first_ingestion INTEGER NOT NULL,  -- the earliest ingestion time
  events          INTEGER NOT NULL,
  raw_bytes       INTEGER NOT NULL,  -- of the uncompressed block
  data            BLOB NOT NULL      -- zstd frame
);
CREATE INDEX event_blocks_oldest_first ON event_blocks (group_name, first_ts, last_ts);
CREATE INDEX event_blocks_newest_first ON event_blocks (group_name, last_ts, first_ts);
CREATE INDEX event_blocks_by_stream ON event_blocks (group_name, stream, raw_bytes);
CREATE TABLE event_sequence (next_id INTEGER NOT NULL);
INSERT INTO event_sequence (next_id) VALUES (1);
)sql",
    // Scans order blocks by (first_ts, first_id) or (last_ts, last_id): the
    // indexes give that order, so SQLite never sorts blocks (and their data)
    // that share a timestamp.
    R"sql(
DROP INDEX event_blocks_oldest_first;
DROP INDEX event_blocks_newest_first;
CREATE INDEX event_blocks_oldest_first ON event_blocks (group_name, first_ts, first_id, last_ts);
CREATE INDEX event_blocks_newest_first ON event_blocks (group_name, last_ts, last_id, first_ts);
)sql",
};

// On 500 real CloudTrail records (0.68 MB; `zstd -b1`, `-b3` on the 2-core
// machine) level 1 compresses 10.7 times at 1.3 GB/s, level 3 10.5 times at
// 0.7 GB/s: the faster level is no worse on this kind of JSON.
constexpr int kCompressionLevel = 1;

// The most framing bytes one event takes (four 10-byte varints), for sizing
// blocks before encoding them.
constexpr std::int64_t kMaxFramingBytes = 40;
// The least: four 1-byte varints.
constexpr std::int64_t kMinFramingBytes = 4;

// --- Block framing: per event, in (timestamp, id) order:
//   zigzag varint  timestamp - previous timestamp (the first: - first_ts)
//   varint         id - first_id
//   varint         ingestion - first_ingestion
//   varint         message length, then the message bytes

void PutVarint(std::string* out, std::uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

std::uint64_t ZigZag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t UnZigZag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

bool GetVarint(std::string_view* in, std::uint64_t* v) {
  std::uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    auto byte = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    result |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (byte < 0x80) {
      *v = result;
      return true;
    }
  }
  return false;
}

struct BlockMeta {
  std::int64_t row = 0;
  std::string stream;
  std::int64_t first_ts = 0, last_ts = 0, first_id = 0, last_id = 0, first_ingestion = 0;
  std::int64_t events = 0, raw_bytes = 0;
};

constexpr const char* kBlockColumns =
    "id, stream, first_ts, last_ts, first_id, last_id, first_ingestion, events, raw_bytes";

BlockMeta ReadMeta(const Statement& row) {
  BlockMeta m;
  m.row = row.ColumnInt(0);
  m.stream = row.ColumnText(1);
  m.first_ts = row.ColumnInt(2);
  m.last_ts = row.ColumnInt(3);
  m.first_id = row.ColumnInt(4);
  m.last_id = row.ColumnInt(5);
  m.first_ingestion = row.ColumnInt(6);
  m.events = row.ColumnInt(7);
  m.raw_bytes = row.ColumnInt(8);
  return m;
}

// A block read back: its uncompressed bytes and the events pointing into them.
struct DecodedBlock {
  std::string stream;
  // Not a std::string: zstd writes every byte, so zeroing them first (a
  // fifth of a scan's memory traffic) would be wasted.
  std::unique_ptr<char[]> raw;
  std::size_t capacity = 0;         // of `raw`
  std::vector<LoggedEvent> events;  // (timestamp, id) order
};

Status Damaged(std::string_view group, const BlockMeta& meta, std::string_view why) {
  return DataLoss("event block " + std::to_string(meta.row) + " of log group " +
                  std::string(group) + ", stream " + meta.stream + " cannot be read (" +
                  std::string(why) + "); the database file is damaged");
}

// `spare`, a block done with, lends its memory when it is large enough: a
// scan then touches the same pages block after block instead of faulting
// fresh ones in.
Result<std::unique_ptr<DecodedBlock>> Decode(ZSTD_DCtx* context, std::string_view group,
                                             const BlockMeta& meta, std::string_view compressed,
                                             std::unique_ptr<DecodedBlock> spare = nullptr) {
  if (meta.raw_bytes < 0 || meta.raw_bytes > EventLog::kLargestBlockRawBytes || meta.events < 0 ||
      meta.events > meta.raw_bytes) {
    return Damaged(group, meta, "its size is out of range");
  }
  unsigned long long size = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (size != static_cast<unsigned long long>(meta.raw_bytes)) {
    return Damaged(group, meta, "its frame does not hold the recorded size");
  }
  std::unique_ptr<DecodedBlock> block = std::move(spare);
  if (!block) block = std::make_unique<DecodedBlock>();
  block->stream = meta.stream;
  block->events.clear();
  if (block->capacity < size) {
    block->raw.reset(new char[static_cast<std::size_t>(size)]);
    block->capacity = static_cast<std::size_t>(size);
  }
  if (context == nullptr) return Internal("zstd: cannot create a decompression context");
  std::size_t got = ZSTD_decompressDCtx(context, block->raw.get(), static_cast<std::size_t>(size),
                                        compressed.data(), compressed.size());
  if (ZSTD_isError(got) || got != size) {
    return Damaged(group, meta, ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short frame");
  }
  std::string_view in(block->raw.get(), static_cast<std::size_t>(size));
  block->events.reserve(static_cast<std::size_t>(meta.events));
  std::int64_t timestamp = meta.first_ts;
  for (std::int64_t i = 0; i < meta.events; ++i) {
    std::uint64_t delta = 0, id = 0, ingestion = 0, length = 0;
    if (!GetVarint(&in, &delta) || !GetVarint(&in, &id) || !GetVarint(&in, &ingestion) ||
        !GetVarint(&in, &length) || length > in.size()) {
      return Damaged(group, meta, "its events are cut short");
    }
    timestamp += UnZigZag(delta);
    LoggedEvent e;
    e.id = meta.first_id + static_cast<std::int64_t>(id);
    e.timestamp_ms = timestamp;
    e.ingestion_ms = meta.first_ingestion + static_cast<std::int64_t>(ingestion);
    e.stream = block->stream;
    e.message = in.substr(0, static_cast<std::size_t>(length));
    in.remove_prefix(static_cast<std::size_t>(length));
    block->events.push_back(e);
  }
  if (!in.empty()) return Damaged(group, meta, "it holds more than its events");
  return block;
}

// A scan's place in one loaded block.
struct Cursor {
  std::unique_ptr<DecodedBlock> block;
  std::size_t next = 0;              // index into `order`
  std::vector<std::uint32_t> order;  // the selected events, in scan order
  const LoggedEvent& current() const { return block->events[order[next]]; }
};

// Whether a block may hold an event that comes before `best` in the scan's
// order (or is it: ids are unique, so it is never in two blocks).
bool MayComeFirst(const BlockMeta& block, const LoggedEvent& best, bool forward) {
  return forward
             ? std::pair(block.first_ts, block.first_id) <= std::pair(best.timestamp_ms, best.id)
             : std::pair(block.last_ts, block.last_id) >= std::pair(best.timestamp_ms, best.id);
}

}  // namespace

struct EventLog::Codec {
  Codec() : decompress(ZSTD_createDCtx()) {}
  ~Codec() { ZSTD_freeDCtx(decompress); }
  Codec(const Codec&) = delete;
  Codec& operator=(const Codec&) = delete;

  ZSTD_DCtx* decompress;
};

EventLog::EventLog(Database* db) : db_(db), codec_(std::make_unique<Codec>()) {}
EventLog::~EventLog() = default;

Result<std::unique_ptr<EventLog>> EventLog::Open(Database* db) {
  TW_RETURN_IF_ERROR(db->Migrate("event_log", kSchema));
  std::unique_ptr<EventLog> log(new EventLog(db));
  // The sequence is the store's, not this process's: several nodes append
  // to one PostgreSQL store (Insert takes ids from it). A store whose blocks
  // went past its sequence (written before the sequence was kept with
  // every insert) has it moved on once, here.
  Result<Statement> q = db->Prepare(
      "SELECT (SELECT next_id FROM event_sequence), "
      "coalesce((SELECT max(last_id) + 1 FROM event_blocks), 1)");
  if (!q.ok()) return q.status();
  Result<bool> row = q->Step();
  if (!row.ok()) return row.status();
  if (*row && q->ColumnInt(1) > q->ColumnInt(0)) {
    const std::int64_t next = q->ColumnInt(1);
    q->Reset();
    Result<Statement> repair =
        db->Prepare("UPDATE event_sequence SET next_id = ? WHERE next_id < ?");
    if (!repair.ok()) return repair.status();
    repair->BindAll(next, next);
    TW_RETURN_IF_ERROR(repair->Run());
  }
  return log;
}

namespace {

// One thread's compression context and buffers, kept from call to call: a
// fresh context per block cost a megabyte of fresh pages (page faults and
// memset) per PutLogEvents, a fifth of its time. Per thread, because
// EventLog::Encode runs on the request threads, off the engine's lock.
struct Compressor {
  Compressor() : context(ZSTD_createCCtx()) {}
  ~Compressor() { ZSTD_freeCCtx(context); }
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  ZSTD_CCtx* context;
  std::string raw;  // the block being encoded, uncompressed
  // Not value-initialized, unlike a std::string's growth: zstd writes it.
  std::unique_ptr<char[]> frame;
  std::size_t frame_capacity = 0;
};

// Frames and compresses one block of events with the ids they carry.
Result<EncodedEvents::Block> EncodeBlock(std::span<const EventLog::StoredEvent> events) {
  thread_local Compressor compressor;
  std::vector<std::uint32_t> order(events.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return std::pair(events[a].timestamp_ms, events[a].id) <
           std::pair(events[b].timestamp_ms, events[b].id);
  });
  EncodedEvents::Block block;
  block.first_ts = events[order.front()].timestamp_ms;
  block.last_ts = events[order.back()].timestamp_ms;
  block.first_id = events[0].id;
  block.last_id = events[0].id;
  block.first_ingestion = events[0].ingestion_ms;
  block.events = static_cast<std::int64_t>(events.size());
  std::size_t message_bytes = 0;
  for (const EventLog::StoredEvent& e : events) {
    block.first_id = std::min(block.first_id, e.id);
    block.last_id = std::max(block.last_id, e.id);
    block.first_ingestion = std::min(block.first_ingestion, e.ingestion_ms);
    message_bytes += e.message.size();
  }
  std::string& raw = compressor.raw;
  raw.clear();
  raw.reserve(message_bytes + events.size() * 12);
  std::int64_t previous = block.first_ts;
  for (std::uint32_t i : order) {
    const EventLog::StoredEvent& e = events[i];
    PutVarint(&raw, ZigZag(e.timestamp_ms - previous));
    previous = e.timestamp_ms;
    PutVarint(&raw, static_cast<std::uint64_t>(e.id - block.first_id));
    PutVarint(&raw, static_cast<std::uint64_t>(e.ingestion_ms - block.first_ingestion));
    PutVarint(&raw, e.message.size());
    raw.append(e.message);
  }
  if (static_cast<std::int64_t>(raw.size()) > EventLog::kLargestBlockRawBytes) {
    return InvalidArgument("a block of " + std::to_string(raw.size()) + " bytes exceeds " +
                           std::to_string(EventLog::kLargestBlockRawBytes));
  }
  block.raw_bytes = static_cast<std::int64_t>(raw.size());
  if (compressor.context == nullptr) return Internal("zstd: cannot create a compression context");
  const std::size_t bound = ZSTD_compressBound(raw.size());
  if (bound > compressor.frame_capacity) {
    compressor.frame.reset(new char[bound]);
    compressor.frame_capacity = bound;
  }
  const std::size_t size = ZSTD_compressCCtx(compressor.context, compressor.frame.get(), bound,
                                             raw.data(), raw.size(), kCompressionLevel);
  if (ZSTD_isError(size)) return Internal(std::string("zstd: ") + ZSTD_getErrorName(size));
  block.frame.assign(compressor.frame.get(), size);
  return block;
}

}  // namespace

Result<EncodedEvents> EventLog::Encode(std::int64_t ingestion_ms,
                                       std::span<const EventToAppend> events) {
  EncodedEvents encoded;
  encoded.events = static_cast<std::int64_t>(events.size());
  std::vector<StoredEvent> block;
  std::int64_t block_bytes = 0;
  auto flush = [&]() -> Status {
    if (block.empty()) return Status::Ok();
    Result<EncodedEvents::Block> b = EncodeBlock(block);
    if (!b.ok()) return b.status();
    encoded.blocks.push_back(std::move(b).value());
    block.clear();
    block_bytes = 0;
    return Status::Ok();
  };
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::int64_t bytes =
        static_cast<std::int64_t>(events[i].message.size()) + kMaxFramingBytes;
    if (!block.empty() && block_bytes + bytes > kMaxBlockRawBytes) TW_RETURN_IF_ERROR(flush());
    // Ids relative to the batch's first: Insert adds where the batch lands.
    block.push_back(
        {static_cast<std::int64_t>(i), events[i].timestamp_ms, ingestion_ms, events[i].message});
    block_bytes += bytes;
    encoded.message_bytes += static_cast<std::int64_t>(events[i].message.size());
  }
  TW_RETURN_IF_ERROR(flush());
  return encoded;
}

Status EventLog::InsertBlock(std::string_view group, std::string_view stream,
                             const EncodedEvents::Block& block, std::int64_t id_offset) {
  Result<Statement> insert = db_->Prepare(
      "INSERT INTO event_blocks (group_name, stream, first_ts, last_ts, first_id, last_id, "
      "first_ingestion, events, raw_bytes, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!insert.ok()) return insert.status();
  insert->BindAll(group, stream, block.first_ts, block.last_ts, block.first_id + id_offset,
                  block.last_id + id_offset, block.first_ingestion, block.events, block.raw_bytes);
  insert->BindBlob(10, block.frame);
  return insert->Run();
}

Result<std::int64_t> EventLog::Insert(std::string_view group, std::string_view stream,
                                      const EncodedEvents& encoded) {
  // The batch's ids are taken from the store's sequence in one statement:
  // the row lock (PostgreSQL) or the write transaction (SQLite) keeps two
  // writers, on any node, from taking the same ids. A batch of no events
  // takes none.
  Result<std::int64_t> first = db_->TakeFromCounter("event_sequence", "next_id", encoded.events);
  if (!first.ok()) return first.status();
  for (const EncodedEvents::Block& block : encoded.blocks) {
    TW_RETURN_IF_ERROR(InsertBlock(group, stream, block, *first));
  }
  return *first;
}

std::unique_ptr<EventLog> EventLog::OpenForScans(Database* db) {
  return std::unique_ptr<EventLog>(new EventLog(db));
}

Result<std::unique_ptr<EventReaders::Reader>> EventReaders::Borrow() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<Reader> reader = std::move(idle_.back());
      idle_.pop_back();
      return reader;
    }
  }
  Result<Database> db = Database::OpenReader(path_);
  if (!db.ok()) return db.status();
  auto reader = std::unique_ptr<Reader>(new Reader{std::move(db).value(), nullptr});
  reader->log = EventLog::OpenForScans(&reader->db);
  return reader;
}

void EventReaders::Return(std::unique_ptr<Reader> reader) {
  std::lock_guard<std::mutex> lock(mutex_);
  idle_.push_back(std::move(reader));
}

Status EventLog::WriteBlock(std::string_view group, std::string_view stream,
                            std::span<const StoredEvent> events) {
  if (events.empty()) return Status::Ok();
  Result<EncodedEvents::Block> block = EncodeBlock(events);
  if (!block.ok()) return block.status();
  TW_RETURN_IF_ERROR(InsertBlock(group, stream, *block, 0));
  // Ids written as given must never be handed out again.
  Result<Statement> sequence =
      db_->Prepare("UPDATE event_sequence SET next_id = ? WHERE next_id <= ?");
  if (!sequence.ok()) return sequence.status();
  sequence->BindAll(block->last_id + 1, block->last_id);
  return sequence->Run();
}

Result<std::int64_t> EventLog::Append(std::string_view group, std::string_view stream,
                                      std::int64_t ingestion_ms,
                                      std::span<const EventToAppend> events) {
  Result<EncodedEvents> encoded = Encode(ingestion_ms, events);
  if (!encoded.ok()) return encoded.status();
  return Insert(group, stream, *encoded);
}

Status EventLog::Scan(const EventScan& scan, const std::function<bool(const LoggedEvent&)>& visit,
                      ScanStats* stats) {
  ScanStats unused;
  if (stats == nullptr) stats = &unused;
  const bool forward = !scan.newest_first;
  std::int64_t lo = scan.from_ms, hi = scan.to_ms;
  if (scan.after) {
    if (forward)
      lo = std::max(lo, scan.after->timestamp_ms);
    else
      hi = std::min(hi, scan.after->timestamp_ms);
  }
  if (lo > hi) return Status::Ok();
  // Oldest first: blocks by (first_ts, first_id), a bound below every event
  // of the block in (timestamp, id) order, so once the next block's bound
  // is past the current best event, that event is the next in order; and
  // blocks with one timestamp (a burst within a millisecond or a client's
  // fixed clock) are opened one after another, not all at once. Newest
  // first is the mirror image on (last_ts, last_id).
  Result<Statement> blocks = db_->Prepare(
      std::string("SELECT ") + kBlockColumns +
      ", data FROM event_blocks WHERE group_name = ? AND first_ts <= ? AND last_ts >= ? " +
      (forward ? "ORDER BY first_ts, first_id" : "ORDER BY last_ts DESC, last_id DESC"));
  if (!blocks.ok()) return blocks.status();
  blocks->BindAll(scan.group, hi, lo);

  auto before = [forward](const LoggedEvent& a, const LoggedEvent& b) {
    // true when a comes before b in the scan's order
    return forward ? std::pair(a.timestamp_ms, a.id) < std::pair(b.timestamp_ms, b.id)
                   : std::pair(a.timestamp_ms, a.id) > std::pair(b.timestamp_ms, b.id);
  };
  auto later = [&](const Cursor* a, const Cursor* b) { return before(b->current(), a->current()); };
  std::priority_queue<Cursor*, std::vector<Cursor*>, decltype(later)> heap(later);
  std::vector<std::unique_ptr<Cursor>> cursors;
  std::unique_ptr<DecodedBlock> spare;

  auto selected = [&](const LoggedEvent& e) {
    if (e.timestamp_ms < scan.from_ms || e.timestamp_ms > scan.to_ms) return false;
    if (scan.after) {
      EventPosition p{e.timestamp_ms, e.id};
      return forward ? p > *scan.after : p < *scan.after;
    }
    return true;
  };

  bool more_blocks = false;
  BlockMeta next;
  auto step = [&]() -> Status {
    while (true) {
      Result<bool> row = blocks->Step();
      if (!row.ok()) return row.status();
      more_blocks = *row;
      if (!more_blocks) return Status::Ok();
      next = ReadMeta(*blocks);
      if (scan.stream_filter && !scan.stream_filter(next.stream)) continue;
      // Wholly at or before `after` (a later page of a search over blocks
      // that share its timestamp): skipped unread, not decoded to be
      // filtered out event by event.
      if (scan.after && (forward ? EventPosition{next.last_ts, next.last_id} <= *scan.after
                                 : EventPosition{next.first_ts, next.first_id} >= *scan.after)) {
        continue;
      }
      return Status::Ok();
    }
  };
  TW_RETURN_IF_ERROR(step());
  while (true) {
    // Load every block that may hold an event before the heap's best.
    while (more_blocks && (heap.empty() || MayComeFirst(next, heap.top()->current(), forward))) {
      Result<std::unique_ptr<DecodedBlock>> block =
          Decode(codec_->decompress, scan.group, next, blocks->ColumnBlob(9), std::move(spare));
      if (!block.ok()) return block.status();
      auto cursor = std::make_unique<Cursor>();
      cursor->block = std::move(block).value();
      const std::vector<LoggedEvent>& events = cursor->block->events;
      for (std::size_t i = 0; i < events.size(); ++i) {
        std::size_t index = forward ? i : events.size() - 1 - i;
        if (selected(events[index])) cursor->order.push_back(static_cast<std::uint32_t>(index));
      }
      ++stats->blocks_read;
      if (!cursor->order.empty()) {
        heap.push(cursor.get());
        cursors.push_back(std::move(cursor));
        stats->most_open = std::max(stats->most_open, static_cast<std::int64_t>(cursors.size()));
      }
      TW_RETURN_IF_ERROR(step());
    }
    if (heap.empty()) return Status::Ok();
    Cursor* best = heap.top();
    heap.pop();
    if (!visit(best->current())) return Status::Ok();
    if (++best->next < best->order.size()) {
      heap.push(best);
    } else {
      // Done with this block: its memory serves the next one.
      auto it = std::find_if(cursors.begin(), cursors.end(),
                             [best](const std::unique_ptr<Cursor>& c) { return c.get() == best; });
      spare = std::move((*it)->block);
      cursors.erase(it);
    }
  }
}

Status EventLog::DeleteStream(std::string_view group, std::string_view stream) {
  Result<Statement> d =
      db_->Prepare("DELETE FROM event_blocks WHERE group_name = ? AND stream = ?");
  if (!d.ok()) return d.status();
  d->BindAll(group, stream);
  return d->Run();
}

Status EventLog::DeleteGroup(std::string_view group) {
  Result<Statement> d = db_->Prepare("DELETE FROM event_blocks WHERE group_name = ?");
  if (!d.ok()) return d.status();
  d->Bind(1, group);
  return d->Run();
}

Result<std::int64_t> EventLog::DeleteOlderThan(std::string_view group, std::int64_t cutoff_ms) {
  Result<Statement> count = db_->Prepare(
      "SELECT coalesce(sum(events), 0) FROM event_blocks WHERE group_name = ? AND last_ts < ?");
  if (!count.ok()) return count.status();
  count->BindAll(group, cutoff_ms);
  Result<bool> row = count->Step();
  if (!row.ok()) return row.status();
  const std::int64_t events = *row ? count->ColumnInt(0) : 0;
  if (events == 0) return 0;
  Result<Statement> d =
      db_->Prepare("DELETE FROM event_blocks WHERE group_name = ? AND last_ts < ?");
  if (!d.ok()) return d.status();
  d->BindAll(group, cutoff_ms);
  TW_RETURN_IF_ERROR(d->Run());
  return events;
}

Result<std::int64_t> EventLog::Compact(std::string_view group, std::int64_t max_input_bytes) {
  // Only streams with two small blocks or more: a stream's one small block
  // has nothing to merge with, and reading it every time would be waste.
  Result<Statement> small = db_->Prepare(
      std::string("SELECT ") + kBlockColumns +
      ", data FROM event_blocks WHERE group_name = ?1 AND raw_bytes < ?2 AND stream IN "
      "(SELECT stream FROM event_blocks WHERE group_name = ?1 AND raw_bytes < ?2 "
      "GROUP BY stream HAVING count(*) > 1) ORDER BY stream, id");
  if (!small.ok()) return small.status();
  small->BindAll(group, kSmallBlockRawBytes);
  Result<Statement> remove = db_->Prepare("DELETE FROM event_blocks WHERE id = ?");
  if (!remove.ok()) return remove.status();

  // Read the candidates first: the statement must be done before writing.
  struct Candidate {
    BlockMeta meta;
    std::unique_ptr<DecodedBlock> block;
  };
  std::vector<Candidate> candidates;
  std::int64_t input_bytes = 0;
  while (input_bytes < max_input_bytes) {
    Result<bool> row = small->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    BlockMeta meta = ReadMeta(*small);
    Result<std::unique_ptr<DecodedBlock>> block =
        Decode(codec_->decompress, group, meta, small->ColumnBlob(9));
    if (!block.ok()) return block.status();
    input_bytes += meta.raw_bytes;
    candidates.push_back({std::move(meta), std::move(block).value()});
  }
  small->Reset();

  std::int64_t merged_away = 0;
  std::vector<const Candidate*> run;
  std::int64_t run_bytes = 0;  // the merged block's size at most
  auto flush = [&]() -> Status {
    if (run.size() >= 2) {
      std::vector<StoredEvent> events;
      for (const Candidate* c : run) {
        for (const LoggedEvent& e : c->block->events) {
          events.push_back({e.id, e.timestamp_ms, e.ingestion_ms, e.message});
        }
        remove->Bind(1, c->meta.row);
        TW_RETURN_IF_ERROR(remove->Run());
      }
      TW_RETURN_IF_ERROR(WriteBlock(group, run.front()->meta.stream, events));
      merged_away += static_cast<std::int64_t>(run.size()) - 1;
    }
    run.clear();
    run_bytes = 0;
    return Status::Ok();
  };
  for (const Candidate& c : candidates) {
    // Re-framed against the merged block's first id and time, an event's
    // varints can grow: size the run by the largest framing.
    const std::int64_t bytes =
        c.meta.raw_bytes + c.meta.events * (kMaxFramingBytes - kMinFramingBytes);
    if (!run.empty() &&
        (run.front()->meta.stream != c.meta.stream || run_bytes + bytes > kMaxBlockRawBytes)) {
      TW_RETURN_IF_ERROR(flush());
    }
    run_bytes += bytes;
    run.push_back(&c);
  }
  TW_RETURN_IF_ERROR(flush());
  return merged_away;
}

Result<EventLogUsage> EventLog::Usage(std::string_view group) {
  Result<Statement> q = db_->Prepare(
      "SELECT count(*), coalesce(sum(events), 0), coalesce(sum(raw_bytes), 0), "
      "coalesce(sum(length(data)), 0) FROM event_blocks WHERE group_name = ?");
  if (!q.ok()) return q.status();
  q->Bind(1, group);
  Result<bool> row = q->Step();
  if (!row.ok()) return row.status();
  EventLogUsage usage;
  if (*row) {
    usage.blocks = q->ColumnInt(0);
    usage.events = q->ColumnInt(1);
    usage.raw_bytes = q->ColumnInt(2);
    usage.stored_bytes = q->ColumnInt(3);
  }
  return usage;
}

}  // namespace tw::store
