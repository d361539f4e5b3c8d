// Inside store: what Database needs from a database engine, so that one
// Database (database.h) serves both the embedded SQLite file and a shared
// PostgreSQL server. Only database.cc and the two engine files include it.
//
// The SQL the modules write is SQLite's dialect with `?` parameters; the
// PostgreSQL connection translates it (TranslateForPostgres) once per
// Prepare. Everything engine-specific beyond that (locking, integrity
// checks, "does this table exist") is a method here.

#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "store/database.h"

namespace tw::store::internal {

// One prepared statement of one connection. Bind indices start at 1,
// columns at 0. Column values are valid until the next Step() or Reset().
class Cursor {
 public:
  virtual ~Cursor() = default;
  virtual Status BindInt(int index, std::int64_t value) = 0;
  virtual Status BindDouble(int index, double value) = 0;
  virtual Status BindText(int index, std::string_view text) = 0;
  virtual Status BindBlob(int index, std::string_view bytes) = 0;
  virtual Status BindNull(int index) = 0;
  // True when a row is ready, false when done.
  virtual Result<bool> Step() = 0;
  // Ready to run again from the first row; bindings are kept.
  virtual void Reset() = 0;
  virtual std::int64_t ColumnInt(int column) const = 0;
  virtual double ColumnDouble(int column) const = 0;
  // The bytes of a text or blob column ("" for NULL).
  virtual std::string_view ColumnBytes(int column) const = 0;
  virtual bool ColumnIsNull(int column) const = 0;
  // The statement's text, for messages.
  virtual std::string sql() const = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Engine engine() const = 0;
  // Runs statements without rows (several, separated by `;`).
  virtual Status Execute(std::string_view sql) = 0;
  virtual Result<std::unique_ptr<Cursor>> Prepare(std::string_view sql) = 0;
  virtual bool InTransaction() const = 0;
  // Opens the outermost transaction as the one writer: SQLite's BEGIN
  // IMMEDIATE; on PostgreSQL BEGIN and a transaction-scoped advisory lock
  // that every writer of every node takes, so that read-modify-write code
  // written for SQLite stays correct with several nodes.
  virtual Status BeginWrite() = 0;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  virtual std::int64_t Changes() const = 0;
  virtual Result<bool> HasTable(std::string_view name) = 0;
  virtual Status CheckIntegrity(std::int64_t whole_file_check_bytes) = 0;
  // Where the data lives, for messages: a file path, or a PostgreSQL URL
  // without its password.
  virtual const std::string& description() const = 0;
  // What opens another connection to the same data (a path, or the URL
  // with its password).
  virtual const std::string& location() const = 0;
};

Result<std::unique_ptr<Connection>> OpenSqlite(const std::string& path, bool reader);
Result<std::unique_ptr<Connection>> OpenSqliteInMemory();
Result<std::unique_ptr<Connection>> OpenPostgres(const std::string& url, bool reader);

// SQLite's dialect, as trailwatch's modules write it, in PostgreSQL's:
// `?` and `?N` become `$N`; in DDL INTEGER becomes BIGINT (INTEGER PRIMARY
// KEY an identity column), REAL DOUBLE PRECISION, BLOB BYTEA, TEXT columns
// compare bytewise (COLLATE "C") as SQLite's do; min()/max() of two or more
// arguments become LEAST()/GREATEST(). Words inside string literals and
// quoted identifiers are left alone.
std::string TranslateForPostgres(std::string_view sql);

// `url` with its password (in the user info or a password= parameter)
// replaced by "***", for messages and logs.
std::string RedactedUrl(const std::string& url);

}  // namespace tw::store::internal
