#include "notify/sns.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/json_string.h"
#include "common/random.h"
#include "common/url.h"
#include "notify/outbox.h"
#include "store/database.h"

namespace tw::notify {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kSchema[] = {
    R"sql(
CREATE TABLE sns_topics (
  arn        TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  attributes TEXT NOT NULL,  -- JSON object of settable attributes
  tags       TEXT NOT NULL,  -- JSON object
  created_at INTEGER NOT NULL
);
CREATE TABLE sns_subscriptions (
  arn              TEXT PRIMARY KEY,
  topic_arn        TEXT NOT NULL,
  protocol         TEXT NOT NULL,
  endpoint         TEXT NOT NULL,
  owner            TEXT NOT NULL,
  state            TEXT NOT NULL,  -- pending | confirmed | deleted
  authenticated    INTEGER NOT NULL DEFAULT 0,
  from_template    INTEGER NOT NULL DEFAULT 0,
  token            TEXT,
  token_expires_at INTEGER,
  attributes       TEXT NOT NULL,  -- JSON object of settable attributes
  created_at       INTEGER NOT NULL
);
CREATE INDEX sns_subscriptions_topic ON sns_subscriptions (topic_arn);
CREATE INDEX sns_subscriptions_token ON sns_subscriptions (token);
CREATE TABLE sns_signing_key (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  key_pem  TEXT NOT NULL,
  cert_pem TEXT NOT NULL
);
)sql",
};

constexpr std::string_view kDefaultDisplayName = "AWS Notifications";
constexpr std::size_t kMaxMessageBytes = 256 * 1024;  // SNS: 262,144 bytes
constexpr std::size_t kMaxSubjectCharacters = 100;    // SNS takes 100, refuses 101

constexpr const char* kSubscriptionColumns =
    "arn, topic_arn, protocol, endpoint, owner, state, authenticated, from_template, attributes, "
    "created_at";

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::map<std::string, std::string> ParseStringMap(std::string_view text) {
  std::map<std::string, std::string> out;
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

std::string StringMapJson(const std::map<std::string, std::string>& map) {
  Json j = Json::object();
  for (const auto& [k, v] : map) j[k] = v;
  return Dump(j);
}

Status InvalidParameter(std::string_view what) {
  return InvalidArgument("Invalid parameter: " + std::string(what));
}

// SNS refuses an ARN of fewer than six ':'-separated elements before it
// looks anything up, in these words.
Status CheckArn(std::string_view member, std::string_view arn) {
  const auto elements = std::count(arn.begin(), arn.end(), ':') + 1;
  if (elements >= 6) return Status::Ok();
  return InvalidParameter(std::string(member) +
                          " Reason: An ARN must have at least 6 elements, not " +
                          std::to_string(elements));
}

bool IsTopicName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

bool IsEmailAddress(std::string_view s) {
  std::size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == s.size()) return false;
  if (s.find('@', at + 1) != std::string_view::npos) return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == ',' || c == ';';
  });
}

bool IsUrlWithHost(std::string_view s, std::string_view scheme) {
  if (!s.starts_with(scheme)) return false;
  std::string_view rest = s.substr(scheme.size());
  if (rest.empty() || rest[0] == '/' || rest[0] == ':' || rest[0] == '?') return false;
  return std::none_of(s.begin(), s.end(),
                      [](char c) { return static_cast<unsigned char>(c) <= ' '; });
}

std::string DefaultTopicPolicy(std::string_view arn, std::string_view account) {
  Json statement = {{"Sid", "__default_statement_ID"},
                    {"Effect", "Allow"},
                    {"Principal", {{"AWS", "*"}}},
                    {"Action",
                     {"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                      "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                      "SNS:ListSubscriptionsByTopic", "SNS:Publish"}},
                    {"Resource", arn},
                    {"Condition", {{"StringEquals", {{"AWS:SourceOwner", account}}}}}};
  nlohmann::ordered_json policy;
  policy["Version"] = "2008-10-17";
  policy["Id"] = "__default_policy_ID";
  policy["Statement"] = Json::array({statement});
  return policy.dump();
}

// The attributes SetTopicAttributes accepts, each checked as SNS does. An
// empty value (which removes the attribute) is valid for every one of them.
Status CheckTopicAttribute(std::string_view name, std::string_view value) {
  static constexpr std::string_view kNames[] = {
      "DisplayName",          "DeliveryPolicy", "Policy",
      "SignatureVersion",     "TracingConfig",  "KmsMasterKeyId",
      "DataProtectionPolicy", "ArchivePolicy",  "FifoTopic"};
  if (std::find(std::begin(kNames), std::end(kNames), name) == std::end(kNames)) {
    return InvalidParameter("AttributeName: " + std::string(name) + " is not a topic attribute");
  }
  if (value.empty()) return Status::Ok();
  if (name == "DisplayName") {
    if (value.size() > 100) return InvalidParameter("DisplayName: at most 100 characters");
    return Status::Ok();
  }
  if (name == "DeliveryPolicy") {
    Result<TopicDeliveryPolicy> policy = ParseTopicDeliveryPolicy(value);
    return policy.ok() ? Status::Ok() : InvalidParameter(policy.status().message());
  }
  if (name == "Policy") {
    if (Json::parse(value, nullptr, false).is_object()) return Status::Ok();
    return InvalidParameter("Policy: the policy is not valid JSON");
  }
  if (name == "SignatureVersion") {
    if (value == "1" || value == "2") return Status::Ok();
    return InvalidParameter("SignatureVersion: must be 1 or 2");
  }
  if (name == "TracingConfig") {
    if (value == "PassThrough" || value == "Active") return Status::Ok();
    return InvalidParameter("TracingConfig: must be PassThrough or Active");
  }
  if (name == "KmsMasterKeyId" || name == "DataProtectionPolicy" || name == "ArchivePolicy") {
    return Status::Ok();  // kept and shown; trailwatch has no KMS or archive
  }
  if (value == "false") return Status::Ok();  // FifoTopic
  return InvalidParameter("FifoTopic: FIFO topics are not supported by trailwatch");
}

