// Front door of store: the one database every module keeps its durable state
// in, behind a small RAII interface, on one of two engines:
//  - embedded (the default): one SQLite file (<data dir>/trailwatch.db) in
//    WAL mode with synchronous=FULL, so a committed transaction survives a
//    SIGKILL and a power cut;
//  - shared: a PostgreSQL database (`postgresql://user@host/db`) that
//    several trailwatch nodes use at once.
// Modules write SQLite's dialect; the PostgreSQL engine translates it
// (connection.h). sqlite3.h and libpq-fe.h are included nowhere else. Each module owns
// its tables and declares them as a list of migrations, applied once each
// and in order:
//
//   Result<Database> db = Database::Open(dir + "/trailwatch.db");
//   if (!db.ok()) return db.status();
//   static constexpr std::string_view kSchema[] = {"CREATE TABLE topics (...)"};
//   TW_RETURN_IF_ERROR(db->Migrate("notify", kSchema));
//   Result<Statement> insert = db->Prepare("INSERT INTO topics (arn, name) VALUES (?, ?)");
//   insert->Bind(1, arn).Bind(2, name);
//   TW_RETURN_IF_ERROR(insert->Run());
//
// Thread safety: a Database and its Statements are used by one thread at a
// time (callers hold their own mutex). Several Databases may open the same
// file, in one process or several: SQLite's locking (with a 10 s busy
// timeout) serializes the writers. Errors are kIo (cannot open, disk full),
// kDataLoss (corrupt file), kUnavailable (still locked after the timeout),
// kAlreadyExists (a UNIQUE or PRIMARY KEY constraint), or kInternal (bad SQL:
// a trailwatch bug), each with SQLite's message.

#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tw::store {

class Statement;
namespace internal {
class Connection;
class Cursor;
}  // namespace internal

enum class Engine { kSqlite, kPostgres };

// True for a `postgresql://` or `postgres://` URL: what Open() gives to
// PostgreSQL rather than to SQLite.
bool IsPostgresUrl(std::string_view location);

class Database {
 public:
  // Opens or creates the database file at `location` (its directory must
  // exist), or connects to the PostgreSQL database of a `postgresql://` URL.
  // A new file is created with mode 0600, and SQLite gives its -wal and
  // -shm files the same mode. A file SQLite cannot read as a database is
  // kDataLoss with CorruptionMessage()'s text. A server that cannot be
  // reached is kUnavailable, refused credentials kPermissionDenied.
  static Result<Database> Open(const std::string& location);
  // A further connection to a database another connection has opened, for
  // reading beside the writer (WAL lets it read the last commit while the
  // writer writes the next): it refuses to write (PRAGMA query_only, or a
  // read-only PostgreSQL session) and changes none of the file's settings.
  static Result<Database> OpenReader(const std::string& location);
  // A private in-memory database, for tests.
  static Result<Database> OpenInMemory();

  // (For store's own engines: a Database over an open connection.)
  static Database FromConnection(std::unique_ptr<internal::Connection> connection);

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  Engine engine() const;

  // Runs one or more statements that return no rows.
  Status Execute(std::string_view sql);

  // Compiles one statement. The Statement must not outlive the Database.
  Result<Statement> Prepare(std::string_view sql);

  // Brings `component`'s tables up to date: runs migrations[v], [v+1], ...
  // where v is the number already applied to this database, in one writer
  // transaction with the new count (so two nodes starting at once apply
  // each migration once). Migrations are only ever appended.
  // kFailedPrecondition if the file has more migrations of `component` than
  // given (a newer trailwatch wrote it).
  Status Migrate(std::string_view component, std::span<const std::string_view> migrations);

  // Looks for damaged pages with SQLite's PRAGMA quick_check (b-tree
  // structure, record formats, index consistency; not the slower UNIQUE and
  // CHECK verification of integrity_check). Files up to
  // `whole_file_check_bytes` are checked whole; above that, the schema and
  // every table of at most kSmallTableRows rows with its indexes
  // (configuration, keys and subscriptions: what a start relies on), so the
  // check stays short however many log events the file holds. Damage
  // elsewhere surfaces when it is read, as kDataLoss. Returns kDataLoss
  // with CorruptionMessage()'s text. PostgreSQL checks its own pages: Ok.
  static constexpr std::int64_t kWholeFileCheckBytes = std::int64_t{256} << 20;
  static constexpr int kSmallTableRows = 10'000;
  Status CheckIntegrity(std::int64_t whole_file_check_bytes = kWholeFileCheckBytes);

