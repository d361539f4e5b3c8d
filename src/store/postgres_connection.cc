// The PostgreSQL engine behind store::Database (connection.h): libpq, one
// connection per Database, statements run with PQexecParams on their first
// Step() and their whole result kept until Reset().

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/connection.h"

namespace tw::store::internal {
namespace {

// Type OIDs from PostgreSQL's pg_type.dat; stable across versions.
constexpr Oid kUnknownOid = 0;  // let the server infer the type from the context
constexpr Oid kByteaOid = 17;
constexpr Oid kTextOid = 25;
constexpr Oid kInt8Oid = 20;
constexpr Oid kBoolOid = 16;
constexpr Oid kFloat8Oid = 701;

// The writers' transaction-scoped advisory lock: 'twWR'. Every trailwatch
// node takes the same key, so writers of all nodes take turns as SQLite's
// BEGIN IMMEDIATE makes the writers of one file do.
constexpr char kWriterLock[] = "SELECT pg_advisory_xact_lock(1953986386)";

// lock_timeout plays the part of SQLite's 10 s busy timeout: a writer that
// waits longer gets 55P03, reported as kUnavailable. extra_float_digits > 0
// (the default, unless a server's configuration lowers it) makes doubles
// come back exactly as they went in, as they do from SQLite.
constexpr char kSessionSettings[] =
    "SET lock_timeout = '10s'; SET client_min_messages = warning; SET extra_float_digits = 1";
constexpr char kReaderSettings[] = "SET default_transaction_read_only = on";

constexpr char kTryAgain[] = " (try again)";

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

struct ConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using PgConn = std::unique_ptr<PGconn, ConnDeleter>;

// libpq's messages end in a newline and may span lines ("...failed:
// Connection refused\n\tIs the server running..."): one line for ours.
std::string OneLine(const char* message) {
  std::string out;
  bool space = false;
  for (const char* p = message != nullptr ? message : ""; *p != '\0'; ++p) {
    if (std::isspace(static_cast<unsigned char>(*p))) {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      space = false;
      out += *p;
    }
  }
  return out;
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// libpq gives no SQLSTATE for a failed connection attempt, only the text:
// PostgreSQL's wording, stable since 9.x, is what there is to go by.
StatusCode CodeForConnectFailure(std::string_view message) {
  if (Contains(message, "password authentication failed") ||
      Contains(message, "no password supplied") || Contains(message, "does not exist") ||
      Contains(message, "pg_hba.conf") || Contains(message, "permission denied")) {
    // "role ... does not exist" is refused credentials; "database ... does
    // not exist" is the wrong URL, not something a retry fixes.
    if (Contains(message, "database \"") && Contains(message, "does not exist")) {
      return StatusCode::kNotFound;
    }
    return StatusCode::kPermissionDenied;
  }
  if (Contains(message, "invalid") || Contains(message, "missing \"=\"") ||
      Contains(message, "unrecognized")) {
    return StatusCode::kInvalidArgument;  // a malformed URL or option
  }
  return StatusCode::kUnavailable;
}

StatusCode CodeForSqlState(std::string_view state) {
  if (state == "23505") return StatusCode::kAlreadyExists;
  if (state.starts_with("23")) return StatusCode::kInvalidArgument;
  if (state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03" ||
      state == "40001" || state == "40P01" || state == "55P03") {
    return StatusCode::kUnavailable;
  }
  if (state == "25006") return StatusCode::kFailedPrecondition;  // read-only transaction
  if (state.starts_with("53")) return StatusCode::kIo;
  if (state.starts_with("28")) return StatusCode::kPermissionDenied;
  return StatusCode::kInternal;
}

// `text` equals `upper`, an upper-case keyword, ignoring ASCII case.
bool EqualsIgnoreCase(std::string_view text, std::string_view upper) {
  return text.size() == upper.size() &&
         std::equal(text.begin(), text.end(), upper.begin(), [](char t, char u) {
           return std::toupper(static_cast<unsigned char>(t)) == u;
         });
}

std::string_view TrimSql(std::string_view sql) {
  while (!sql.empty() &&
         (std::isspace(static_cast<unsigned char>(sql.front())) || sql.front() == ';')) {
    sql.remove_prefix(1);
  }
  while (!sql.empty() &&
         (std::isspace(static_cast<unsigned char>(sql.back())) || sql.back() == ';')) {
    sql.remove_suffix(1);
  }
  return sql;
}

// ---------------------------------------------------------------------------
// TranslateForPostgres

bool IsWordStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

// The end of the literal, quoted identifier or comment starting at `i`, or
// `i` when none starts there. Unterminated ones run to the end: the server
// reports them.
std::size_t SkipOpaque(std::string_view sql, std::size_t i) {
  const char c = sql[i];
  if (c == '\'' || c == '"') {
    // A doubled quote is an escaped one, so a plain scan to the next quote
    // and a re-entry at the doubled one give the same end.
    std::size_t j = i + 1;
    while (j < sql.size()) {
      if (sql[j] == c) {
        if (j + 1 < sql.size() && sql[j + 1] == c) {
          j += 2;
          continue;
        }
        return j + 1;
      }
      ++j;
    }
    return sql.size();
  }
  if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
    std::size_t end = sql.find('\n', i);
    return end == std::string_view::npos ? sql.size() : end;
  }
  if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
    std::size_t end = sql.find("*/", i + 2);
    return end == std::string_view::npos ? sql.size() : end + 2;
  }
  return i;
}

std::size_t SkipSpaceAndComments(std::string_view sql, std::size_t i) {
  while (i < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[i]))) {
      ++i;
    } else if ((sql[i] == '-' || sql[i] == '/') && SkipOpaque(sql, i) != i) {
      i = SkipOpaque(sql, i);
    } else {
      break;
    }
  }
  return i;
}

