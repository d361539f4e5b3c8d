#include "store/event_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "store/test_databases.h"

namespace tw::store {
namespace {

// What a scan returned, as plain values.
struct Seen {
  std::int64_t id, timestamp_ms, ingestion_ms;
  std::string stream, message;
  bool operator==(const Seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << "{id " << s.id << ", ts " << s.timestamp_ms << ", " << s.stream << ", " << s.message
            << "}";
}

// Every test on both engines: the embedded store and PostgreSQL.
class EventLogTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    TW_OPEN_EMPTY_OR_SKIP(db_, GetParam());
    Result<std::unique_ptr<EventLog>> log = EventLog::Open(db_.get());
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(log).value();
  }

  std::int64_t Append(const std::string& stream, std::int64_t ingestion,
                      const std::vector<std::pair<std::int64_t, std::string>>& events,
                      const std::string& group = "g") {
    std::vector<EventToAppend> in;
    for (const auto& [ts, message] : events) in.push_back({ts, message});
    Result<std::int64_t> first = log_->Append(group, stream, ingestion, in);
    EXPECT_TRUE(first.ok()) << first.status().ToString();
    return first.ok() ? *first : -1;
  }

  std::vector<Seen> Scan(EventScan scan) {
    if (scan.group.empty()) scan.group = "g";
    std::vector<Seen> out;
    Status s = log_->Scan(scan, [&](const LoggedEvent& e) {
      out.push_back(
          {e.id, e.timestamp_ms, e.ingestion_ms, std::string(e.stream), std::string(e.message)});
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  std::int64_t Blocks(const std::string& group = "g") {
    Result<EventLogUsage> usage = log_->Usage(group);
    EXPECT_TRUE(usage.ok());
    return usage.ok() ? usage->blocks : -1;
  }

  std::unique_ptr<Database> db_;
  std::unique_ptr<EventLog> log_;
};

TEST_P(EventLogTest, AnAppendGetsConsecutiveIdsInBatchOrder) {
  EXPECT_EQ(Append("s", 100, {{30, "c"}, {10, "a"}, {20, "b"}}), 1);
  EXPECT_EQ(Append("s", 200, {{5, "d"}}), 4);
  EXPECT_EQ(Scan({}), (std::vector<Seen>{{4, 5, 200, "s", "d"},
                                         {2, 10, 100, "s", "a"},
                                         {3, 20, 100, "s", "b"},
                                         {1, 30, 100, "s", "c"}}));
}

TEST_P(EventLogTest, EncodedBatchesGetTheirIdsWhenInserted) {
  // Encoded apart (as request threads do), inserted in the other order.
  std::vector<EventToAppend> first = {{10, "a"}, {11, "b"}}, second = {{5, "c"}};
  Result<EncodedEvents> one = Internal("not run"), two = Internal("not run");
  std::thread([&] { one = EventLog::Encode(100, first); }).join();
  std::thread([&] { two = EventLog::Encode(200, second); }).join();
  ASSERT_TRUE(one.ok() && two.ok());
  Result<std::int64_t> at = log_->Insert("g", "s", *two);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(*at, 1);
  at = log_->Insert("g", "s", *one);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(*at, 2);
  EXPECT_EQ(Scan({}), (std::vector<Seen>{
                          {1, 5, 200, "s", "c"}, {2, 10, 100, "s", "a"}, {3, 11, 100, "s", "b"}}));
  EXPECT_EQ(Append("s", 1, {{1, "d"}}), 4);
}

TEST_P(EventLogTest, EqualTimestampsAreOrderedByIdBothWays) {
  Append("a", 1, {{10, "first"}, {10, "second"}});
  Append("b", 2, {{10, "third"}});
  std::vector<std::string> forward, backward;
  for (const Seen& s : Scan({})) forward.push_back(s.message);
  for (const Seen& s : Scan({.newest_first = true})) backward.push_back(s.message);
  EXPECT_EQ(forward, (std::vector<std::string>{"first", "second", "third"}));
  EXPECT_EQ(backward, (std::vector<std::string>{"third", "second", "first"}));
}

// A client with a fixed clock (or a burst within one millisecond) puts
// many blocks with one timestamp: a scan opens them one after another, not
// all at once, and still gives (timestamp, id) order both ways.
TEST_P(EventLogTest, BlocksWithOneTimestampAreOpenedOneAtATime) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 50; ++i)
    ids.push_back(Append("s" + std::to_string(i % 3), 7, {{1000, "a"}, {1000, "b"}}));
  Append("s0", 7, {{999, "before"}, {1001, "after"}});  // overlaps all the others
  for (bool newest_first : {false, true}) {
    std::vector<std::int64_t> seen;
    ScanStats stats;
    ASSERT_TRUE(log_->Scan(
                        {.group = "g", .newest_first = newest_first},
                        [&](const LoggedEvent& e) { return seen.push_back(e.id), true; }, &stats)
                    .ok());
    std::vector<std::int64_t> expected = {ids.back() + 2};  // the overlapping block's 999
    for (std::int64_t first : ids) expected.insert(expected.end(), {first, first + 1});
    expected.push_back(ids.back() + 3);
    if (newest_first) std::reverse(expected.begin(), expected.end());
    EXPECT_EQ(seen, expected);
    EXPECT_EQ(stats.blocks_read, 51);
    EXPECT_EQ(stats.most_open, 2) << "the overlapping block and one of the others";
  }
  // A later page starts after an event of the 41st block: the 40 before it
  // are skipped unread, both ways.
  for (bool newest_first : {false, true}) {
    ScanStats stats;
    std::int64_t visited = 0;
    EventPosition after{1000, newest_first ? ids[9] + 1 : ids[40]};
    ASSERT_TRUE(log_->Scan(
                        {.group = "g", .after = after, .newest_first = newest_first},
                        [&](const LoggedEvent&) { return ++visited, true; }, &stats)
                    .ok());
    EXPECT_EQ(visited, 20);
    EXPECT_EQ(stats.blocks_read, 11);
  }
}

TEST_P(EventLogTest, RangesAreInclusiveAndAfterIsExclusive) {
  Append("s", 1, {{10, "a"}, {20, "b"}, {30, "c"}, {40, "d"}});
  auto messages = [&](EventScan scan) {
    std::string out;
    for (const Seen& s : Scan(scan)) out += s.message;
    return out;
  };
  EXPECT_EQ(messages({.from_ms = 20, .to_ms = 30}), "bc");
  EXPECT_EQ(messages({.from_ms = 20, .to_ms = 30, .newest_first = true}), "cb");
  EXPECT_EQ(messages({.after = EventPosition{20, 2}}), "cd");
  EXPECT_EQ(messages({.after = EventPosition{20, 2}, .newest_first = true}), "a");
  // A position between events (ts 20, a larger id) still splits at ts 20.
  EXPECT_EQ(messages({.after = EventPosition{20, 99}}), "cd");
  EXPECT_EQ(messages({.after = EventPosition{20, 0}, .newest_first = true}), "a");
  EXPECT_EQ(messages({.from_ms = 31, .to_ms = 30}), "");
}

TEST_P(EventLogTest, TheStreamFilterChoosesBlocks) {
  Append("alpha", 1, {{1, "a1"}, {3, "a3"}});
  Append("beta", 1, {{2, "b2"}});
  Append("alphabet", 1, {{4, "x4"}});
  std::string out;
  for (const Seen& s :
       Scan({.stream_filter = [](std::string_view s) { return s.starts_with("alpha"); }})) {
    out += s.message + " ";
  }
  EXPECT_EQ(out, "a1 a3 x4 ");
}

TEST_P(EventLogTest, AVisitorThatStopsEndsTheScan) {
  Append("s", 1, {{1, "a"}, {2, "b"}, {3, "c"}});
  int visits = 0;
  ASSERT_TRUE(log_->Scan({.group = "g"}, [&](const LoggedEvent&) { return ++visits < 2; }).ok());
  EXPECT_EQ(visits, 2);
}

// Many overlapping blocks from several streams, checked against a sorted
// copy for ranges, positions and directions, before and after compaction.
TEST_P(EventLogTest, ScansAgreeWithASortedReferenceBeforeAndAfterCompaction) {
  std::mt19937_64 random(7);
  std::vector<Seen> reference;
  const std::vector<std::string> streams = {"s1", "s2", "s3"};
  for (int batch = 0; batch < 60; ++batch) {
    const std::string& stream = streams[random() % streams.size()];
    std::vector<std::pair<std::int64_t, std::string>> events;
    const int n = 1 + static_cast<int>(random() % 20);
    for (int i = 0; i < n; ++i) {
      events.emplace_back(static_cast<std::int64_t>(random() % 500),
                          "m" + std::to_string(batch) + "." + std::to_string(i));
    }
    const std::int64_t first = Append(stream, 1000 + batch, events);
    for (int i = 0; i < n; ++i) {
      reference.push_back({first + i, events[i].first, 1000 + batch, stream, events[i].second});
    }
  }
  std::sort(reference.begin(), reference.end(), [](const Seen& a, const Seen& b) {
    return std::tie(a.timestamp_ms, a.id) < std::tie(b.timestamp_ms, b.id);
  });
  auto expect = [&](const EventScan& scan) {
    std::vector<Seen> want;
    for (const Seen& s : reference) {
      if (s.timestamp_ms < scan.from_ms || s.timestamp_ms > scan.to_ms) continue;
      if (scan.stream_filter && !scan.stream_filter(s.stream)) continue;
      if (scan.after) {
        EventPosition p{s.timestamp_ms, s.id};
        if (scan.newest_first ? !(p < *scan.after) : !(p > *scan.after)) continue;
      }
      want.push_back(s);
    }
    if (scan.newest_first) std::reverse(want.begin(), want.end());
    return want;
  };
  auto check_all = [&] {
    std::mt19937_64 queries(11);
    for (int q = 0; q < 200; ++q) {
      EventScan scan;
      scan.group = "g";
      scan.newest_first = q % 2 == 1;
      if (q % 3 == 0) {
        scan.from_ms = static_cast<std::int64_t>(queries() % 500);
        scan.to_ms = scan.from_ms + static_cast<std::int64_t>(queries() % 200);
      }
      if (q % 4 == 0) {
        const Seen& at = reference[queries() % reference.size()];
        scan.after = EventPosition{at.timestamp_ms, at.id};
      }
      if (q % 5 == 0) scan.stream_filter = [](std::string_view s) { return s != "s2"; };
      ASSERT_EQ(Scan(scan), expect(scan)) << "query " << q;
    }
  };
  check_all();
  const std::int64_t before = Blocks();
  Result<std::int64_t> merged = log_->Compact("g");
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(*merged, before - 3);  // one block per stream is left
  EXPECT_EQ(Blocks(), 3);
  check_all();
}

TEST_P(EventLogTest, CompactionLeavesLargeBlocksAndOtherGroupsAlone) {
  const std::string big(EventLog::kSmallBlockRawBytes, 'x');
  Append("s", 1, {{1, big}});
  Append("s", 1, {{2, "a"}});
  Append("s", 1, {{3, "b"}});
  Append("t", 1, {{4, "c"}});  // alone in its stream: nothing to merge with
  Append("s", 1, {{5, "d"}}, "other");
  Append("s", 1, {{6, "e"}}, "other");
  Result<std::int64_t> merged = log_->Compact("g");
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(*merged, 1);
  EXPECT_EQ(Blocks("g"), 3);
  EXPECT_EQ(Blocks("other"), 2);
  std::vector<std::int64_t> ids;
  for (const Seen& s : Scan({})) ids.push_back(s.id);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{1, 2, 3, 4}));
}

