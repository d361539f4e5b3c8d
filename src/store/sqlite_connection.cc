// The embedded engine: one SQLite file in WAL mode (database.h says why).

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "store/connection.h"

namespace tw::store::internal {
namespace {

constexpr int kBusyTimeoutMs = 10'000;

// How many of quick_check's findings the message quotes.
constexpr std::size_t kQuotedProblems = 3;

StatusCode CodeFor(int code) {
  switch (code & 0xff) {  // the primary result code
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StatusCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kDataLoss;
    case SQLITE_CONSTRAINT:
      return (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
                 ? StatusCode::kAlreadyExists
                 : StatusCode::kInvalidArgument;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return StatusCode::kIo;
    default:
      return StatusCode::kInternal;
  }
}

// Runs `sql` to the end, appending the first column of each row to `rows`.
// Returns SQLITE_DONE, or the error code (sqlite3_errmsg says more).
int RunRows(sqlite3* db, const std::string& sql, std::vector<std::string>* rows) {
  sqlite3_stmt* raw = nullptr;
  int code = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
  if (code != SQLITE_OK) return code;
  while ((code = sqlite3_step(raw)) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(raw, 0);
    rows->push_back(text ? reinterpret_cast<const char*>(text) : "");
  }
  sqlite3_finalize(raw);  // keeps a failed step's message for sqlite3_errmsg
  return code;
}

// `name` as an SQL string literal and as an identifier.
std::string SqlString(std::string_view name) {
  std::string out = "'";
  for (char c : name) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}
std::string SqlIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

class SqliteConnection;

class SqliteCursor final : public Cursor {
 public:
  SqliteCursor(const SqliteConnection* connection, sqlite3_stmt* handle)
      : connection_(connection), handle_(handle) {}
  ~SqliteCursor() override { sqlite3_finalize(handle_); }

  Status BindInt(int index, std::int64_t value) override {
    return Check(sqlite3_bind_int64(handle_, index, value));
  }
  Status BindDouble(int index, double value) override {
    return Check(sqlite3_bind_double(handle_, index, value));
  }
  Status BindText(int index, std::string_view text) override {
    return Check(sqlite3_bind_text64(handle_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                     SQLITE_UTF8));
  }
  Status BindBlob(int index, std::string_view bytes) override {
    return Check(sqlite3_bind_blob64(handle_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
  }
  Status BindNull(int index) override { return Check(sqlite3_bind_null(handle_, index)); }

  Result<bool> Step() override;
  void Reset() override { sqlite3_reset(handle_); }

  std::int64_t ColumnInt(int column) const override {
    return sqlite3_column_int64(handle_, column);
  }
  double ColumnDouble(int column) const override { return sqlite3_column_double(handle_, column); }
  std::string_view ColumnBytes(int column) const override {
    // sqlite3_column_blob gives a text column's bytes as they are stored.
    const void* bytes = sqlite3_column_blob(handle_, column);
    int size = sqlite3_column_bytes(handle_, column);
    return bytes ? std::string_view(static_cast<const char*>(bytes), static_cast<std::size_t>(size))
                 : std::string_view();
  }
  bool ColumnIsNull(int column) const override {
    return sqlite3_column_type(handle_, column) == SQLITE_NULL;
  }
  std::string sql() const override { return sqlite3_sql(handle_); }

 private:
  Status Check(int code) const;

  const SqliteConnection* connection_;
  sqlite3_stmt* handle_;
};

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(sqlite3* handle, std::string path) : handle_(handle), path_(std::move(path)) {}
  ~SqliteConnection() override { sqlite3_close_v2(handle_); }

  sqlite3* handle() const { return handle_; }

  Status Error(int code, std::string_view context) const {
    std::string message = std::string(context) + ": " + sqlite3_errmsg(handle_);
    if (!path_.empty()) message += " (" + path_ + ")";
    return Status(CodeFor(code), std::move(message));
  }

  Engine engine() const override { return Engine::kSqlite; }

  Status Execute(std::string_view sql) override {
    std::string text(sql);
    char* message = nullptr;
    int code = sqlite3_exec(handle_, text.c_str(), nullptr, nullptr, &message);
    if (code == SQLITE_OK) return Status::Ok();
    std::string error = message ? message : sqlite3_errstr(code);
    sqlite3_free(message);
    return Status(CodeFor(code), error + (path_.empty() ? "" : " (" + path_ + ")"));
  }

  Result<std::unique_ptr<Cursor>> Prepare(std::string_view sql) override {
    sqlite3_stmt* raw = nullptr;
    int code = sqlite3_prepare_v2(handle_, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    if (code != SQLITE_OK) return Error(code, "cannot prepare \"" + std::string(sql) + "\"");
    return std::unique_ptr<Cursor>(std::make_unique<SqliteCursor>(this, raw));
  }

  bool InTransaction() const override { return sqlite3_get_autocommit(handle_) == 0; }
  Status BeginWrite() override { return Execute("BEGIN IMMEDIATE"); }
  std::int64_t Changes() const override { return sqlite3_changes64(handle_); }

  Result<bool> HasTable(std::string_view name) override {
    std::vector<std::string> rows;
    int code = RunRows(
        handle_, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = " + SqlString(name),
        &rows);
    if (code != SQLITE_DONE) return Error(code, "cannot look for table " + std::string(name));
    return !rows.empty();
  }

  Status CheckIntegrity(std::int64_t whole_file_check_bytes) override;
  // The data directory's lock (DirectoryLock) already keeps the file to one
  // process.

  const std::string& description() const override { return path_; }
  const std::string& location() const override { return path_; }

 private:
  sqlite3* handle_;
  std::string path_;
};

Status SqliteCursor::Check(int code) const {
  return code == SQLITE_OK ? Status::Ok() : connection_->Error(code, "cannot bind");
}

Result<bool> SqliteCursor::Step() {
  int code = sqlite3_step(handle_);
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  Status error = connection_->Error(code, "cannot run \"" + sql() + "\"");
  sqlite3_reset(handle_);
  return error;
}

// The fast path (kWholeFileCheckBytes, kSmallTableRows): quick_check reads
// every page. Measured on the development VM (2 shared cores, a virtual
// disk) on stores of log events with their two indexes: 230 MB took 0.4 s
// with the page cache warm and 5.7 s cold, 1.1 GB 4.4 s warm and 31 s cold.
// So the whole file is checked up to 256 MiB (a few seconds at worst, once
// per start); above it, the schema and the small tables, whose row count is
// found with a LIMIT, so that a table of millions of events costs a
// millisecond to measure and nothing to skip.
Status SqliteConnection::CheckIntegrity(std::int64_t whole_file_check_bytes) {
  std::vector<std::string> problems;
  // A statement that itself hits a damaged page is a finding too; any other
  // failure is an error of its own.
  auto run = [&](const std::string& sql, std::vector<std::string>* rows) -> Status {
    int code = RunRows(handle_, sql, rows);
    if (code == SQLITE_DONE) return Status::Ok();
    if (CodeFor(code) == StatusCode::kDataLoss) {
      problems.push_back(sqlite3_errmsg(handle_));
      return Status::Ok();
    }
    return Error(code, "cannot check \"" + sql + "\"");
  };
  // quick_check answers one row "ok", or its findings (which come before
  // the error that may end it).
  auto check = [&](const std::string& pragma) -> Status {
    std::vector<std::string> rows;
    const std::size_t before = problems.size();
    TW_RETURN_IF_ERROR(run(pragma, &rows));
    std::erase(rows, "ok");
    problems.insert(problems.begin() + static_cast<std::ptrdiff_t>(before), rows.begin(),
                    rows.end());
    return Status::Ok();
  };
  std::vector<std::string> size;
  TW_RETURN_IF_ERROR(
      run("SELECT page_count * page_size FROM pragma_page_count, pragma_page_size", &size));
  if (!problems.empty()) {
    // the header is unreadable: nothing more to learn
  } else if (size.empty() || std::stoll(size.front()) <= whole_file_check_bytes) {
    TW_RETURN_IF_ERROR(check("PRAGMA quick_check"));
  } else {
    TW_RETURN_IF_ERROR(check("PRAGMA quick_check('sqlite_schema')"));
    std::vector<std::string> tables;
    if (problems.empty()) {
      TW_RETURN_IF_ERROR(run("SELECT name FROM sqlite_schema WHERE type = 'table'", &tables));
    }
    for (const std::string& table : tables) {
      std::vector<std::string> rows;
      TW_RETURN_IF_ERROR(run("SELECT count(*) FROM (SELECT 1 FROM " + SqlIdentifier(table) +
                                 " LIMIT " + std::to_string(Database::kSmallTableRows + 1) + ")",
                             &rows));
      if (rows.empty() || std::stoll(rows.front()) > Database::kSmallTableRows) continue;
      TW_RETURN_IF_ERROR(check("PRAGMA quick_check(" + SqlString(table) + ")"));
    }
  }
  if (problems.empty()) return Status::Ok();
  std::string detail = "SQLite's quick_check: ";
  for (std::size_t i = 0; i < problems.size() && i < kQuotedProblems; ++i) {
    // quick_check's first row starts "*** in database main ***\n" and
    // puts one finding per line.
    std::string p = problems[i];
    if (p.starts_with("*** in database main ***\n")) p.erase(0, 25);
    for (std::size_t nl = p.find('\n'); nl != std::string::npos; nl = p.find('\n', nl)) {
      p.replace(nl, 1, "; ");
    }
    detail += (i == 0 ? "" : "; ") + p;
  }
  if (problems.size() > kQuotedProblems) {
    detail += "; and " + std::to_string(problems.size() - kQuotedProblems) + " more";
  }
  return DataLoss(CorruptionMessage(path_, detail));
}

Status OpenError(int code, sqlite3* raw, const std::string& path) {
  return Status(CodeFor(code), "cannot open database " + path + ": " +
                                   (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(code)));
}

}  // namespace

Result<std::unique_ptr<Connection>> OpenSqlite(const std::string& path, bool reader) {
  if (!reader) {
    // Create the file ourselves, private from the first byte whatever the
    // umask: SQLite would make it 0644, and copies the database's mode to
    // the -wal and -shm files it creates next to it. An empty file is a
    // valid empty database. (An existing file, or a symbolic link, is left
    // to SQLite, as before.)
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) close(fd);
  }
  sqlite3* raw = nullptr;
  // A reader is read-write at the file level only so that it can use the
  // WAL's shared memory as the writer does; query_only refuses every write.
  int code = sqlite3_open_v2(
      path.c_str(), &raw,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (reader ? 0 : SQLITE_OPEN_CREATE), nullptr);
  auto connection = std::make_unique<SqliteConnection>(raw, path);
  if (code != SQLITE_OK) return OpenError(code, raw, path);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  sqlite3_extended_result_codes(raw, 1);
  if (reader) {
    // Searches read hundreds of megabytes of blocks, a 4 KB page per read()
    // without a map: mapped (up to SQLite's 2 GB limit), they read the
    // kernel's page cache of the file directly (a fifth less time per
    // search). The mapped pages count in RSS as file pages, not as this
    // process's memory.
    TW_RETURN_IF_ERROR(connection->Execute("PRAGMA query_only=1; PRAGMA mmap_size=2147418112;"));
    return std::unique_ptr<Connection>(std::move(connection));
  }
  // WAL lets readers run beside the writer; FULL syncs the WAL on every
  // commit, so an acknowledged write survives a power cut, not only a crash.
  // These are the first reads of the file: a damaged header fails here.
  Status pragmas = connection->Execute(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
  if (pragmas.code() == StatusCode::kDataLoss) {
    return DataLoss(CorruptionMessage(path, sqlite3_errmsg(raw)));
  }
  TW_RETURN_IF_ERROR(pragmas);
  std::vector<std::string> mode;
  code = RunRows(raw, "PRAGMA journal_mode", &mode);
  if (code != SQLITE_DONE) return connection->Error(code, "cannot read the journal mode");
  if (mode.empty() || mode.front() != "wal") {
    return IoError("cannot use write-ahead logging for " + path +
                   " (is it on a file system without shared memory?)");
  }
  return std::unique_ptr<Connection>(std::move(connection));
}

Result<std::unique_ptr<Connection>> OpenSqliteInMemory() {
  sqlite3* raw = nullptr;
  int code = sqlite3_open_v2(
      ":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  auto connection = std::make_unique<SqliteConnection>(raw, "");
  if (code != SQLITE_OK) return Status(CodeFor(code), "cannot open an in-memory database");
  sqlite3_extended_result_codes(raw, 1);
  TW_RETURN_IF_ERROR(connection->Execute("PRAGMA foreign_keys=ON;"));
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace tw::store::internal
