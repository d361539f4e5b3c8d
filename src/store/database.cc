#include "store/database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string_view>
#include <utility>
#include <vector>

namespace tw::store {
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

// `text` as one shell word: as is when it is plain, else single-quoted.
std::string ShellWord(const std::string& text) {
  bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("_./-:@%+=,").find(c) != std::string_view::npos;
  });
  if (plain) return text;
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
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

}  // namespace

std::string CorruptionMessage(const std::string& path, const std::string& detail) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const std::string recovered = dir + "/recovered.db";
  return "the database " + path + " is damaged (" + detail +
         "). trailwatch refuses to start on a damaged database: using it could lose more data. "
         "To recover, stop trailwatch, keep a copy of the data directory (cp -a " +
         ShellWord(dir) + " " + ShellWord(dir + ".damaged") +
         "), then copy what SQLite can still read into a new database and put it in place:\n"
         "  sqlite3 " + ShellWord(path) + " \".recover\" | sqlite3 " + ShellWord(recovered) +
         "\n  mv " + ShellWord(recovered) + " " + ShellWord(path) + " && rm -f " +
         ShellWord(path + "-wal") + " " + ShellWord(path + "-shm") +
         "\nthen start trailwatch again (sqlite3 is Debian's package sqlite3). What was on the "
         "damaged pages may be missing.";
}

void Database::Closer::operator()(sqlite3* handle) const { sqlite3_close_v2(handle); }
void Statement::Finalizer::operator()(sqlite3_stmt* handle) const { sqlite3_finalize(handle); }

Database::Database(sqlite3* handle, std::string path) : handle_(handle), path_(std::move(path)) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;
Database::~Database() = default;

Status Database::Error(int code, std::string_view context) const {
  std::string message = std::string(context) + ": " + sqlite3_errmsg(handle_.get());
  if (!path_.empty()) message += " (" + path_ + ")";
  return Status(CodeFor(code), std::move(message));
}

Result<Database> Database::Open(const std::string& path) {
  // Create the file ourselves, private from the first byte whatever the
  // umask: SQLite would make it 0644, and copies the database's mode to the
  // -wal and -shm files it creates next to it. An empty file is a valid
  // empty database. (An existing file, or a symbolic link, is left to
  // SQLite, as before.)
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) close(fd);
  sqlite3* raw = nullptr;
  int code =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Database db(raw, path);
  if (code != SQLITE_OK) {
    return Status(CodeFor(code), "cannot open database " + path + ": " +
                                     (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(code)));
  }
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  sqlite3_extended_result_codes(raw, 1);
  // WAL lets readers run beside the writer; FULL syncs the WAL on every
  // commit, so an acknowledged write survives a power cut, not only a crash.
  // These are the first reads of the file: a damaged header fails here.
  Status pragmas =
      db.Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
  if (pragmas.code() == StatusCode::kDataLoss) {
    return DataLoss(CorruptionMessage(path, sqlite3_errmsg(raw)));
  }
  TW_RETURN_IF_ERROR(pragmas);
  Result<Statement> mode = db.Prepare("PRAGMA journal_mode");
  if (!mode.ok()) return mode.status();
  Result<bool> row = mode->Step();
  if (!row.ok()) return row.status();
  if (!*row || mode->ColumnText(0) != "wal") {
    return IoError("cannot use write-ahead logging for " + path +
                   " (is it on a file system without shared memory?)");
  }
  return db;
}

Result<Database> Database::OpenReader(const std::string& path) {
  sqlite3* raw = nullptr;
  // Read-write at the file level only so that it can use the WAL's shared
  // memory as the writer does; query_only refuses every write.
  int code = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
  Database db(raw, path);
  if (code != SQLITE_OK) {
    return Status(CodeFor(code), "cannot open database " + path + ": " +
                                     (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(code)));
  }
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  sqlite3_extended_result_codes(raw, 1);
  // Searches read hundreds of megabytes of blocks, a 4 KB page per read()
  // without a map: mapped (up to SQLite's 2 GB limit), they read the kernel's
  // page cache of the file directly (a fifth less time per search). The
  // mapped pages count in RSS as file pages, not as this process's memory.
  TW_RETURN_IF_ERROR(db.Execute("PRAGMA query_only=1; PRAGMA mmap_size=2147418112;"));
  return db;
}