TEST_P(EventLogTest, CompactionReadsABoundedAmountPerCall) {
  for (int i = 0; i < 10; ++i) Append("s", 1, {{i, std::string(1000, 'a' + i)}});
  Result<std::int64_t> merged = log_->Compact("g", 3000);  // three blocks' worth
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(*merged, 2);
  EXPECT_EQ(Blocks(), 8);
  merged = log_->Compact("g");
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(Blocks(), 1);
  EXPECT_EQ(Scan({}).size(), 10u);
}

TEST_P(EventLogTest, ALargeAppendIsSplitIntoBlocks) {
  const std::string mib(1 << 20, 'z');
  Append("s", 1, {{1, mib}, {2, mib}, {3, mib}, {4, mib}, {5, mib}});
  // Four 1 MiB events and their framing exceed 4 MiB: 3 + 2.
  EXPECT_EQ(Blocks(), 2);
  std::vector<std::int64_t> ids;
  for (const Seen& s : Scan({})) ids.push_back(s.id);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
  // One event larger than a block still gets stored, in a block of its own.
  const std::string huge((5 << 20), 'h');
  EXPECT_EQ(Append("s", 1, {{6, "small"}, {7, huge}}), 6);
  EXPECT_EQ(Blocks(), 4);
  EXPECT_EQ(Scan({.from_ms = 7}).at(0).message.size(), huge.size());
}

