#include "store/database.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "store/test_databases.h"

namespace tw::store {
namespace {

namespace fs = std::filesystem;

std::string TempDir() {
  std::string pattern = (fs::temp_directory_path() / "tw-store-XXXXXX").string();
  char* made = mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr);
  return pattern;
}

TEST(DatabaseTest, OpensInWalModeAndRoundTripsValues) {
  std::string dir = TempDir();
  Result<Database> db = Database::Open(dir + "/t.db");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(db->Execute("CREATE TABLE t (i INTEGER, d REAL, s TEXT, n TEXT)").ok());
  Result<Statement> insert = db->Prepare("INSERT INTO t VALUES (?, ?, ?, ?)");
  ASSERT_TRUE(insert.ok());
  insert->BindAll(std::int64_t{1} << 40, 2.5, std::string("a\0b", 3), std::optional<std::string>());
  ASSERT_TRUE(insert->Run().ok());
  EXPECT_EQ(db->Changes(), 1);
  EXPECT_EQ(db->engine(), Engine::kSqlite);
  EXPECT_TRUE(db->HasTable("t").value());
  EXPECT_FALSE(db->HasTable("t2").value());

  Result<Statement> select = db->Prepare("SELECT i, d, s, n FROM t");
  ASSERT_TRUE(select.ok());
  Result<bool> row = select->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(select->ColumnInt(0), std::int64_t{1} << 40);
  EXPECT_EQ(select->ColumnDouble(1), 2.5);
  EXPECT_EQ(select->ColumnText(2), std::string("a\0b", 3));
  EXPECT_TRUE(select->ColumnIsNull(3));
  EXPECT_EQ(select->ColumnOptionalText(3), std::nullopt);
  row = select->Step();
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row);

  Result<Statement> mode = db->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->ColumnText(0), "wal");
  fs::remove_all(dir);
}

TEST(DatabaseTest, ErrorsAreValuesWithSqliteMessages) {
  Result<Database> db = Database::OpenInMemory();
  ASSERT_TRUE(db.ok());
  Result<Statement> bad = db->Prepare("SELEKT 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInternal);
  EXPECT_NE(bad.status().message().find("syntax error"), std::string::npos);

  ASSERT_TRUE(db->Execute("CREATE TABLE u (k TEXT PRIMARY KEY)").ok());
  Result<Statement> insert = db->Prepare("INSERT INTO u VALUES (?)");
  ASSERT_TRUE(insert.ok());
  insert->Bind(1, "x");
  ASSERT_TRUE(insert->Run().ok());
  Status duplicate = insert->Run();
  EXPECT_EQ(duplicate.code(), StatusCode::kAlreadyExists) << duplicate.ToString();
  EXPECT_NE(duplicate.message().find("UNIQUE constraint failed: u.k"), std::string::npos);

  // A bind to a parameter that does not exist is reported by Run().
  Result<Statement> one = db->Prepare("SELECT ?");
  ASSERT_TRUE(one.ok());
  one->Bind(2, "x");
  EXPECT_EQ(one->Run().code(), StatusCode::kInternal);

  Result<Database> missing = Database::Open("/nonexistent-dir/x/t.db");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kIo);
  EXPECT_NE(missing.status().message().find("/nonexistent-dir/x/t.db"), std::string::npos);
}

TEST(DatabaseTest, NotADatabaseIsDataLoss) {
  std::string dir = TempDir();
  std::FILE* f = std::fopen((dir + "/junk.db").c_str(), "w");
  std::fputs("this is not an SQLite file, but it is long enough to look like a header.....", f);
  std::fclose(f);
  Result<Database> db = Database::Open(dir + "/junk.db");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kDataLoss) << db.status().ToString();
  fs::remove_all(dir);
}

TEST(DatabaseTest, TransactionRollsBackUnlessCommitted) {
  Result<Database> db = Database::OpenInMemory();
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Execute("CREATE TABLE t (i INTEGER)").ok());
  {
    Result<Transaction> tx = Transaction::Begin(*db);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(db->Execute("INSERT INTO t VALUES (1)").ok());
  }  // rolled back
  {
    Result<Transaction> tx = Transaction::Begin(*db);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(db->Execute("INSERT INTO t VALUES (2)").ok());
    ASSERT_TRUE(tx->Commit().ok());
    EXPECT_FALSE(tx->Commit().ok());
  }
  Result<Statement> sum = db->Prepare("SELECT count(*), sum(i) FROM t");
  ASSERT_TRUE(sum.ok());
  ASSERT_TRUE(*sum->Step());
  EXPECT_EQ(sum->ColumnInt(0), 1);
  EXPECT_EQ(sum->ColumnInt(1), 2);
}