// The word (identifier or keyword) at `i`, or "" when none starts there.
std::string_view WordAt(std::string_view sql, std::size_t i) {
  if (i >= sql.size() || !IsWordStart(sql[i])) return {};
  std::size_t j = i + 1;
  while (j < sql.size() && IsWordChar(sql[j])) ++j;
  return sql.substr(i, j - i);
}

// How many top-level arguments the call whose '(' is at `open` has (0 for
// "()"). SQLite's min()/max() are aggregates with one argument and scalar
// functions with more, which PostgreSQL spells LEAST()/GREATEST().
int CountArguments(std::string_view sql, std::size_t open) {
  int depth = 0;
  int commas = 0;
  bool any = false;
  for (std::size_t i = open; i < sql.size();) {
    if (std::size_t end = SkipOpaque(sql, i); end != i) {
      any = true;
      i = end;
      continue;
    }
    const char c = sql[i++];
    if (c == '(') {
      if (++depth > 1) any = true;
    } else if (c == ')') {
      if (--depth == 0) break;
      any = true;
    } else if (c == ',' && depth == 1) {
      ++commas;
    } else if (!std::isspace(static_cast<unsigned char>(c))) {
      any = true;
    }
  }
  return any ? commas + 1 : 0;
}

// Where in a CREATE TABLE or ALTER TABLE ... ADD COLUMN a word stands: type
// words are only rewritten right after a column's name, so that a column
// or table named "text" or "real" keeps its name.
enum class DdlPlace {
  kOther,       // not a column's name or type
  kColumnName,  // the next word names a column (after '(' or ',' of the list, or ADD [COLUMN])
  kColumnType,  // the next word is the type of the column just named
};