TEST_P(EventLogTest, RetentionDeletesWholeBlocksAndCountsTheirEvents) {
  Append("s", 1, {{10, "a"}, {20, "b"}});
  Append("s", 1, {{15, "c"}, {50, "d"}});
  Result<std::int64_t> deleted = log_->DeleteOlderThan("g", 30);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 2);
  std::string left;
  for (const Seen& s : Scan({})) left += s.message;
  EXPECT_EQ(left, "cd");  // c is older than 30 but shares a block with d
  deleted = log_->DeleteOlderThan("g", 30);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 0);
}

TEST_P(EventLogTest, StreamsAndGroupsAreDeleted) {
  Append("s", 1, {{1, "a"}});
  Append("t", 1, {{2, "b"}});
  Append("s", 1, {{3, "c"}}, "other");
  ASSERT_TRUE(log_->DeleteStream("g", "s").ok());
  EXPECT_EQ(Scan({}).size(), 1u);
  ASSERT_TRUE(log_->DeleteGroup("g").ok());
  EXPECT_EQ(Blocks("g"), 0);
  EXPECT_EQ(Blocks("other"), 1);
}

TEST_P(EventLogTest, IdsNeverRepeatAfterDeletionsAndReopening) {
  Append("s", 1, {{1, "a"}, {2, "b"}});
  ASSERT_TRUE(log_->DeleteGroup("g").ok());
  Result<std::unique_ptr<EventLog>> reopened = EventLog::Open(db_.get());
  ASSERT_TRUE(reopened.ok());
  log_ = std::move(reopened).value();
  EXPECT_EQ(Append("s", 1, {{3, "c"}}), 3);
}