TEST(DatabaseTest, NestedTransactionsAreSavepoints) {
  Result<Database> db = Database::OpenInMemory();
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Execute("CREATE TABLE t (i INTEGER)").ok());
  auto count = [&] {
    Result<Statement> q = db->Prepare("SELECT count(*) FROM t");
    EXPECT_TRUE(q.ok() && *q->Step());
    return q->ColumnInt(0);
  };
  {
    Result<Transaction> outer = Transaction::Begin(*db);
    ASSERT_TRUE(outer.ok());
    ASSERT_TRUE(db->Execute("INSERT INTO t VALUES (1)").ok());
    {
      Result<Transaction> inner = Transaction::Begin(*db);
      ASSERT_TRUE(inner.ok());
      ASSERT_TRUE(db->Execute("INSERT INTO t VALUES (2)").ok());
    }  // only the inner insert is undone
    EXPECT_EQ(count(), 1);
    {
      Result<Transaction> inner = Transaction::Begin(*db);
      ASSERT_TRUE(inner.ok());
      ASSERT_TRUE(db->Execute("INSERT INTO t VALUES (3)").ok());
      ASSERT_TRUE(inner->Commit().ok());
    }
    EXPECT_EQ(count(), 2);
  }  // the outer rollback undoes the released savepoint too
  EXPECT_EQ(count(), 0);
  {
    Result<Transaction> outer = Transaction::Begin(*db);
    ASSERT_TRUE(outer.ok());
    Result<Transaction> inner = Transaction::Begin(*db);
    ASSERT_TRUE(inner.ok());
    ASSERT_TRUE(db->Execute("INSERT INTO t VALUES (4)").ok());
    ASSERT_TRUE(inner->Commit().ok());
    ASSERT_TRUE(outer->Commit().ok());
  }
  EXPECT_EQ(count(), 1);
}

TEST(DatabaseTest, MigrationsRunOnceEachAndInOrder) {
  std::string dir = TempDir();
  const std::string path = dir + "/m.db";
  static constexpr std::string_view kV1[] = {"CREATE TABLE a (x INTEGER)"};
  static constexpr std::string_view kV2[] = {"CREATE TABLE a (x INTEGER)",
                                             "ALTER TABLE a ADD COLUMN y TEXT; "
                                             "INSERT INTO a VALUES (7, 'seven')"};
  {
    Result<Database> db = Database::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Migrate("m", kV1).ok());
    ASSERT_TRUE(db->Migrate("m", kV1).ok());       // nothing to do
    EXPECT_FALSE(db->Migrate("other", kV1).ok());  // table a exists: the SQL's own error
  }
  {
    Result<Database> db = Database::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Migrate("m", kV2).ok());
    ASSERT_TRUE(db->Migrate("m", kV2).ok());
    Result<Statement> rows = db->Prepare("SELECT count(*), max(y) FROM a");
    ASSERT_TRUE(rows.ok());
    ASSERT_TRUE(*rows->Step());
    EXPECT_EQ(rows->ColumnInt(0), 1);
    EXPECT_EQ(rows->ColumnText(1), "seven");
    Status older = db->Migrate("m", kV1);
    EXPECT_EQ(older.code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(older.message().find("newer trailwatch"), std::string::npos);
  }
  fs::remove_all(dir);
}

