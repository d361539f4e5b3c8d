// Issue 12: a subscription confirmed with AuthenticateOnUnsubscribe=true (by
// a signed ConfirmSubscription) is removed only by a signed Unsubscribe, as
// on SNS ("the unsubscribe action requires AWS authentication"); the
// unsigned UnsubscribeURL in every message is refused with SNS's
// AuthorizationError (403). The end-to-end version, over HTTP against
// `trailwatch serve`, is unsubscribe_link_test.py.
//
// Before: Sns::Unsubscribe had no notion of who asked, and the unsigned
// link removed every subscription, authenticated confirmation or not.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/errors.h"
#include "common/time.h"
#include "notify/sns.h"
#include "store/database.h"

namespace tw::notify {
namespace {

namespace fs = std::filesystem;

class UnsubscribeAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tw-unsub-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    Result<store::Database> db = store::Database::Open(dir_ + "/trailwatch.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_.emplace(std::move(db).value());
    Result<std::unique_ptr<Sns>> sns = Sns::Open(&*db_, {}, &clock_);
    ASSERT_TRUE(sns.ok()) << sns.status().ToString();
    sns_ = std::move(sns).value();
    Result<Topic> topic = sns_->CreateTopic("alerts", {});
    ASSERT_TRUE(topic.ok());
    topic_arn_ = topic->arn;
  }
  void TearDown() override {
    sns_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  // A pending e-mail subscription, confirmed with its token.
  Subscription Confirmed(const std::string& address, bool authenticated) {
    Result<Subscription> sub = sns_->Subscribe(topic_arn_, "email", address, {});
    EXPECT_TRUE(sub.ok()) << sub.status().ToString();
    Result<std::string> token = sns_->PendingToken(sub->arn);
    EXPECT_TRUE(token.ok()) << token.status().ToString();
    Result<Subscription> confirmed = sns_->ConfirmSubscription(topic_arn_, *token, authenticated);
    EXPECT_TRUE(confirmed.ok()) << confirmed.status().ToString();
    return *confirmed;
  }

  ManualClock clock_{*ParseTimestamp("2024-03-01T12:00:00Z")};
  std::string dir_;
  std::optional<store::Database> db_;
  std::unique_ptr<Sns> sns_;
  std::string topic_arn_;
};

TEST_F(UnsubscribeAuthTest, AnAuthenticatedConfirmationRefusesTheUnsignedLink) {
  Subscription sub = Confirmed("ops@example.com", /*authenticated=*/true);
  EXPECT_EQ(sns_->SubscriptionAttributes(sub.arn)->at("ConfirmationWasAuthenticated"), "true");

  Status refused = sns_->Unsubscribe(sub.arn, Authentication::kUnsigned);
  EXPECT_EQ(refused.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.message(),
            "Subscription not removed: it was confirmed with AuthenticateOnUnsubscribe=true, so "
            "only the topic or subscription owner can unsubscribe it, with an AWS signature (aws "
            "sns unsubscribe --subscription-arn " +
                sub.arn + ")");
  ASSERT_TRUE(sns_->GetSubscription(sub.arn).ok());  // still there, still confirmed
  EXPECT_TRUE(sns_->GetSubscription(sub.arn)->confirmed);

  // SNS's answer to it: AuthorizationError, 403.
  api::ApiError error = api::SnsErrorFor(refused);
  EXPECT_EQ(error.http_status, 403);
  EXPECT_EQ(error.code, "AuthorizationError");
  EXPECT_EQ(error.shape, "AuthorizationErrorException");
  EXPECT_EQ(error.message, refused.message());

  // The owner's signed request removes it.
  EXPECT_TRUE(sns_->Unsubscribe(sub.arn, Authentication::kSigned).ok());
  EXPECT_EQ(sns_->GetSubscription(sub.arn).status().code(), StatusCode::kNotFound);
}

TEST_F(UnsubscribeAuthTest, APlainConfirmationCanStillBeUndoneByTheLink) {
  Subscription guarded = Confirmed("guarded@example.com", /*authenticated=*/true);
  Subscription open = Confirmed("open@example.com", /*authenticated=*/false);
  EXPECT_EQ(sns_->SubscriptionAttributes(open.arn)->at("ConfirmationWasAuthenticated"), "false");
  EXPECT_EQ(sns_->Unsubscribe(guarded.arn, Authentication::kUnsigned).code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(sns_->Unsubscribe(open.arn, Authentication::kUnsigned).ok());
  Result<std::vector<Subscription>> left = sns_->ListSubscriptions(topic_arn_);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].arn, guarded.arn);
  // An unknown ARN is still NotFound, whoever asks.
  EXPECT_EQ(sns_->Unsubscribe(topic_arn_ + ":nope", Authentication::kUnsigned).code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace tw::notify