TEST_P(EventLogTest, WrittenBlocksKeepTheirIdsAndMoveTheSequence) {
  std::vector<EventLog::StoredEvent> events = {{40, 5, 9, "x"}, {12, 5, 8, "y"}};
  ASSERT_TRUE(log_->WriteBlock("g", "s", events).ok());
  EXPECT_EQ(Scan({}), (std::vector<Seen>{{12, 5, 8, "s", "y"}, {40, 5, 9, "s", "x"}}));
  EXPECT_EQ(Append("s", 1, {{6, "z"}}), 41);
}

TEST_P(EventLogTest, CloudTrailLikeEventsAreStoredCompressed) {
  std::vector<std::pair<std::int64_t, std::string>> events;
  for (int i = 0; i < 500; ++i) {
    events.emplace_back(
        1700000000000 + i * 1000,
        R"({"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDA)" +
            std::to_string(100000 + i % 7) +
            R"(","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012"},)"
            R"("eventTime":"2023-11-14T22:13:)" +
            std::to_string(10 + i % 50) +
            R"(Z","eventSource":"s3.amazonaws.com","eventName":"GetObject",)"
            R"("awsRegion":"us-east-1","sourceIPAddress":"203.0.113.)" +
            std::to_string(i % 250) + R"(","requestID":")" + std::to_string(i * 7919) + R"("})");
  }
  Append("s", 1, events);
  Result<EventLogUsage> usage = log_->Usage("g");
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->events, 500);
  EXPECT_GT(usage->raw_bytes, 500 * 300);
  EXPECT_LT(usage->stored_bytes * 8, usage->raw_bytes);
}

