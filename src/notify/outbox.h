// The durable outbox and the workers that empty it.
//
// Every message is a row of the outbox, written in the same transaction as
// whatever caused it, before any attempt to send it. A Deliverer takes due
// rows, makes one attempt through a transport (transport.h), and records the
// outcome with the attempt's time, status and error:
//   delivered  -> done;
//   final      -> dead (kept in the dead-letter list, never dropped);
//   retryable  -> due again after the next delay of the row's retry
//                 schedule, or dead once the schedule is used up.
// A row's MessageId, body and signature never change between attempts, so a
// receiver can deduplicate. A process killed mid-attempt leaves the row
// pending: the next Deliverer on the same database sends it again (with the
// same MessageId). That is the only case of a second send; deduplicating by
// MessageId makes it exactly-once for the receiver.
//
// Several processes may deliver from one database (nodes sharing a
// PostgreSQL store): before an attempt, a Deliverer leases the row (Lease:
// its node's name and a time), and the others skip the row until the lease
// runs out. The lease outlasts the attempt's transport timeout, so a row is
// sent twice only when its node died mid-attempt: another node sends it
// again, with the same MessageId, once the lease has run out. A node that
// restarts under the same name takes its own leased rows back at once.
//
// Isolation. A slow or dead endpoint holds at most one worker (or
// DelivererOptions::max_in_flight_per_endpoint of them), for at most its
// transport's timeout per attempt, and never a worker of the other lane:
// http, https and slack rows are sent by the HTTP lane's workers, email and
// email-json rows by the mail lane's, so a dead webhook cannot keep mail
// waiting and a dead SMTP server cannot keep webhooks waiting. A worker
// claims the oldest due row of its lane whose endpoint (EndpointKey) is
// below its cap of attempts in flight and whose subscription is not
// throttled; rows of a busy endpoint wait in the table, not in a worker.
// Rows of one endpoint are therefore attempted one at a time, oldest due
// first. Each row's retry schedule is its own: a failure of one row does not
// delay the endpoint's other rows.
//
// Deleted subscriptions and topics. Sns drops the rows not yet sent to a
// subscription when it is unsubscribed or its topic deleted
// (DropUnsentToSubscription, DropUnsentToTopic), in the same transaction;
// a worker that claimed such a row before loading its request finds it
// gone and sends nothing. Only an attempt already on the wire completes.
//
// Hygiene. Finished rows (delivered, dead) and their attempts are kept for
// reading (the `outbox` command, the console) and removed by
// PruneFinished() once older than the operator's retention; pending rows
// are never pruned, whatever their age.

#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "notify/transport.h"
#include "store/database.h"