Status CheckSubscriptionAttribute(std::string_view name, std::string_view value) {
  if (name == "RawMessageDelivery") {
    if (value == "true" || value == "false") return Status::Ok();
    return InvalidParameter("RawMessageDelivery: must be true or false");
  }
  if (name == "DeliveryPolicy") {
    if (value.empty()) return Status::Ok();
    Result<DeliveryPolicy> policy = ParseSubscriptionDeliveryPolicy(value);
    return policy.ok() ? Status::Ok() : InvalidParameter(policy.status().message());
  }
  if (name == "FilterPolicy" || name == "FilterPolicyScope" || name == "RedrivePolicy" ||
      name == "SubscriptionRoleArn" || name == "ReplayPolicy") {
    return InvalidParameter(std::string(name) + ": not supported by trailwatch");
  }
  return InvalidParameter("AttributeName: " + std::string(name) +
                          " is not a subscription attribute");
}

Subscription ReadSubscription(const store::Statement& row) {
  Subscription s;
  s.arn = row.ColumnText(0);
  s.topic_arn = row.ColumnText(1);
  s.protocol = row.ColumnText(2);
  s.endpoint = row.ColumnText(3);
  s.owner = row.ColumnText(4);
  s.confirmed = row.ColumnText(5) == "confirmed";
  s.confirmation_was_authenticated = row.ColumnInt(6) != 0;
  s.from_template = row.ColumnInt(7) != 0;
  s.attributes = ParseStringMap(row.ColumnText(8));
  s.created = FromEpochMillis(row.ColumnInt(9));
  return s;
}

std::string CertificateHash(const std::string& pem) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(pem.data(), pem.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size && out.size() < 32; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

Status CheckPublication(const Publication& p) {
  if (p.message.empty()) return InvalidParameter("Empty message");
  if (p.message.size() > kMaxMessageBytes) {
    return InvalidParameter("Message too long");  // AWS's words, whatever the size
  }
  if (p.subject) {
    // AWS answers an empty subject (recorded), one of 101 characters
    // (reported; 100 pass) and, by its documented rule, one with line
    // breaks or control characters all in the same two words.
    std::size_t characters = 0;
    bool control = false;
    for (char c : *p.subject) {
      if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++characters;  // UTF-8 lead bytes
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) control = true;
    }
    if (characters == 0 || characters > kMaxSubjectCharacters || control) {
      return InvalidParameter("Subject");
    }
  }
  for (const auto& [name, attribute] : p.attributes) {
    if (!(attribute.type.starts_with("String") || attribute.type.starts_with("Number") ||
          attribute.type.starts_with("Binary"))) {
      return InvalidParameter("The message attribute '" + name +
                              "' has an invalid message attribute type, the set of supported "
                              "type prefixes is Binary, Number, and String.");
    }
  }
  return Status::Ok();
}

}  // namespace

Publication AlarmPublication(const AlarmChange& change) {
  Publication publication;
  publication.subject = AlarmSubject(change);
  publication.message = AlarmMessageJson(change);
  if (change.evidence_total > 0) {
    publication.attributes[std::string(kEvidenceAttribute)] = {"String", AlarmEvidenceJson(change)};
  }
  publication.alarm = change;
  publication.origin = "alarm:" + change.alarm_arn + "@" + FormatIso8601(change.state_change_time);
  if (change.reminder) {
    publication.attributes[std::string(kReminderAttribute)] = {
        "String", FormatIso8601(change.state_change_time)};
    publication.origin = "reminder:" + change.alarm_arn + "@" + FormatIso8601(*change.reminder);
  }
  return publication;
}

bool IsDeliverableProtocol(std::string_view protocol) {
  return protocol == "http" || protocol == "https" || protocol == "email" ||
         protocol == "email-json" || protocol == "slack";
}

Status CheckEndpoint(std::string_view protocol, std::string_view endpoint) {
  if (protocol == "http" && !IsUrlWithHost(endpoint, "http://")) {
    return InvalidParameter("Endpoint: must be an http:// URL for protocol http");
  }
  if (protocol == "https" && !IsUrlWithHost(endpoint, "https://")) {
    return InvalidParameter("Endpoint: must be an https:// URL for protocol https");
  }
  if ((protocol == "email" || protocol == "email-json") && !IsEmailAddress(endpoint)) {
    return InvalidParameter("Endpoint: '" + std::string(endpoint) + "' is not an e-mail address");
  }
  if (protocol == "slack" && !IsUrlWithHost(endpoint, "https://") &&
      !IsUrlWithHost(endpoint, "http://")) {
    return InvalidParameter(
        "Endpoint: must be the https:// URL of an incoming webhook for "
        "protocol slack");
  }
  if (!IsDeliverableProtocol(protocol)) {
    return InvalidParameter(
        "Amazon SNS does not support this protocol string: " + std::string(protocol) +
        " (trailwatch delivers http, https, email, email-json and slack)");
  }
  return Status::Ok();
}

std::string Topic::display_name() const {
  auto it = attributes.find("DisplayName");
  return it == attributes.end() ? "" : it->second;
}

bool Subscription::raw_message_delivery() const {
  auto it = attributes.find("RawMessageDelivery");
  return it != attributes.end() && it->second == "true";
}

// --- Opening -----------------------------------------------------------------

Sns::Sns(store::Database* db, SnsOptions options, const Clock* clock, SigningKey key)
    : db_(db), options_(std::move(options)), clock_(clock), key_(std::move(key)) {}
