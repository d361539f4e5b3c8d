// What /metrics costs the hot path and a scrape:
//   BM_CounterAdd          a held Counter reference: one relaxed atomic add.
//   BM_FamilyWithAdd       the per-request path of trailwatch_api_requests_total:
//                          find the series by three string_views (shared lock,
//                          map lookup, no allocation), then add.
//   BM_FamilyWithAddContended  the same from several threads at once (the
//                          shared lock's cache line is what they share).
//   BM_HistogramObserve    one PutLogEvents latency observation.
//   BM_Render              the text of a registry the size of a large setup:
//                          150 operation series, 300 filters, 100 alarms.
//
//   build/bench/telemetry_bench --benchmark_min_time=1

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "telemetry/telemetry.h"

namespace {

using namespace tw::telemetry;

void BM_CounterAdd(benchmark::State& state) {
  Registry registry;
  Counter& c = registry.AddCounter("tw_x_total", "x", {}).With({});
  for (auto _ : state) c.Add();
  if (c.value() != static_cast<std::uint64_t>(state.iterations())) state.SkipWithError("lost adds");
}
BENCHMARK(BM_CounterAdd);

Registry& SharedRegistry(CounterFamily** family) {
  static Registry registry;
  static CounterFamily& f =
      registry.AddCounter("tw_requests_total", "x", {"service", "operation", "status"});
  static bool filled = [] {
    for (int i = 0; i < 50; ++i) f.With({"logs", "Operation" + std::to_string(i), "200"});
    return true;
  }();
  (void)filled;
  *family = &f;
  return registry;
}

void BM_FamilyWithAdd(benchmark::State& state) {
  CounterFamily* family = nullptr;
  SharedRegistry(&family);
  const std::string operation = "Operation17";  // as a CallContext holds it
  for (auto _ : state) family->With({"logs", operation, "200"}).Add();
}
BENCHMARK(BM_FamilyWithAdd);
BENCHMARK(BM_FamilyWithAdd)->Threads(2)->Name("BM_FamilyWithAddContended");

void BM_HistogramObserve(benchmark::State& state) {
  Registry registry;
  Histogram& h = registry.AddHistogram("tw_h_seconds", "h", {}, LatencyBuckets()).With({});
  double v = 0.0001;
  for (auto _ : state) {
    h.Observe(v);
    v = v < 5 ? v * 1.7 : 0.0001;
  }
}
BENCHMARK(BM_HistogramObserve);

void BM_Render(benchmark::State& state) {
  Registry registry;
  CounterFamily& requests =
      registry.AddCounter("tw_requests_total", "x", {"service", "operation", "status"});
  CounterFamily& matches = registry.AddCounter("tw_matches_total", "x", {"log_group", "filter"});
  GaugeFamily& alarms = registry.AddGauge("tw_alarm_state", "x", {"alarm", "state"});
  registry.AddHistogram("tw_h_seconds", "h", {}, LatencyBuckets()).With({}).Observe(0.01);
  for (int i = 0; i < 50; ++i) {
    for (const char* status : {"200", "400", "500"}) {
      requests.With({"logs", "Operation" + std::to_string(i), status}).Add(12345);
    }
  }
  for (int i = 0; i < 300; ++i)
    matches.With({"CloudTrail/DefaultLogGroup", "Filter" + std::to_string(i)}).Add(i);
  std::vector<GaugeFamily::Sample> samples;
  for (int i = 0; i < 100; ++i) {
    for (const char* s : {"OK", "ALARM", "INSUFFICIENT_DATA"}) {
      samples.push_back({{"Alarm" + std::to_string(i), s}, s[0] == 'O' ? 1.0 : 0.0});
    }
  }
  alarms.Replace(samples);
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string text = registry.Render();
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
}
BENCHMARK(BM_Render);

}  // namespace

BENCHMARK_MAIN();
