// Front door of notify: SNS topics, subscriptions and Publish, kept in the
// store, with every message written to the durable outbox (outbox.h) before
// anything is sent (spec aws-protocols-alarms.md §5).
//
// Protocols delivered: email, email-json, http, https, and slack (a
// trailwatch extension: a Slack-compatible incoming-webhook URL that gets a
// message formatted for people). Subscriptions applied from a template are
// confirmed at once; those made through Subscribe() are pending until their
// token is confirmed, and Subscribe() queues the confirmation request
// (an HTTP SubscriptionConfirmation, or a mail or Slack message with the
// SubscribeURL link).
//
//   Result<std::unique_ptr<Sns>> sns = Sns::Open(&db, options, clock);
//   Result<Topic> topic = (*sns)->CreateTopic("alerts", {{"DisplayName", "Alerts"}});
//   Result<Subscription> sub = (*sns)->Subscribe(topic->arn, "email", "ops@example.com", {});
//   Publication p{.subject = AlarmSubject(change), .message = AlarmMessageJson(change),
//                 .alarm = change};
//   Result<std::string> message_id = (*sns)->Publish(topic->arn, p);
//
// Transactions: Sns runs on the caller's store::Database. Each call is
// atomic on its own; a caller may open a store::Transaction around several
// calls (and its own writes, such as an alarm's new state) so that they
// commit together: the outbox then holds a notification exactly when the
// state change that caused it is stored.
//
// Thread safety: none inside; callers serialize calls on one Sns (the server
// holds one mutex for the store connection it passes here).
//
// Errors: kNotFound (no such topic or subscription: "Topic does not exist"),
// kInvalidArgument in SNS's words ("Invalid parameter: Endpoint"),
// kPermissionDenied (an unsigned Unsubscribe of a subscription that needs a
// signature), store errors as they come.

#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "notify/address_policy.h"
#include "notify/alarm_message.h"
#include "notify/delivery_policy.h"
#include "notify/signing.h"

namespace tw::store {
class Database;
}  // namespace tw::store

namespace tw::notify {

struct SnsOptions {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  // Where people and endpoints reach this trailwatch: the base of
  // SubscribeURL, UnsubscribeURL and SigningCertURL ("http://127.0.0.1:4566").
  std::string public_url = "http://127.0.0.1:4566";
  // The From address of e-mail; the display name is the topic's DisplayName
  // or "AWS Notifications".
  std::string mail_from = "trailwatch@localhost";
  // How long a confirmation token stays valid (SNS: 3 days).
  Duration token_validity = std::chrono::hours(72);
  // Which addresses http, https and slack endpoints may resolve to
  // (address_policy.h); Subscribe refuses the others. The default refuses
  // loopback, private, link-local and the other special-purpose ranges.
  AddressPolicy address_policy;
  // How Subscribe resolves endpoint hosts; empty: ResolveHost (getaddrinfo).
  HostResolver resolve_host;
};

// Who asks for an Unsubscribe: a request with a valid AWS signature of one
// of the account's keys (the API), or anyone who holds the subscription's
// UnsubscribeURL (the unsigned GET link in every message).
enum class Authentication { kSigned, kUnsigned };

struct Topic {
  std::string arn;
  std::string name;
  // Settable attributes as SNS names them (DisplayName, DeliveryPolicy,
  // Policy, SignatureVersion, TracingConfig, KmsMasterKeyId, ...).
  std::map<std::string, std::string> attributes;
  std::map<std::string, std::string> tags;
  TimePoint created;

  std::string display_name() const;
};

struct Subscription {
  std::string arn;  // <topic arn>:<uuid>, also while pending
  std::string topic_arn;
  std::string protocol;
  std::string endpoint;
  std::string owner;  // account ID
  bool confirmed = false;
  bool confirmation_was_authenticated = false;
  bool from_template = false;
  // Settable attributes (RawMessageDelivery, DeliveryPolicy, ...), as given.
  std::map<std::string, std::string> attributes;
  TimePoint created;

  bool raw_message_delivery() const;
};

// What one Publish sends. `message` goes to every protocol unless
// `per_protocol` (MessageStructure=json) has that protocol's key. When
// `alarm` is set (a CloudWatch alarm action), e-mail subscribers get the
// alarm e-mail with "What happened" instead of the JSON text, and Slack a
// formatted alarm.
struct Publication {
  std::optional<std::string> subject;
  std::string message;
  std::map<std::string, std::string> per_protocol;
  std::map<std::string, MessageAttribute> attributes;
  std::optional<AlarmChange> alarm;
  // Recorded with each delivery, for history views ("alarm:<arn>@<time>").
  std::string origin;
};

// What an alarm action publishes for `change`: CloudWatch's subject and
// Message JSON, the evidence as the kEvidenceAttribute message attribute
// (when any event matched), and the change itself for e-mail and Slack.
Publication AlarmPublication(const AlarmChange& change);

// The protocols trailwatch delivers, in the order SNS documents them, plus slack.
bool IsDeliverableProtocol(std::string_view protocol);

// Subscribe's endpoint rule for a deliverable protocol: kInvalidArgument
// "Invalid parameter: Endpoint" with the reason ("must be an https:// URL").
Status CheckEndpoint(std::string_view protocol, std::string_view endpoint);

class Sns {
 public:
  // Creates notify's tables in `db` if needed and loads (or creates, on
  // first use) the signing key kept in the same database. `db` and `clock`
  // must outlive the Sns.
  static Result<std::unique_ptr<Sns>> Open(store::Database* db, SnsOptions options,
                                           const Clock* clock);
  ~Sns();