namespace tw::notify {

enum class DeliveryState { kPending, kDelivered, kDead };
const char* DeliveryStateName(DeliveryState state);  // "pending", "delivered", "dead"

// What to send, once, to one subscription.
struct OutboxItem {
  std::string message_id;
  std::string type;  // Notification, SubscriptionConfirmation or UnsubscribeConfirmation
  std::string topic_arn;
  std::string subscription_arn;
  std::string protocol;
  std::string endpoint;
  std::string subject;  // for people: the mail subject, or the SNS Subject
  std::string origin;   // what caused it, e.g. "alarm:<arn>@<time>"; may be empty
  // Exactly one is set: HTTP for http, https and slack; mail for email and
  // email-json.
  std::optional<HttpRequest> http;
  std::optional<MailEnvelope> mail;
  std::vector<std::chrono::seconds> retry_delays;  // RetryDelays() of its policy
  std::optional<int> max_receives_per_second;      // throttle for its subscription
};

struct AttemptRecord {
  int number = 0;  // 1 for the first attempt
  TimePoint started;
  Duration elapsed{0};
  AttemptOutcome outcome = AttemptOutcome::kRetryable;
  int status_code = 0;
  std::string detail;
};

struct Delivery {
  std::int64_t id = 0;
  OutboxItem item;  // http / mail are filled only by Outbox::Get()
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;
  TimePoint created;
  TimePoint next_attempt;             // when pending
  std::optional<TimePoint> finished;  // when delivered or dead
  int last_status_code = 0;
  std::string last_detail;
  std::vector<AttemptRecord> history;  // filled only by Outbox::Get()
};

struct DeliveryFilter {
  std::optional<DeliveryState> state;
  std::string subscription_arn;          // empty: any
  std::string topic_arn;                 // empty: any
  std::string origin;                    // empty: any
  std::optional<std::int64_t> after_id;  // only rows with a larger id
  std::size_t limit = 100;
};

// The lane a row is sent in: mail for email and email-json, HTTP for the
// rest (http, https, slack). Each lane has its own workers.
enum class Lane { kAny, kHttp, kMail };
Lane LaneOf(std::string_view protocol);

// What identifies an endpoint for the cap of attempts in flight: the
// protocol and the endpoint as subscribed ("http https://hooks.example/a",
// "email ops@example.com").
std::string EndpointKey(std::string_view protocol, std::string_view endpoint);

// Which due rows a worker may claim.
struct DueFilter {
  Lane lane = Lane::kAny;
  // Rows leased by another holder (Outbox::Lease) and not yet expired are
  // skipped; the holder's own are not.
  std::string lease_holder;
  // > 0: endpoints with this many rows leased by other holders are skipped
  // (the cap of attempts in flight, across nodes).
  int max_leased_per_endpoint = 0;
  std::set<std::int64_t> exclude_ids;            // claimed: in flight
  std::set<std::string> exclude_endpoints;       // EndpointKey()s at their cap
  std::set<std::string> exclude_subscriptions;  // throttled this second
};

struct OutboxCounts {
  std::int64_t pending = 0;
  std::int64_t delivered = 0;
  std::int64_t dead = 0;
};

// The rows still needing attention, of one protocol (for the service's
// metrics).
struct ProtocolBacklog {
  std::string protocol;  // as subscribed: "email", "https", ...
  std::int64_t pending = 0;
  std::optional<TimePoint> oldest_pending;  // created_at of the oldest pending row
  std::int64_t dead = 0;
};

// The outbox's rows on a caller's database connection (not synchronized:
// one thread at a time, as for the Database).
class Outbox {
 public:
  explicit Outbox(store::Database* db) : db_(db) {}

  // Creates or upgrades the outbox tables.
  static Status Migrate(store::Database& db);

  // Adds a pending row, due at `now`. Returns its id.
  Result<std::int64_t> Enqueue(const OutboxItem& item, TimePoint now);

  // Newest first.
  Result<std::vector<Delivery>> List(const DeliveryFilter& filter);
  // One row with its request and every attempt. kNotFound if absent.
  Result<Delivery> Get(std::int64_t id);
  Result<OutboxCounts> Counts();
  // Pending and dead rows by protocol, sorted by protocol; a protocol with
  // neither is absent.
  Result<std::vector<ProtocolBacklog>> BacklogByProtocol();
  // The earliest next_attempt after `now` of a pending row, if any.
  Result<std::optional<TimePoint>> NextDueAfter(TimePoint now);

  // Puts a dead row back to pending, due at `now`, with a fresh retry
  // schedule (its attempts so far stay in its history). kNotFound if there
  // is no such row, kFailedPrecondition if it is not dead.
  Status Retry(std::int64_t id, TimePoint now);

  // Pending rows due at `now` that `filter` allows, oldest due first.
  Result<std::vector<Delivery>> Due(TimePoint now, const DueFilter& filter, std::size_t limit);
  // Leases pending row `id`, due at `now`, to `holder` until now + length:
  // true when taken, false when the row is gone, not due, not pending, or
  // leased by another holder until after `now`. The lease ends with the
  // next RecordAttempt.
  Result<bool> Lease(std::int64_t id, std::string_view holder, TimePoint now, Duration length);
  // Loads the request of a row to send (item.http / item.mail). kNotFound
  // when the row is gone or no longer pending (dropped, see the top).
  Result<OutboxItem> Request(std::int64_t id);

  // Deletes the pending Notification and SubscriptionConfirmation rows of a
  // subscription, or of every subscription of a topic, with their attempts;
  // UnsubscribeConfirmation rows stay (they tell the endpoint what
  // happened). Returns how many rows were dropped.
  Result<std::int64_t> DropUnsentToSubscription(std::string_view subscription_arn);
  Result<std::int64_t> DropUnsentToTopic(std::string_view topic_arn);

  // Deletes up to `limit` delivered or dead rows that finished before
  // `before`, oldest first, with their attempts; pending rows are never
  // touched. Returns how many were deleted (less than `limit`: no more now).
  Result<std::int64_t> PruneFinished(TimePoint before, std::size_t limit);
  // Records one attempt of row `id` and moves the row on (see the top of
  // this file). Returns the row's new state. The attempt's detail is stored
  // with URL passwords masked (RedactUrlPasswords, common/url.h).
  Result<DeliveryState> RecordAttempt(std::int64_t id, const AttemptResult& result,
                                      TimePoint started, TimePoint now);

