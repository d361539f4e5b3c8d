#include "common/status.h"

#include <gtest/gtest.h>

#include <string>

namespace tw {
namespace {

Result<int> Half(int value) {
  if (value % 2 != 0) return InvalidArgument(std::to_string(value) + " is odd");
  return value / 2;
}

Status HalfTwice(int value, int* out) {
  Result<int> once = Half(value);
  TW_RETURN_IF_ERROR(once.ok() ? Status::Ok() : once.status());
  Result<int> twice = Half(*once);
  if (!twice.ok()) return twice.status();
  *out = *twice;
  return Status::Ok();
}

TEST(StatusTest, OkAndErrorsRenderForPeople) {
  EXPECT_TRUE(Status::Ok().ok());
  EXPECT_EQ(Status::Ok().ToString(), "ok");
  Status error = NotFound("log group 'x' does not exist");
  EXPECT_FALSE(error.ok());
  EXPECT_EQ(error.code(), StatusCode::kNotFound);
  EXPECT_EQ(error.ToString(), "not found: log group 'x' does not exist");
}

TEST(StatusTest, ResultCarriesValueOrError) {
  Result<int> four = Half(8);
  ASSERT_TRUE(four.ok());
  EXPECT_EQ(*four, 4);
  Result<int> odd = Half(3);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.status().message(), "3 is odd");
}

TEST(StatusTest, ReturnIfErrorStopsAtFirstFailure) {
  int out = 0;
  EXPECT_TRUE(HalfTwice(8, &out).ok());
  EXPECT_EQ(out, 2);
  Status failed = HalfTwice(6, &out);  // 6 -> 3 -> odd
  EXPECT_EQ(failed.message(), "3 is odd");
  EXPECT_EQ(HalfTwice(5, &out).message(), "5 is odd");
}

TEST(StatusTest, ResultWithCustomErrorType) {
  struct Oops {
    int where;
  };
  Result<std::string, Oops> bad = Oops{7};
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().where, 7);
  Result<std::string, Oops> good = std::string("fine");
  EXPECT_EQ(*good, "fine");
}

}  // namespace
}  // namespace tw