Sns::~Sns() = default;

Result<std::unique_ptr<Sns>> Sns::Open(store::Database* db, SnsOptions options,
                                       const Clock* clock) {
  TW_RETURN_IF_ERROR(db->Migrate("sns", kSchema));
  TW_RETURN_IF_ERROR(Outbox::Migrate(*db));
  Result<store::Transaction> transaction = store::Transaction::Begin(*db);
  if (!transaction.ok()) return transaction.status();
  Result<store::Statement> query = db->Prepare("SELECT key_pem, cert_pem FROM sns_signing_key");
  if (!query.ok()) return query.status();
  Result<bool> row = query->Step();
  if (!row.ok()) return row.status();
  std::optional<SigningKey> key;
  if (*row) {
    Result<SigningKey> loaded = SigningKey::Load(query->ColumnText(0), query->ColumnText(1));
    if (!loaded.ok()) {
      return DataLoss("the stored SNS signing key cannot be read: " + loaded.status().message());
    }
    key.emplace(std::move(loaded).value());
  } else {
    Result<SigningKey> made = SigningKey::Generate("sns." + options.region + ".trailwatch");
    if (!made.ok()) return made.status();
    Result<store::Statement> insert =
        db->Prepare("INSERT INTO sns_signing_key (id, key_pem, cert_pem) VALUES (1, ?, ?)");
    if (!insert.ok()) return insert.status();
    insert->BindAll(made->key_pem(), made->certificate_pem());
    TW_RETURN_IF_ERROR(insert->Run());
    key.emplace(std::move(made).value());
  }
  TW_RETURN_IF_ERROR(transaction->Commit());
  return std::unique_ptr<Sns>(new Sns(db, std::move(options), clock, std::move(*key)));
}

std::string Sns::SigningCertPath() const {
  return "/SimpleNotificationService-" + CertificateHash(key_.certificate_pem()) + ".pem";
}
std::string Sns::SigningCertUrl() const { return options_.public_url + SigningCertPath(); }

std::string Sns::SubscribeUrl(std::string_view topic_arn, std::string_view token) const {
  return options_.public_url +
         "/?Action=ConfirmSubscription&TopicArn=" + PercentEncode(topic_arn, ":") +
         "&Token=" + PercentEncode(token);
}

std::string Sns::UnsubscribeUrl(std::string_view subscription_arn) const {
  return options_.public_url +
         "/?Action=Unsubscribe&SubscriptionArn=" + PercentEncode(subscription_arn, ":");
}

// --- Topics ------------------------------------------------------------------