// One statement of `sql` (up to a top-level ';' or the end), appended to
// `out` translated. `next_param` is the number a bare `?` gets, as SQLite
// numbers it: one more than the largest number given so far.
std::size_t TranslateStatement(std::string_view sql, std::size_t i, int& next_param,
                               std::string& out) {
  const std::size_t first = SkipSpaceAndComments(sql, i);
  const std::string_view lead = WordAt(sql, first);
  const std::string_view second = WordAt(sql, SkipSpaceAndComments(sql, first + lead.size()));
  const bool create = EqualsIgnoreCase(lead, "CREATE") && EqualsIgnoreCase(second, "TABLE");
  const bool alter = EqualsIgnoreCase(lead, "ALTER") && EqualsIgnoreCase(second, "TABLE");
  DdlPlace place = DdlPlace::kOther;
  int depth = 0;
  bool column_list_seen = false;  // CREATE TABLE t AS SELECT (...) has no column list

  while (i < sql.size()) {
    if (std::size_t end = SkipOpaque(sql, i); end != i) {
      // A quoted identifier can be a column's name; literals and comments
      // leave the place as it was.
      if (sql[i] == '"') {
        place = place == DdlPlace::kColumnName ? DdlPlace::kColumnType : DdlPlace::kOther;
      }
      out.append(sql.substr(i, end - i));
      i = end;
      continue;
    }
    const char c = sql[i];
    if (c == ';' && depth <= 0) {
      out += c;
      return i + 1;
    }
    if (c == '?') {
      std::size_t j = i + 1;
      int number = 0;
      while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j]))) {
        // Past PostgreSQL's 65535 parameters the server refuses it anyway.
        number = std::min(number * 10 + (sql[j] - '0'), 1'000'000);
        ++j;
      }
      if (j == i + 1) number = next_param;
      next_param = std::max(next_param, number + 1);
      out += '$';
      out += std::to_string(number);
      i = j;
      continue;
    }
    if (IsWordStart(c)) {
      const std::string_view word = WordAt(sql, i);
      const std::size_t after = i + word.size();
      // After a '.', a word is a qualified name (t.max), not a function.
      const bool qualified = i > 0 && sql[i - 1] == '.';
      if ((EqualsIgnoreCase(word, "MIN") || EqualsIgnoreCase(word, "MAX")) && !qualified) {
        const std::size_t open = SkipSpaceAndComments(sql, after);
        if (open < sql.size() && sql[open] == '(' && CountArguments(sql, open) >= 2) {
          out += EqualsIgnoreCase(word, "MIN") ? "LEAST" : "GREATEST";
          i = after;
          continue;
        }
      }
      // SQLite's instr(haystack, needle) is PostgreSQL's strpos, same order.
      if (EqualsIgnoreCase(word, "INSTR") && !qualified) {
        const std::size_t open = SkipSpaceAndComments(sql, after);
        if (open < sql.size() && sql[open] == '(') {
          out += "strpos";
          i = after;
          continue;
        }
      }
      if (create || alter) {
        if (alter && (EqualsIgnoreCase(word, "ADD") || EqualsIgnoreCase(word, "COLUMN")) &&
            depth == 0) {
          place = DdlPlace::kColumnName;
        } else if (place == DdlPlace::kColumnName) {
          const bool constraint =
              EqualsIgnoreCase(word, "CONSTRAINT") || EqualsIgnoreCase(word, "PRIMARY") ||
              EqualsIgnoreCase(word, "UNIQUE") || EqualsIgnoreCase(word, "CHECK") ||
              EqualsIgnoreCase(word, "FOREIGN");
          place = constraint ? DdlPlace::kOther : DdlPlace::kColumnType;
        } else if (place == DdlPlace::kColumnType) {
          place = DdlPlace::kOther;
          if (EqualsIgnoreCase(word, "INTEGER")) {
            // SQLite's INTEGER PRIMARY KEY is the rowid: numbered 1, 2, 3...
            // when an INSERT leaves it out. BY DEFAULT still accepts ids an
            // INSERT gives.
            std::size_t k = SkipSpaceAndComments(sql, after);
            const std::string_view primary = WordAt(sql, k);
            if (EqualsIgnoreCase(primary, "PRIMARY")) {
              k = SkipSpaceAndComments(sql, k + primary.size());
              const std::string_view key = WordAt(sql, k);
              if (EqualsIgnoreCase(key, "KEY")) {
                out += "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
                i = k + key.size();
                // AUTOINCREMENT (never reuse an id) is what an identity
                // column does anyway.
                const std::size_t a = SkipSpaceAndComments(sql, i);
                const std::string_view autoincrement = WordAt(sql, a);
                if (EqualsIgnoreCase(autoincrement, "AUTOINCREMENT")) i = a + autoincrement.size();
                continue;
              }
            }
            out += "BIGINT";
            i = after;
            continue;
          }
          if (EqualsIgnoreCase(word, "REAL")) {
            out += "DOUBLE PRECISION";
            i = after;
            continue;
          }
          if (EqualsIgnoreCase(word, "BLOB")) {
            out += "BYTEA";
            i = after;
            continue;
          }
          if (EqualsIgnoreCase(word, "TEXT")) {
            // SQLite compares text bytewise; the database's default
            // collation (en_US...) would order keys and ranges differently.
            out.append(word);
            out += " COLLATE \"C\"";
            i = after;
            continue;
          }
        } else if (create && depth == 0 && EqualsIgnoreCase(word, "AS")) {
          column_list_seen = true;
        }
      }
      out.append(word);
      i = after;
      continue;
    }
    if (c == '(') {
      ++depth;
      if (create && depth == 1 && !column_list_seen) {
        column_list_seen = true;
        place = DdlPlace::kColumnName;
      } else {
        place = DdlPlace::kOther;  // inside a column's definition: DEFAULT (...), CHECK (...)
      }
    } else if (c == ')') {
      --depth;
      place = DdlPlace::kOther;
    } else if (c == ',' && depth == 1 && create) {
      place = DdlPlace::kColumnName;
    } else if (!std::isspace(static_cast<unsigned char>(c))) {
      place = DdlPlace::kOther;
    }
    out += c;
    ++i;
  }
  return i;
}

