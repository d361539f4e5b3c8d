#include "server/service_metrics.h"

#include <sys/stat.h>

#include <array>
#include <chrono>
#include <utility>

namespace tw::server {
namespace {

constexpr std::string_view kUnknown = "unknown";

// The protocols trailwatch delivers (sns.h refuses the others at Subscribe);
// anything else a row could hold is one label value.
std::string_view ProtocolLabel(std::string_view protocol) {
  static constexpr std::array<std::string_view, 5> kDelivered = {"email", "email-json", "http",
                                                                 "https", "slack"};
  for (std::string_view p : kDelivered) {
    if (p == protocol) return p;
  }
  return "other";
}

std::optional<notify::IpAddress> Unmapped(const notify::IpAddress& address) {
  if (address.is_v4()) return address;
  const std::uint8_t* b = address.bytes();
  for (int i = 0; i < 10; ++i) {
    if (b[i] != 0) return std::nullopt;
  }
  if (b[10] != 0xff || b[11] != 0xff) return std::nullopt;
  return notify::IpAddress::V4(static_cast<std::uint32_t>(b[12]) << 24 |
                               static_cast<std::uint32_t>(b[13]) << 16 |
                               static_cast<std::uint32_t>(b[14]) << 8 | b[15]);
}

bool IsLoopback(const notify::IpAddress& address) {
  if (address.is_v4()) return address.bytes()[0] == 127;
  static const notify::IpAddress kLoopback6 = *notify::IpAddress::Parse("::1");
  return address == kLoopback6;
}

api::HttpResponse Text(int status, std::string body, std::string_view type) {
  api::HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::string(type));
  r.headers.emplace_back("Cache-Control", "no-store");
  r.body = std::move(body);
  return r;
}

std::int64_t FileBytes(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : 0;
}

}  // namespace

Result<MetricsAccess> MetricsAccess::Allowing(const std::vector<std::string>& cidrs) {
  MetricsAccess access;
  for (const std::string& text : cidrs) {
    Result<notify::Cidr> cidr = notify::Cidr::Parse(text);
    if (!cidr.ok()) return InvalidArgument("--metrics-from " + cidr.status().message());
    access.allowed_.push_back(*cidr);
  }
  return access;
}

MetricsAccess MetricsAccess::Off() {
  MetricsAccess access;
  access.enabled_ = false;
  return access;
}

bool MetricsAccess::Allows(std::string_view remote_address) const {
  if (!enabled_) return false;
  std::optional<notify::IpAddress> parsed = notify::IpAddress::Parse(remote_address);
  if (!parsed) return false;
  // An IPv4 client of a dual-stack socket may arrive as ::ffff:a.b.c.d.
  const notify::IpAddress address = Unmapped(*parsed).value_or(*parsed);
  if (IsLoopback(address)) return true;
  for (const notify::Cidr& cidr : allowed_) {
    if (cidr.Contains(address)) return true;
  }
  return false;
}

