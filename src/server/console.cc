#include "server/console.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "alarm/silencing.h"
#include "api/codec.h"
#include "api/sigv4.h"
#include "common/log.h"
#include "common/random.h"
#include "common/url.h"
#include "event/event_view.h"
#include "notify/outbox.h"
#include "pattern/pattern.h"
#include "server/console_assets.h"
#include "server/evaluation.h"

namespace tw::server {
namespace {

using Json = nlohmann::ordered_json;

constexpr Duration kSessionLifetime = std::chrono::hours(12);
constexpr std::string_view kCookie = "tw_session";

// Sessions live in the store, so that a restart signs nobody out and any
// node sharing the store knows them. The cookie's token is kept as its
// SHA-256 only: someone who reads the store (a backup, a replica) cannot
// use a session from it.
constexpr std::string_view kSessionSchema[] = {
    R"sql(
CREATE TABLE console_sessions (
  token_sha256  TEXT PRIMARY KEY,
  access_key_id TEXT NOT NULL,
  csrf_token    TEXT NOT NULL,
  expires_at    INTEGER NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
)sql",
};
constexpr std::size_t kMaxHighlights = 50;
// An access key ID and secret fit in far less.
constexpr std::size_t kMaxSignInBodyBytes = 4096;

constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }
std::string Time(TimePoint t) { return FormatIso8601Millis(t); }

void SecurityHeaders(api::HttpResponse* r) {
  r->headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
  r->headers.emplace_back("X-Content-Type-Options", "nosniff");
  r->headers.emplace_back("Referrer-Policy", "no-referrer");
  r->headers.emplace_back("X-Frame-Options", "DENY");
}

api::HttpResponse JsonResponse(int status, const Json& body) {
  api::HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.body = Dump(body);
  SecurityHeaders(&r);
  return r;
}

api::HttpResponse Error(int status, const std::string& message) {
  return JsonResponse(status, Json{{"error", message}});
}

api::HttpResponse Redirect(std::string location) {
  api::HttpResponse r;
  r.status = 302;
  r.headers.emplace_back("Location", std::move(location));
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = "see /console/\n";
  SecurityHeaders(&r);
  return r;
}

std::string LowerHost(std::string_view host) {
  std::string out(host);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

bool IsIpv4Literal(std::string_view host) {
  int parts = 0;
  std::size_t digits = 0;
  for (char c : host) {
    if (c == '.') {
      if (digits == 0) return false;
      ++parts;
      digits = 0;
    } else if (c >= '0' && c <= '9' && digits < 3) {
      ++digits;
    } else {
      return false;
    }
  }
  return parts == 3 && digits > 0;
}

std::string CookieValue(const api::HttpRequest& request, std::string_view name) {
  std::string cookies = request.Header("cookie");
  std::size_t pos = 0;
  while (pos < cookies.size()) {
    std::size_t end = cookies.find(';', pos);
    if (end == std::string::npos) end = cookies.size();
    std::string_view part = std::string_view(cookies).substr(pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.starts_with(name) && part.size() > name.size() && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    pos = end + 1;
  }
  return "";
}

// The query parameters of a console URL.
std::map<std::string, std::string> QueryParams(std::string_view query) {
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos <= query.size() && !query.empty()) {
    std::size_t end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(pos, end - pos);
    std::size_t eq = pair.find('=');
    std::optional<std::string> key = PercentDecode(pair.substr(0, eq), true);
    std::optional<std::string> value =
        PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (key && value) out[*key] = *value;
    if (end == query.size()) break;
    pos = end + 1;
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string OperatorSymbol(alarm::ComparisonOperator op) {
  switch (op) {
    case alarm::ComparisonOperator::kGreaterThanThreshold:
      return ">";
    case alarm::ComparisonOperator::kGreaterThanOrEqualToThreshold:
      return ">=";
    case alarm::ComparisonOperator::kLessThanThreshold:
      return "<";
    case alarm::ComparisonOperator::kLessThanOrEqualToThreshold:
      return "<=";
  }
  return ">";
}

bool Breaches(alarm::ComparisonOperator op, double value, double threshold) {
  switch (op) {
    case alarm::ComparisonOperator::kGreaterThanThreshold:
      return value > threshold;
    case alarm::ComparisonOperator::kGreaterThanOrEqualToThreshold:
      return value >= threshold;
    case alarm::ComparisonOperator::kLessThanThreshold:
      return value < threshold;
    case alarm::ComparisonOperator::kLessThanOrEqualToThreshold:
      return value <= threshold;
  }
  return false;
}

std::string NumberText(double v) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(v);
}

std::string PeriodText(std::chrono::seconds period) {
  const std::int64_t s = period.count();
  auto unit = [](std::int64_t n, const char* one) {
    return std::to_string(n) + " " + one + (n == 1 ? "" : "s");
  };
  if (s % 3600 == 0) return unit(s / 3600, "hour");
  if (s % 60 == 0) return unit(s / 60, "minute");
  return unit(s, "second");
}

std::string StatisticOf(const alarm::AlarmSpec& spec) {
  return spec.extended_statistic.empty() ? spec.statistic : spec.extended_statistic;
}

// The byte ranges of `message` that `matcher` matched on: the terms of a
// term pattern, the values of the selectors of a JSON or space-delimited one.
std::vector<std::pair<std::size_t, std::size_t>> Highlights(const pattern::Matcher& matcher,
                                                            event::EventView& view,
                                                            std::string_view message) {
  std::vector<std::string> needles;
  if (matcher.kind() == pattern::PatternKind::kTerms) {
    std::string_view text = matcher.source();
    std::size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && text[i] == ' ') ++i;
      if (i >= text.size()) break;
      bool exclude = text[i] == '-';
      if (text[i] == '-' || text[i] == '?') ++i;
      std::string word;
      if (i < text.size() && text[i] == '"') {
        ++i;
        while (i < text.size() && text[i] != '"') {
          if (text[i] == '\\' && i + 1 < text.size()) ++i;
          word.push_back(text[i++]);
        }
        ++i;
      } else {
        while (i < text.size() && text[i] != ' ') word.push_back(text[i++]);
      }
      if (!exclude && !word.empty() && word.front() != '%') needles.push_back(word);
    }
  } else {
    for (const auto& [key, value] : matcher.Extract(view)) {
      if (!value.empty()) needles.push_back(value);
    }
  }
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  for (const std::string& needle : needles) {
    for (std::size_t at = message.find(needle);
         at != std::string_view::npos && ranges.size() < kMaxHighlights;
         at = message.find(needle, at + needle.size())) {
      ranges.emplace_back(at, at + needle.size());
    }
  }
  std::sort(ranges.begin(), ranges.end());
  std::vector<std::pair<std::size_t, std::size_t>> merged;
  for (const auto& r : ranges) {
    if (!merged.empty() && r.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

Json HighlightsJson(const std::vector<std::pair<std::size_t, std::size_t>>& ranges) {
  Json out = Json::array();
  for (const auto& [s, e] : ranges) out.push_back({s, e});
  return out;
}

Json PatternErrorJson(const pattern::PatternError& e) {
  return Json{
      {"error", e.ToString()}, {"column", e.column}, {"fragment", e.fragment}, {"hint", e.hint}};
}

Json DimensionsJson(const metrics::Dimensions& dimensions) {
  Json out = Json::array();
  for (const auto& [name, value] : dimensions) out.push_back({{"name", name}, {"value", value}});
  return out;
}

Json DeliveryJson(const notify::Delivery& d) {
  Json j{{"id", d.id},
         {"time", Time(d.created)},
         {"messageId", d.item.message_id},
         {"type", d.item.type},
         {"protocol", d.item.protocol},
         {"endpoint", RedactUrlPasswords(d.item.endpoint)},
         {"subject", d.item.subject},
         {"state", notify::DeliveryStateName(d.state)},
         {"attempts", d.attempts},
         {"lastDetail", RedactUrlPasswords(d.last_detail)}};
  if (d.state == notify::DeliveryState::kPending) j["nextAttempt"] = Time(d.next_attempt);
  return j;
}

}  // namespace

std::string DescribeCondition(const alarm::AlarmSpec& spec) {
  static const std::map<alarm::TreatMissingData, std::string> kMissing = {
      {alarm::TreatMissingData::kMissing, "missing"},
      {alarm::TreatMissingData::kBreaching, "breaching"},
      {alarm::TreatMissingData::kNotBreaching, "not breaching"},
      {alarm::TreatMissingData::kIgnore, "ignored (the state is kept)"}};
  // "M of N periods" is one phrase, plural even for N = 1: the wording the
  // issue specifies, as AWS's console writes "1 datapoints within".
  return "ALARM when " + StatisticOf(spec) + " " + OperatorSymbol(spec.comparison_operator) + " " +
         NumberText(spec.threshold) + " for " + std::to_string(spec.m()) + " of " +
         std::to_string(spec.evaluation_periods) + " periods of " + PeriodText(spec.period) +
         "; missing data = " + kMissing.at(spec.treat_missing_data);
}

Console::Console(Engine* engine, std::map<std::string, std::string> secrets, bool tls,
                 const Clock* clock, std::vector<std::string> host_names)
    : engine_(engine), secrets_(std::move(secrets)), tls_(tls), clock_(clock) {
  for (std::string& name : host_names) host_names_.push_back(LowerHost(name));
  sessions_table_ =
      engine_->Locked([](Services& sv) { return sv.db.Migrate("console", kSessionSchema); });
  if (!sessions_table_.ok()) LogError("console sessions: " + sessions_table_.message());
}

Result<std::optional<Console::Session>> Console::StoredSession(const std::string& token,
                                                               TimePoint now) {
  TW_RETURN_IF_ERROR(sessions_table_);
  return engine_->Locked([&](Services& sv) -> Result<std::optional<Session>> {
    Result<store::Statement> query = sv.db.Prepare(
        "SELECT access_key_id, csrf_token, expires_at FROM console_sessions "
        "WHERE token_sha256 = ? AND expires_at > ?");
    if (!query.ok()) return query.status();
    query->BindAll(api::Sha256Hex(token), ToEpochMillis(now));
    Result<bool> row = query->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<Session>();
    return std::optional<Session>(
        Session{query->ColumnText(0), query->ColumnText(1), FromEpochMillis(query->ColumnInt(2))});
  });
}

Status Console::StoreSession(const std::string& token, const Session& session, TimePoint now) {
  TW_RETURN_IF_ERROR(sessions_table_);
  return engine_->Locked([&](Services& sv) -> Status {
    Result<store::Statement> expired =
        sv.db.Prepare("DELETE FROM console_sessions WHERE expires_at <= ?");
    if (!expired.ok()) return expired.status();
    expired->BindAll(ToEpochMillis(now));
    TW_RETURN_IF_ERROR(expired->Run());
    Result<store::Statement> insert = sv.db.Prepare(
        "INSERT INTO console_sessions (token_sha256, access_key_id, csrf_token, expires_at) "
        "VALUES (?, ?, ?, ?)");
    if (!insert.ok()) return insert.status();
    insert->BindAll(api::Sha256Hex(token), session.access_key_id, session.csrf_token,
                    ToEpochMillis(session.expires));
    return insert->Run();
  });
}

Status Console::ForgetSession(const std::string& token) {
  TW_RETURN_IF_ERROR(sessions_table_);
  return engine_->Locked([&](Services& sv) -> Status {
    Result<store::Statement> erase =
        sv.db.Prepare("DELETE FROM console_sessions WHERE token_sha256 = ?");
    if (!erase.ok()) return erase.status();
    erase->BindAll(api::Sha256Hex(token));
    return erase->Run();
  });
}

bool Console::HostAllowed(std::string_view host_header) const {
  std::string_view host = host_header;
  if (host.starts_with("[")) return host.find(']') != std::string_view::npos;  // IPv6 literal
  host = host.substr(0, host.rfind(':'));
  if (host.empty()) return false;
  // DNS rebinding needs a name that the attacker's DNS answers: IP
  // literals and localhost are not such names.
  if (IsIpv4Literal(host)) return true;
  const std::string name = LowerHost(host);
  if (name == "localhost") return true;
  return std::find(host_names_.begin(), host_names_.end(), name) != host_names_.end();
}

std::optional<Console::Session> Console::SessionOf(const api::HttpRequest& request) {
  const std::string token = CookieValue(request, kCookie);
  if (token.empty()) return std::nullopt;
  Result<std::optional<Session>> session = StoredSession(token, clock_->Now());
  if (!session.ok()) {
    LogError("console sessions: " + session.status().message());
    return std::nullopt;
  }
  // A key taken out of the configuration ends its sessions at once.
  if (*session && !secrets_.count((*session)->access_key_id)) return std::nullopt;
  return *session;
}

std::optional<api::HttpResponse> Console::Handle(const api::HttpRequest& request) {
  const bool root = request.path == "/" && request.method == "GET" && request.query.empty();
  if (!root && request.path != "/console" && !request.path.starts_with("/console/")) {
    return std::nullopt;
  }
  if (!HostAllowed(request.Header("host"))) {
    return Error(421, "this console does not answer to the host '" + request.Header("host") +
                          "'; open it by IP address, as localhost, or under the name given to "
                          "--public-url");
  }
  if (root || request.path == "/console") return Redirect("/console/");
  std::string_view rest = std::string_view(request.path).substr(9);
  if (rest.starts_with("api/")) return Api(request, rest.substr(4));
  if (request.method != "GET" && request.method != "HEAD") return Error(405, "method not allowed");
  const std::string file = rest.empty() ? "index.html" : std::string(rest);
  for (const ConsoleAsset& asset : ConsoleAssets()) {
    if (asset.path != file) continue;
    api::HttpResponse r;
    r.headers.emplace_back("Content-Type", std::string(asset.content_type));
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.body = std::string(asset.body);
    SecurityHeaders(&r);
    return r;
  }
  return Error(404, "no such console page: " + file);
}

api::HttpResponse Console::SignIn(const api::HttpRequest& request, TimePoint now) {
  // A login form posted from another site (text/plain needs no CORS
  // preflight) would sign the victim's browser into the attacker's
  // session: sign-in takes JSON from this origin only.
  const std::string origin = request.Header("origin");
  const std::string self = std::string(tls_ ? "https://" : "http://") + request.Header("host");
  if (origin != self) return Error(403, "sign-in must come from this console's own page");
  const std::string content_type = request.Header("content-type");
  std::string_view type = std::string_view(content_type).substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (type != "application/json") return Error(415, "sign-in takes a JSON body");
  if (request.body.size() > kMaxSignInBodyBytes) return Error(413, "the sign-in body is too large");
  Json body = Json::parse(request.body, nullptr, false);
  std::string id, secret;
  if (body.is_object()) {
    const Json& id_value = body["accessKeyId"];
    const Json& secret_value = body["secretAccessKey"];
    if (id_value.is_string()) id = id_value.get<std::string>();
    if (secret_value.is_string()) secret = secret_value.get<std::string>();
  }
  const std::string& client = request.remote_address;
  if (std::optional<Duration> wait = sign_ins_.RetryAfter(client, id, now)) {
    long seconds = std::max<long>(
        1, static_cast<long>(std::chrono::ceil<std::chrono::seconds>(*wait).count()));
    api::HttpResponse r =
        Error(429, "too many failed sign-ins; try again in " + std::to_string(seconds) + " s");
    r.headers.emplace_back("Retry-After", std::to_string(seconds));
    return r;
  }
  auto known = secrets_.find(id);
  if (known == secrets_.end() || !ConstantTimeEquals(known->second, secret)) {
    sign_ins_.Failed(client, id, known != secrets_.end(), now);
    return Error(401, "unknown access key or wrong secret");
  }
  sign_ins_.Succeeded(client);
  Session session{id, RandomHex(32), now + kSessionLifetime};
  const std::string token = RandomHex(32);
  if (Status stored = StoreSession(token, session, now); !stored.ok()) {
    LogError("console sessions: " + stored.message());
    return Error(503, "cannot keep the session: the store is unavailable; try again");
  }
  api::HttpResponse r = JsonResponse(200, Json{{"accessKeyId", id},
                                               {"csrfToken", session.csrf_token},
                                               {"expiresAt", Time(session.expires)}});
  r.headers.emplace_back(
      "Set-Cookie",
      std::string(kCookie) + "=" + token + "; Path=/console; HttpOnly; SameSite=Strict; Max-Age=" +
          std::to_string(
              std::chrono::duration_cast<std::chrono::seconds>(kSessionLifetime).count()) +
          (tls_ ? "; Secure" : ""));
  return r;
}

api::HttpResponse Console::Api(const api::HttpRequest& request, std::string_view path) {
  const TimePoint now = clock_->Now();
  // --- Session ---
  if (path == "session" && request.method == "POST") return SignIn(request, now);
  std::optional<Session> session = SessionOf(request);
  if (!session) return Error(401, "not signed in");
  if (request.method == "POST" || request.method == "DELETE") {
    if (!ConstantTimeEquals(request.Header("x-csrf-token"), session->csrf_token)) {
      return Error(403, "missing or wrong X-CSRF-Token");
    }
    const std::string origin = request.Header("origin");
    const std::string self = std::string(tls_ ? "https://" : "http://") + request.Header("host");
    if (!origin.empty() && origin != self) return Error(403, "cross-origin request refused");
  }
  if (path == "session") {
    if (request.method == "DELETE") {
      if (Status forgotten = ForgetSession(CookieValue(request, kCookie)); !forgotten.ok()) {
        LogError("console sessions: " + forgotten.message());
        return Error(503, "cannot end the session: the store is unavailable; try again");
      }
      api::HttpResponse r = JsonResponse(200, Json{{"ok", true}});
      r.headers.emplace_back("Set-Cookie", std::string(kCookie) +
                                               "=; Path=/console; HttpOnly; SameSite=Strict; "
                                               "Max-Age=0" +
                                               (tls_ ? "; Secure" : ""));
      return r;
    }
    return JsonResponse(200, Json{{"accessKeyId", session->access_key_id},
                                  {"csrfToken", session->csrf_token},
                                  {"expiresAt", Time(session->expires)}});
  }

  const std::map<std::string, std::string> params = QueryParams(request.query);
  auto param = [&](const char* name, std::string fallback = "") {
    auto it = params.find(name);
    return it == params.end() ? fallback : it->second;
  };

  // An alarm's silencing (alarm/silencing.h): "mutedUntil" while a mute
  // lasts, "remindEvery" ("4h") when reminders are on; null otherwise.
  auto add_silencing = [&](const std::map<std::string, std::string>& tags, Json* j) {
    Result<alarm::Silencing> silencing = alarm::SilencingOf(tags);
    const bool ok = silencing.ok();
    (*j)["mutedUntil"] =
        ok && silencing->MutedAt(now) ? Json(Time(*silencing->muted_until)) : Json(nullptr);
    (*j)["remindEvery"] = ok && silencing->remind_every
                              ? Json(alarm::IntervalText(*silencing->remind_every))
                              : Json(nullptr);
  };

  // The alarm as the list shows it, with a sparkline of the last hours.
  auto alarm_json = [&](const StoredAlarm& a, const MetricService& metrics) {
    const alarm::AlarmSpec& s = a.spec;
    Json j{{"name", s.alarm_name},
           {"arn", s.alarm_arn},
           {"description", s.alarm_description},
           {"state", alarm::StateName(a.state.value)},
           {"stateReason", a.state.reason},
           {"stateUpdated", Time(a.state.updated)},
           {"stateTransitioned", Time(a.state_transitioned)},
           {"namespace", s.metric_namespace},
           {"metricName", s.metric_name},
           {"dimensions", DimensionsJson(s.dimensions)},
           {"statistic", StatisticOf(s)},
           {"period", s.period.count()},
           {"threshold", s.threshold},
           {"comparisonOperator", alarm::ComparisonOperatorName(s.comparison_operator)},
           {"actionsEnabled", s.actions_enabled}};
    add_silencing(a.tags, &j);
    MetricQuery q{.key = s.metric(),
                  .start = now - std::chrono::hours(3),
                  .end = now,
                  .period = s.period,
                  .unit = s.unit,
                  .units_apart = false};
    Json points = Json::array();
    for (const MetricDatapoint& p : metrics.Datapoints(q)) {
      if (std::optional<double> v = p.statistics.Get(StatisticOf(s))) {
        points.push_back({{"t", Time(p.timestamp)}, {"v", *v}});
      }
    }
    j["sparkline"] = {{"start", Time(q.start)}, {"end", Time(q.end)}, {"points", points}};
    return j;
  };

  // A composite alarm as the list shows it.
  auto composite_json = [&](const StoredComposite& c) {
    Json j{{"name", c.spec.alarm_name},
           {"arn", c.spec.alarm_arn},
           {"description", c.spec.alarm_description},
           {"state", alarm::StateName(c.state.value)},
           {"stateReason", c.state.reason},
           {"stateUpdated", Time(c.state.updated)},
           {"stateTransitioned", Time(c.state_transitioned)},
           {"rule", c.spec.alarm_rule},
           {"actionsEnabled", c.spec.actions_enabled},
           {"actionsSuppressor", c.spec.actions_suppressor},
           {"actionsSuppressorWaitPeriod", c.spec.actions_suppressor_wait_period.value_or(0)},
           {"actionsSuppressorExtensionPeriod",
            c.spec.actions_suppressor_extension_period.value_or(0)},
           {"actionsSuppressedBy", alarm::SuppressedByName(c.suppression.by)},
           {"actionsSuppressedReason", c.suppression.Reason()}};
    add_silencing(c.tags, &j);
    return j;
  };

  // An alarm's latest history items (at most 100), each Action with its
  // deliveries; `records` holds them when the caller needs them too.
  auto history_json = [&](Services& sv, const std::string& name, const std::string& arn,
                          std::vector<HistoryRecord>* records) -> Result<Json> {
    std::optional<std::string> next;
    Result<std::vector<HistoryRecord>> history =
        sv.alarms.History({.alarm_name = name, .limit = 100}, &next);
    if (!history.ok()) return history.status();
    notify::Outbox outbox(&sv.db);
    Json items = Json::array();
    for (const HistoryRecord& r : *history) {
      Json item{{"time", Time(r.item.timestamp)},
                {"type", r.item.type},
                {"summary", r.item.summary},
                {"data", r.item.data}};
      if (r.item.type == "Action") {
        Json deliveries = Json::array();
        Result<std::vector<notify::Delivery>> rows =
            outbox.List({.origin = "alarm:" + arn + "@" + FormatIso8601(r.item.timestamp)});
        if (rows.ok()) {
          for (const notify::Delivery& d : *rows) {
            if (r.item.summary.ends_with(d.item.topic_arn)) deliveries.push_back(DeliveryJson(d));
          }
        }
        item["deliveries"] = deliveries;
      }
      items.push_back(std::move(item));
    }
    if (records != nullptr) *records = std::move(history).value();
    return items;
  };

  // --- Alarms ---
  if (path == "alarms" && request.method == "GET") {
    return engine_->Locked([&](Services& sv) {
      Result<std::vector<StoredAlarm>> alarms = sv.alarms.List();
      if (!alarms.ok()) return Error(500, alarms.status().message());
      Json list = Json::array();
      for (const StoredAlarm& a : *alarms) list.push_back(alarm_json(a, sv.metrics));
      Result<std::vector<StoredComposite>> composites = sv.alarms.ListComposites();
      if (!composites.ok()) return Error(500, composites.status().message());
      Json composite_list = Json::array();
      for (const StoredComposite& c : *composites) composite_list.push_back(composite_json(c));
      return JsonResponse(
          200, Json{{"now", Time(now)}, {"alarms", list}, {"composites", composite_list}});
    });
  }
  if (path.starts_with("alarms/") && request.method == "GET") {
    std::optional<std::string> name = PercentDecode(path.substr(7));
    if (!name) return Error(400, "malformed alarm name");
    const std::string range = param("range", "6h");
    TimePoint start = now - std::chrono::hours(6), end = now;
    if (range == "1h")
      start = now - std::chrono::hours(1);
    else if (range == "1d")
      start = now - std::chrono::hours(24);
    else if (range == "1w")
      start = now - std::chrono::hours(24 * 7);
    else if (range == "custom") {
      std::optional<TimePoint> s = ParseTimestamp(param("start")), e = ParseTimestamp(param("end"));
      if (!s || !e || *s >= *e) return Error(400, "custom range needs start < end (ISO 8601)");
      start = *s;
      end = *e;
    } else if (range != "6h") {
      return Error(400, "range must be 1h, 6h, 1d, 1w or custom");
    }
    return engine_->Locked([&](Services& sv) {
      Result<StoredAlarm> a = sv.alarms.Get(*name);
      if (!a.ok()) {
        Result<StoredComposite> c = sv.alarms.GetComposite(*name);
        if (!c.ok()) return Error(404, "no alarm " + *name);
        // A composite: its rule, the state of each alarm it names, history.
        Json detail = composite_json(*c);
        detail["okActions"] = c->spec.ok_actions;
        detail["alarmActions"] = c->spec.alarm_actions;
        detail["insufficientDataActions"] = c->spec.insufficient_data_actions;
        Json children = Json::array();
        for (const std::string& reference : c->rule.Children()) {
          const std::string child = alarm::AlarmNameOf(reference);
          Json entry{{"reference", reference}, {"name", child}};
          if (Result<AnyAlarm> found = sv.alarms.Find(child); found.ok()) {
            entry["kind"] = found->metric ? "metric" : "composite";
            entry["state"] = alarm::StateName(found->State().value);
            entry["stateUpdated"] = Time(found->State().updated);
          }
          children.push_back(std::move(entry));
        }
        Result<Json> items = history_json(sv, *name, c->spec.alarm_arn, nullptr);
        if (!items.ok()) return Error(500, items.status().message());
        return JsonResponse(
            200, Json{{"composite", detail}, {"children", children}, {"history", *items}});
      }
      const alarm::AlarmSpec& s = a->spec;
      Json detail = alarm_json(*a, sv.metrics);
      detail["evaluationPeriods"] = s.evaluation_periods;
      detail["datapointsToAlarm"] = s.m();
      detail["treatMissingData"] = alarm::TreatMissingDataName(s.treat_missing_data);
      detail["unit"] = s.unit ? Json(*s.unit) : Json(nullptr);
      detail["okActions"] = s.ok_actions;
      detail["alarmActions"] = s.alarm_actions;
      detail["insufficientDataActions"] = s.insufficient_data_actions;

      Json points = Json::array();
      for (const MetricDatapoint& p : sv.metrics.Datapoints({.key = s.metric(),
                                      .start = start,
                                      .end = end,
                                      .period = s.period,
                                      .unit = s.unit,
                                      .units_apart = false})) {
        if (std::optional<double> v = p.statistics.Get(StatisticOf(s))) {
          points.push_back({{"t", Time(p.timestamp)},
                            {"v", *v},
                            {"breaching", Breaches(s.comparison_operator, *v, s.threshold)}});
        }
      }
      std::vector<HistoryRecord> records;
      Result<Json> items = history_json(sv, *name, s.alarm_arn, &records);
      if (!items.ok()) return Error(500, items.status().message());
      const std::vector<HistoryRecord>* history = &records;
      // ALARM spans from the state changes, oldest first.
      Json spans = Json::array();
      std::optional<TimePoint> alarm_since;
      for (auto it = history->rbegin(); it != history->rend(); ++it) {
        if (it->item.type != "StateUpdate") continue;
        const bool to_alarm = it->item.summary.ends_with(" to ALARM");
        if (to_alarm && !alarm_since) alarm_since = it->item.timestamp;
        if (!to_alarm && alarm_since) {
          if (it->item.timestamp > start && *alarm_since < end) {
            spans.push_back({{"start", Time(std::max(*alarm_since, start))},
                             {"end", Time(std::min(it->item.timestamp, end))}});
          }
          alarm_since.reset();
        }
      }
      if (alarm_since && *alarm_since <= end) {  // still in ALARM
        spans.push_back({{"start", Time(std::max(*alarm_since, start))}, {"end", Time(end)}});
      }
      Json evidence = nullptr;
      if (!a->latest_alarm_evidence.empty()) {
        evidence = Json::parse(a->latest_alarm_evidence, nullptr, false);
        if (evidence.is_discarded()) evidence = nullptr;
      }
      return JsonResponse(200, Json{{"alarm", detail},
                                    {"description", DescribeCondition(s)},
                                    {"graph",
                                     {{"start", Time(start)},
                                      {"end", Time(end)},
                                      {"period", s.period.count()},
                                      {"statistic", StatisticOf(s)},
                                      {"threshold", s.threshold},
                                      {"points", points},
                                      {"alarmPeriods", spans}}},
                                    {"history", *items},
                                    {"evidence", evidence}});
    });
  }

  // --- Logs ---
  if (path == "logs" && request.method == "GET") {
    return engine_->Locked([&](Services& sv) {
      Json groups = Json::array();
      std::optional<std::string> token;
      do {
        Page page;
        Result<std::vector<LogGroupInfo>> batch =
            sv.logs.DescribeLogGroups("", "", token, 50, &page);
        if (!batch.ok()) return Error(500, batch.status().message());
        for (const LogGroupInfo& g : *batch) {
          Json streams = Json::array();
          Page stream_page;
          Result<std::vector<LogStreamInfo>> s =
              sv.logs.DescribeLogStreams(g.name, "", true, true, std::nullopt, 50, &stream_page);
          if (s.ok()) {
            for (const LogStreamInfo& st : *s) {
              streams.push_back(
                  {{"name", st.name},
                   {"lastEvent", st.last_event ? Json(Time(*st.last_event)) : Json(nullptr)},
                   {"storedBytes", st.stored_bytes}});
            }
          }
          Json filters = Json::array();
          Result<std::vector<MetricFilterInfo>> f = sv.logs.MetricFilters(g.name);
          if (f.ok()) {
            for (const MetricFilterInfo& mf : *f) {
              const metrics::MetricTransformation& t = mf.spec.transformation;
              filters.push_back(
                  {{"name", mf.spec.filter_name},
                   {"pattern", mf.spec.filter_pattern},
                   {"metricNamespace", t.metric_namespace},
                   {"metricName", t.metric_name},
                   {"metricValue", t.metric_value},
                   {"defaultValue", t.default_value ? Json(*t.default_value) : Json(nullptr)}});
            }
          }
          groups.push_back({{"name", g.name},
                            {"created", Time(g.created)},
                            {"retentionInDays",
                             g.retention_in_days ? Json(*g.retention_in_days) : Json(nullptr)},
                            {"storedBytes", g.stored_bytes},
                            {"metricFilterCount", g.metric_filter_count},
                            {"streams", streams},
                            {"metricFilters", filters}});
        }
        token = page.next_token;
      } while (token);
      return JsonResponse(200, Json{{"groups", groups}});
    });
  }
  if (path.starts_with("logs/") && path.ends_with("/events") && request.method == "GET") {
    std::optional<std::string> group = PercentDecode(path.substr(5, path.size() - 5 - 7));
    if (!group) return Error(400, "malformed log group name");
    int limit = 100;
    std::string limit_text = param("limit", "100");
    auto [end, ec] =
        std::from_chars(limit_text.data(), limit_text.data() + limit_text.size(), limit);
    if (ec != std::errc() || limit < 1 || limit > 500) return Error(400, "limit must be 1 to 500");
    const std::string pattern_text = param("pattern");
    Result<pattern::Matcher, pattern::PatternError> matcher =
        pattern::Matcher::Compile(pattern_text);
    if (!matcher.ok()) return JsonResponse(400, PatternErrorJson(matcher.error()));
    // Newest first, through the whole group a page at a time (FilterLogEvents
    // on a reader connection, beside ingest): `token` continues where the
    // previous page stopped.
    FilterLogEventsQuery query;
    query.filter_pattern = pattern_text;
    query.limit = limit;
    query.newest_first = true;
    if (std::string token = param("token"); !token.empty()) query.next_token = token;
    // FilterLogEvents' startTime and endTime (both inclusive), as ISO 8601.
    using Bound = std::pair<const char*, std::optional<std::int64_t>*>;
    for (auto [name, bound] : {Bound{"start", &query.start_ms}, Bound{"end", &query.end_ms}}) {
      const std::string text = param(name);
      if (text.empty()) continue;
      std::optional<TimePoint> t = ParseTimestamp(text);
      if (!t) {
        return Error(400, std::string(name) + " must be an ISO 8601 time such as " +
                              "2024-03-01T12:00:00Z, not '" + text + "'");
      }
      *bound = ToEpochMillis(*t);
    }
    if (query.start_ms && query.end_ms && *query.start_ms > *query.end_ms) {
      return Error(400, "start " + param("start") + " is after end " + param("end"));
    }
    Page page;
    Result<std::vector<StoredLogEvent>> events = engine_->FilterLogEvents(*group, query, &page);
    if (!events.ok()) {
      const StatusCode code = events.status().code();
      return Error(code == StatusCode::kNotFound          ? 404
                   : code == StatusCode::kInvalidArgument ? 400
                                                          : 500,
                   events.status().message());
    }
    Json out = Json::array();
    event::EventView view;
    for (const StoredLogEvent& e : *events) {
      view.Reset(e.message);
      Json event{{"stream", e.stream},
                 {"timestamp", Time(FromEpochMillis(e.timestamp_ms))},
                 {"message", e.message},
                 {"eventId", e.event_id()},
                 {"highlights", pattern_text.empty()
                                    ? Json::array()
                                    : HighlightsJson(Highlights(*matcher, view, e.message))}};
      // A CloudTrail record, described as an alarm's evidence describes it.
      if (const notify::EvidenceLine described = DescribeEvent(e.message);
          !described.event_name.empty() && !described.event_source.empty()) {
        std::string evidence;
        notify::AppendEvidenceJson(&evidence, described);
        event["cloudtrail"] = Json::parse(evidence);
      }
      out.push_back(std::move(event));
    }
    return JsonResponse(200,
                        Json{{"events", out},
                             {"scanned", page.scanned},
                             {"nextToken", page.next_token ? Json(*page.next_token) : Json()}});
  }
  if (path == "test-pattern" && request.method == "POST") {
    Json body = Json::parse(request.body, nullptr, false);
    if (!body.is_object() || !body.contains("pattern") || !body["pattern"].is_string()) {
      return Error(400, "send {\"pattern\": \"...\", \"group\" or \"messages\"}");
    }
    std::vector<std::string> messages;
    if (body.contains("messages")) {
      if (!body["messages"].is_array() || body["messages"].empty() ||
          body["messages"].size() > 100) {
        return Error(400, "messages must be a list of 1 to 100 strings");
      }
      for (const auto& m : body["messages"]) {
        if (!m.is_string()) return Error(400, "messages must be strings");
        messages.push_back(m.get<std::string>());
      }
    } else if (body.contains("group") && body["group"].is_string()) {
      Result<std::vector<StoredLogEvent>> events =
          engine_->RecentEvents(body["group"].get<std::string>(), 100);
      if (!events.ok()) return Error(404, events.status().message());
      for (const StoredLogEvent& e : *events) messages.push_back(e.message);
    } else {
      return Error(400, "send \"group\" or \"messages\" with the pattern");
    }
    Result<pattern::Matcher, pattern::PatternError> matcher =
        pattern::Matcher::Compile(body["pattern"].get<std::string>());
    if (!matcher.ok()) return JsonResponse(400, PatternErrorJson(matcher.error()));
    Json matches = Json::array();
    event::EventView view;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      view.Reset(messages[i]);
      if (!matcher->Matches(view)) continue;
      Json values = Json::object();
      for (const auto& [k, v] : matcher->Extract(view)) values[k] = v;
      matches.push_back({{"eventNumber", i + 1},
                         {"message", messages[i]},
                         {"extractedValues", values},
                         {"highlights", HighlightsJson(Highlights(*matcher, view, messages[i]))}});
    }
    return JsonResponse(200, Json{{"matches", matches}, {"tested", messages.size()}});
  }

  // --- Topics ---
  if (path == "topics" && request.method == "GET") {
    return engine_->Locked([&](Services& sv) {
      Result<std::vector<notify::Topic>> topics = sv.sns.ListTopics();
      if (!topics.ok()) return Error(500, topics.status().message());
      notify::Outbox outbox(&sv.db);
      Json list = Json::array();
      for (const notify::Topic& t : *topics) {
        Json subs = Json::array();
        Result<std::vector<notify::Subscription>> s = sv.sns.ListSubscriptions(t.arn);
        if (s.ok()) {
          for (const notify::Subscription& sub : *s) {
            subs.push_back({{"arn", sub.arn},
                            {"protocol", sub.protocol},
                            {"endpoint", RedactUrlPasswords(sub.endpoint)},
                            {"confirmed", sub.confirmed}});
          }
        }
        Json deliveries = Json::array();
        Result<std::vector<notify::Delivery>> rows = outbox.List({.topic_arn = t.arn, .limit = 50});
        if (rows.ok()) {
          for (const notify::Delivery& d : *rows) deliveries.push_back(DeliveryJson(d));
        }
        list.push_back({{"arn", t.arn},
                        {"name", t.name},
                        {"displayName", t.display_name()},
                        {"subscriptions", subs},
                        {"deliveries", deliveries}});
      }
      Json dead = Json::array();
      Result<std::vector<notify::Delivery>> rows =
          outbox.List({.state = notify::DeliveryState::kDead, .limit = 100});
      if (rows.ok()) {
        for (const notify::Delivery& d : *rows) dead.push_back(DeliveryJson(d));
      }
      return JsonResponse(200, Json{{"topics", list}, {"deadLetters", dead}});
    });
  }
  if (path.starts_with("deliveries/") && path.ends_with("/retry") && request.method == "POST") {
    std::string_view id_text = path.substr(11, path.size() - 11 - 6);
    std::int64_t id = 0;
    auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (ec != std::errc() || end != id_text.data() + id_text.size()) {
      return Error(400, "malformed delivery id");
    }
    Status s = engine_->Locked([&](Services& sv) {
      notify::Outbox outbox(&sv.db);
      Status retried = outbox.Retry(id, now);
      if (retried.ok()) sv.deliverer.Wake();
      return retried;
    });
    if (s.code() == StatusCode::kNotFound) return Error(404, s.message());
    if (s.code() == StatusCode::kFailedPrecondition) return Error(409, s.message());
    if (!s.ok()) return Error(500, s.message());
    return JsonResponse(200, Json{{"ok", true}});
  }
  if (path.starts_with("aws/") && request.method == "POST") {
    return CallOperation(request, path.substr(4), *session, now);
  }
  return Error(404, "no console API " + std::string(path));
}

api::HttpResponse Console::CallOperation(const api::HttpRequest& request, std::string_view path,
                                         const Session& session, TimePoint now) {
  const std::size_t slash = path.find('/');
  const std::string_view service_name = path.substr(0, slash);
  const std::string_view operation =
      slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  api::CallContext context;
  if (service_name == "logs") {
    context.service = api::Service::kLogs;
    context.protocol = api::Protocol::kJson11;
  } else if (service_name == "monitoring") {
    context.service = api::Service::kCloudWatch;
    context.protocol = api::Protocol::kJson10;
  } else if (service_name == "sns") {
    context.service = api::Service::kSns;
    context.protocol = api::Protocol::kJson10;  // the input is JSON; the handlers read either
  } else {
    return Error(404, "no service " + std::string(service_name) + " (logs, monitoring or sns)");
  }
  const api::Handler* handler =
      operations_ == nullptr ? nullptr : operations_->Find(context.service, operation);
  if (handler == nullptr) {
    return Error(404, "no operation " + std::string(service_name) + " " + std::string(operation));
  }
  if (!request.Header("content-type").starts_with("application/json")) {
    return Error(415, "the body must be JSON (Content-Type: application/json)");
  }
  Result<api::Value> input = api::DecodeJson(request.body.empty() ? "{}" : request.body);
  if (!input.ok()) return Error(400, "the body is not JSON: " + input.status().message());
  context.operation = std::string(operation);
  context.region = engine_->options().region;
  context.access_key_id = session.access_key_id;
  context.request_id = NewUuid();
  context.now = now;
  Result<api::Value, api::ApiError> output = (*handler)(api::InputReader(*input), context);
  if (!output.ok()) {
    const api::ApiError& error = output.error();
    LogInfo("console " + session.access_key_id + " " + std::string(service_name) + " " +
            context.operation + " refused with " + std::to_string(error.http_status) + ": " +
            error.code + ": " + error.message);
    return JsonResponse(error.http_status, Json{{"error", error.message}, {"code", error.code}});
  }
  LogInfo("console " + session.access_key_id + " " + std::string(service_name) + " " +
          context.operation);
  api::HttpResponse r = JsonResponse(200, Json());
  r.body = api::EncodeJson(*output);
  return r;
}

}  // namespace tw::server