// ---------------------------------------------------------------------------
// The connection and its cursors

struct Param {
  std::string value;
  Oid type = kUnknownOid;
  int format = 0;  // 0 text, 1 binary
  bool null = true;
};

class PostgresConnection;

class PostgresCursor final : public Cursor {
 public:
  PostgresCursor(PostgresConnection* connection, std::string sql)
      : connection_(connection), sql_(std::move(sql)), translated_(TranslateForPostgres(sql_)) {}

  Status BindInt(int index, std::int64_t value) override {
    return Set(index, std::to_string(value), kInt8Oid, 0);
  }
  Status BindDouble(int index, double value) override {
    // PostgreSQL's spellings of the values to_chars writes as "inf"/"nan".
    if (std::isnan(value)) return Set(index, "NaN", kFloat8Oid, 0);
    if (std::isinf(value)) return Set(index, value > 0 ? "Infinity" : "-Infinity", kFloat8Oid, 0);
    char buffer[32];
    auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
    if (error != std::errc()) return Internal("cannot format a double for \"" + sql_ + "\"");
    return Set(index, std::string(buffer, end), kFloat8Oid, 0);
  }
  Status BindText(int index, std::string_view text) override {
    // Text parameters travel NUL-terminated, and PostgreSQL's text cannot
    // hold a NUL anyway: refuse rather than cut the value short.
    if (text.find('\0') != std::string_view::npos) {
      return InvalidArgument("cannot bind text with a NUL byte to parameter " +
                             std::to_string(index) + " of \"" + sql_ +
                             "\" on PostgreSQL (bind it as a blob)");
    }
    return Set(index, std::string(text), kTextOid, 0);
  }
  Status BindBlob(int index, std::string_view bytes) override {
    return Set(index, std::string(bytes), kByteaOid, 1);
  }
  Status BindNull(int index) override {
    TW_RETURN_IF_ERROR(Set(index, "", kUnknownOid, 0));
    params_[index - 1].null = true;
    return Status::Ok();
  }

  Result<bool> Step() override;

  void Reset() override {
    result_.reset();
    row_ = -1;
    rows_ = 0;
    ClearDecoded();
  }

