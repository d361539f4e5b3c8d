// `serve`'s own metrics at GET /metrics, in Prometheus's text format: the
// series listed in README's "/metrics" section, fed by the hooks of the
// router (every answer), the engine (ingestion, transitions, retention) and
// the deliverer (attempts), plus what is state rather than events (alarm
// states, the outbox backlog, the store's size), read at each scrape.
//
// Labels come from configuration, never from request data: a service and an
// operation only if it is one of the registered operations ("unknown"
// otherwise, whatever name a request gave), a log group or filter only once
// events were stored in that group, an alarm, a protocol trailwatch
// delivers. Each family is capped besides (telemetry.h).
//
// Who may scrape: MetricsAccess. Loopback always (a Prometheus on the same
// host), other addresses only within the --metrics-from networks, and nobody
// with --no-metrics. The address is the socket's peer, never a header such
// as X-Forwarded-For, which any client can write.
//
// Thread safety: the hooks may be called from any thread at once (the
// router calls on_response from the I/O thread too); Scrape() takes the
// engine's lock.

#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alarm/alarm.h"
#include "api/http.h"
#include "api/router.h"
#include "common/status.h"
#include "notify/address_policy.h"
#include "notify/outbox.h"
#include "server/engine.h"
#include "telemetry/telemetry.h"

namespace tw::server {

class MetricsAccess {
 public:
  // Loopback only.
  MetricsAccess() = default;
  // Loopback and the `cidrs` (--metrics-from; "0.0.0.0/0" and "::/0" for
  // anyone). kInvalidArgument naming the bad one:
  //   "--metrics-from '10.0.0.5/8': host bits are set; the network is ..."
  static Result<MetricsAccess> Allowing(const std::vector<std::string>& cidrs);
  // Nobody (--no-metrics): /metrics is not served at all.
  static MetricsAccess Off();

  bool enabled() const { return enabled_; }
  // True when a scrape from `remote_address` (api::HttpRequest's: the peer's
  // IP address as text) is answered. An address that does not parse (""
  // when unknown) is refused. An IPv4-mapped IPv6 address counts as its IPv4
  // address; other IPv6 forms that embed one (6to4, NAT64) do not, since
  // anyone can send from them.
  bool Allows(std::string_view remote_address) const;

 private:
  bool enabled_ = true;
  std::vector<notify::Cidr> allowed_;
};

class ServiceMetrics {
 public:
  // `database_path` (with its -wal and -shm files) is the store whose size
  // is reported.
  explicit ServiceMetrics(std::string database_path);

  // Router's on_response: `operations` decides which operation names are
  // label values.
  void OnResponse(const api::Operations& operations, const api::CallContext& context,
                  const api::HttpResponse& response);
  // EngineOptions::on_ingest.
  void OnIngest(const IngestReport& report);
  // EngineOptions::on_transition.
  void OnTransition(const std::string& alarm, alarm::StateValue from, alarm::StateValue to);
  // DelivererOptions::on_attempt.
  void OnAttempt(const notify::Delivery& delivery);
  // After Engine::Maintain().
  void OnRetention(const RetentionReport& report);

  // Reads the state series (under the engine's lock) and renders every
  // series. A store error is returned (the scrape fails, and Prometheus's
  // `up` says so).
  Result<std::string> Scrape(Engine& engine);

  // The answer to a request for /metrics: 200 with the text (GET),
  // 403 for an address `access` refuses, 405 for another method, 500 when
  // the store cannot be read; nullopt for another path, and for every path
  // when `access` is off.
  std::optional<api::HttpResponse> Handle(const api::HttpRequest& request,
                                          const MetricsAccess& access, Engine& engine);

  const telemetry::Registry& registry() const { return registry_; }

 private:
  std::string database_path_;
  telemetry::Registry registry_;
  telemetry::CounterFamily& api_requests_;
  telemetry::CounterFamily& ingested_events_;
  telemetry::CounterFamily& ingested_bytes_;
  telemetry::HistogramFamily& put_log_events_seconds_;
  telemetry::CounterFamily& filter_matches_;
  telemetry::CounterFamily& dimensions_dropped_;
  telemetry::GaugeFamily& alarm_state_;
  telemetry::CounterFamily& alarm_transitions_;
  telemetry::GaugeFamily& outbox_pending_;
  telemetry::GaugeFamily& outbox_oldest_pending_age_;
  telemetry::GaugeFamily& outbox_dead_letters_;
  telemetry::CounterFamily& delivery_attempts_;
  telemetry::GaugeFamily& store_bytes_;
  telemetry::CounterFamily& retention_deleted_;
};

}  // namespace tw::server