// A committed transaction survives the process being killed right after.
TEST(DatabaseTest, CommittedDataSurvivesSigkill) {
  std::string dir = TempDir();
  const std::string path = dir + "/k.db";
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Result<Database> db = Database::Open(path);
    if (!db.ok() || !db->Execute("CREATE TABLE t (i INTEGER)").ok()) _exit(1);
    for (int i = 0; i < 100; ++i) {
      Result<Transaction> tx = Transaction::Begin(*db);
      if (!tx.ok() || !db->Execute("INSERT INTO t VALUES (" + std::to_string(i) + ")").ok() ||
          !tx->Commit().ok()) {
        _exit(1);
      }
    }
    kill(getpid(), SIGKILL);
    _exit(2);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  Result<Database> db = Database::Open(path);
  ASSERT_TRUE(db.ok());
  Result<Statement> count = db->Prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count.ok());
  ASSERT_TRUE(*count->Step());
  EXPECT_EQ(count->ColumnInt(0), 100);
  fs::remove_all(dir);
}

// The two SQL fragments whose text differs between the engines.
class JsonFragmentsTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override { TW_OPEN_EMPTY_OR_SKIP(db_, GetParam()); }

  std::vector<std::string> Strings(const std::string& sql, const std::string& bound) {
    std::vector<std::string> out;
    Result<Statement> q = db_->Prepare(sql);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    if (!q.ok()) return out;
    if (!bound.empty()) q->Bind(1, bound);
    while (true) {
      Result<bool> row = q->Step();
      EXPECT_TRUE(row.ok()) << row.status().ToString();
      if (!row.ok() || !*row) break;
      out.push_back(q->ColumnIsNull(0) ? "NULL" : q->ColumnText(0));
    }
    return out;
  }

  std::unique_ptr<Database> db_;
};

TEST_P(JsonFragmentsTest, ArrayValuesAndNumberMembers) {
  ASSERT_TRUE(db_->Execute("CREATE TABLE specs (name TEXT, spec TEXT)").ok());
  ASSERT_TRUE(db_->Execute("INSERT INTO specs VALUES ('fast', '{\"Period\": 10}'), "
                           "('slow', '{\"Period\": 300, \"Other\": \"x\"}'), ('none', '{}')")
                  .ok());
  EXPECT_EQ(Strings("SELECT name FROM specs WHERE " + db_->JsonNumberMember("spec", "Period") +
                        " < 60 ORDER BY name",
                    ""),
            std::vector<std::string>{"fast"});
  EXPECT_EQ(Strings("SELECT name FROM specs WHERE " + db_->JsonNumberMember("spec", "Period") +
                        " IS NULL",
                    ""),
            std::vector<std::string>{"none"});
  // Names are spliced into the SQL: anything but a plain name reads as NULL.
  EXPECT_EQ(db_->JsonNumberMember("spec", "Period') OR ('1"), "NULL");
  EXPECT_EQ(db_->JsonNumberMember("spec; DROP TABLE specs", "Period"), "NULL");
  EXPECT_EQ(
      Strings("SELECT name FROM specs WHERE name IN (" + db_->JsonArrayValues() + ") ORDER BY name",
              R"(["slow", "none", "absent", "it's"])"),
      (std::vector<std::string>{"none", "slow"}));
}

INSTANTIATE_TEST_SUITE_P(Engines, JsonFragmentsTest, kBothEngines, EngineName);

class CounterTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override { TW_OPEN_EMPTY_OR_SKIP(db_, GetParam()); }
  std::unique_ptr<Database> db_;
};

TEST_P(CounterTest, TakesConsecutiveRangesAndSaysWhenTheRowIsGone) {
  ASSERT_TRUE(db_->Execute("CREATE TABLE ids (next_id INTEGER NOT NULL);"
                           "INSERT INTO ids (next_id) VALUES (1)")
                  .ok());
  Result<std::int64_t> first = db_->TakeFromCounter("ids", "next_id", 5);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, 1);
  Result<std::int64_t> second = db_->TakeFromCounter("ids", "next_id", 1);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 6);  // after the five taken before
  Result<std::int64_t> none = db_->TakeFromCounter("ids", "next_id", 0);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 7);
  EXPECT_EQ(db_->TakeFromCounter("ids; DROP TABLE ids", "next_id", 1).status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(db_->Execute("DELETE FROM ids").ok());
  Result<std::int64_t> lost = db_->TakeFromCounter("ids", "next_id", 1);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(lost.status().message(), "the store has lost its counter (table ids)");
}

INSTANTIATE_TEST_SUITE_P(Engines, CounterTest, kBothEngines, EngineName);

}  // namespace
}  // namespace tw::store