  std::int64_t ColumnInt(int column) const override {
    const char* text = Value(column);
    if (text == nullptr) return 0;
    if (PQftype(result_.get(), column) == kBoolOid) return text[0] == 't' ? 1 : 0;
    char* end = nullptr;
    errno = 0;
    long long value = std::strtoll(text, &end, 10);
    if (*end == '\0' && errno == 0) return value;
    // A numeric, a double or an overflowing integer: SQLite truncates
    // toward zero and saturates.
    double d = std::strtod(text, nullptr);
    if (std::isnan(d)) return 0;
    if (d >= 9223372036854775807.0) return std::numeric_limits<std::int64_t>::max();
    if (d <= -9223372036854775808.0) return std::numeric_limits<std::int64_t>::min();
    return static_cast<std::int64_t>(d);
  }

  double ColumnDouble(int column) const override {
    const char* text = Value(column);
    if (text == nullptr) return 0;
    // glibc's strtod reads PostgreSQL's NaN, Infinity and -Infinity too.
    return std::strtod(text, nullptr);
  }

  std::string_view ColumnBytes(int column) const override {
    const char* text = Value(column);
    if (text == nullptr) return {};
    if (PQftype(result_.get(), column) != kByteaOid) {
      return std::string_view(text,
                              static_cast<std::size_t>(PQgetlength(result_.get(), row_, column)));
    }
    // bytea comes as text ("\x0aff..."); decoded once per row and column, so
    // the view stays valid until the next Step() or Reset().
    auto& slot = decoded_[static_cast<std::size_t>(column)];
    if (!slot) {
      std::size_t length = 0;
      unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &length);
      slot = std::make_unique<std::string>(bytes != nullptr ? reinterpret_cast<char*>(bytes) : "",
                                           bytes != nullptr ? length : 0);
      PQfreemem(bytes);
    }
    return *slot;
  }

  bool ColumnIsNull(int column) const override {
    if (!HasColumn(column)) return true;
    return PQgetisnull(result_.get(), row_, column) != 0;
  }

  std::string sql() const override { return sql_; }

 private:
  Status Set(int index, std::string value, Oid type, int format) {
    if (index < 1 || index > 65535) {
      return InvalidArgument("no parameter " + std::to_string(index) + " in \"" + sql_ + "\"");
    }
    if (params_.size() < static_cast<std::size_t>(index)) params_.resize(index);
    params_[index - 1] = Param{std::move(value), type, format, false};
    return Status::Ok();
  }

  bool HasColumn(int column) const {
    return result_ != nullptr && row_ >= 0 && row_ < rows_ && column >= 0 &&
           column < PQnfields(result_.get());
  }

  // The column's text, or null when it is NULL or out of range.
  const char* Value(int column) const {
    if (!HasColumn(column) || PQgetisnull(result_.get(), row_, column)) return nullptr;
    return PQgetvalue(result_.get(), row_, column);
  }

  void ClearDecoded() {
    for (auto& slot : decoded_) slot.reset();
  }

  PostgresConnection* connection_;  // outlives the cursor (Statement's contract)
  std::string sql_;                 // as the module wrote it, for messages
  std::string translated_;
  std::vector<Param> params_;
  PgResult result_;
  int row_ = -1;
  int rows_ = 0;
  // Decoded bytea values of the current row, one slot per column; a
  // unique_ptr so a view survives the decoding of another column.
  mutable std::vector<std::unique_ptr<std::string>> decoded_;
};

class PostgresConnection final : public Connection {
 public:
  PostgresConnection(PgConn conn, std::string url, bool reader)
      : conn_(std::move(conn)),
        url_(std::move(url)),
        description_(RedactedUrl(url_)),
        reader_(reader) {}

  Engine engine() const override { return Engine::kPostgres; }

  Status Execute(std::string_view sql) override {
    const std::string original(sql);
    if (lost_in_transaction_) {
      // The server rolled the transaction back when the connection went:
      // the caller's ROLLBACK has nothing left to do but reconnect.
      if (IsRollback(sql)) {
        lost_in_transaction_ = false;
        return Status::Ok();
      }
      return LostTransaction(original);
    }
    TW_RETURN_IF_ERROR(Reconnect());
    Result<PgResult> result = Check(original, Exec(TranslateForPostgres(sql)));
    if (!result.ok()) return result.status();
    // A COMMIT of a transaction in which a statement failed is answered
    // "ROLLBACK", not an error: say so, or the caller would take its writes
    // for committed.
    if (EqualsIgnoreCase(TrimSql(sql), "COMMIT") &&
        std::string_view(PQcmdStatus(result->get())) == "ROLLBACK") {
      // A bug of trailwatch's: a failure inside a transaction must end it.
      return Status(StatusCode::kInternal,
                    "PostgreSQL rolled the transaction back instead of committing it: a "
                    "statement in it had failed (" +
                        description_ + ")");
    }
    return Status::Ok();
  }

