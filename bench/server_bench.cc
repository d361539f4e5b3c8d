// The live service's own costs, apart from the pattern engine's:
//   BM_PutLogEvents     Engine::PutLogEvents of 500-event batches of real
//                       CloudTrail records through the seed metric filter:
//                       events stored, filters run, metric minutes written,
//                       one durable commit per batch (what a client waits for).
//   BM_RouterNoop       one signed awsJson1_1 request through the router
//                       (SigV4 verification, routing, JSON decode and encode)
//                       to a handler that does nothing: the protocol's
//                       overhead per request.
// Before timing, the stored events and the metric's Sum are checked against
// what was sent, so a fast but wrong pipeline produces no number.
//
//   build/bench/server_bench --benchmark_min_time=2

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "api/router.h"
#include "ingest/ingest.h"
#include "server/engine.h"
#include "server/template.h"

namespace {

namespace fs = std::filesystem;
using namespace tw;

constexpr const char* kTemplate = R"(
Resources:
  Filter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: trail
      FilterPattern: '{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}'
      MetricTransformations:
        - {MetricNamespace: CloudTrailMetrics, MetricName: IAM, MetricValue: "1", DefaultValue: 0}
)";

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "server_bench: %s\n", why.c_str());
  std::exit(1);
}

std::vector<std::string> CorpusRecords() {
  std::vector<std::string> records;
  const std::string dir = std::string(TW_SHARED_DIR) + "/data/cloudtrail/aws_dataset";
  for (const auto& entry : fs::directory_iterator(dir)) {
    Result<std::unique_ptr<ingest::MessageReader>> reader =
        ingest::MessageReader::Open(entry.path().string(), ingest::InputFormat::kCloudTrail);
    if (!reader.ok()) continue;
    std::string_view m;
    while ((*reader)->Next(&m)) records.emplace_back(m);
  }
  if (records.empty()) Die("no CloudTrail records under " + dir);
  return records;
}

bool IsIamPolicyChange(const std::string& record) {
  static const char* kNames[] = {
      "DeleteGroupPolicy",   "DeleteRolePolicy",    "DeleteUserPolicy",  "PutGroupPolicy",
      "PutRolePolicy",       "PutUserPolicy",       "CreatePolicy",      "DeletePolicy",
      "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy",  "DetachRolePolicy",
      "AttachUserPolicy",    "DetachUserPolicy",    "AttachGroupPolicy", "DetachGroupPolicy"};
  for (const char* n : kNames) {
    if (record.find(std::string("\"eventName\":\"") + n + "\"") != std::string::npos) return true;
  }
  return false;
}

void BM_PutLogEvents(benchmark::State& state) {
  const std::vector<std::string> records = CorpusRecords();
  std::string dir = (fs::temp_directory_path() / "tw-bench-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) Die("mkdtemp");
  SystemClock clock;
  server::NotifierOptions n;
  n.data_dir = dir;
  Result<std::unique_ptr<server::Notifier>> notifier = server::Notifier::Open(n, &clock);
  if (!notifier.ok()) Die(notifier.status().ToString());
  Result<std::unique_ptr<server::Engine>> engine =
      server::Engine::Open(notifier->get(), {}, &clock);
  if (!engine.ok()) Die(engine.status().ToString());
  Result<server::Configuration> config = server::ParseTemplate(kTemplate, "bench", {});
  std::vector<std::string> warnings;
  if (!config.ok() || !(*engine)->ApplyConfiguration(*config, &warnings).ok()) Die("template");
  Status stream = (*engine)->Locked(
      [&](server::Services& sv) { return sv.logs.CreateLogStream("trail", "s", clock.Now()); });
  if (!stream.ok()) Die(stream.ToString());

  constexpr std::size_t kBatch = 500;  // ~0.65 MB of these records: under the 1 MiB limit
  std::size_t next = 0, sent = 0, matching = 0, bytes = 0;
  for (auto _ : state) {
    std::vector<server::InputLogEvent> batch;
    const std::int64_t now = ToEpochMillis(clock.Now());
    for (std::size_t i = 0; i < kBatch; ++i, next = (next + 1) % records.size()) {
      batch.push_back({now, records[next]});
      matching += IsIamPolicyChange(records[next]) ? 1 : 0;
      bytes += records[next].size();
    }
    Result<server::PutLogEventsResult> put = (*engine)->PutLogEvents("trail", "s", batch);
    if (!put.ok()) Die("PutLogEvents: " + put.status().message());
    if (put->accepted != kBatch) Die("PutLogEvents rejected events");
    sent += kBatch;
  }
  // Everything sent is there, and the metric counted exactly the matches.
  metrics::Statistics total = (*engine)->Locked([](server::Services& sv) {
    return sv.metrics.store().Total({"CloudTrailMetrics", "IAM", {}});
  });
  if (total.sample_count != static_cast<double>(sent) ||
      total.sum != static_cast<double>(matching)) {
    Die("metric mismatch: samples " + std::to_string(total.sample_count) + " of " +
        std::to_string(sent) + ", sum " + std::to_string(total.sum) + " of " +
        std::to_string(matching));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(sent));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  // What the events cost on disk: their compressed blocks alone, and the
  // whole database (metric minutes, indexes, free pages) once the WAL is
  // checkpointed into it.
  Result<store::EventLogUsage> usage =
      (*engine)->Locked([](server::Services& sv) { return sv.logs.EventUsage("trail"); });
  if (!usage.ok() || usage->events != static_cast<std::int64_t>(sent)) Die("event usage");
  Status checkpoint = (*engine)->Locked(
      [](server::Services& sv) { return sv.db.Execute("PRAGMA wal_checkpoint(TRUNCATE)"); });
  if (!checkpoint.ok()) Die(checkpoint.ToString());
  const double file_bytes = static_cast<double>(fs::file_size((*notifier)->layout().database()));
  state.counters["block_bytes_per_event"] =
      static_cast<double>(usage->stored_bytes) / static_cast<double>(sent);
  state.counters["file_bytes_per_event"] = file_bytes / static_cast<double>(sent);
  state.counters["raw_bytes_per_event"] = static_cast<double>(bytes) / static_cast<double>(sent);
  engine->reset();
  notifier->reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_PutLogEvents)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_RouterNoop(benchmark::State& state) {
  api::Operations ops;
  ops.Add(
      api::Service::kLogs, "CreateLogGroup",
      [](const api::InputReader&, const api::CallContext&) -> Result<api::Value, api::ApiError> {
        return api::Value::Structure();
      });
  ManualClock clock(*ParseTimestamp("2023-11-14T22:13:20Z"));
  api::RouterOptions options;
  options.clock = &clock;
  options.secrets = [](std::string_view) { return std::optional<std::string>("secret"); };
  api::Router router(&ops, options);
  api::SignedRequest s{"POST",
                       "/",
                       "",
                       {{"content-type", "application/x-amz-json-1.1"},
                        {"host", "127.0.0.1:4566"},
                        {"x-amz-target", "Logs_20140328.CreateLogGroup"}},
                       R"({"logGroupName":"/app/test","tags":{"team":"security"}})"};
  api::SignSigV4(&s, {"AKID", "secret"}, "us-east-1", "logs", clock.Now(), {"x-amz-target"});
  api::HttpRequest request{s.method, s.path, s.query, s.headers, s.body};
  if (router.Handle(request).status != 200) Die("the signed request was refused");
  for (auto _ : state) benchmark::DoNotOptimize(router.Handle(request));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouterNoop);

}  // namespace

BENCHMARK_MAIN();
