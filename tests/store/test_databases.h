// Empty databases of either engine, for store tests that must hold on both:
// SQLite in memory, or a fresh database on one scratch PostgreSQL server
// shared by the whole test binary (started on first use, about a second).
//
//   class FooTest : public ::testing::TestWithParam<Engine> {
//     void SetUp() override { TW_OPEN_EMPTY_OR_SKIP(db_, GetParam()); }
//   };
//   INSTANTIATE_TEST_SUITE_P(Engines, FooTest, kBothEngines, EngineName);

#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "common/status.h"
#include "store/database.h"
#include "support/net/scratch_postgres.h"

namespace tw::store {

inline const auto kBothEngines = ::testing::Values(Engine::kSqlite, Engine::kPostgres);

inline std::string EngineName(const ::testing::TestParamInfo<Engine>& info) {
  return info.param == Engine::kSqlite ? "Sqlite" : "Postgres";
}

// The scratch server of this test process: under ctest, the one server
// the whole run shares (fixture postgres_cluster, whose directory is in
// TW_TEST_POSTGRES_DIR: starting a server per test process cost a second
// each); otherwise one started here, stopped and deleted at exit.
// kFailedPrecondition when PostgreSQL is not installed (the caller skips),
// kept for every later call.
inline Result<testing::ScratchPostgres*> SharedPostgres() {
  static Result<testing::ScratchPostgres> server = [] {
    const char* shared = std::getenv("TW_TEST_POSTGRES_DIR");
    if (shared != nullptr && *shared != '\0') return testing::ScratchPostgres::Attach(shared);
    return testing::ScratchPostgres::Start();
  }();
  if (!server.ok()) return server.status();
  return &server.value();
}

// The URL of a new, empty database on the shared server.
inline Result<std::string> NewPostgresDatabase() {
  Result<testing::ScratchPostgres*> server = SharedPostgres();
  if (!server.ok()) return server.status();
  return (*server)->CreateDatabase(testing::ScratchPostgres::UniqueDatabaseName("empty"));
}

// Where a new, empty store of `engine` lives, for tests that open it more
// than once (two nodes, a deliverer's own connection): a file in `dir` for
// SQLite, a new database on the shared server for PostgreSQL.
inline Result<std::string> NewLocation(Engine engine, const std::string& dir) {
  if (engine == Engine::kSqlite) return dir + "/trailwatch.db";
  return NewPostgresDatabase();
}

inline Result<Database> OpenEmpty(Engine engine) {
  if (engine == Engine::kSqlite) return Database::OpenInMemory();
  Result<std::string> url = NewPostgresDatabase();
  if (!url.ok()) return url.status();
  return Database::Open(*url);
}

}  // namespace tw::store

// Opens an empty database of `engine` into `target` (a unique_ptr<Database>);
// skips the test when PostgreSQL is not installed, fails on other errors.
#define TW_OPEN_EMPTY_OR_SKIP(target, engine)                                          \
  do {                                                                                 \
    Result<::tw::store::Database> opened_ = ::tw::store::OpenEmpty(engine);            \
    if (!opened_.ok() && opened_.status().code() == StatusCode::kFailedPrecondition) { \
      GTEST_SKIP() << opened_.status().message();                                      \
    }                                                                                  \
    ASSERT_TRUE(opened_.ok()) << opened_.status().ToString();                          \
    target = std::make_unique<::tw::store::Database>(std::move(opened_).value());      \
  } while (false)

// NewLocation(engine, dir) into `target` (a std::string), with the same
// skip and failure as TW_OPEN_EMPTY_OR_SKIP.
#define TW_NEW_LOCATION_OR_SKIP(target, engine, dir)                                     \
  do {                                                                                   \
    Result<std::string> location_ = ::tw::store::NewLocation(engine, dir);               \
    if (!location_.ok() && location_.status().code() == StatusCode::kFailedPrecondition) { \
      GTEST_SKIP() << location_.status().message();                                      \
    }                                                                                    \
    ASSERT_TRUE(location_.ok()) << location_.status().ToString();                        \
    target = std::move(location_).value();                                               \
  } while (false)