  Result<std::unique_ptr<Cursor>> Prepare(std::string_view sql) override {
    return std::unique_ptr<Cursor>(new PostgresCursor(this, std::string(sql)));
  }

  bool InTransaction() const override {
    // A broken connection reports PQTRANS_UNKNOWN: whether the caller still
    // holds a transaction is what we saw when it broke.
    if (PQstatus(conn_.get()) == CONNECTION_BAD) return lost_in_transaction_;
    return PQtransactionStatus(conn_.get()) != PQTRANS_IDLE;
  }

  Status BeginWrite() override {
    TW_RETURN_IF_ERROR(Execute("BEGIN"));
    Status locked = Execute(kWriterLock);
    if (!locked.ok()) {
      if (PQstatus(conn_.get()) == CONNECTION_OK) {
        PgResult ignored(PQexec(conn_.get(), "ROLLBACK"));
      } else {
        lost_in_transaction_ = false;  // nobody holds this transaction
      }
      return locked;
    }
    return Status::Ok();
  }

  std::int64_t Changes() const override { return changes_; }

  Result<bool> HasTable(std::string_view name) override {
    PostgresCursor query(this, "SELECT to_regclass(?) IS NOT NULL");
    TW_RETURN_IF_ERROR(query.BindText(1, name));
    Result<bool> row = query.Step();
    if (!row.ok()) return row.status();
    return *row && query.ColumnInt(0) == 1;
  }

  Status CheckIntegrity(std::int64_t) override { return Status::Ok(); }

  const std::string& description() const override { return description_; }
  const std::string& location() const override { return url_; }

  // Runs one translated statement with parameters; for cursors.
  Result<PgResult> Run(const std::string& sql, const std::string& translated,
                       const std::vector<Param>& params) {
    if (lost_in_transaction_) return LostTransaction(sql);
    TW_RETURN_IF_ERROR(Reconnect());
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    std::vector<Oid> types;
    for (const Param& p : params) {
      values.push_back(p.null ? nullptr : p.value.data());
      lengths.push_back(static_cast<int>(p.value.size()));
      formats.push_back(p.format);
      types.push_back(p.type);
    }
    NoteTransaction();
    PgResult result(PQexecParams(conn_.get(), translated.c_str(), static_cast<int>(params.size()),
                                 types.data(), values.data(), lengths.data(), formats.data(),
                                 /*resultFormat=*/0));
    return Check(sql, std::move(result));
  }