ServiceMetrics::ServiceMetrics(std::string database_path)
    : database_path_(std::move(database_path)),
      api_requests_(registry_.AddCounter(
          "trailwatch_api_requests_total",
          "AWS API requests answered, by service (logs, monitoring, sns), operation (unknown for "
          "a name trailwatch does not serve) and HTTP status.",
          {"service", "operation", "status"})),
      ingested_events_(registry_.AddCounter(
          "trailwatch_ingested_events_total",
          "Log events stored (PutLogEvents and the CloudTrail watcher), by log group.",
          {"log_group"})),
      ingested_bytes_(registry_.AddCounter("trailwatch_ingested_bytes_total",
                                           "Message bytes of the log events stored, by log group.",
                                           {"log_group"})),
      put_log_events_seconds_(registry_.AddHistogram(
          "trailwatch_put_log_events_duration_seconds",
          "Time from a PutLogEvents batch's arrival at the engine to its commit (the events, "
          "their metrics and early alarms).",
          {}, telemetry::LatencyBuckets())),
      filter_matches_(registry_.AddCounter(
          "trailwatch_metric_filter_matches_total",
          "Log events that matched a metric filter's pattern, by log group and filter.",
          {"log_group", "filter"})),
      dimensions_dropped_(registry_.AddCounter(
          "trailwatch_metric_filter_dimensions_dropped_total",
          "Observations published without their dimensions: new dimension sets past 1,000 per "
          "filter and hour, by log group.",
          {"log_group"})),
      alarm_state_(registry_.AddGauge("trailwatch_alarm_state",
                                      "1 for the state an alarm is in, 0 for the other two.",
                                      {"alarm", "state"})),
      alarm_transitions_(registry_.AddCounter("trailwatch_alarm_transitions_total",
                                              "Alarm state changes, by alarm and states.",
                                              {"alarm", "from", "to"})),
      outbox_pending_(registry_.AddGauge("trailwatch_outbox_pending",
                                         "Notifications waiting in the outbox, by protocol.",
                                         {"protocol"})),
      outbox_oldest_pending_age_(registry_.AddGauge(
          "trailwatch_outbox_oldest_pending_age_seconds",
          "Age of the oldest notification waiting in the outbox, by protocol.", {"protocol"})),
      outbox_dead_letters_(registry_.AddGauge(
          "trailwatch_outbox_dead_letters",
          "Notifications in the dead-letter list (retries used up or refused), by protocol.",
          {"protocol"})),
      delivery_attempts_(registry_.AddCounter(
          "trailwatch_delivery_attempts_total",
          "Delivery attempts, by protocol and outcome (delivered, retry, dead).",
          {"protocol", "outcome"})),
      store_bytes_(registry_.AddGauge(
          "trailwatch_store_bytes", "Bytes of the store's database files (with WAL and shm).", {})),
      retention_deleted_(registry_.AddCounter(
          "trailwatch_retention_deleted_total",
          "Rows deleted by retention: log events past their group's retention, metric minutes "
          "past 15 days, finished deliveries and alarm history past --keep-history-days.",
          {"kind"})) {}

void ServiceMetrics::OnResponse(const api::Operations& operations, const api::CallContext& context,
                                const api::HttpResponse& response) {
  const std::string_view operation =
      !context.operation.empty() && operations.Find(context.service, context.operation) != nullptr
          ? std::string_view(context.operation)
          : kUnknown;
  // Statuses are ours: a bounded set of three-digit codes.
  std::array<char, 8> status{};
  const int code = response.status >= 100 && response.status <= 999 ? response.status : 0;
  status[0] = static_cast<char>('0' + code / 100);
  status[1] = static_cast<char>('0' + code / 10 % 10);
  status[2] = static_cast<char>('0' + code % 10);
  api_requests_
      .With({api::ServiceName(context.service), operation, std::string_view(status.data(), 3)})
      .Add();
}

void ServiceMetrics::OnIngest(const IngestReport& report) {
  if (report.events > 0) {
    ingested_events_.With({report.log_group}).Add(report.events);
    ingested_bytes_.With({report.log_group}).Add(report.bytes);
  }
  for (const auto& [filter, matches] : report.filter_matches) {
    // Every filter of the group appears, so that a rate of 0 is a 0, not a gap.
    filter_matches_.With({report.log_group, filter}).Add(matches);
  }
  if (report.dimensions_dropped > 0) {
    dimensions_dropped_.With({report.log_group}).Add(report.dimensions_dropped);
  }
  if (report.put_log_events_elapsed) {
    put_log_events_seconds_.With({}).Observe(
        std::chrono::duration<double>(*report.put_log_events_elapsed).count());
  }
}

void ServiceMetrics::OnTransition(const std::string& alarm, alarm::StateValue from,
                                  alarm::StateValue to) {
  alarm_transitions_.With({alarm, alarm::StateName(from), alarm::StateName(to)}).Add();
}

