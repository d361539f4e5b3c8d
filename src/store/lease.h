// Named leases in the store: at most one holder of a name at a time among
// every process that shares the store (nodes on one PostgreSQL database),
// for work that one node must do alone, such as evaluating alarms.
//
//   TW_RETURN_IF_ERROR(Lease::Migrate(db));
//   Result<bool> mine = Lease::Acquire(db, "evaluator", node, clock.Now(), seconds(10));
//   if (mine.ok() && *mine) { ... each write: Lease::CheckHeld(db, ...) in its transaction ... }
//
// A holder renews its lease by acquiring it again before it runs out; when
// it stops (or dies), another process acquires the name once the lease has
// run out. Expiry is read on the callers' clocks: the nodes' clocks must
// agree to well within the lease's length (NTP does).

#pragma once

#include <string_view>

#include "common/status.h"
#include "common/time.h"
#include "store/database.h"

namespace tw::store {

class Lease {
 public:
  // Creates the leases table if needed.
  static Status Migrate(Database& db);

  // Takes lease `name` for `holder` until now + length, or renews it, when
  // it is free, has run out at `now`, or is `holder`'s already. True when
  // `holder` holds it now; false when another holder does.
  static Result<bool> Acquire(Database& db, std::string_view name, std::string_view holder,
                              TimePoint now, Duration length);

  // For a write that only the holder may make, inside its transaction:
  // kFailedPrecondition (saying who holds it, if anyone) unless `holder`
  // holds `name` at `now`, so that a holder whose lease ran out while it
  // worked commits nothing.
  static Status CheckHeld(Database& db, std::string_view name, std::string_view holder,
                          TimePoint now);

  // Gives the lease up at once (a node stopping), if `holder` has it.
  static Status Release(Database& db, std::string_view name, std::string_view holder);
};

}  // namespace tw::store
