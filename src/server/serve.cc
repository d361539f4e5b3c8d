#include "server/serve.h"

#include <sys/stat.h>

#include <charconv>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "api/codec.h"
#include "api/http_server.h"
#include "api/router.h"
#include "common/counted.h"
#include "common/html.h"
#include "common/log.h"
#include "common/random.h"
#include "common/url.h"
#include "server/cloudtrail_watcher.h"
#include "server/console.h"
#include "server/engine.h"
#include "server/operations.h"
#include "server/service_metrics.h"

namespace tw::server {
namespace {

namespace fs = std::filesystem;

// "name" of "https://name:4566/path".
std::string UrlHost(std::string_view url) {
  std::size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find_first_of("/?#"));
  if (std::size_t at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  if (url.starts_with("[")) return std::string(url.substr(0, url.find(']') + 1));
  return std::string(url.substr(0, url.find(':')));
}

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.starts_with("127.");
}

// Runs `each_second` every second (the evaluator's lease), `step` at every
// 10-second boundary (high-resolution alarms are evaluated that often; the
// engine evaluates the others on the minute), and `hourly` once an hour,
// until stopped, on a thread of its own.
class EvaluationTicker {
 public:
  static constexpr Duration kTick = Engine::kEvaluationTick;

  EvaluationTicker(const Clock* clock, std::function<void()> each_second,
                   std::function<void(TimePoint)> step, std::function<void()> hourly)
      : clock_(clock),
        each_second_(std::move(each_second)),
        step_(std::move(step)),
        hourly_(std::move(hourly)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~EvaluationTicker() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mutex_);
    TimePoint next = FloorTo(clock_->Now(), kTick) + kTick;
    TimePoint next_second = clock_->Now();
    int ticks = 0;
    while (!stopping_) {
      if (clock_->Now() >= next_second) {
        lock.unlock();
        each_second_();
        lock.lock();
        next_second = FloorTo(clock_->Now(), std::chrono::seconds(1)) + std::chrono::seconds(1);
      }
      // Sleep in short steps: the wall clock may jump, and waking a little
      // late by the steady clock must not miss a boundary by more than that.
      wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; });
      if (stopping_) break;
      if (clock_->Now() < next) continue;
      lock.unlock();
      step_(next);
      if (++ticks % (std::chrono::hours(1) / kTick) == 0) hourly_();
      lock.lock();
      next = FloorTo(clock_->Now(), kTick) + kTick;
    }
  }

  const Clock* clock_;
  std::function<void()> each_second_;
  std::function<void(TimePoint)> step_;
  std::function<void()> hourly_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// Unsigned GETs the server answers itself: the SNS confirmation and
