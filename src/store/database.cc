#include "store/database.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string_view>
#include <utility>

#include "store/connection.h"

namespace tw::store {
namespace {

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

}  // namespace

bool IsPostgresUrl(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

std::string CorruptionMessage(const std::string& path, const std::string& detail) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const std::string recovered = dir + "/recovered.db";
  return "the database " + path + " is damaged (" + detail +
         "). trailwatch refuses to start on a damaged database: using it could lose more data. "
         "To recover, stop trailwatch, keep a copy of the data directory (cp -a " +
         ShellWord(dir) + " " + ShellWord(dir + ".damaged") +
         "), then copy what SQLite can still read into a new database and put it in place:\n"
         "  sqlite3 " +
         ShellWord(path) + " \".recover\" | sqlite3 " + ShellWord(recovered) + "\n  mv " +
         ShellWord(recovered) + " " + ShellWord(path) + " && rm -f " + ShellWord(path + "-wal") +
         " " + ShellWord(path + "-shm") +
         "\nthen start trailwatch again (sqlite3 is Debian's package sqlite3). What was on the "
         "damaged pages may be missing.";
}

Database::Database(std::unique_ptr<internal::Connection> connection)
    : connection_(std::move(connection)) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;
Database::~Database() = default;

namespace {

Result<Database> OpenConnection(const std::string& location, bool reader) {
  Result<std::unique_ptr<internal::Connection>> connection =
      IsPostgresUrl(location) ? internal::OpenPostgres(location, reader)
                              : internal::OpenSqlite(location, reader);
  if (!connection.ok()) return connection.status();
  return Database::FromConnection(std::move(*connection));
}

}  // namespace

Result<Database> Database::Open(const std::string& location) {
  return OpenConnection(location, /*reader=*/false);
}

Result<Database> Database::OpenReader(const std::string& location) {
  return OpenConnection(location, /*reader=*/true);
}

Database Database::FromConnection(std::unique_ptr<internal::Connection> connection) {
  return Database(std::move(connection));
}

Result<Database> Database::OpenInMemory() {
  Result<std::unique_ptr<internal::Connection>> connection = internal::OpenSqliteInMemory();
  if (!connection.ok()) return connection.status();
  return FromConnection(std::move(*connection));
}

Engine Database::engine() const { return connection_->engine(); }

Status Database::Execute(std::string_view sql) { return connection_->Execute(sql); }

Result<Statement> Database::Prepare(std::string_view sql) {
  Result<std::unique_ptr<internal::Cursor>> cursor = connection_->Prepare(sql);
  if (!cursor.ok()) return cursor.status();
  return Statement(std::move(*cursor));
}

Status Database::Migrate(std::string_view component, std::span<const std::string_view> migrations) {
  // The bookkeeping table is created inside the writer's transaction too:
  // two PostgreSQL nodes starting at once would otherwise race to create it.
  Result<Transaction> transaction = Transaction::Begin(*this);
  if (!transaction.ok()) return transaction.status();
  TW_RETURN_IF_ERROR(
      Execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
              "component TEXT PRIMARY KEY, applied INTEGER NOT NULL)"));
  Result<Statement> query = Prepare("SELECT applied FROM schema_migrations WHERE component = ?");
  if (!query.ok()) return query.status();
  query->Bind(1, component);
  Result<bool> row = query->Step();
  if (!row.ok()) return row.status();
  std::int64_t applied = *row ? query->ColumnInt(0) : 0;
  if (applied > static_cast<std::int64_t>(migrations.size())) {
    return Status(StatusCode::kFailedPrecondition,
                  "the database " + path() + " was written by a newer trailwatch (" +
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

Status Database::CheckIntegrity(std::int64_t whole_file_check_bytes) {
  return connection_->CheckIntegrity(whole_file_check_bytes);
}

std::int64_t Database::Changes() const { return connection_->Changes(); }

std::string Database::JsonArrayValues() const {
  // PostgreSQL's set-returning function names its column `value` too.
  return engine() == Engine::kPostgres
             ? "SELECT value FROM json_array_elements_text(CAST(? AS json))"
             : "SELECT value FROM json_each(?)";
}
namespace {

// Names spliced into SQL must be plain: letters, digits, '_'.
bool IsPlainName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace

std::string Database::JsonNumberMember(std::string_view column, std::string_view member) const {
  if (!IsPlainName(column) || !IsPlainName(member)) return "NULL";
  const std::string c(column), m(member);
  return engine() == Engine::kPostgres
             ? "CAST(CAST(" + c + " AS json)->>'" + m + "' AS DOUBLE PRECISION)"
             : "json_extract(" + c + ", '$." + m + "')";
}
Result<bool> Database::HasTable(std::string_view name) { return connection_->HasTable(name); }

Result<std::int64_t> Database::TakeFromCounter(std::string_view table, std::string_view column,
                                               std::int64_t n) {
  if (!IsPlainName(table) || !IsPlainName(column)) {
    return InvalidArgument(fmt::format("'{}.{}' is not a counter's name", table, column));
  }
  Result<Statement> take = Prepare(fmt::format(
      "UPDATE {0} SET {1} = {1} + ? RETURNING {1} - ?", table, column));
  if (!take.ok()) return take.status();
  take->BindAll(n, n);
  Result<bool> row = take->Step();
  if (!row.ok()) return row.status();
  if (!*row) return DataLoss(fmt::format("the store has lost its counter (table {})", table));
  return take->ColumnInt(0);
}

const std::string& Database::path() const { return connection_->description(); }
const std::string& Database::location() const { return connection_->location(); }

// --- Statement ---------------------------------------------------------------

Statement::Statement(std::unique_ptr<internal::Cursor> cursor) : cursor_(std::move(cursor)) {}
Statement::Statement(Statement&&) noexcept = default;
Statement& Statement::operator=(Statement&&) noexcept = default;
Statement::~Statement() = default;

void Statement::KeepBindError(Status status) {
  if (!status.ok() && bind_error_.ok()) bind_error_ = std::move(status);
}

Statement& Statement::Bind(int index, std::int64_t value) {
  KeepBindError(cursor_->BindInt(index, value));
  return *this;
}
Statement& Statement::Bind(int index, double value) {
  KeepBindError(cursor_->BindDouble(index, value));
  return *this;
}
Statement& Statement::Bind(int index, std::string_view text) {
  KeepBindError(cursor_->BindText(index, text));
  return *this;
}
Statement& Statement::BindNull(int index) {
  KeepBindError(cursor_->BindNull(index));
  return *this;
}
Statement& Statement::BindBlob(int index, std::string_view bytes) {
  KeepBindError(cursor_->BindBlob(index, bytes));
  return *this;
}

Result<bool> Statement::Step() {
  if (!bind_error_.ok()) return bind_error_;
  return cursor_->Step();
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

void Statement::Reset() { cursor_->Reset(); }

std::int64_t Statement::ColumnInt(int column) const { return cursor_->ColumnInt(column); }
double Statement::ColumnDouble(int column) const { return cursor_->ColumnDouble(column); }
std::string Statement::ColumnText(int column) const {
  return std::string(cursor_->ColumnBytes(column));
}
std::string_view Statement::ColumnBlob(int column) const { return cursor_->ColumnBytes(column); }
std::optional<std::string> Statement::ColumnOptionalText(int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return ColumnText(column);
}
std::optional<std::int64_t> Statement::ColumnOptionalInt(int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return ColumnInt(column);
}
bool Statement::ColumnIsNull(int column) const { return cursor_->ColumnIsNull(column); }

// --- Transaction -------------------------------------------------------------

Result<Transaction> Transaction::Begin(Database& db) {
  bool nested = db.connection_->InTransaction();
  TW_RETURN_IF_ERROR(nested ? db.Execute("SAVEPOINT tw_nested") : db.connection_->BeginWrite());
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
