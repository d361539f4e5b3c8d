// A throwaway PostgreSQL server on 127.0.0.1 for the store tests:
// scratch_postgres.sh (initdb, pg_ctl) on a directory of its own, with
// trust authentication for the role "trailwatch" and fsync off.
//
// Start() makes a directory under $TMPDIR (or /tmp), creates the cluster
// and starts the server on a free port (about a second); the destructor
// stops it and deletes the directory. Each test makes its own database
// with CreateDatabase(), so tests sharing one server do not see each
// other's tables.
//
//   Result<ScratchPostgres> pg = ScratchPostgres::Start();
//   if (pg.status().code() == StatusCode::kFailedPrecondition) GTEST_SKIP() << ...;
//   Result<std::string> url = pg->CreateDatabase("round_trip");
//   Result<store::Database> db = store::Database::Open(*url);
//
// Run as root (as in the sandbox), the server runs as the postgres OS user,
// which then owns the directory. One thread at a time.

#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace tw::testing {

class ScratchPostgres {
 public:
  // kFailedPrecondition when PostgreSQL's binaries are not installed (the
  // message names the package); kUnavailable when the server does not start
  // (the message quotes the script's output and the server log).
  static Result<ScratchPostgres> Start();

  ScratchPostgres(ScratchPostgres&& other) noexcept;
  ScratchPostgres& operator=(ScratchPostgres&& other) noexcept;
  ScratchPostgres(const ScratchPostgres&) = delete;
  ScratchPostgres& operator=(const ScratchPostgres&) = delete;
  ~ScratchPostgres();

  // postgresql://trailwatch@127.0.0.1:<port>/postgres
  std::string url() const { return url_; }

  // Creates database `name` (lowercase letters, digits and '_') and returns
  // its URL. Any failure is kUnavailable with createdb's message.
  Result<std::string> CreateDatabase(std::string_view name);

  // A fast shutdown: the server cuts open connections.
  Status Stop();
  // Stop, then start again on the same port, so old URLs stay valid and
  // old connections find their server gone.
  Status Restart();

 private:
  ScratchPostgres(std::string dir, std::string url) : dir_(std::move(dir)), url_(std::move(url)) {}
  void Release();

  std::string dir_;  // "" once moved from; removed by the destructor
  std::string url_;
};

}  // namespace tw::testing