// unsubscribe links, the signing certificate, a health check. (The console
// comes before these.)
std::optional<api::HttpResponse> LocalRoute(const api::HttpRequest& request, Engine& engine) {
  if (request.method != "GET") return std::nullopt;
  api::SignedRequest signed_request{request.method, request.path, request.query, request.headers,
                                    ""};
  if (api::HasSignature(signed_request)) return std::nullopt;
  auto text = [](int status, std::string body, std::string type = "text/plain; charset=utf-8") {
    api::HttpResponse r;
    r.status = status;
    r.headers.emplace_back("Content-Type", std::move(type));
    r.body = std::move(body);
    return r;
  };
  if (request.path == "/health") return text(200, "ok\n");
  std::string cert_path;
  std::string cert = engine.Locked([&](Services& sv) {
    cert_path = sv.sns.SigningCertPath();
    return sv.sns.signing_key().certificate_pem();
  });
  if (request.path == cert_path) return text(200, cert, "application/x-pem-file");
  if (request.path != "/") return std::nullopt;
  Result<api::Value> params = api::DecodeQuery(request.query);
  std::string action;
  if (params.ok()) {
    if (const api::Value* a = params->Find("Action"); a && a->kind() == api::Value::Kind::kString) {
      action = a->AsString();
    }
  }
  const std::string request_id = NewUuid();
  auto param = [&](const char* name) {
    const api::Value* v = params.ok() ? params->Find(name) : nullptr;
    return v && v->kind() == api::Value::Kind::kString ? v->AsString() : std::string();
  };
  // A person following the link from a mail sees a page; API clients (which
  // do not ask for HTML) get SNS's XML.
  const bool browser = request.Header("accept").find("text/html") != std::string::npos;
  auto page = [&](int status, const std::string& title, const std::vector<std::string>& lines) {
    std::string body =
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width\"><title>" +
        HtmlEscape(title) + "</title></head>\n<body><h1>" + HtmlEscape(title) + "</h1>\n";
    for (const std::string& line : lines) body += "<p>" + line + "</p>\n";
    body += "</body></html>\n";
    api::HttpResponse r = text(status, std::move(body), "text/html; charset=utf-8");
    r.headers.emplace_back("Content-Security-Policy", "default-src 'none'");
    return r;
  };
  auto answer = [&](const char* operation, const Result<api::Value, api::ApiError>& result) {
    if (!result.ok() && browser) {
      return page(result.error().http_status, "Request not completed",
                  {HtmlEscape(result.error().message)});
    }
    if (!result.ok()) {
      return api::ErrorResponse(api::Protocol::kQuery, api::Service::kSns, result.error(),
                                request_id);
    }
    api::HttpResponse r =
        text(200,
             api::EncodeQueryResponse(operation, api::XmlNamespace(api::Service::kSns), *result,
                                      request_id),
             "text/xml");
    r.headers.emplace_back("x-amzn-RequestId", request_id);
    return r;
  };
  if (action == "ConfirmSubscription") {
    Result<notify::Subscription> sub = engine.Locked([&](Services& sv) {
      return sv.sns.ConfirmSubscription(param("TopicArn"), param("Token"));
    });
    if (!sub.ok()) return answer("ConfirmSubscription", api::SnsErrorFor(sub.status()));
    LogInfo("subscription confirmed: " + sub->arn + " (" + sub->protocol + " " +
            RedactUrlPasswords(sub->endpoint) + ")");
    if (browser) {
      const std::string unsubscribe =
          engine.Locked([&](Services& sv) { return sv.sns.UnsubscribeUrl(sub->arn); });
      return page(200, "Subscription confirmed!",
                  {"You have successfully subscribed.",
                   "Your subscription's id is:<br><code>" + HtmlEscape(sub->arn) + "</code>",
                   "If it was not your intention to subscribe, <a href=\"" +
                       HtmlEscape(unsubscribe) + "\">click here to unsubscribe</a>."});
    }
    return answer("ConfirmSubscription",
                  api::Value::Structure({{"SubscriptionArn", api::Value::String(sub->arn)}}));
  }
  if (action == "Unsubscribe") {
    const std::string arn = param("SubscriptionArn");
    Status s = engine.Locked([&](Services& sv) {
      // Unsigned: whoever holds the link. A subscription confirmed with
      // AuthenticateOnUnsubscribe=true refuses it (AuthorizationError).
      Status done = sv.sns.Unsubscribe(arn, notify::Authentication::kUnsigned);
      sv.deliverer.Wake();
      return done;
    });
    if (!s.ok()) return answer("Unsubscribe", api::SnsErrorFor(s));
    LogInfo("unsubscribed: " + arn);
    if (browser) {
      return page(200, "Subscription removed!",
                  {"Your subscription <code>" + HtmlEscape(arn) +
                   "</code> has been removed; you will no longer receive its notifications."});
    }
    return answer("Unsubscribe", api::Value::Structure());
  }
  if (action.empty()) {
    return text(200,
                "trailwatch is running. Point your AWS clients at this address, e.g.\n"
                "  aws --endpoint-url http://" +
                    request.Header("host") + " logs describe-log-groups\n");
  }
  return std::nullopt;  // a signed-looking query GET: let the router refuse it properly
}

}  // namespace

Result<std::pair<std::string, int>> ParseListenAddress(const std::string& text) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return InvalidArgument("--listen must be HOST:PORT, e.g. 127.0.0.1:4566, not '" + text + "'");
  }
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int port = 0;
  auto [end, ec] = std::from_chars(text.data() + colon + 1, text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port < 0 || port > 65535) {
    return InvalidArgument("--listen port must be 0 to 65535, not '" + text.substr(colon + 1) +
                           "'");
  }
  return std::pair(host, port);
}