  // Session settings, run on connect and after a reconnect.
  Status Configure() {
    PgResult result(PQexec(conn_.get(), kSessionSettings));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) return Failure(kSessionSettings, result);
    if (reader_) {
      result.reset(PQexec(conn_.get(), kReaderSettings));
      if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) return Failure(kReaderSettings, result);
    }
    return Status::Ok();
  }

 private:
  static bool IsRollback(std::string_view sql) {
    std::string_view s = TrimSql(sql);
    return EqualsIgnoreCase(s, "ROLLBACK") || EqualsIgnoreCase(s, "ROLLBACK TRANSACTION");
  }

  Status LostTransaction(const std::string& sql) const {
    return Status(StatusCode::kUnavailable,
                  "cannot run \"" + sql +
                      "\": the connection to PostgreSQL was lost inside a transaction, which "
                      "the server rolled back (" +
                      description_ + ")" + kTryAgain);
  }

  // A connection the server closed is opened again before the next
  // statement, never by retrying the one that failed: a write might have
  // committed before the connection went.
  Status Reconnect() {
    if (PQstatus(conn_.get()) != CONNECTION_BAD) return Status::Ok();
    PQreset(conn_.get());
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      return Status(StatusCode::kUnavailable, "cannot reconnect to PostgreSQL at " + description_ +
                                                  ": " + OneLine(PQerrorMessage(conn_.get())) +
                                                  kTryAgain);
    }
    return Configure();
  }

  // Notes whether a transaction is open before each statement, to know
  // afterwards whether a lost connection took one with it.
  void NoteTransaction() { was_in_transaction_ = PQtransactionStatus(conn_.get()) != PQTRANS_IDLE; }

  PgResult Exec(const std::string& translated) {
    NoteTransaction();
    return PgResult(PQexec(conn_.get(), translated.c_str()));
  }

  Result<PgResult> Check(const std::string& sql, PgResult result) {
    ExecStatusType status = PQresultStatus(result.get());
    if (result != nullptr && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) {
      // Only INSERT, UPDATE, DELETE (and MERGE) count, as sqlite3_changes():
      // a SELECT between an UPDATE and Changes() leaves the count alone.
      std::string_view command = PQcmdStatus(result.get());
      if (command.starts_with("INSERT") || command.starts_with("UPDATE") ||
          command.starts_with("DELETE") || command.starts_with("MERGE")) {
        changes_ = std::strtoll(PQcmdTuples(result.get()), nullptr, 10);
      }
      return result;
    }
    if (PQstatus(conn_.get()) == CONNECTION_BAD) {
      lost_in_transaction_ = was_in_transaction_;
      return Status(StatusCode::kUnavailable,
                    "cannot run \"" + sql + "\": the connection to PostgreSQL was lost (" +
                        ErrorText(result) + ") (" + description_ + ")" + kTryAgain);
    }
    return Failure(sql, result);
  }

  // The server's primary message, else libpq's own.
  std::string ErrorText(const PgResult& result) const {
    if (result != nullptr) {
      if (const char* primary = PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY)) {
        return primary;
      }
      if (*PQresultErrorMessage(result.get()) != '\0') {
        return OneLine(PQresultErrorMessage(result.get()));
      }
      if (PQresultStatus(result.get()) != PGRES_FATAL_ERROR) {
        // COPY and the like: nothing trailwatch sends.
        return std::string("unexpected result ") + PQresStatus(PQresultStatus(result.get()));
      }
    }
    return OneLine(PQerrorMessage(conn_.get()));
  }

  Status Failure(std::string_view sql, const PgResult& result) const {
    const char* state =
        result != nullptr ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
    std::string message = ErrorText(result);
    StatusCode code = state != nullptr ? CodeForSqlState(state) : StatusCode::kInternal;
    if (state == nullptr && result == nullptr) code = StatusCode::kUnavailable;  // out of memory
    std::string text = "cannot run \"" + std::string(sql) + "\": " + message;
    text += " (" + description_ + ")";
    if (code == StatusCode::kUnavailable) text += kTryAgain;
    return Status(code, std::move(text));
  }

  friend class PostgresCursor;

  PgConn conn_;
  std::string url_;
  std::string description_;
  bool reader_;
  std::int64_t changes_ = 0;
  bool was_in_transaction_ = false;
  // The connection broke inside a transaction the caller still thinks it
  // holds: refuse everything but its ROLLBACK, so that statements meant
  // for that transaction do not commit one by one on a new connection.
  bool lost_in_transaction_ = false;
};

Result<bool> PostgresCursor::Step() {
  if (result_ == nullptr) {
    Result<PgResult> result = connection_->Run(sql_, translated_, params_);
    if (!result.ok()) return result.status();
    result_ = std::move(result).value();
    rows_ = PQresultStatus(result_.get()) == PGRES_TUPLES_OK ? PQntuples(result_.get()) : 0;
    decoded_.clear();
    decoded_.resize(static_cast<std::size_t>(PQnfields(result_.get())));
    row_ = 0;
  } else if (row_ < rows_) {
    ++row_;
    ClearDecoded();
  }
  return row_ < rows_;
}

