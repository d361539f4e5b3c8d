// Named leases on both engines: one holder at a time, renewal, expiry,
// and the check that fences a write made after the lease ran out.

#include "store/lease.h"

#include <gtest/gtest.h>

#include <memory>

#include "store/test_databases.h"

namespace tw::store {
namespace {

using std::chrono::seconds;

class LeaseTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    TW_OPEN_EMPTY_OR_SKIP(db_, GetParam());
    ASSERT_TRUE(Lease::Migrate(*db_).ok());
  }

  bool Acquire(std::string_view holder, seconds at) {
    Result<bool> held = Lease::Acquire(*db_, "evaluator", holder, start_ + at, seconds(10));
    EXPECT_TRUE(held.ok()) << held.status().ToString();
    return held.ok() && *held;
  }
  Status Check(std::string_view holder, seconds at) {
    return Lease::CheckHeld(*db_, "evaluator", holder, start_ + at);
  }

  const TimePoint start_ = *ParseTimestamp("2024-03-01T12:00:00Z");
  std::unique_ptr<Database> db_;
};

TEST_P(LeaseTest, OneHolderAtATimeUntilItRunsOut) {
  EXPECT_EQ(Check("node-a", seconds(0)).message(), "the lease 'evaluator' is held by nobody");
  ASSERT_TRUE(Acquire("node-a", seconds(0)));
  EXPECT_TRUE(Check("node-a", seconds(9)).ok());
  EXPECT_FALSE(Acquire("node-b", seconds(9)));
  EXPECT_EQ(Check("node-b", seconds(9)).message(), "the lease 'evaluator' is held by node-a");
  // Renewed at 8 s: good until 18 s.
  EXPECT_TRUE(Acquire("node-a", seconds(8)));
  EXPECT_FALSE(Acquire("node-b", seconds(17)));
  // node-a stopped renewing (it died): node-b takes over when the lease ends.
  Status late = Check("node-a", seconds(18));
  EXPECT_EQ(late.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(late.message(), "the lease 'evaluator' of node-a ran out at 2024-03-01T12:00:18Z");
  EXPECT_TRUE(Acquire("node-b", seconds(18)));
  EXPECT_FALSE(Acquire("node-a", seconds(19)));
  EXPECT_EQ(Check("node-a", seconds(19)).message(), "the lease 'evaluator' is held by node-b");
  // Another name is another lease.
  Result<bool> other = Lease::Acquire(*db_, "pruner", "node-a", start_ + seconds(19), seconds(10));
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(*other);
}

TEST_P(LeaseTest, ReleaseHandsItOverAtOnce) {
  ASSERT_TRUE(Acquire("node-a", seconds(0)));
  ASSERT_TRUE(Lease::Release(*db_, "evaluator", "node-b").ok());  // not node-b's: kept
  EXPECT_FALSE(Acquire("node-b", seconds(1)));
  ASSERT_TRUE(Lease::Release(*db_, "evaluator", "node-a").ok());
  EXPECT_TRUE(Acquire("node-b", seconds(1)));
}

INSTANTIATE_TEST_SUITE_P(Engines, LeaseTest, kBothEngines, EngineName);

}  // namespace
}  // namespace tw::store