int Serve(const ServeOptions& options, const std::atomic<bool>& stop) {
  SystemClock clock;
  Result<std::pair<std::string, int>> listen = ParseListenAddress(options.listen);
  if (!listen.ok()) {
    LogError(listen.status().message());
    return 2;
  }
  const bool tls = !options.tls_cert_file.empty() || !options.tls_key_file.empty();
  if (tls && (options.tls_cert_file.empty() || options.tls_key_file.empty())) {
    LogError("--tls-cert and --tls-key go together");
    return 2;
  }
  NotifierOptions delivery = options.delivery;
  if (!options.public_url_given) {
    delivery.public_url = std::string(tls ? "https://" : "http://") +
                          (listen->first == "0.0.0.0" ? "127.0.0.1" : listen->first) + ":" +
                          std::to_string(listen->second);
  }
  Result<MetricsAccess> metrics_access = options.no_metrics
                                             ? Result<MetricsAccess>(MetricsAccess::Off())
                                             : MetricsAccess::Allowing(options.metrics_from);
  if (!metrics_access.ok()) {
    LogError(metrics_access.status().message());
    return 2;
  }
  ServiceMetrics metrics(DataDirLayout{delivery.data_dir, delivery.store}.database());
  delivery.on_attempt = [&metrics](const notify::Delivery& d, const notify::AttemptRecord& a) {
    metrics.OnAttempt(d);
    std::string what = d.item.type + " " + d.item.message_id + " to " + d.item.protocol + " " +
                       RedactUrlPasswords(d.item.endpoint) + " (attempt " +
                       std::to_string(a.number) + "): " + RedactUrlPasswords(a.detail);
    if (d.state == notify::DeliveryState::kDelivered) {
      LogInfo("delivered " + what);
    } else if (d.state == notify::DeliveryState::kDead) {
      LogError("dead-lettered " + what);
    } else {
      LogWarning("will retry " + what);
    }
  };

  // 0. The templates, read and checked before anything is created: a typo
  // in a path, a property or a --parameter leaves no data directory behind.
  TemplateContext context;
  context.region = delivery.region;
  context.account_id = delivery.account_id;
  context.parameters = options.parameters;
  context.undeclared_parameters_allowed = options.templates.size() > 1;
  std::vector<std::pair<std::string, Configuration>> configurations;
  std::set<std::string> declared;
  for (const std::string& path : options.templates) {
    Result<Configuration> config = LoadTemplate(path, context);
    if (!config.ok()) {
      // Reading errors name the file already; the template's own do not.
      const std::string& message = config.status().message();
      LogError(message.starts_with(path + ": ") ? message : path + ": " + message);
      return 2;
    }
    declared.insert(config->parameter_names.begin(), config->parameter_names.end());
    configurations.emplace_back(path, std::move(config).value());
  }
  for (const auto& [name, value] : options.parameters) {
    if (!declared.count(name)) {
      LogError("--parameter " + name + "=...: no template declares the parameter " + name);
      return 2;
    }
  }

  // 1. The data directory.
  Result<std::unique_ptr<Notifier>> notifier = Notifier::Open(delivery, &clock);
  if (!notifier.ok()) {
    LogError(notifier.status().message());
    return 2;
  }
  if ((*notifier)->db().engine() == store::Engine::kPostgres) {
    LogInfo("the store is the PostgreSQL database " + (*notifier)->db().path());
  }
  if (delivery.smtp_url.empty()) {
    LogInfo("no --smtp server given: e-mail is written to the Maildir " +
            (*notifier)->layout().maildir());
  } else {
    LogInfo("e-mail goes through " + (*notifier)->MailDescription());
  }
  // 2. Access keys. A secret is never logged: the log goes to terminals,
  // journald and support tickets.
  Result<AccessKeys> keys = LoadAccessKeys(
      {options.access_keys, options.access_key_files, options.access_keys_environment},
      delivery.data_dir);
  if (!keys.ok()) {
    LogError(keys.status().message());
    return 2;
  }
  if (!options.access_keys.empty()) {
    LogWarning(
        "--access-key puts its secret on the command line, where every local user can read it "
        "(ps, /proc/<pid>/cmdline); prefer --access-key-file FILE (mode 0600) or the "
        "environment variable TRAILWATCH_ACCESS_KEYS");
  }
  if (keys->created) {
    std::error_code ignored;
    const std::string file =
        fs::absolute(keys->credentials_file, ignored).lexically_normal().string();
    LogInfo("created the access key " + keys->keys.front().access_key_id + " in " + file +
            " (mode 0600; an AWS shared-credentials file, profile trailwatch; the console's "
            "sign-in takes the ID and secret written there). Use it with\n  export "
            "AWS_SHARED_CREDENTIALS_FILE=" +
            file + " AWS_PROFILE=trailwatch AWS_DEFAULT_REGION=" + delivery.region +
            "\n  aws --endpoint-url " + delivery.public_url + " logs describe-log-groups");
  }
  std::map<std::string, std::string> secrets;
  for (const api::Credentials& k : keys->keys) secrets[k.access_key_id] = k.secret_access_key;
  // 3. The engine.
  EngineOptions engine_options;
  engine_options.region = delivery.region;
  engine_options.account_id = delivery.account_id;
  engine_options.public_url = delivery.public_url;
  engine_options.early_alarm = options.early_alarm;
  engine_options.history_retention = std::chrono::days(options.keep_history_days);
  engine_options.on_transition = [&metrics](const std::string& name, alarm::StateValue from,
                                            const alarm::Evaluation& e) {
    metrics.OnTransition(name, from, e.state.value);
    LogInfo("alarm " + name + " is " + alarm::StateName(e.state.value) + ": " + e.state.reason);
  };
  engine_options.on_ingest = [&metrics](const IngestReport& r) { metrics.OnIngest(r); };
  engine_options.on_warning = [](const std::string& warning) { LogWarning(warning); };
  Result<std::unique_ptr<Engine>> engine = Engine::Open(notifier->get(), engine_options, &clock);
  if (!engine.ok()) {
    LogError(engine.status().message());
    return 2;
  }
  // 4. Templates.
  for (const auto& [path, config] : configurations) {
    std::vector<std::string> warnings = config.warnings;
    Status applied = (*engine)->ApplyConfiguration(config, &warnings);
    for (const std::string& w : warnings) LogWarning(path + ": " + w);
    if (!applied.ok()) {
      LogError(path + ": " + applied.message());
      return 2;
    }
    LogInfo("applied " + path + ": " + Counted(config.log_groups.size(), "log group") + ", " +
            Counted(config.metric_filters.size(), "metric filter") + ", " +
            Counted(config.alarms.size() + config.composite_alarms.size(), "alarm") + ", " +
            Counted(config.topics.size(), "topic"));
  }
  // 5. Operations and router.
  api::Operations operations;
  RegisterLogsOperations(&operations, engine->get());
  RegisterCloudWatchOperations(&operations, engine->get());
  RegisterSnsOperations(&operations, engine->get());
  api::RouterOptions router_options;
  router_options.clock = &clock;
  router_options.secrets = [secrets](std::string_view id) -> std::optional<std::string> {
    auto it = secrets.find(std::string(id));
    if (it == secrets.end()) return std::nullopt;
    return it->second;
  };
  Engine* engine_ptr = engine->get();
  // The names the console answers to (DNS rebinding): the listen address's
  // and the public URL's hosts, besides IP literals and localhost.
  Console console(engine_ptr, secrets, tls, &clock, {listen->first, UrlHost(delivery.public_url)});
  console.ServeOperations(&operations);
  const MetricsAccess& access = *metrics_access;
  router_options.local_routes = [engine_ptr, &console, &metrics,
                                 &access](const api::HttpRequest& r) {
    if (std::optional<api::HttpResponse> scrape = metrics.Handle(r, access, *engine_ptr)) {
      return scrape;
    }
    if (std::optional<api::HttpResponse> page = console.Handle(r)) return page;
    return LocalRoute(r, *engine_ptr);
  };
  router_options.on_response = [&metrics, &operations](const api::CallContext& c,
                                                       const api::HttpResponse& r,
                                                       const api::ApiError* error) {
    metrics.OnResponse(operations, c, r);
    if (r.status < 400) return;
    // Why, so that an operator can tell a wrong key from a skewed clock; one
    // line, bounded (messages may quote what the client sent).
    std::string what = std::string(api::ServiceName(c.service)) + " " +
                       (c.operation.empty() ? "request" : c.operation) +
                       (c.access_key_id.empty() ? "" : " (key " + c.access_key_id + ")");
    std::string reason =
        error == nullptr
            ? ""
            : error->code + ": " + (error->detail.empty() ? error->message : error->detail);
    for (char& ch : reason) {
      if (ch == '\n' || ch == '\r') ch = ' ';
    }
    if (reason.size() > 300) reason = reason.substr(0, 300) + "...";
    if (r.status >= 500) {
      LogWarning(what + " failed with " + std::to_string(r.status) + ": " + reason);
    } else {
      LogInfo("refused " + what + " with " + std::to_string(r.status) + ": " + reason);
    }
  };
  api::Router router(&operations, router_options);
  // 6. Listen.
  if (!tls && !IsLoopback(listen->first)) {
    LogWarning("listening on " + listen->first +
               " without TLS: signatures protect requests from tampering, but their contents "
               "(log events, alarm data) cross the network in the clear; give --tls-cert and "
               "--tls-key");
  }
  api::HttpServerOptions http;
  http.host = listen->first;
  http.port = listen->second;
  http.tls_cert_file = options.tls_cert_file;
  http.tls_key_file = options.tls_key_file;
  api::HttpHandlers handlers;
  handlers.handle = [&router](const api::HttpRequest& r) { return router.Handle(r); };
  handlers.check_head = [&router](const api::HttpRequest& head) { return router.CheckHead(head); };
  handlers.refuse = [&router](const api::HttpRequest& head, int status, const std::string& m) {
    return router.Refuse(head, status, m);
  };
  Result<std::unique_ptr<api::HttpServer>> server = api::HttpServer::Start(http, handlers);
  if (!server.ok()) {
    LogError(server.status().message());
    return 2;
  }
  LogInfo(std::string("listening on ") + (tls ? "https://" : "http://") + listen->first + ":" +
          std::to_string((*server)->port()) + " (data directory " + delivery.data_dir + ")");
  LogInfo("console at " + delivery.public_url + "/console/ (sign in with an access key)");
  if (access.enabled()) {
    std::string from = "loopback";
    for (const std::string& cidr : options.metrics_from) from += ", " + cidr;
    LogInfo("Prometheus metrics at /metrics for " + from);
  }
  // 7-9. Workers.
  (*notifier)->deliverer().Start();
  const bool shared_store = (*notifier)->db().engine() == store::Engine::kPostgres;
  const std::string node = (*notifier)->node();
  auto ticker = std::make_unique<EvaluationTicker>(
      &clock,
      [engine_ptr, shared_store, node, &clock, evaluating = std::optional<bool>(),
       failing = std::string()]() mutable {
        // Once per second: a store that is down would otherwise fill the
        // log; say it once, and again when it is back.
        Status followed = engine_ptr->FollowSharedStore();
        Result<bool> held =
            followed.ok() ? engine_ptr->HoldEvaluatorLease() : Result<bool>(followed);
        if (!held.ok()) {
          if (held.status().message() != failing) {
            failing = held.status().message();
            LogError("following the shared store: " + failing);
          }
          return;
        }
        if (!failing.empty()) {
          failing.clear();
          LogInfo("following the shared store again");
        }
        // On a shared store, say when the alarms' evaluation moves.
        if (shared_store && evaluating != *held) {
          LogInfo(*held ? "this node (" + node + ") evaluates the alarms"
                        : "another node evaluates the alarms; this one stands by");
        }
        // Taken over from a node that died: catch up on the boundaries it
        // missed now, not at the next boundary (up to 10 s later).
        const bool took_over = *held && evaluating == false;
        evaluating = *held;
        if (took_over) {
          Result<std::vector<TimePoint>> evaluated =
              engine_ptr->EvaluateDue(FloorTo(clock.Now(), Engine::kEvaluationTick));
          if (!evaluated.ok()) LogError("alarm evaluation: " + evaluated.status().message());
        }
      },
      [engine_ptr](TimePoint boundary) {
        Result<std::vector<TimePoint>> evaluated = engine_ptr->EvaluateDue(boundary);
        if (!evaluated.ok()) LogError("alarm evaluation: " + evaluated.status().message());
      },
      [engine_ptr, &metrics] {
        Result<RetentionReport> deleted = engine_ptr->Maintain();
        if (!deleted.ok()) {
          LogError("retention: " + deleted.status().message());
        } else {
          metrics.OnRetention(*deleted);
        }
      });
  std::unique_ptr<CloudTrailWatcher> watcher;
  if (!options.cloudtrail_dir.empty()) {
    CloudTrailWatcherOptions w;
    w.dir = options.cloudtrail_dir;
    w.log_group = options.log_group;
    Result<std::unique_ptr<CloudTrailWatcher>> opened = CloudTrailWatcher::Open(engine_ptr, w);
    if (!opened.ok()) {
      LogError(opened.status().message());
      return 2;
    }
    watcher = std::move(opened).value();
    watcher->Start();
    LogInfo("watching " + options.cloudtrail_dir + " for CloudTrail files (log group " +
            options.log_group + ")");
  }
  while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  LogInfo("stopping");
  if (watcher) watcher->Stop();
  ticker.reset();
  (*server)->Stop();
  (*notifier)->deliverer().Stop();
  LogInfo("stopped");
  return 0;
}

}  // namespace tw::server