Result<Topic> Sns::CreateTopic(std::string_view name,
                               const std::map<std::string, std::string>& attributes,
                               const std::map<std::string, std::string>& tags) {
  if (!IsTopicName(name)) {
    return InvalidParameter("Topic Name");  // AWS's words, whatever is wrong with it
  }
  for (const auto& [key, value] : attributes) TW_RETURN_IF_ERROR(CheckTopicAttribute(key, value));
  const std::string arn =
      "arn:aws:sns:" + options_.region + ":" + options_.account_id + ":" + std::string(name);
  Result<store::Transaction> transaction = store::Transaction::Begin(*db_);
  if (!transaction.ok()) return transaction.status();
  Result<Topic> existing = GetTopic(arn);
  if (existing.ok()) {
    for (const auto& [key, value] : attributes) {
      auto it = existing->attributes.find(key);
      // An attribute never set has its default: FifoTopic is "false" (AWS
      // accepts CreateTopic with FifoTopic=false for a standard topic).
      const std::string current = it != existing->attributes.end() ? it->second
                                  : key == "FifoTopic"             ? "false"
                                                                   : "";
      if (current != value) {
        return InvalidParameter(
            "Attributes Reason: Topic already exists with different attributes");
      }
    }
    if (!tags.empty()) TW_RETURN_IF_ERROR(TagTopic(arn, tags, {}));
    TW_RETURN_IF_ERROR(transaction->Commit());
    return GetTopic(arn);
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  Topic topic;
  topic.arn = arn;
  topic.name = std::string(name);
  for (const auto& [key, value] : attributes) {
    if (!value.empty()) topic.attributes[key] = value;
  }
  topic.tags = tags;
  topic.created = clock_->Now();
  Result<store::Statement> insert = db_->Prepare(
      "INSERT INTO sns_topics (arn, name, attributes, tags, created_at) VALUES (?, ?, ?, ?, ?)");
  if (!insert.ok()) return insert.status();
  insert->BindAll(topic.arn, topic.name, StringMapJson(topic.attributes), StringMapJson(topic.tags),
                  ToEpochMillis(topic.created));
  TW_RETURN_IF_ERROR(insert->Run());
  TW_RETURN_IF_ERROR(transaction->Commit());
  return topic;
}

Status Sns::TagTopic(std::string_view topic_arn, const std::map<std::string, std::string>& add,
                     const std::vector<std::string>& remove) {
  Result<Topic> topic = GetTopic(topic_arn);
  if (!topic.ok()) return topic.status();
  for (const std::string& key : remove) topic->tags.erase(key);
  for (const auto& [key, value] : add) topic->tags[key] = value;
  if (topic->tags.size() > kMaxTags) {
    return Status(StatusCode::kResourceExhausted, "Could not complete request: tag quota of " +
                                                      std::to_string(kMaxTags) +
                                                      " tags per resource exceeded");
  }
  Result<store::Statement> update = db_->Prepare("UPDATE sns_topics SET tags = ? WHERE arn = ?");
  if (!update.ok()) return update.status();
  update->BindAll(StringMapJson(topic->tags), topic_arn);
  return update->Run();
}

Status Sns::DeleteTopic(std::string_view topic_arn) {
  Result<store::Transaction> transaction = store::Transaction::Begin(*db_);
  if (!transaction.ok()) return transaction.status();
  Result<Topic> topic = GetTopic(topic_arn);
  if (!topic.ok()) return topic.status();
  // Nobody subscribes any more: what was not sent yet is not sent.
  Outbox outbox(db_);
  Result<std::int64_t> dropped = outbox.DropUnsentToTopic(topic_arn);
  if (!dropped.ok()) return dropped.status();
  for (const char* sql : {"DELETE FROM sns_subscriptions WHERE topic_arn = ?",
                          "DELETE FROM sns_topics WHERE arn = ?"}) {
    Result<store::Statement> statement = db_->Prepare(sql);
    if (!statement.ok()) return statement.status();
    statement->Bind(1, topic_arn);
    TW_RETURN_IF_ERROR(statement->Run());
  }
  return transaction->Commit();
}

Result<Topic> Sns::GetTopic(std::string_view topic_arn) {
  TW_RETURN_IF_ERROR(CheckArn("TopicArn", topic_arn));
  Result<store::Statement> query =
      db_->Prepare("SELECT arn, name, attributes, tags, created_at FROM sns_topics WHERE arn = ?");
  if (!query.ok()) return query.status();
  query->Bind(1, topic_arn);
  Result<bool> row = query->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("Topic does not exist");
  Topic t;
  t.arn = query->ColumnText(0);
  t.name = query->ColumnText(1);
  t.attributes = ParseStringMap(query->ColumnText(2));
  t.tags = ParseStringMap(query->ColumnText(3));
  t.created = FromEpochMillis(query->ColumnInt(4));
  return t;
}

Result<std::vector<Topic>> Sns::ListTopics() {
  Result<store::Statement> query = db_->Prepare("SELECT arn FROM sns_topics ORDER BY arn");
  if (!query.ok()) return query.status();
  std::vector<std::string> arns;
  while (true) {
    Result<bool> row = query->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    arns.push_back(query->ColumnText(0));
  }
  std::vector<Topic> out;
  for (const std::string& arn : arns) {
    Result<Topic> t = GetTopic(arn);
    if (!t.ok()) return t.status();
    out.push_back(std::move(t).value());
  }
  return out;
}

Status Sns::SetTopicAttribute(std::string_view topic_arn, std::string_view name,
                              std::string_view value) {
  TW_RETURN_IF_ERROR(CheckTopicAttribute(name, value));
  Result<store::Transaction> transaction = store::Transaction::Begin(*db_);
  if (!transaction.ok()) return transaction.status();
  Result<Topic> topic = GetTopic(topic_arn);
  if (!topic.ok()) return topic.status();
  if (value.empty()) {
    topic->attributes.erase(std::string(name));
  } else {
    topic->attributes[std::string(name)] = std::string(value);
  }
  Result<store::Statement> update =
      db_->Prepare("UPDATE sns_topics SET attributes = ? WHERE arn = ?");
  if (!update.ok()) return update.status();
  update->BindAll(StringMapJson(topic->attributes), topic_arn);
  TW_RETURN_IF_ERROR(update->Run());
  return transaction->Commit();
}

Result<std::map<std::string, std::string>> Sns::TopicAttributes(std::string_view topic_arn) {
  Result<Topic> topic = GetTopic(topic_arn);
  if (!topic.ok()) return topic.status();
  std::map<std::string, std::string> out = topic->attributes;
  out["TopicArn"] = topic->arn;
  out["Owner"] = options_.account_id;
  if (!out.count("Policy")) out["Policy"] = DefaultTopicPolicy(topic->arn, options_.account_id);
  if (!out.count("DisplayName")) out["DisplayName"] = "";
  // SignatureVersion is reported only once set (as AWS does); unset, the
  // topic signs with version 1.
  Result<store::Statement> counts = db_->Prepare(
      "SELECT state, count(*) FROM sns_subscriptions WHERE topic_arn = ? GROUP BY state");
  if (!counts.ok()) return counts.status();
  counts->Bind(1, topic_arn);
  std::map<std::string, std::int64_t> by_state;
  while (true) {
    Result<bool> row = counts->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    by_state[counts->ColumnText(0)] = counts->ColumnInt(1);
  }
  out["SubscriptionsConfirmed"] = std::to_string(by_state["confirmed"]);
  out["SubscriptionsPending"] = std::to_string(by_state["pending"]);
  out["SubscriptionsDeleted"] = std::to_string(by_state["deleted"]);
  std::optional<TopicDeliveryPolicy> policy;
  if (auto it = topic->attributes.find("DeliveryPolicy"); it != topic->attributes.end()) {
    Result<TopicDeliveryPolicy> parsed = ParseTopicDeliveryPolicy(it->second);
    if (parsed.ok()) policy = *parsed;
  }
  const DeliveryPolicy effective = policy ? policy->defaults : EffectiveDeliveryPolicy({}, {});
  nlohmann::ordered_json http;
  nlohmann::ordered_json subscription_view =
      nlohmann::ordered_json::parse(EffectiveDeliveryPolicyJson(effective));
  http["defaultHealthyRetryPolicy"] = subscription_view["healthyRetryPolicy"];
  http["disableSubscriptionOverrides"] = policy && policy->disable_subscription_overrides;
  http["defaultRequestPolicy"] = subscription_view["requestPolicy"];
  if (!subscription_view["throttlePolicy"].is_null()) {
    http["defaultThrottlePolicy"] = subscription_view["throttlePolicy"];
  }
  nlohmann::ordered_json effective_json;
  effective_json["http"] = http;
  out["EffectiveDeliveryPolicy"] = effective_json.dump();
  return out;
}

// --- Subscriptions -----------------------------------------------------------

Result<Subscription> Sns::Subscribe(std::string_view topic_arn, std::string_view protocol,
                                    std::string_view endpoint,
                                    const std::map<std::string, std::string>& attributes,
                                    bool confirmed) {
  TW_RETURN_IF_ERROR(CheckEndpoint(protocol, endpoint));
  if (protocol == "http" || protocol == "https" || protocol == "slack") {
    // Before anything is stored or queued: the confirmation request would
    // otherwise be the first request sent to the refused address.
    TW_RETURN_IF_ERROR(
        CheckEndpointAddresses(endpoint, options_.address_policy, options_.resolve_host));
  }
  for (const auto& [key, value] : attributes) {
    TW_RETURN_IF_ERROR(CheckSubscriptionAttribute(key, value));
  }
  Result<store::Transaction> transaction = store::Transaction::Begin(*db_);
  if (!transaction.ok()) return transaction.status();
  Result<Topic> topic = GetTopic(topic_arn);
  if (!topic.ok()) return topic.status();

  Result<store::Statement> existing = db_->Prepare(
      std::string("SELECT ") + kSubscriptionColumns +
      ", token FROM sns_subscriptions WHERE topic_arn = ? AND protocol = ? AND endpoint = ? AND "
      "state != 'deleted'");
  if (!existing.ok()) return existing.status();
  existing->BindAll(topic_arn, protocol, endpoint);
  Result<bool> found = existing->Step();
  if (!found.ok()) return found.status();
  const TimePoint now = clock_->Now();
  Subscription subscription;
  std::string token;
  if (*found) {
    subscription = ReadSubscription(*existing);
    token = existing->ColumnText(10);
    for (const auto& [key, value] : attributes) subscription.attributes[key] = value;
  } else {
    subscription.arn = std::string(topic_arn) + ":" + NewUuid();
    subscription.topic_arn = std::string(topic_arn);
    subscription.protocol = std::string(protocol);
    subscription.endpoint = std::string(endpoint);
    subscription.owner = options_.account_id;
    subscription.created = now;
    subscription.attributes = attributes;
  }
  std::erase_if(subscription.attributes, [](const auto& kv) { return kv.second.empty(); });
  if (confirmed) {
    subscription.confirmed = true;
    subscription.from_template = true;
  }
  const bool send_confirmation = !subscription.confirmed;
  if (send_confirmation) token = RandomHex(64);  // SNS's tokens are 256 hex digits long too

  Result<store::Statement> upsert = db_->Prepare(
      "INSERT INTO sns_subscriptions (arn, topic_arn, protocol, endpoint, owner, state, "
      "authenticated, from_template, token, token_expires_at, attributes, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?) ON CONFLICT (arn) DO UPDATE SET "
      "state = excluded.state, from_template = excluded.from_template, token = excluded.token, "
      "token_expires_at = excluded.token_expires_at, attributes = excluded.attributes");
  if (!upsert.ok()) return upsert.status();
  std::optional<std::string> stored_token;
  std::optional<std::int64_t> expires;
  if (send_confirmation) {
    stored_token = token;
    expires = ToEpochMillis(now + options_.token_validity);
  }
  upsert->BindAll(subscription.arn, subscription.topic_arn, subscription.protocol,
                  subscription.endpoint, subscription.owner,
                  subscription.confirmed ? "confirmed" : "pending",
                  subscription.from_template ? 1 : 0, stored_token, expires,
                  StringMapJson(subscription.attributes), ToEpochMillis(subscription.created));
  TW_RETURN_IF_ERROR(upsert->Run());
  if (send_confirmation) {
    TW_RETURN_IF_ERROR(QueueConfirmation(subscription, kSubscriptionConfirmation, token));
  }
  TW_RETURN_IF_ERROR(transaction->Commit());
  return subscription;
}

Result<Subscription> Sns::ConfirmSubscription(std::string_view topic_arn, std::string_view token,
                                              bool authenticated) {
  // AWS's recorded answers: a token that is not hex digits is "Invalid
  // token"; one that matches nothing, on this topic or because the topic is
  // wrong, "Invalid parameter: Token".
  if (token.empty() || !std::all_of(token.begin(), token.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c));
      })) {
    return InvalidArgument("Invalid token");
  }
  Result<store::Transaction> transaction = store::Transaction::Begin(*db_);
  if (!transaction.ok()) return transaction.status();
  Result<Topic> topic = GetTopic(topic_arn);
  if (!topic.ok()) {
    return topic.status().code() == StatusCode::kNotFound ? InvalidParameter("Token")
                                                          : topic.status();
  }
  Result<store::Statement> query =
      db_->Prepare(std::string("SELECT ") + kSubscriptionColumns +
                   ", token_expires_at FROM sns_subscriptions WHERE topic_arn = ? AND token = ?");
  if (!query.ok()) return query.status();
  query->BindAll(topic_arn, token);
  Result<bool> row = query->Step();
  if (!row.ok()) return row.status();
  if (!*row || FromEpochMillis(query->ColumnInt(10)) < clock_->Now()) {
    return InvalidParameter("Token");
  }
  Subscription subscription = ReadSubscription(*query);
  subscription.confirmed = true;
  subscription.confirmation_was_authenticated = authenticated;
  Result<store::Statement> update = db_->Prepare(
      "UPDATE sns_subscriptions SET state = 'confirmed', authenticated = ? WHERE arn = ?");
  if (!update.ok()) return update.status();
  update->BindAll(authenticated ? 1 : 0, subscription.arn);
  TW_RETURN_IF_ERROR(update->Run());
  TW_RETURN_IF_ERROR(transaction->Commit());
  return subscription;
}