TEST_P(EventLogTest, ADamagedBlockIsReportedNotReadPastOrCrashedOn) {
  const bool postgres = GetParam() == Engine::kPostgres;
  for (const char* damage :
       {postgres ? "UPDATE event_blocks SET data = '\\x00'"
                 : "UPDATE event_blocks SET data = x'00'",
        "UPDATE event_blocks SET events = 3",
        postgres ? "UPDATE event_blocks SET raw_bytes = CAST(1 AS BIGINT) << 40"
                 : "UPDATE event_blocks SET raw_bytes = 1 << 40",
        postgres ? "UPDATE event_blocks SET data = '\\x0000000000000000'"
                 : "UPDATE event_blocks SET data = zeroblob(8)"}) {
    SCOPED_TRACE(damage);
    SetUp();
    Append("s", 1, {{1, "a"}, {2, "b"}});
    ASSERT_TRUE(db_->Execute(damage).ok());
    Status s = log_->Scan({.group = "g"}, [](const LoggedEvent&) { return true; });
    EXPECT_EQ(s.code(), StatusCode::kDataLoss);
    EXPECT_NE(s.message().find("event block 1 of log group g, stream s cannot be read"),
              std::string::npos)
        << s.message();
    EXPECT_NE(s.message().find("the database file is damaged"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, EventLogTest, kBothEngines, EngineName);

// Readers scan on connections of their own: they see what is committed,
// not what the writer has in an open transaction, and do not wait for it.
class EventReadersTest : public ::testing::TestWithParam<Engine> {};

TEST_P(EventReadersTest, ReadersSeeCommitsAndNeverWaitForTheWriter) {
  std::string dir = (std::filesystem::temp_directory_path() / "tw-readers-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  std::string path = dir + "/t.db";
  if (GetParam() == Engine::kPostgres) {
    Result<std::string> url = NewPostgresDatabase();
    if (!url.ok() && url.status().code() == StatusCode::kFailedPrecondition) {
      GTEST_SKIP() << url.status().message();
    }
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    path = *url;
  }
  Result<Database> db = Database::Open(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  Result<std::unique_ptr<EventLog>> log = EventLog::Open(&*db);
  ASSERT_TRUE(log.ok());
  std::vector<EventToAppend> batch = {{1, "a"}, {2, "b"}};
  ASSERT_TRUE((*log)->Append("g", "s", 1, batch).ok());

  EventReaders readers(path);
  auto count = [&]() -> Result<int> {
    return readers.With([&](EventLog& events) -> Result<int> {
      int n = 0;
      Status s = events.Scan({.group = "g"}, [&](const LoggedEvent&) { return ++n, true; });
      if (!s.ok()) return s;
      return n;
    });
  };
  EXPECT_EQ(count().value(), 2);
  {
    Result<Transaction> tx = Transaction::Begin(*db);  // the write lock
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*log)->Append("g", "s", 1, batch).ok());
    EXPECT_EQ(count().value(), 2);  // at once, without the uncommitted two
    ASSERT_TRUE(tx->Commit().ok());
  }
  EXPECT_EQ(count().value(), 4);
  // A reader connection refuses to write.
  Result<Database> reader = Database::OpenReader(path);
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE(reader->Execute("DELETE FROM event_blocks").ok());
  EXPECT_EQ(count().value(), 4);
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Engines, EventReadersTest, kBothEngines, EngineName);

}  // namespace
}  // namespace tw::store
