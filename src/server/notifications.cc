#include "server/notifications.h"

#include <unistd.h>

#include <filesystem>
#include <set>
#include <utility>

#include "common/host_name.h"
#include "common/log.h"
#include "common/url.h"

namespace tw::server {
namespace {

bool IsTopicArn(std::string_view arn) { return arn.starts_with("arn:aws:sns:"); }

// The topic name is the last ':'-separated part of its ARN.
std::string TopicName(std::string_view arn) {
  std::size_t colon = arn.rfind(':');
  return std::string(colon == std::string_view::npos ? arn : arn.substr(colon + 1));
}

}  // namespace

Notifier::~Notifier() {
  if (deliverer_) deliverer_->Stop();
}

Result<std::unique_ptr<Notifier>> Notifier::Open(const NotifierOptions& options,
                                                 const Clock* clock) {
  std::unique_ptr<Notifier> n(new Notifier());
  n->layout_.dir = options.data_dir;
  std::error_code ignored;
  n->node_ = HostName() + ":" + std::filesystem::absolute(options.data_dir, ignored).string();
  n->layout_.store = options.store;
  Result<notify::AddressPolicy> policy = notify::AddressPolicy::Allowing(options.allowed_endpoints);
  if (!policy.ok()) return policy.status();
  Result<store::DirectoryLock> lock = store::DirectoryLock::Acquire(options.data_dir);
  if (!lock.ok()) return lock.status();
  if (!lock->tightened().empty()) LogWarning(lock->tightened());
  n->lock_.emplace(std::move(lock).value());
  Result<store::Database> db = store::Database::Open(n->layout_.database());
  if (!db.ok()) return db.status();
  // Before anything reads or writes it: a damaged page found now is a clear
  // refusal, found later it is a failed delivery or a lost alarm.
  TW_RETURN_IF_ERROR(db->CheckIntegrity());
  n->db_.emplace(std::move(db).value());

  notify::SnsOptions sns_options;
  sns_options.region = options.region;
  sns_options.account_id = options.account_id;
  sns_options.public_url = options.public_url;
  sns_options.mail_from =
      options.mail_from.empty() ? "trailwatch@" + HostName() : options.mail_from;
  sns_options.address_policy = *policy;
  Result<std::unique_ptr<notify::Sns>> sns = notify::Sns::Open(&*n->db_, sns_options, clock);
  if (!sns.ok()) return sns.status();
  n->sns_ = std::move(sns).value();

  notify::HttpSenderOptions http;
  http.timeout = options.http_timeout;
  http.ca_file = options.ca_file;
  http.address_policy = *policy;
  n->http_ = notify::MakeHttpSender(http);
  if (options.smtp_url.empty()) {
    n->mail_ = notify::MakeMaildirSender(n->layout_.maildir());
  } else {
    notify::SmtpOptions smtp;
    smtp.url = options.smtp_url;
    smtp.require_starttls = options.smtp_starttls;
    smtp.ca_file = options.ca_file;
    Result<std::unique_ptr<notify::MailSender>> mail = notify::MakeSmtpSender(smtp);
    if (!mail.ok()) return mail.status();
    n->mail_ = std::move(mail).value();
  }
  notify::DelivererOptions deliverer;
  deliverer.http_workers = options.http_workers;
  deliverer.mail_workers = options.mail_workers;
  deliverer.on_attempt = options.on_attempt;
  // A restarted node resumes its own leased rows at once.
  deliverer.node = n->node_;
  // A lease outlives the attempt it covers (the transport's timeout) with a
  // margin for the store's round trips.
  constexpr Duration kLeaseMargin = std::chrono::seconds(30);
  deliverer.http_lease = options.http_timeout + kLeaseMargin;
  deliverer.mail_lease = notify::SmtpOptions{}.timeout + kLeaseMargin;
  Result<std::unique_ptr<notify::Deliverer>> d = notify::Deliverer::Open(
      n->layout_.database(), n->http_.get(), n->mail_.get(), clock, std::move(deliverer));
  if (!d.ok()) return d.status();
  n->deliverer_ = std::move(d).value();
  return n;
}

Status Notifier::ApplyConfiguration(const Configuration& config,
                                    std::vector<std::string>* warnings) {
  Result<store::Transaction> transaction = store::Transaction::Begin(*db_);
  if (!transaction.ok()) return transaction.status();
  for (const TopicConfig& t : config.topics) {
    // The template's tags are set on every start; tags added by the API stay.
    Result<notify::Topic> topic = sns_->CreateTopic(t.name, {}, t.tags);
    if (!topic.ok())
      return Status(topic.status().code(),
                    "Resources." + t.logical_id + ": " + topic.status().message());
    // A template is applied again at every start: it is the desired state,
    // so its values replace what the topic had.
    for (const auto& [name, value] :
         {std::pair<std::string, std::string>{"DisplayName", t.display_name},
          {"DeliveryPolicy", t.delivery_policy},
          {"SignatureVersion", t.signature_version}}) {
      TW_RETURN_IF_ERROR(sns_->SetTopicAttribute(topic->arn, name, value));
    }
  }
  for (const SubscriptionConfig& s : config.subscriptions) {
    const std::string where = s.logical_id.empty() ? "a Subscription of " + TopicName(s.topic_arn)
                                                   : "Resources." + s.logical_id;
    if (!notify::IsDeliverableProtocol(s.protocol)) {
      warnings->push_back(where + ": protocol " + s.protocol +
                          " is not delivered by trailwatch; skipped");
      continue;
    }
    if (!sns_->GetTopic(s.topic_arn).ok()) {
      warnings->push_back(where + ": topic " + s.topic_arn + " is not in the template; skipped");
      continue;
    }
    std::map<std::string, std::string> attributes = {
        {"RawMessageDelivery", s.raw_message_delivery ? "true" : "false"},
        {"DeliveryPolicy", s.delivery_policy}};
    Result<notify::Subscription> sub =
        sns_->Subscribe(s.topic_arn, s.protocol, s.endpoint, attributes, /*confirmed=*/true);
    if (!sub.ok()) return Status(sub.status().code(), where + ": " + sub.status().message());
    for (const auto& [name, value] : attributes) {
      TW_RETURN_IF_ERROR(sns_->SetSubscriptionAttribute(sub->arn, name, value));
    }
  }
  return transaction->Commit();
}

Result<std::vector<std::string>> Notifier::PublishTransition(
    const notify::AlarmChange& change, const std::vector<std::string>& actions,
    std::vector<std::string>* warnings) {
  const notify::Publication publication = notify::AlarmPublication(change);
  std::vector<std::string> message_ids;
  Result<store::Transaction> transaction = store::Transaction::Begin(*db_);
  if (!transaction.ok()) return transaction.status();
  std::set<std::string> done;  // an ARN listed twice is notified once, as on AWS
  for (const std::string& action : actions) {
    if (!done.insert(action).second) continue;
    if (!IsTopicArn(action)) {
      warnings->push_back("alarm " + change.alarm_name + ": action " + action +
                          " is not an SNS topic; trailwatch runs SNS actions only");
      continue;
    }
    Result<std::string> id = sns_->Publish(action, publication);
    if (!id.ok()) {
      if (id.status().code() != StatusCode::kNotFound) return id.status();
      warnings->push_back("alarm " + change.alarm_name + ": topic " + action +
                          " does not exist; nothing sent");
      continue;
    }
    message_ids.push_back(std::move(id).value());
    // SNS sends nothing to a subscription that is not confirmed; say so, or
    // an operator waits for a mail that cannot come.
    Result<std::vector<notify::Subscription>> subscriptions = sns_->ListSubscriptions(action);
    if (!subscriptions.ok()) return subscriptions.status();
    for (const notify::Subscription& s : *subscriptions) {
      if (s.confirmed) continue;
      warnings->push_back("alarm " + change.alarm_name + ": not sent to " + s.protocol + " " +
                          RedactUrlPasswords(s.endpoint) + " (topic " + action +
                          "): the subscription is pending confirmation");
    }
  }
  TW_RETURN_IF_ERROR(transaction->Commit());
  deliverer_->Wake();
  return message_ids;
}

std::string ConsoleAlarmUrl(const std::string& public_url, const std::string& alarm_name) {
  return public_url + "/console/#/alarms/" + PercentEncode(alarm_name);
}

namespace {

// What a metric alarm's and a composite's notifications share.
template <typename Spec>
notify::AlarmChange ChangeOf(const Spec& spec, const TransitionFacts& facts,
                             const std::string& region, const std::string& account_id,
                             const std::string& console_url) {
  notify::AlarmChange c;
  c.alarm_name = spec.alarm_name;
  if (!spec.alarm_description.empty()) c.alarm_description = spec.alarm_description;
  c.account_id = account_id;
  c.region = region;
  c.alarm_arn = spec.alarm_arn;
  c.old_state = alarm::StateName(facts.old_state);
  c.new_state = alarm::StateName(facts.new_state.value);
  c.new_state_reason = facts.new_state.reason;
  c.state_change_time = facts.new_state.updated;
  c.configuration_updated_time = facts.configuration_updated;
  c.ok_actions = spec.ok_actions;
  c.alarm_actions = spec.alarm_actions;
  c.insufficient_data_actions = spec.insufficient_data_actions;
  c.console_url = console_url;
  return c;
}

}  // namespace

notify::AlarmChange DescribeAlarmChange(const alarm::CompositeSpec& spec,
                                        const TransitionFacts& facts,
                                        const alarm::ChildState* trigger, const std::string& region,
                                        const std::string& account_id,
                                        const std::string& console_url) {
  notify::AlarmChange c = ChangeOf(spec, facts, region, account_id, console_url);
  c.alarm_rule = spec.alarm_rule;
  if (trigger != nullptr) {
    c.triggering_children.push_back(
        {trigger->arn, alarm::StateName(trigger->state.value), trigger->state.updated});
  }
  return c;
}

notify::AlarmChange DescribeAlarmChange(const alarm::AlarmSpec& spec, const TransitionFacts& facts,
                                        const std::string& region, const std::string& account_id,
                                        const std::string& console_url) {
  notify::AlarmChange c = ChangeOf(spec, facts, region, account_id, console_url);
  notify::AlarmTrigger& t = c.trigger;
  t.metric_name = spec.metric_name;
  t.metric_namespace = spec.metric_namespace;
  t.statistic = spec.statistic;
  t.extended_statistic = spec.extended_statistic;
  t.unit = spec.unit;
  for (const auto& [name, value] : spec.dimensions) t.dimensions.push_back({name, value});
  t.period = spec.period;
  t.evaluation_periods = spec.evaluation_periods;
  t.datapoints_to_alarm = spec.datapoints_to_alarm;
  t.comparison_operator = alarm::ComparisonOperatorName(spec.comparison_operator);
  t.threshold = spec.threshold;
  t.treat_missing_data = alarm::TreatMissingDataName(spec.treat_missing_data);
  // "" unless set; the spec keeps only the value, and "evaluate" is the default.
  if (!spec.evaluate_low_sample_count_percentile) t.evaluate_low_sample_count_percentile = "ignore";
  c.evidence = facts.evidence;
  c.evidence_total = facts.evidence_total;
  return c;
}

}  // namespace tw::server
