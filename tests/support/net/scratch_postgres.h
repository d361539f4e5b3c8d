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
#include <vector>

#include "common/status.h"

namespace tw::testing {

class ScratchPostgres {
 public:
  // kFailedPrecondition when PostgreSQL's binaries are not installed (the
  // message names the package); kUnavailable when the server does not start
  // (the message quotes the script's output and the server log).
  static Result<ScratchPostgres> Start();
  // The server another process started in `dir` (ctest's fixture, see
  // tests/CMakeLists.txt): used, not owned. The destructor drops the
  // databases this object created and leaves the server running.
  static Result<ScratchPostgres> Attach(std::string dir);

  ScratchPostgres(ScratchPostgres&& other) noexcept;
  ScratchPostgres& operator=(ScratchPostgres&& other) noexcept;
  ScratchPostgres(const ScratchPostgres&) = delete;
  ScratchPostgres& operator=(const ScratchPostgres&) = delete;
  ~ScratchPostgres();

  // postgresql://trailwatch@127.0.0.1:<port>/postgres
  std::string url() const { return url_; }

  // Creates database `name` (lowercase letters, digits and '_') and returns
  // its URL. Any failure is kUnavailable with createdb's message. Names
  // must be unique per server: an attached server is shared by processes
  // running at the same time (UniqueDatabaseName).
  Result<std::string> CreateDatabase(std::string_view name);

  // `base`, made unique among the processes sharing a server (the process
  // id and a count), cut to PostgreSQL's 63 bytes.
  static std::string UniqueDatabaseName(std::string_view base);

  // A fast shutdown: the server cuts open connections.
  Status Stop();
  // Stop, then start again on the same port, so old URLs stay valid and
  // old connections find their server gone.
  Status Restart();

 private:
  ScratchPostgres(std::string dir, std::string url, bool owned)
      : dir_(std::move(dir)), url_(std::move(url)), owned_(owned) {}
  void Release();

  std::string dir_;  // "" once moved from; removed by the destructor when owned
  std::string url_;
  bool owned_ = true;
  std::vector<std::string> created_;  // dropped by the destructor when not owned
};

}  // namespace tw::testing