// Replaces the value of each `password=` in `text` (query parameters or
// keyword/value pairs), up to the next `stop` character.
void RedactPasswordParameters(std::string& text, std::size_t from, std::string_view stop) {
  static constexpr std::string_view kKey = "password=";
  for (std::size_t at = text.find(kKey, from); at != std::string::npos;
       at = text.find(kKey, at + 1)) {
    const bool starts = at == from || stop.find(text[at - 1]) != std::string_view::npos ||
                        text[at - 1] == '?' || text[at - 1] == '&';
    if (!starts) continue;
    const std::size_t value = at + kKey.size();
    std::size_t end = value;
    if (end < text.size() && text[end] == '\'') {
      // A quoted keyword/value ('...' with \' escapes).
      for (++end; end < text.size() && text[end] != '\''; ++end) {
        if (text[end] == '\\') ++end;
      }
      end = std::min(end + 1, text.size());
    } else {
      while (end < text.size() && stop.find(text[end]) == std::string_view::npos) ++end;
    }
    text.replace(value, end - value, "***");
  }
}

}  // namespace

std::string TranslateForPostgres(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next_param = 1;
  for (std::size_t i = 0; i < sql.size();) i = TranslateStatement(sql, i, next_param, out);
  return out;
}

std::string RedactedUrl(const std::string& url) {
  std::string out = url;
  const std::size_t scheme = out.find("://");
  if (scheme == std::string::npos) {
    // A keyword/value connection string: "host=... password=...".
    RedactPasswordParameters(out, 0, " \t\n");
    return out;
  }
  const std::size_t authority = scheme + 3;
  std::size_t authority_end = out.find_first_of("/?#", authority);
  if (authority_end == std::string::npos) authority_end = out.size();
  // The last '@' ends the user info: an '@' in a password should be %40,
  // but a raw one must not leak the rest of it.
  const std::size_t at = out.rfind('@', authority_end);
  if (at != std::string::npos && at >= authority) {
    const std::size_t colon = out.find(':', authority);
    if (colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, "***");
      authority_end = out.find_first_of("/?#", authority);
      if (authority_end == std::string::npos) authority_end = out.size();
    }
  }
  const std::size_t query = out.find('?', authority_end);
  if (query != std::string::npos) RedactPasswordParameters(out, query + 1, "&#");
  return out;
}

Result<std::unique_ptr<Connection>> OpenPostgres(const std::string& url, bool reader) {
  // The URL comes last with expand_dbname, so its own connect_timeout,
  // keepalives or application_name win over these defaults. A server
  // that vanishes without a reset (a partition, a host powered off) must
  // fail the node's statements within about half a minute, not after the
  // kernel's retransmissions (about 15 min) or its 2-hour keepalive: the
  // node holds the engine lock meanwhile, and a load balancer's health
  // check should see it fail.
  const char* keys[] = {"connect_timeout",    "keepalives_idle",  "keepalives_interval",
                        "keepalives_count",   "tcp_user_timeout", "fallback_application_name",
                        "dbname",             nullptr};
  const char* values[] = {"10", "10", "5", "3", "30000", "trailwatch", url.c_str(), nullptr};
  PgConn conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (conn == nullptr) {
    return Status(StatusCode::kUnavailable,
                  "cannot connect to PostgreSQL at " + RedactedUrl(url) + ": out of memory");
  }
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    std::string message = OneLine(PQerrorMessage(conn.get()));
    // libpq may quote the connection string back: keep the password out.
    if (!url.empty()) {
      for (std::size_t at = message.find(url); at != std::string::npos;
           at = message.find(url, at + 1)) {
        message.replace(at, url.size(), RedactedUrl(url));
      }
    }
    return Status(CodeForConnectFailure(message),
                  "cannot connect to PostgreSQL at " + RedactedUrl(url) + ": " + message);
  }
  auto connection = std::make_unique<PostgresConnection>(std::move(conn), url, reader);
  TW_RETURN_IF_ERROR(connection->Configure());
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace tw::store::internal
