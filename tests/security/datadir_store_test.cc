// Issue 12, the data directory and the store, in-process: the rules of
// SecureDataDirectory(), a database private from its first byte whatever the
// umask, and Database::CheckIntegrity() with its fast path for large files.
//
// Before the fix these functions did not exist (the file did not compile):
// DirectoryLock created the directory with the umask's mode (0755), SQLite
// created trailwatch.db/-wal/-shm 0644, and nothing looked for damaged
// pages. The end-to-end checks with the real binary are in
// datadir_permissions_test.py and datadir_corruption_test.py.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "store/data_directory.h"
#include "store/database.h"
#include "store/directory_lock.h"

namespace tw::store {
namespace {

namespace fs = std::filesystem;

class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(umask(mask)) {}
  ~ScopedUmask() { umask(old_); }

 private:
  mode_t old_;
};

class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tw-datadir-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::permissions(root_, fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(root_, ignored);
  }
  static mode_t Mode(const std::string& path) {
    struct stat st;
    EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }
  static void Write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }

  std::string root_;
};

TEST_F(DataDirTest, ANewDirectoryIsPrivateWhateverTheUmask) {
  ScopedUmask loose(0);
  const std::string dir = root_ + "/a/b/data";
  Result<std::string> note = SecureDataDirectory(dir);
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  EXPECT_EQ(*note, "");
  EXPECT_EQ(Mode(dir), 0700u);
  // Secure already: nothing to say the second time either.
  EXPECT_EQ(SecureDataDirectory(dir).value(), "");
}

TEST_F(DataDirTest, ADirectoryOthersCanWriteIsRefusedWithTheFix) {
  const std::string dir = root_ + "/data";
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(chmod(dir.c_str(), 02775), 0);  // setgid, group-writable: a shared group directory
  Result<std::string> note = SecureDataDirectory(dir);
  EXPECT_EQ(note.status(),
            Status(StatusCode::kFailedPrecondition,
                   "data directory " + dir +
                       " is writable by its group (mode 2775): another local user could replace "
                       "its database or credentials, so trailwatch refuses to use it. Make it "
                       "private with: chmod 700 " + dir +
                       " (and check that no one else has added files to it)"));
  EXPECT_EQ(Mode(dir), 02775u);  // refused, not "fixed" behind the user's back
  // DirectoryLock, which every command goes through, refuses it the same way.
  EXPECT_EQ(DirectoryLock::Acquire(dir).status(), note.status());
  EXPECT_FALSE(fs::exists(dir + "/lock"));
}

TEST_F(DataDirTest, AFileInPlaceOfTheDirectoryIsRefused) {
  const std::string path = root_ + "/data";
  Write(path, "not a directory\n");
  EXPECT_EQ(SecureDataDirectory(path).status(),
            Status(StatusCode::kFailedPrecondition,
                   "data directory " + path +
                       " exists but is not a directory; give --data-dir a directory (it is "
                       "created when missing)"));
}

TEST_F(DataDirTest, ADirectoryOfAnotherUserIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "only root can give a directory to another user";
  const std::string dir = root_ + "/data";
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(chown(dir.c_str(), 65534, 65534), 0);  // nobody
  EXPECT_EQ(SecureDataDirectory(dir).status(),
            Status(StatusCode::kFailedPrecondition,
                   "data directory " + dir +
                       " belongs to nobody (uid 65534), not to root (uid 0), who runs "
                       "trailwatch; trailwatch keeps keys there and refuses a directory another "
                       "user controls. Run trailwatch as its owner, or take it over with: chown "
                       "-R root " + dir));
}

TEST_F(DataDirTest, ALegacyDirectoryIsTightenedAndTheChangesListedInOrder) {
  const std::string dir = root_ + "/data";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(chmod(dir.c_str(), 0755), 0);
  for (const char* name : {"trailwatch.db", "trailwatch.db-wal", "trailwatch.db-shm", "credentials"}) {
    Write(dir + "/" + name, "x");
    ASSERT_EQ(chmod((dir + "/" + name).c_str(), 0644), 0);
  }
  ASSERT_EQ(mkdir((dir + "/maildir").c_str(), 0755), 0);
  ASSERT_EQ(chmod((dir + "/maildir").c_str(), 0755), 0);
  for (int i = 0; i < 3; ++i) {
    Write(dir + "/maildir/m" + std::to_string(i), "mail");
    ASSERT_EQ(chmod((dir + "/maildir/m" + std::to_string(i)).c_str(), 0640), 0);
  }
  Write(root_ + "/elsewhere", "x");
  ASSERT_EQ(chmod((root_ + "/elsewhere").c_str(), 0644), 0);
  ASSERT_EQ(symlink((root_ + "/elsewhere").c_str(), (dir + "/link").c_str()), 0);

  Result<std::string> note = SecureDataDirectory(dir);
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  EXPECT_EQ(*note, "data directory " + dir +
                       " was readable by its group and other users (mode 0755); made it "
                       "private: " + dir +
                       " 0755 -> 0700, credentials 0644 -> 0600, maildir 0755 -> 0700, maildir/m0 "
                       "0640 -> 0600, maildir/m1 0640 -> 0600, maildir/m2 0640 -> 0600, "
                       "trailwatch.db 0644 -> 0600, trailwatch.db-shm 0644 -> 0600 and 1 more");
  EXPECT_EQ(Mode(dir), 0700u);
  EXPECT_EQ(Mode(dir + "/trailwatch.db-wal"), 0600u);
  EXPECT_EQ(Mode(dir + "/maildir/m2"), 0600u);
  EXPECT_EQ(Mode(root_ + "/elsewhere"), 0644u);  // a link's target is left alone
  EXPECT_EQ(SecureDataDirectory(dir).value(), "");
}

