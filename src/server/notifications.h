// Where alarms meet notify: the data directory, the SNS side of a
// configuration, and what an alarm transition publishes.
//
// alarm knows nothing of SNS and notify nothing of alarms; this file turns
// an alarm's spec and transition into notify::AlarmChange and publishes it
// to the SNS topics among the transition's actions. Replay (--notify), the
// `outbox` command and the server share it.
//
//   Result<std::unique_ptr<Notifier>> n = Notifier::Open(options, &clock);
//   TW_RETURN_IF_ERROR((*n)->ApplyConfiguration(config, &warnings));
//   (*n)->PublishTransition(change, actions, &warnings);
//   (*n)->deliverer().Start();  ...  (*n)->deliverer().WaitUntilIdle();
//
// Thread safety: a Notifier's store connection and Sns are for one thread
// at a time (the caller's); its Deliverer runs its own threads.

#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alarm/alarm.h"
#include "alarm/composite.h"
#include "common/status.h"
#include "common/time.h"
#include "notify/outbox.h"
#include "notify/sns.h"
#include "notify/transport.h"
#include "server/template.h"
#include "store/database.h"
#include "store/directory_lock.h"

namespace tw::server {

// The files of a data directory, and where the store is: its embedded
// database, or the PostgreSQL database of `store` when set.
struct DataDirLayout {
  std::string dir;
  std::string store;  // "" or a postgresql:// URL
  std::string database() const { return store.empty() ? dir + "/trailwatch.db" : store; }
  std::string maildir() const { return dir + "/maildir"; }
};

struct NotifierOptions {
  std::string data_dir = "./trailwatch-data";
  // Empty: the store is <data dir>/trailwatch.db. Else a postgresql:// URL
  // of the database that several nodes share (store/database.h).
  std::string store;
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  std::string public_url = "http://127.0.0.1:4566";
  // Empty: e-mail is written to the Maildir of the data directory.
  std::string smtp_url;
  bool smtp_starttls = false;
  std::string mail_from;  // empty: "trailwatch@<host name>"
  std::string ca_file;    // extra trust for https endpoints and SMTP TLS
  Duration http_timeout = std::chrono::seconds(15);
  // Networks (CIDR, --allow-endpoint) that http, https and slack endpoints
  // may reach although the default address policy refuses them, e.g.
  // "127.0.0.1/32" for a receiver on this machine (notify/address_policy.h).
  // The SMTP server is not subject to the policy.
  std::vector<std::string> allowed_endpoints;
  // Delivery workers of each lane (notify/outbox.h: a dead webhook holds at
  // most one HTTP worker, and never a mail one).
  int http_workers = 4;
  int mail_workers = 2;
  // Called (from delivery threads) after every attempt, e.g. to log it.
  std::function<void(const notify::Delivery&, const notify::AttemptRecord&)> on_attempt;
};

// The data directory (locked), its store, SNS, the transports and the
// deliverer, opened together.
class Notifier {
 public:
  static Result<std::unique_ptr<Notifier>> Open(const NotifierOptions& options, const Clock* clock);
  ~Notifier();

  notify::Sns& sns() { return *sns_; }
  store::Database& db() { return *db_; }
  notify::Deliverer& deliverer() { return *deliverer_; }
  const DataDirLayout& layout() const { return layout_; }
  // This node's name among those sharing a store: "<host>:<data directory>",
  // the same after a restart (the directory's lock keeps it to one process).
  const std::string& node() const { return node_; }
  // "smtp://mail.example.com:587 (STARTTLS)" or "Maildir /data/maildir".
  std::string MailDescription() const { return mail_->Describe(); }

  // Creates or updates the configuration's topics, and its subscriptions as
  // confirmed (a template is the owner's word). Subscriptions of protocols
  // trailwatch cannot deliver (sqs, lambda, sms, ...) are skipped with a
  // warning.
  Status ApplyConfiguration(const Configuration& config, std::vector<std::string>* warnings);

  // Publishes `change` to each SNS topic among `actions`, in one
  // transaction; returns the MessageIds. An action that names no known
  // topic is a warning, not an error: the alarm still changed state.
  Result<std::vector<std::string>> PublishTransition(const notify::AlarmChange& change,
                                                     const std::vector<std::string>& actions,
                                                     std::vector<std::string>* warnings);

 private:
  Notifier() = default;

  DataDirLayout layout_;
  std::string node_;
  std::optional<store::DirectoryLock> lock_;
  std::optional<store::Database> db_;
  std::unique_ptr<notify::Sns> sns_;
  std::unique_ptr<notify::HttpSender> http_;
  std::unique_ptr<notify::MailSender> mail_;
  std::unique_ptr<notify::Deliverer> deliverer_;
};

// What an alarm's transition says, for notify.
struct TransitionFacts {
  alarm::StateValue old_state = alarm::StateValue::kInsufficientData;
  alarm::AlarmState new_state;  // value, reason, updated (the state change time)
  TimePoint configuration_updated;
  std::vector<notify::EvidenceLine> evidence;
  std::uint64_t evidence_total = 0;
};

// The console page of an alarm: "<public_url>/console/#/alarms/<name>".
std::string ConsoleAlarmUrl(const std::string& public_url, const std::string& alarm_name);

notify::AlarmChange DescribeAlarmChange(const alarm::AlarmSpec& spec, const TransitionFacts& facts,
                                        const std::string& region, const std::string& account_id,
                                        const std::string& console_url);
// A composite alarm's change (facts without evidence); `trigger` is the
// child whose change caused it, when one did.
notify::AlarmChange DescribeAlarmChange(const alarm::CompositeSpec& spec,
                                        const TransitionFacts& facts,
                                        const alarm::ChildState* trigger, const std::string& region,
                                        const std::string& account_id,
                                        const std::string& console_url);

}  // namespace tw::server