Status Sns::Unsubscribe(std::string_view subscription_arn, Authentication authentication) {
  Result<store::Transaction> transaction = store::Transaction::Begin(*db_);
  if (!transaction.ok()) return transaction.status();
  Result<Subscription> subscription = GetSubscription(subscription_arn);
  if (!subscription.ok()) return subscription.status();
  // The owner asked for exactly this when confirming: mail scanners and
  // anyone the message is forwarded to follow the UnsubscribeURL too.
  if (authentication == Authentication::kUnsigned && subscription->confirmation_was_authenticated) {
    return Status(StatusCode::kPermissionDenied,
                  "Subscription not removed: it was confirmed with AuthenticateOnUnsubscribe=true, "
                  "so only the topic or subscription owner can unsubscribe it, with an AWS "
                  "signature (aws sns unsubscribe --subscription-arn " +
                      subscription->arn + ")");
  }
  // The row stays, deleted, with a new token: the UnsubscribeConfirmation's
  // SubscribeURL restores the subscription, as on SNS.
  const std::string token = RandomHex(64);
  Result<store::Statement> update = db_->Prepare(
      "UPDATE sns_subscriptions SET state = 'deleted', token = ?, token_expires_at = ? "
      "WHERE arn = ?");
  if (!update.ok()) return update.status();
  update->BindAll(token, ToEpochMillis(clock_->Now() + options_.token_validity), subscription_arn);
  TW_RETURN_IF_ERROR(update->Run());
  // Dropped before the UnsubscribeConfirmation is queued, which is sent.
  Outbox outbox(db_);
  Result<std::int64_t> dropped = outbox.DropUnsentToSubscription(subscription_arn);
  if (!dropped.ok()) return dropped.status();
  if (subscription->protocol == "http" || subscription->protocol == "https") {
    TW_RETURN_IF_ERROR(QueueConfirmation(*subscription, kUnsubscribeConfirmation, token));
  }
  return transaction->Commit();
}

