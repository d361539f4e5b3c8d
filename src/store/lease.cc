#include "store/lease.h"

#include <string>

namespace tw::store {
namespace {

constexpr std::string_view kSchema[] = {
    R"sql(
CREATE TABLE leases (
  name       TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  expires_at INTEGER NOT NULL  -- epoch milliseconds
);
)sql",
};

}  // namespace

Status Lease::Migrate(Database& db) { return db.Migrate("leases", kSchema); }

Result<bool> Lease::Acquire(Database& db, std::string_view name, std::string_view holder,
                            TimePoint now, Duration length) {
  // One statement: of two processes acquiring at once, the second finds the
  // first's row (PostgreSQL re-reads it after waiting for the first's
  // write) and changes nothing.
  Result<Statement> upsert = db.Prepare(
      "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) "
      "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
      "expires_at = excluded.expires_at WHERE leases.expires_at <= ? OR leases.holder = ?");
  if (!upsert.ok()) return upsert.status();
  upsert->BindAll(name, holder, ToEpochMillis(now + length), ToEpochMillis(now), holder);
  TW_RETURN_IF_ERROR(upsert->Run());
  return db.Changes() == 1;
}

Status Lease::CheckHeld(Database& db, std::string_view name, std::string_view holder,
                        TimePoint now) {
  Result<Statement> query = db.Prepare("SELECT holder, expires_at FROM leases WHERE name = ?");
  if (!query.ok()) return query.status();
  query->Bind(1, name);
  Result<bool> row = query->Step();
  if (!row.ok()) return row.status();
  const std::string what = "the lease '" + std::string(name) + "'";
  if (!*row) {
    return Status(StatusCode::kFailedPrecondition, what + " is held by nobody");
  }
  const std::string current = query->ColumnText(0);
  const TimePoint expires = FromEpochMillis(query->ColumnInt(1));
  if (current != holder) {
    return Status(StatusCode::kFailedPrecondition, what + " is held by " + current);
  }
  if (expires <= now) {
    return Status(StatusCode::kFailedPrecondition,
                  what + " of " + current + " ran out at " + FormatIso8601(expires));
  }
  return Status::Ok();
}

Status Lease::Release(Database& db, std::string_view name, std::string_view holder) {
  Result<Statement> erase = db.Prepare("DELETE FROM leases WHERE name = ? AND holder = ?");
  if (!erase.ok()) return erase.status();
  erase->BindAll(name, holder);
  return erase->Run();
}

}  // namespace tw::store
