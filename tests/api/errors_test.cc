// What a client learns of a server fault: that it happened and whether to
// retry, never the statement or the store's address (those go to the log).

#include "api/errors.h"

#include <gtest/gtest.h>

namespace tw::api {
namespace {

const Status kStatementFailed =
    Internal("cannot run \"SELECT name FROM alarms\": relation does not exist "
             "(postgresql://trailwatch:***@db.internal/trailwatch)");
const Status kStoreDown =
    Status(StatusCode::kUnavailable,
           "cannot reconnect to PostgreSQL at postgresql://trailwatch@db.internal/trailwatch");

TEST(ErrorsTest, ServerFaultsKeepTheirCauseForTheLogOnly) {
  for (const ApiError& e :
       {LogsErrorFor(kStatementFailed), CloudWatchErrorFor(kStatementFailed),
        SnsErrorFor(kStatementFailed), LogsErrorFor(IoError("disk full (/data/trailwatch.db)")),
        CloudWatchErrorFor(DataLoss("the database /data/trailwatch.db is damaged"))}) {
    SCOPED_TRACE(e.code);
    EXPECT_EQ(e.http_status, 500);
    EXPECT_EQ(e.message, "The server failed to process the request; its log has the details.");
    EXPECT_FALSE(e.detail.empty());
  }
  EXPECT_EQ(LogsErrorFor(kStatementFailed).detail, kStatementFailed.message());
  EXPECT_EQ(LogsErrorFor(kStatementFailed).shape, "ServiceUnavailableException");
  EXPECT_EQ(CloudWatchErrorFor(kStatementFailed).code, "InternalServiceError");
  EXPECT_EQ(SnsErrorFor(kStatementFailed).code, "InternalError");
}

TEST(ErrorsTest, AnUnavailableStoreSaysTryAgain) {
  ApiError logs = LogsErrorFor(kStoreDown);
  EXPECT_EQ(logs.http_status, 503);
  EXPECT_EQ(logs.message, "The service is unavailable; try again.");
  EXPECT_EQ(logs.detail, kStoreDown.message());
  EXPECT_EQ(CloudWatchErrorFor(kStoreDown).message, "The service is unavailable; try again.");
  EXPECT_EQ(SnsErrorFor(kStoreDown).message, "The service is unavailable; try again.");
}

TEST(ErrorsTest, RequestErrorsKeepTheirMessage) {
  ApiError missing = LogsErrorFor(NotFound("The specified log group does not exist."));
  EXPECT_EQ(missing.http_status, 400);
  EXPECT_EQ(missing.message, "The specified log group does not exist.");
  EXPECT_EQ(missing.detail, "");
  ApiError in_use = CloudWatchErrorFor(
      Status(StatusCode::kFailedPrecondition, "the alarm A is a child of the composite C"));
  EXPECT_EQ(in_use.message, "the alarm A is a child of the composite C");
  EXPECT_EQ(in_use.detail, "");
}

}  // namespace
}  // namespace tw::api