Result<Subscription> Sns::GetSubscription(std::string_view subscription_arn) {
  TW_RETURN_IF_ERROR(CheckArn("SubscriptionArn", subscription_arn));
  Result<store::Statement> query =
      db_->Prepare(std::string("SELECT ") + kSubscriptionColumns +
                   " FROM sns_subscriptions WHERE arn = ? AND state != 'deleted'");
  if (!query.ok()) return query.status();
  query->Bind(1, subscription_arn);
  Result<bool> row = query->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("Subscription does not exist");
  return ReadSubscription(*query);
}

Result<std::vector<Subscription>> Sns::ListSubscriptions(std::string_view topic_arn) {
  std::vector<Subscription> out;
  std::string sql = std::string("SELECT ") + kSubscriptionColumns +
                    " FROM sns_subscriptions WHERE state != 'deleted'";
  if (!topic_arn.empty()) sql += " AND topic_arn = ?";
  sql += " ORDER BY arn";
  Result<store::Statement> query = db_->Prepare(sql);
  if (!query.ok()) return query.status();
  if (!topic_arn.empty()) query->Bind(1, topic_arn);
  while (true) {
    Result<bool> row = query->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(ReadSubscription(*query));
  }
  return out;
}

Status Sns::SetSubscriptionAttribute(std::string_view subscription_arn, std::string_view name,
                                     std::string_view value) {
  TW_RETURN_IF_ERROR(CheckSubscriptionAttribute(name, value));
  Result<store::Transaction> transaction = store::Transaction::Begin(*db_);
  if (!transaction.ok()) return transaction.status();
  Result<Subscription> subscription = GetSubscription(subscription_arn);
  if (!subscription.ok()) return subscription.status();
  if (value.empty()) {
    subscription->attributes.erase(std::string(name));
  } else {
    subscription->attributes[std::string(name)] = std::string(value);
  }
  Result<store::Statement> update =
      db_->Prepare("UPDATE sns_subscriptions SET attributes = ? WHERE arn = ?");
  if (!update.ok()) return update.status();
  update->BindAll(StringMapJson(subscription->attributes), subscription_arn);
  TW_RETURN_IF_ERROR(update->Run());
  return transaction->Commit();
}

Result<std::map<std::string, std::string>> Sns::SubscriptionAttributes(
    std::string_view subscription_arn) {
  Result<Subscription> s = GetSubscription(subscription_arn);
  if (!s.ok()) return s.status();
  Result<Topic> topic = GetTopic(s->topic_arn);
  if (!topic.ok()) return topic.status();
  std::map<std::string, std::string> out = s->attributes;
  out["SubscriptionArn"] = s->arn;
  out["TopicArn"] = s->topic_arn;
  out["Owner"] = s->owner;
  out["Protocol"] = s->protocol;
  out["Endpoint"] = s->endpoint;
  out["PendingConfirmation"] = s->confirmed ? "false" : "true";
  out["ConfirmationWasAuthenticated"] = s->confirmation_was_authenticated ? "true" : "false";
  out["RawMessageDelivery"] = s->raw_message_delivery() ? "true" : "false";
  out["SubscriptionPrincipal"] = "arn:aws:iam::" + s->owner + ":root";
  Result<DeliveryPolicy> policy = PolicyFor(*s, *topic);
  if (!policy.ok()) return policy.status();
  out["EffectiveDeliveryPolicy"] = EffectiveDeliveryPolicyJson(*policy);
  return out;
}

Result<std::string> Sns::PendingToken(std::string_view subscription_arn) {
  Result<store::Statement> query =
      db_->Prepare("SELECT token FROM sns_subscriptions WHERE arn = ? AND state = 'pending'");
  if (!query.ok()) return query.status();
  query->Bind(1, subscription_arn);
  Result<bool> row = query->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no pending subscription " + std::string(subscription_arn));
  return query->ColumnText(0);
}