 private:
  store::Database* db_;
};

struct DelivererOptions {
  // Workers of each lane (see the top): the HTTP lane sends http, https and
  // slack rows, the mail lane email and email-json rows.
  int http_workers = 4;
  int mail_workers = 2;
  // How many attempts at one endpoint (EndpointKey) may be in flight at
  // once. 1 keeps an endpoint's rows in order and a dead endpoint to one
  // worker per lane.
  int max_in_flight_per_endpoint = 1;
  // How often the workers look for due rows when nobody wakes them (rows
  // written by another connection, retries coming due).
  Duration poll_interval = std::chrono::milliseconds(200);
  // The name this deliverer's leases carry (Outbox::Lease): unique among
  // the nodes delivering from one store, and the same when a node restarts
  // (the host and data directory), so that it resumes its own rows at once.
  // Empty: "<host name>:<process id>".
  std::string node;
  // How long a lease keeps the other nodes off a row, per lane: longer than
  // an attempt can take (the lane's transport timeout and some margin).
  Duration http_lease = std::chrono::seconds(45);
  Duration mail_lease = std::chrono::seconds(90);
  // Called after each attempt (from a worker thread), e.g. for the log.
  std::function<void(const Delivery&, const AttemptRecord&)> on_attempt;
};

// Worker threads that send what the outbox holds. The senders and the clock
// must outlive the Deliverer; they are called from several threads.
class Deliverer {
 public:
  // Opens its own connection to the database file at `db_path` (which
  // must already hold the outbox tables).
  static Result<std::unique_ptr<Deliverer>> Open(const std::string& db_path, HttpSender* http,
                                                 MailSender* mail, const Clock* clock,
                                                 DelivererOptions options = {});
  ~Deliverer();  // Stop()s

  // Starts the workers. Rows already pending (from an earlier run) are due
  // at once or at their next_attempt.
  void Start();
  // Lets the workers finish the attempts in flight, then joins them.
  void Stop();
  // Makes idle workers look for due rows now (after a commit that queued some).
  void Wake();

  // Without workers: makes one attempt at every row due at the clock's now,
  // on the calling thread, and returns how many were attempted. For tests
  // with a ManualClock and for one-shot flushing.
  Result<int> DeliverDue();

  // Blocks until no row is pending or `deadline` (on the deliverer's clock)
  // passes; true when nothing is pending. Needs Start().
  bool WaitUntilIdle(std::optional<TimePoint> deadline = std::nullopt);

  // The counts, through the deliverer's connection.
  Result<OutboxCounts> Counts();

 private:
  Deliverer(store::Database db, HttpSender* http, MailSender* mail, const Clock* clock,
            DelivererOptions options);
  void Work(Lane lane);
  // Claims the oldest row of `lane` due at the clock's now that is not in
  // flight, whose endpoint is below its cap and whose subscription is not
  // throttled; sets *more_due when another row could be claimed too and
  // *wait to how long to sleep when nothing was claimed.
  std::optional<Delivery> Claim(Lane lane, bool* more_due, Duration* wait);
  // One attempt at row `id`, claimed by the caller. Returns the new state;
  // kNotFound when the row was dropped before its request was loaded
  // (nothing was sent).
  Result<DeliveryState> Attempt(std::int64_t id);
  bool Throttled(const Delivery& delivery, TimePoint now);
  Duration LeaseFor(std::string_view protocol) const;

  std::mutex db_mutex_;
  store::Database db_;  // GUARDED_BY(db_mutex_)
  Outbox outbox_;       // GUARDED_BY(db_mutex_)
  HttpSender* http_;
  MailSender* mail_;
  const Clock* clock_;
  DelivererOptions options_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  bool running_ = false;                                        // GUARDED_BY(mutex_)
  std::uint64_t wake_generation_ = 0;                           // GUARDED_BY(mutex_)
  std::set<std::int64_t> claimed_;                              // GUARDED_BY(mutex_)
  std::map<std::string, int> in_flight_;  // EndpointKey -> attempts; GUARDED_BY(mutex_)
  std::map<std::string, std::vector<TimePoint>> recent_sends_;  // GUARDED_BY(mutex_)
  std::vector<std::thread> threads_;
};

}  // namespace tw::notify