  const SnsOptions& options() const { return options_; }
  const SigningKey& signing_key() const { return key_; }
  // "<public_url>/SimpleNotificationService-<first 32 hex of the
  // certificate's SHA-256>.pem" and the path part of it ("/Simple...pem").
  std::string SigningCertUrl() const;
  std::string SigningCertPath() const;

  // --- Topics ---
  // CreateTopic: returns the existing topic when one of that name exists
  // and `attributes` agree with it (SNS's idempotence); kInvalidArgument
  // "Invalid parameter: Attributes Reason: Topic already exists with
  // different attributes" otherwise.
  Result<Topic> CreateTopic(std::string_view name,
                            const std::map<std::string, std::string>& attributes,
                            const std::map<std::string, std::string>& tags = {});
  // TagResource/UntagResource: removes `remove`, then sets `add`.
  // kNotFound if the topic is absent; kResourceExhausted when the topic
  // would carry more than kMaxTags tags (nothing changes then).
  static constexpr std::size_t kMaxTags = 50;
  Status TagTopic(std::string_view topic_arn, const std::map<std::string, std::string>& add,
                  const std::vector<std::string>& remove);
  // Deletes the topic and its subscriptions, and drops the notifications
  // and confirmation requests not yet sent to them (an attempt already on
  // the wire completes; outbox.h). kNotFound if absent.
  Status DeleteTopic(std::string_view topic_arn);
  Result<Topic> GetTopic(std::string_view topic_arn);
  Result<std::vector<Topic>> ListTopics();  // by ARN
  // Validates (DeliveryPolicy, SignatureVersion "1"/"2", ...) and sets one
  // attribute; an empty value removes it.
  Status SetTopicAttribute(std::string_view topic_arn, std::string_view name,
                           std::string_view value);
  // GetTopicAttributes as SNS answers it: the settable ones plus TopicArn,
  // Owner, Policy (the default policy when unset), SubscriptionsConfirmed,
  // SubscriptionsPending, SubscriptionsDeleted, EffectiveDeliveryPolicy.
  Result<std::map<std::string, std::string>> TopicAttributes(std::string_view topic_arn);

  // --- Subscriptions ---
  // Subscribe: validates protocol and endpoint, returns the existing
  // subscription for the same topic, protocol and endpoint, else creates a
  // pending one and queues its confirmation request. `confirmed` (template
  // subscriptions) skips the confirmation. An http, https or slack endpoint
  // whose host resolves to an address options().address_policy refuses is
  // kInvalidArgument ("Invalid parameter: Endpoint Reason: localhost
  // resolves to 127.0.0.1, a loopback address; ...").
  Result<Subscription> Subscribe(std::string_view topic_arn, std::string_view protocol,
                                 std::string_view endpoint,
                                 const std::map<std::string, std::string>& attributes,
                                 bool confirmed = false);
  // ConfirmSubscription: kInvalidArgument "Invalid token" for an unknown or
  // expired token; confirming twice returns the same subscription.
  Result<Subscription> ConfirmSubscription(std::string_view topic_arn, std::string_view token,
                                           bool authenticated = false);
  // Deletes the subscription and drops what was not yet sent to it (even a
  // delivery backing off between retries); http/https endpoints then get an
  // UnsubscribeConfirmation. kNotFound if absent. A subscription confirmed
  // with AuthenticateOnUnsubscribe=true by a signed ConfirmSubscription
  // (ConfirmationWasAuthenticated) is removed only by a kSigned request, as
  // on SNS: a kUnsigned one is kPermissionDenied (SNS's AuthorizationError)
  // and the subscription stays.
  Status Unsubscribe(std::string_view subscription_arn, Authentication authentication);
  Result<Subscription> GetSubscription(std::string_view subscription_arn);
  // Confirmed and pending ones, by ARN; all topics' when `topic_arn` is empty.
  Result<std::vector<Subscription>> ListSubscriptions(std::string_view topic_arn = {});
  // RawMessageDelivery ("true"/"false"), DeliveryPolicy (validated);
  // FilterPolicy and the rest are refused as not supported.
  Status SetSubscriptionAttribute(std::string_view subscription_arn, std::string_view name,
                                  std::string_view value);
  // GetSubscriptionAttributes: SubscriptionArn, TopicArn, Owner, Protocol,
  // Endpoint, PendingConfirmation, ConfirmationWasAuthenticated,
  // RawMessageDelivery, DeliveryPolicy (when set), EffectiveDeliveryPolicy.
  Result<std::map<std::string, std::string>> SubscriptionAttributes(
      std::string_view subscription_arn);
  // The token of a pending subscription (tests, and the console's "resend").
  Result<std::string> PendingToken(std::string_view subscription_arn);

  // --- Publishing ---
  // Queues one delivery per confirmed subscription of the topic and returns
  // the MessageId they all carry. A topic without confirmed subscriptions
  // publishes nothing and still returns an ID, as SNS does.
  Result<std::string> Publish(std::string_view topic_arn, const Publication& publication);

  // The link under every message and on the confirmation page: whoever
  // holds it can unsubscribe (unless confirmed with AuthenticateOnUnsubscribe).
  std::string UnsubscribeUrl(std::string_view subscription_arn) const;

 private:
  Sns(store::Database* db, SnsOptions options, const Clock* clock, SigningKey key);

  Status QueueConfirmation(const Subscription& subscription, std::string_view type,
                           std::string_view token);
  Status QueueNotification(const Subscription& subscription, const Topic& topic,
                           const Publication& publication, std::string_view message_id,
                           TimePoint timestamp);
  std::string SubscribeUrl(std::string_view topic_arn, std::string_view token) const;
  Result<DeliveryPolicy> PolicyFor(const Subscription& subscription, const Topic& topic) const;

  store::Database* db_;
  SnsOptions options_;
  const Clock* clock_;
  SigningKey key_;
};

}  // namespace tw::notify