void ServiceMetrics::OnAttempt(const notify::Delivery& delivery) {
  const std::string_view outcome = delivery.state == notify::DeliveryState::kDelivered ? "delivered"
                                   : delivery.state == notify::DeliveryState::kDead    ? "dead"
                                                                                       : "retry";
  delivery_attempts_.With({ProtocolLabel(delivery.item.protocol), outcome}).Add();
}

void ServiceMetrics::OnRetention(const RetentionReport& report) {
  retention_deleted_.With({"log_events"}).Add(static_cast<std::uint64_t>(report.log_events));
  retention_deleted_.With({"metric_minutes"})
      .Add(static_cast<std::uint64_t>(report.metric_minutes));
  retention_deleted_.With({"deliveries"}).Add(static_cast<std::uint64_t>(report.deliveries));
  retention_deleted_.With({"alarm_history"}).Add(static_cast<std::uint64_t>(report.alarm_history));
}

Result<std::string> ServiceMetrics::Scrape(Engine& engine) {
  std::vector<telemetry::GaugeFamily::Sample> states, pending, oldest, dead;
  Status read = engine.Locked([&](Services& sv) -> Status {
    Result<std::vector<StoredAlarm>> alarms = sv.alarms.List();
    if (!alarms.ok()) return alarms.status();
    constexpr alarm::StateValue kStates[] = {alarm::StateValue::kOk, alarm::StateValue::kAlarm,
                                             alarm::StateValue::kInsufficientData};
    for (const StoredAlarm& a : *alarms) {
      for (alarm::StateValue s : kStates) {
        states.push_back(
            {{a.spec.alarm_name, alarm::StateName(s)}, a.state.value == s ? 1.0 : 0.0});
      }
    }
    notify::Outbox outbox(&sv.db);
    Result<std::vector<notify::ProtocolBacklog>> backlog = outbox.BacklogByProtocol();
    if (!backlog.ok()) return backlog.status();
    const TimePoint now = engine.clock().Now();
    for (const notify::ProtocolBacklog& b : *backlog) {
      const std::string protocol(ProtocolLabel(b.protocol));
      pending.push_back({{protocol}, static_cast<double>(b.pending)});
      dead.push_back({{protocol}, static_cast<double>(b.dead)});
      if (b.oldest_pending) {
        const double age = std::chrono::duration<double>(now - *b.oldest_pending).count();
        oldest.push_back({{protocol}, age > 0 ? age : 0});
      }
    }
    return Status::Ok();
  });
  if (!read.ok()) return read;
  alarm_state_.Replace(std::move(states));
  outbox_pending_.Replace(std::move(pending));
  outbox_oldest_pending_age_.Replace(std::move(oldest));
  outbox_dead_letters_.Replace(std::move(dead));
  const std::int64_t bytes = FileBytes(database_path_) + FileBytes(database_path_ + "-wal") +
                             FileBytes(database_path_ + "-shm");
  store_bytes_.Replace({{{}, static_cast<double>(bytes)}});
  return registry_.Render();
}

std::optional<api::HttpResponse> ServiceMetrics::Handle(const api::HttpRequest& request,
                                                        const MetricsAccess& access,
                                                        Engine& engine) {
  if (!access.enabled() || request.path != "/metrics") return std::nullopt;
  constexpr std::string_view kPlain = "text/plain; charset=utf-8";
  if (!access.Allows(request.remote_address)) {
    return Text(403,
                "/metrics is served to loopback and the networks of --metrics-from only; this "
                "client is " +
                    request.remote_address + "\n",
                kPlain);
  }
  if (request.method != "GET") {
    api::HttpResponse r = Text(405, "/metrics takes GET\n", kPlain);
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  Result<std::string> text = Scrape(engine);
  if (!text.ok()) return Text(500, "reading the store: " + text.status().message() + "\n", kPlain);
  return Text(200, std::move(text).value(), telemetry::kContentType);
}

}  // namespace tw::server