  // Rows changed by the last INSERT, UPDATE or DELETE.
  std::int64_t Changes() const;

  // A subquery of the strings of a JSON array bound to one `?` (one column,
  // `value`), for a variable number of values in one statement:
  //   "... WHERE arn NOT IN (" + db.JsonArrayValues() + ")"
  std::string JsonArrayValues() const;
  // An expression for the number at top-level member `member` (letters,
  // digits, '_') of the JSON object in text column `column`; NULL when
  // absent:
  //   "... WHERE " + db.JsonNumberMember("spec", "Period") + " < 60"
  std::string JsonNumberMember(std::string_view column, std::string_view member) const;

  // Whether a table of that name exists.
  Result<bool> HasTable(std::string_view name);

  // Adds `n` to the one-row counter `table`.`column` and returns its value
  // before: the values [returned, returned + n) are this caller's alone, on
  // any node (the row lock on PostgreSQL, the write transaction on SQLite).
  // `table` and `column` are names from code, never input (anything but
  // letters, digits and '_' is kInvalidArgument). kDataLoss when the row is
  // gone.
  Result<std::int64_t> TakeFromCounter(std::string_view table, std::string_view column,
                                       std::int64_t n);

  // Where the data lives, for messages: the file's path, or the URL
  // without its password.
  const std::string& path() const;
  // What OpenReader() takes to reach the same data ("" in memory).
  const std::string& location() const;

 private:
  friend class Transaction;
  explicit Database(std::unique_ptr<internal::Connection> connection);
  std::unique_ptr<internal::Connection> connection_;
};

// The refusal for a damaged database file: which file, that trailwatch will
// not start on it, SQLite's `detail`, and the recovery steps (keep a copy,
// sqlite3's .recover into a new file, move it into place).
std::string CorruptionMessage(const std::string& path, const std::string& detail);

// A prepared statement. Bind() indices start at 1, columns at 0. A bind
// error is kept and reported by the next Step() or Run().
class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  Statement& Bind(int index, std::int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<std::int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const std::string& text) {
    return Bind(index, std::string_view(text));
  }
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& BindNull(int index);
  template <typename T>
  Statement& Bind(int index, const std::optional<T>& value) {
    return value ? Bind(index, *value) : BindNull(index);
  }
  Statement& BindBlob(int index, std::string_view bytes);

  // Binds each argument in turn, from index 1.
  template <typename... Args>
  Statement& BindAll(const Args&... args) {
    int index = 0;
    (Bind(++index, args), ...);
    return *this;
  }

  // Advances to the next row: true if there is one, false when done. On
  // PostgreSQL the first Step() runs the query and holds its whole result.
  Result<bool> Step();
  // Steps until done (for statements without rows), then resets.
  Status Run();
  // Makes the statement ready to run again; bindings are kept.
  void Reset();

  std::int64_t ColumnInt(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;
  // The bytes of a BLOB (or TEXT) column, valid until the next Step(),
  // Reset() or column call on this statement.
  std::string_view ColumnBlob(int column) const;
  std::optional<std::string> ColumnOptionalText(int column) const;
  std::optional<std::int64_t> ColumnOptionalInt(int column) const;
  bool ColumnIsNull(int column) const;

 private:
  friend class Database;
  explicit Statement(std::unique_ptr<internal::Cursor> cursor);
  void KeepBindError(Status status);

  std::unique_ptr<internal::Cursor> cursor_;
  Status bind_error_;
};

// BEGIN IMMEDIATE ... COMMIT (on PostgreSQL BEGIN and the writers' advisory
// lock: Connection::BeginWrite). Rolls back when destroyed uncommitted, so an
// early return on error undoes everything since Begin(). Inside another
// transaction it is a SAVEPOINT: Commit() releases it into the outer one,
// and destruction rolls back only what was done since Begin(). So a
// function can make its writes atomic on their own and still let a caller
// commit them together with its own.
class Transaction {
 public:
  static Result<Transaction> Begin(Database& db);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  Status Commit();

 private:
  Transaction(Database* db, bool nested) : db_(db), nested_(nested) {}
  Database* db_;  // null once committed or moved from
  bool nested_;
};

}  // namespace tw::store