TEST_F(DataDirTest, TheDatabaseAndItsWalAndShmArePrivateWhateverTheUmask) {
  ScopedUmask typical(022);
  const std::string path = root_ + "/trailwatch.db";
  Result<Database> db = Database::Open(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(db->Execute("CREATE TABLE t (x); INSERT INTO t VALUES (1);").ok());
  ASSERT_TRUE(fs::exists(path + "-wal"));
  ASSERT_TRUE(fs::exists(path + "-shm"));
  EXPECT_EQ(Mode(path), 0600u);
  EXPECT_EQ(Mode(path + "-wal"), 0600u);
  EXPECT_EQ(Mode(path + "-shm"), 0600u);
}

// A store with a small table and one of more than kSmallTableRows rows,
// closed (its WAL checkpointed into the file).
class IntegrityTest : public DataDirTest {
 protected:
  void SetUp() override {
    DataDirTest::SetUp();
    path_ = root_ + "/trailwatch.db";
    Result<Database> db = Database::Open(path_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE(db->Execute("CREATE TABLE small (x TEXT); "
                            "CREATE TABLE big (id INTEGER PRIMARY KEY, payload TEXT); "
                            "INSERT INTO small VALUES ('a'), ('b'), ('c'); "
                            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                            "WHERE i < 20000) INSERT INTO big SELECT i, printf('%0100d', i) FROM n;")
                    .ok());
    Result<Statement> pages = db->Prepare(
        "SELECT (SELECT page_count FROM pragma_page_count), (SELECT page_size FROM "
        "pragma_page_size), (SELECT rootpage FROM sqlite_schema WHERE name = 'small')");
    ASSERT_TRUE(pages.ok() && pages->Step().value());
    page_count_ = pages->ColumnInt(0);
    page_size_ = pages->ColumnInt(1);
    small_root_ = pages->ColumnInt(2);
  }

  void Garble(std::int64_t page) {
    std::FILE* f = std::fopen(path_.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fseek(f, static_cast<long>((page - 1) * page_size_), SEEK_SET), 0);
    std::string garbage(static_cast<std::size_t>(page_size_), '\xab');
    ASSERT_EQ(std::fwrite(garbage.data(), 1, garbage.size(), f), garbage.size());
    std::fclose(f);
  }

  Status Check(std::int64_t whole_file_check_bytes) {
    Result<Database> db = Database::Open(path_);
    if (!db.ok()) return db.status();
    return db->CheckIntegrity(whole_file_check_bytes);
  }

  std::string path_;
  std::int64_t page_count_ = 0, page_size_ = 0, small_root_ = 0;
};

TEST_F(IntegrityTest, AnIntactStorePassesBothWays) {
  EXPECT_TRUE(Check(Database::kWholeFileCheckBytes).ok());
  EXPECT_TRUE(Check(0).ok());
}

TEST_F(IntegrityTest, AWholeFileCheckFindsAPageOfGarbageAndSaysHowToRecover) {
  Garble(small_root_);
  Status status = Check(Database::kWholeFileCheckBytes);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  const std::string head = "the database " + path_ + " is damaged (SQLite's quick_check: Page " +
                           std::to_string(small_root_) + ": btreeInitPage() returns error code 11";
  EXPECT_TRUE(status.message().starts_with(head)) << status.message();
  EXPECT_TRUE(status.message().ends_with(
      "). trailwatch refuses to start on a damaged database: using it could lose more data. To "
      "recover, stop trailwatch, keep a copy of the data directory (cp -a " + root_ + " " + root_ +
      ".damaged), then copy what SQLite can still read into a new database and put it in place:\n"
      "  sqlite3 " + path_ + " \".recover\" | sqlite3 " + root_ + "/recovered.db\n"
      "  mv " + root_ + "/recovered.db " + path_ + " && rm -f " + path_ + "-wal " + path_ +
      "-shm\nthen start trailwatch again (sqlite3 is Debian's package sqlite3). What was on the "
      "damaged pages may be missing."))
      << status.message();
}

TEST_F(IntegrityTest, AboveTheSizeLimitSmallTablesAreCheckedAndLargeOnesLeftForLater) {
  // The last pages hold the big table's last rows, beyond the LIMIT that
  // measures it: the fast path does not read them; a whole check does.
  Garble(page_count_ - 2);
  EXPECT_TRUE(Check(0).ok());
  EXPECT_EQ(Check(Database::kWholeFileCheckBytes).code(), StatusCode::kDataLoss);
  // The small table is checked whatever the file's size.
  Garble(small_root_);
  Status status = Check(0);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(status.message().starts_with("the database " + path_ +
                                           " is damaged (SQLite's quick_check: "))
      << status.message();
}

TEST(CorruptionMessageTest, QuotesPathsForTheShell) {
  EXPECT_EQ(CorruptionMessage("/srv/my data/trailwatch.db", "x"),
            "the database /srv/my data/trailwatch.db is damaged (x). trailwatch refuses to start "
            "on a damaged database: using it could lose more data. To recover, stop trailwatch, "
            "keep a copy of the data directory (cp -a '/srv/my data' '/srv/my data.damaged'), then "
            "copy what SQLite can still read into a new database and put it in place:\n"
            "  sqlite3 '/srv/my data/trailwatch.db' \".recover\" | sqlite3 '/srv/my "
            "data/recovered.db'\n"
            "  mv '/srv/my data/recovered.db' '/srv/my data/trailwatch.db' && rm -f '/srv/my "
            "data/trailwatch.db-wal' '/srv/my data/trailwatch.db-shm'\n"
            "then start trailwatch again (sqlite3 is Debian's package sqlite3). What was on the "
            "damaged pages may be missing.");
}

}  // namespace
}  // namespace tw::store