Result<DeliveryPolicy> Sns::PolicyFor(const Subscription& subscription, const Topic& topic) const {
  if (subscription.protocol == "email" || subscription.protocol == "email-json") {
    // SNS does not let customers change how e-mail is retried.
    DeliveryPolicy policy;
    policy.retry = DefaultEmailRetryPolicy();
    return policy;
  }
  std::optional<TopicDeliveryPolicy> topic_policy;
  if (auto it = topic.attributes.find("DeliveryPolicy"); it != topic.attributes.end()) {
    Result<TopicDeliveryPolicy> parsed = ParseTopicDeliveryPolicy(it->second);
    if (!parsed.ok()) return parsed.status();
    topic_policy = *parsed;
  }
  std::optional<DeliveryPolicy> own;
  if (auto it = subscription.attributes.find("DeliveryPolicy");
      it != subscription.attributes.end()) {
    Result<DeliveryPolicy> parsed = ParseSubscriptionDeliveryPolicy(it->second);
    if (!parsed.ok()) return parsed.status();
    own = *parsed;
  }
  return EffectiveDeliveryPolicy(topic_policy, own);
}

// --- Rendering and queueing ----------------------------------------------------

namespace {

std::string SignatureVersionOf(const Topic& topic) {
  auto it = topic.attributes.find("SignatureVersion");
  return it == topic.attributes.end() ? "1" : it->second;
}

std::string FromName(const Topic& topic) {
  std::string name = topic.display_name();
  return name.empty() ? std::string(kDefaultDisplayName) : name;
}

void AddSnsHeaders(HttpRequest* request, std::string_view type, std::string_view message_id,
                   std::string_view topic_arn, std::string_view subscription_arn) {
  request->headers.emplace_back("x-amz-sns-message-type", std::string(type));
  request->headers.emplace_back("x-amz-sns-message-id", std::string(message_id));
  request->headers.emplace_back("x-amz-sns-topic-arn", std::string(topic_arn));
  if (!subscription_arn.empty()) {
    request->headers.emplace_back("x-amz-sns-subscription-arn", std::string(subscription_arn));
  }
  // What SNS's agent also says of itself (recorded from AWS deliveries).
  request->headers.emplace_back("Connection", "Keep-Alive");
  request->headers.emplace_back("Accept-Encoding", "gzip,deflate");
}

}  // namespace

Status Sns::QueueConfirmation(const Subscription& subscription, std::string_view type,
                              std::string_view token) {
  Result<Topic> topic = GetTopic(subscription.topic_arn);
  if (!topic.ok()) return topic.status();
  Result<DeliveryPolicy> policy = PolicyFor(subscription, *topic);
  if (!policy.ok()) return policy.status();
  const TimePoint now = clock_->Now();
  const bool subscribing = type == kSubscriptionConfirmation;
  const std::string subscribe_url = SubscribeUrl(subscription.topic_arn, token);

  OutboxItem item;
  item.message_id = NewUuid();
  item.type = std::string(type);
  item.topic_arn = subscription.topic_arn;
  item.subscription_arn = subscription.arn;
  item.protocol = subscription.protocol;
  item.endpoint = subscription.endpoint;
  item.retry_delays = RetryDelays(policy->retry);
  item.max_receives_per_second = policy->max_receives_per_second;
  item.origin = subscribing ? "subscribe" : "unsubscribe";

  if (subscription.protocol == "http" || subscription.protocol == "https") {
    SnsEnvelope envelope;
    envelope.type = std::string(type);
    envelope.message_id = item.message_id;
    envelope.token = std::string(token);
    envelope.topic_arn = subscription.topic_arn;
    envelope.message =
        subscribing ? "You have chosen to subscribe to the topic " + subscription.topic_arn +
                          ".\nTo confirm the subscription, visit the SubscribeURL included in "
                          "this message."
                    : "You have chosen to deactivate subscription " + subscription.arn +
                          ".\nTo cancel this operation and restore the subscription, visit the "
                          "SubscribeURL included in this message.";
    envelope.subscribe_url = subscribe_url;
    envelope.timestamp = FormatIso8601Millis(now);
    envelope.signature_version = SignatureVersionOf(*topic);
    envelope.signing_cert_url = SigningCertUrl();
    Result<SnsEnvelope> signed_envelope = SignEnvelope(std::move(envelope), key_);
    if (!signed_envelope.ok()) return signed_envelope.status();
    HttpRequest request;
    request.url = subscription.endpoint;
    AddSnsHeaders(&request, type, item.message_id, subscription.topic_arn, "");
    request.headers.emplace_back("Content-Type", policy->header_content_type);
    request.body = EnvelopeJson(*signed_envelope);
    item.subject = std::string(type);
    item.http = std::move(request);
  } else if (subscription.protocol == "slack") {
    HttpRequest request;
    request.url = subscription.endpoint;
    request.headers.emplace_back("Content-Type", "application/json");
    item.subject = "Subscription confirmation";
    request.body = SlackPayload(
        "AWS Notification - Subscription Confirmation",
        "This channel was subscribed to the topic " + subscription.topic_arn +
            ". Nothing is posted here until someone confirms the subscription by visiting:\n" +
            subscribe_url);
    item.http = std::move(request);
  } else {
    MailContent mail;
    mail.from_name = FromName(*topic);
    mail.from_address = options_.mail_from;
    mail.to = subscription.endpoint;
    mail.subject = "AWS Notification - Subscription Confirmation";
    mail.text = "You have chosen to subscribe to the topic: \n" + subscription.topic_arn +
                "\n\nTo confirm this subscription, click or visit the link below (If this was in "
                "error no action is necessary): \n" +
                subscribe_url +
                "\n\nPlease do not reply directly to this email. If you wish to remove yourself "
                "from receiving all future SNS subscription confirmation requests please contact "
                "the operator of this trailwatch.\n";
    mail.date = now;
    mail.message_id = item.message_id + "@sns.trailwatch";
    mail.extra_headers = {{"X-Amz-Sns-Message-Id", item.message_id},
                          {"X-Amz-Sns-Topic-Arn", subscription.topic_arn}};
    item.subject = mail.subject;
    item.mail = MailEnvelope{options_.mail_from, {subscription.endpoint}, BuildMimeMessage(mail)};
  }
  Outbox outbox(db_);
  Result<std::int64_t> id = outbox.Enqueue(item, now);
  return id.ok() ? Status::Ok() : id.status();
}