Result<Database> Database::OpenInMemory() {
  sqlite3* raw = nullptr;
  int code = sqlite3_open_v2(
      ":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Database db(raw, "");
  if (code != SQLITE_OK) return Status(CodeFor(code), "cannot open an in-memory database");
  sqlite3_extended_result_codes(raw, 1);
  TW_RETURN_IF_ERROR(db.Execute("PRAGMA foreign_keys=ON;"));
  return db;
}

Status Database::Execute(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int code = sqlite3_exec(handle_.get(), text.c_str(), nullptr, nullptr, &message);
  if (code == SQLITE_OK) return Status::Ok();
  std::string error = message ? message : sqlite3_errstr(code);
  sqlite3_free(message);
  return Status(CodeFor(code), error + (path_.empty() ? "" : " (" + path_ + ")"));
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int code =
      sqlite3_prepare_v2(handle_.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  if (code != SQLITE_OK) return Error(code, "cannot prepare \"" + std::string(sql) + "\"");
  return Statement(this, raw);
}

Status Database::Migrate(std::string_view component, std::span<const std::string_view> migrations) {
  TW_RETURN_IF_ERROR(
      Execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
              "component TEXT PRIMARY KEY, applied INTEGER NOT NULL)"));
  Result<Transaction> transaction = Transaction::Begin(*this);
  if (!transaction.ok()) return transaction.status();
  Result<Statement> query = Prepare("SELECT applied FROM schema_migrations WHERE component = ?");
  if (!query.ok()) return query.status();
  query->Bind(1, component);
  Result<bool> row = query->Step();
  if (!row.ok()) return row.status();
  std::int64_t applied = *row ? query->ColumnInt(0) : 0;
  if (applied > static_cast<std::int64_t>(migrations.size())) {
    return Status(StatusCode::kFailedPrecondition,
                  "the database " + path_ + " was written by a newer trailwatch (" +
                      std::string(component) + " schema " + std::to_string(applied) +
                      ", this version knows " + std::to_string(migrations.size()) + ")");
  }
  for (std::size_t i = static_cast<std::size_t>(applied); i < migrations.size(); ++i) {
    TW_RETURN_IF_ERROR(Execute(migrations[i]));
  }
  Result<Statement> record = Prepare(
      "INSERT INTO schema_migrations (component, applied) VALUES (?, ?) "
      "ON CONFLICT (component) DO UPDATE SET applied = excluded.applied");
  if (!record.ok()) return record.status();
  record->Bind(1, component).Bind(2, static_cast<std::int64_t>(migrations.size()));
  TW_RETURN_IF_ERROR(record->Run());
  return transaction->Commit();
}

// The fast path (kWholeFileCheckBytes, kSmallTableRows): quick_check reads
// every page. Measured on the development VM (2 shared cores, a virtual
// disk) on stores of log events with their two indexes: 230 MB took 0.4 s
// with the page cache warm and 5.7 s cold, 1.1 GB 4.4 s warm and 31 s cold.
// So the whole file is checked up to 256 MiB (a few seconds at worst, once
// per start); above it, the schema and the small tables, whose row count is
// found with a LIMIT, so that a table of millions of events costs a
// millisecond to measure and nothing to skip.
Status Database::CheckIntegrity(std::int64_t whole_file_check_bytes) {
  sqlite3* db = handle_.get();
  std::vector<std::string> problems;
  // A statement that itself hits a damaged page is a finding too; any other
  // failure is an error of its own.
  auto run = [&](const std::string& sql, std::vector<std::string>* rows) -> Status {
    int code = RunRows(db, sql, rows);
    if (code == SQLITE_DONE) return Status::Ok();
    if (CodeFor(code) == StatusCode::kDataLoss) {
      problems.push_back(sqlite3_errmsg(db));
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
  TW_RETURN_IF_ERROR(run("SELECT page_count * page_size FROM pragma_page_count, pragma_page_size",
                         &size));
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
                                 " LIMIT " + std::to_string(kSmallTableRows + 1) + ")",
                             &rows));
      if (rows.empty() || std::stoll(rows.front()) > kSmallTableRows) continue;
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

std::int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(handle_.get()); }
std::int64_t Database::Changes() const { return sqlite3_changes64(handle_.get()); }

// --- Statement ---------------------------------------------------------------

Statement::Statement(const Database* db, sqlite3_stmt* handle) : db_(db), handle_(handle) {}
Statement::Statement(Statement&&) noexcept = default;
Statement& Statement::operator=(Statement&&) noexcept = default;
Statement::~Statement() = default;

void Statement::KeepBindError(int code) {
  if (code != SQLITE_OK && bind_error_.ok()) bind_error_ = db_->Error(code, "cannot bind");
}

Statement& Statement::Bind(int index, std::int64_t value) {
  KeepBindError(sqlite3_bind_int64(handle_.get(), index, value));
  return *this;
}
Statement& Statement::Bind(int index, double value) {
  KeepBindError(sqlite3_bind_double(handle_.get(), index, value));
  return *this;
}
Statement& Statement::Bind(int index, std::string_view text) {
  KeepBindError(sqlite3_bind_text64(handle_.get(), index, text.data(), text.size(),
                                    SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}
Statement& Statement::BindNull(int index) {
  KeepBindError(sqlite3_bind_null(handle_.get(), index));
  return *this;
}
Statement& Statement::BindBlob(int index, std::string_view bytes) {
  KeepBindError(
      sqlite3_bind_blob64(handle_.get(), index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
  return *this;
}

Result<bool> Statement::Step() {
  if (!bind_error_.ok()) return bind_error_;
  int code = sqlite3_step(handle_.get());
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  Status error = db_->Error(code, "cannot run \"" + std::string(sqlite3_sql(handle_.get())) + "\"");
  sqlite3_reset(handle_.get());
  return error;
}

Status Statement::Run() {
  while (true) {
    Result<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
  }
  Reset();
  return Status::Ok();
}

void Statement::Reset() { sqlite3_reset(handle_.get()); }

std::int64_t Statement::ColumnInt(int column) const {
  return sqlite3_column_int64(handle_.get(), column);
}
double Statement::ColumnDouble(int column) const {
  return sqlite3_column_double(handle_.get(), column);
}
std::string Statement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(handle_.get(), column);
  int size = sqlite3_column_bytes(handle_.get(), column);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size))
              : std::string();
}
std::string_view Statement::ColumnBlob(int column) const {
  const void* bytes = sqlite3_column_blob(handle_.get(), column);
  int size = sqlite3_column_bytes(handle_.get(), column);
  return bytes ? std::string_view(static_cast<const char*>(bytes), static_cast<std::size_t>(size))
               : std::string_view();
}
std::optional<std::string> Statement::ColumnOptionalText(int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return ColumnText(column);
}
std::optional<std::int64_t> Statement::ColumnOptionalInt(int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return ColumnInt(column);
}
bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(handle_.get(), column) == SQLITE_NULL;
}

// --- Transaction -------------------------------------------------------------

Result<Transaction> Transaction::Begin(Database& db) {
  bool nested = sqlite3_get_autocommit(db.handle_.get()) == 0;
  TW_RETURN_IF_ERROR(db.Execute(nested ? "SAVEPOINT tw_nested" : "BEGIN IMMEDIATE"));
  return Transaction(&db, nested);
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), nested_(other.nested_) {}

Transaction::~Transaction() {
  if (!db_) return;
  // ROLLBACK TO leaves the savepoint open; RELEASE then closes it.
  (void)db_->Execute(nested_ ? "ROLLBACK TO tw_nested; RELEASE tw_nested" : "ROLLBACK");
}

Status Transaction::Commit() {
  Database* db = std::exchange(db_, nullptr);
  if (!db) return Internal("transaction committed twice");
  Status status = db->Execute(nested_ ? "RELEASE tw_nested" : "COMMIT");
  if (!status.ok()) {
    (void)db->Execute(nested_ ? "ROLLBACK TO tw_nested; RELEASE tw_nested" : "ROLLBACK");
  }
  return status;
}

}  // namespace tw::store