Status Sns::QueueNotification(const Subscription& subscription, const Topic& topic,
                              const Publication& publication, std::string_view message_id,
                              TimePoint timestamp) {
  Result<DeliveryPolicy> policy = PolicyFor(subscription, topic);
  if (!policy.ok()) return policy.status();
  const std::string& protocol = subscription.protocol;
  auto own = publication.per_protocol.find(protocol);
  const std::string& message =
      own != publication.per_protocol.end() ? own->second : publication.message;
  const std::string unsubscribe_url = UnsubscribeUrl(subscription.arn);

  OutboxItem item;
  item.message_id = std::string(message_id);
  item.type = std::string(kNotification);
  item.topic_arn = topic.arn;
  item.subscription_arn = subscription.arn;
  item.protocol = protocol;
  item.endpoint = subscription.endpoint;
  item.subject = publication.subject.value_or("");
  item.origin = publication.origin;
  item.retry_delays = RetryDelays(policy->retry);
  item.max_receives_per_second = policy->max_receives_per_second;

  auto signed_envelope = [&]() -> Result<SnsEnvelope> {
    SnsEnvelope envelope;
    envelope.type = std::string(kNotification);
    envelope.message_id = std::string(message_id);
    envelope.topic_arn = topic.arn;
    envelope.subject = publication.subject;
    envelope.message = message;
    envelope.timestamp = FormatIso8601Millis(timestamp);
    envelope.signature_version = SignatureVersionOf(topic);
    envelope.signing_cert_url = SigningCertUrl();
    envelope.unsubscribe_url = unsubscribe_url;
    envelope.message_attributes = publication.attributes;
    return SignEnvelope(std::move(envelope), key_);
  };

  if (protocol == "http" || protocol == "https") {
    HttpRequest request;
    request.url = subscription.endpoint;
    AddSnsHeaders(&request, kNotification, message_id, topic.arn, subscription.arn);
    if (subscription.raw_message_delivery()) {
      request.headers.emplace_back("x-amz-sns-rawdelivery", "true");
      request.body = message;
    } else {
      Result<SnsEnvelope> envelope = signed_envelope();
      if (!envelope.ok()) return envelope.status();
      request.body = EnvelopeJson(*envelope);
    }
    request.headers.emplace_back("Content-Type", policy->header_content_type);
    item.http = std::move(request);
  } else if (protocol == "slack") {
    HttpRequest request;
    request.url = subscription.endpoint;
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = publication.alarm && own == publication.per_protocol.end()
                       ? AlarmSlackPayload(*publication.alarm)
                       : SlackPayload(publication.subject, message);
    item.http = std::move(request);
  } else {
    MailContent mail;
    mail.from_name = FromName(topic);
    mail.from_address = options_.mail_from;
    mail.to = subscription.endpoint;
    mail.subject = publication.subject.value_or("AWS Notification Message");
    mail.date = timestamp;
    mail.message_id = std::string(message_id) + "@sns.trailwatch";
    mail.extra_headers = {{"X-Amz-Sns-Message-Id", std::string(message_id)},
                          {"X-Amz-Sns-Topic-Arn", topic.arn},
                          {"X-Amz-Sns-Subscription-Arn", subscription.arn}};
    if (protocol == "email-json") {
      Result<SnsEnvelope> envelope = signed_envelope();
      if (!envelope.ok()) return envelope.status();
      mail.text = EnvelopeJson(*envelope);
    } else if (publication.alarm && own == publication.per_protocol.end()) {
      EmailBody body = AlarmEmail(*publication.alarm, unsubscribe_url);
      mail.text = std::move(body.text);
      mail.html = std::move(body.html);
    } else {
      mail.text = message + EmailFooter(unsubscribe_url);
    }
    item.subject = mail.subject;
    item.mail = MailEnvelope{options_.mail_from, {subscription.endpoint}, BuildMimeMessage(mail)};
  }
  Outbox outbox(db_);
  Result<std::int64_t> id = outbox.Enqueue(item, timestamp);
  return id.ok() ? Status::Ok() : id.status();
}

Result<std::string> Sns::Publish(std::string_view topic_arn, const Publication& publication) {
  TW_RETURN_IF_ERROR(CheckPublication(publication));
  Result<store::Transaction> transaction = store::Transaction::Begin(*db_);
  if (!transaction.ok()) return transaction.status();
  Result<Topic> topic = GetTopic(topic_arn);
  if (!topic.ok()) return topic.status();
  const std::string message_id = NewUuid();
  const TimePoint now = clock_->Now();
  Result<std::vector<Subscription>> subscriptions = ListSubscriptions(topic_arn);
  if (!subscriptions.ok()) return subscriptions.status();
  for (const Subscription& s : *subscriptions) {
    if (!s.confirmed) continue;
    TW_RETURN_IF_ERROR(QueueNotification(s, *topic, publication, message_id, now));
  }
  TW_RETURN_IF_ERROR(transaction->Commit());
  return message_id;
}

}  // namespace tw::notify
