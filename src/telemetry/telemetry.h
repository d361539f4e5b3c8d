// trailwatch's own metrics, for Prometheus: counters, gauges and histograms
// kept in a Registry and rendered in Prometheus's text exposition format,
// version 0.0.4 (`# HELP`, `# TYPE`, one sample per line; a histogram as
// `_bucket{le="…"}`, `_sum` and `_count`).
//
// A metric is a family: a name, a help text and fixed label names; each set
// of label values is one series. The hot path (a request, a batch of log
// events) adds to a series without allocating: look it up once and keep the
// reference (series live as long as their registry), or look it up with
// string_views each time (a shared lock and a map lookup).
//
//   Registry registry;
//   CounterFamily& requests = registry.AddCounter(
//       "trailwatch_api_requests_total", "AWS API requests answered.", {"service", "status"});
//   requests.With({"logs", "200"}).Add();
//   HistogramFamily& latency = registry.AddHistogram(
//       "trailwatch_put_log_events_duration_seconds", "…", {}, {0.001, 0.01, 0.1});
//   latency.With({}).Observe(0.004);
//   std::string text = registry.Render();
//
// Label cardinality is the caller's duty (never a label taken from request
// data); as a last guard, a family holds at most `max_series` series and
// any further label set is counted under one series whose every label is
// kOverflowLabel.
//
// Thread safety: everything may be called from many threads at once.
// Counter::Add and Histogram::Observe are lock-free (relaxed atomics);
// With() takes a shared lock, and an exclusive one only to add a series.
// Render() sees each value at some moment during the call (a histogram's
// buckets and sum are not read as one snapshot, as in Prometheus's own
// clients).
//
// Names are our own constants: a name or label name that Prometheus would
// refuse, or a With() whose value count differs from the label names, is a
// programmer error and aborts.

#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tw::telemetry {

// The value every label of the overflow series has.
inline constexpr std::string_view kOverflowLabel = "_overflow";

// The content type of Render()'s text (for a scrape's response).
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// A value that only goes up (resets only with the process).
class Counter {
 public:
  void Add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts of observations by upper bound (`le`), with their sum.
class Histogram {
 public:
  // `upper_bounds`: finite and strictly increasing (aborts otherwise);
  // +Inf is implied.
  explicit Histogram(std::span<const double> upper_bounds);

  void Observe(double value);

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (= count)
    double sum = 0;
  };
  Snapshot Read() const;
  std::span<const double> upper_bounds() const { return upper_bounds_; }

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bound, then +Inf; not cumulative
  std::atomic<double> sum_{0};
};

// Buckets for latencies in seconds, 0.5 ms to 10 s.
std::vector<double> LatencyBuckets();

// What the families share: name, help, label names, the series by label
// values. Not used directly; see CounterFamily, GaugeFamily, HistogramFamily.
template <typename Series>
class Family {
 public:
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // The series of these label values (as many as label names), made on
  // first use. The reference stays valid as long as the registry.
  Series& With(std::initializer_list<std::string_view> label_values) {
    return With(std::span<const std::string_view>(label_values.begin(), label_values.size()));
  }
  Series& With(std::span<const std::string_view> label_values);

  // Calls f(label values, series) for each series, sorted by label values.
  template <typename F>
  void ForEach(F&& f) const {
    std::shared_lock lock(mutex_);
    for (const auto& [labels, series] : series_) f(labels, *series);
  }

 protected:
  friend class Registry;
  using LabelValues = std::vector<std::string>;
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::size_t max_series);
  virtual ~Family() = default;
  virtual std::unique_ptr<Series> MakeSeries() const = 0;

  // Lexicographic order that lets string_views look up stored strings.
  struct LabelsLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
    }
  };

  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::size_t max_series_;
  mutable std::shared_mutex mutex_;
  std::map<LabelValues, std::unique_ptr<Series>, LabelsLess> series_;  // GUARDED_BY(mutex_)
};

class CounterFamily final : public Family<Counter> {
 private:
  friend class Registry;
  using Family::Family;
  std::unique_ptr<Counter> MakeSeries() const override { return std::make_unique<Counter>(); }
};

// Gauges are set from state read at scrape time (alarm states, outbox rows),
// whose label sets come and go: Replace() swaps in the whole set at once.
class GaugeFamily final : public Family<Gauge> {
 public:
  struct Sample {
    std::vector<std::string> label_values;
    double value = 0;
  };
  // The family's series become exactly `samples` (a label set given twice:
  // the last value). References from With() must not be held across a
  // Replace(); use With() or Replace(), not both, on one family.
  void Replace(std::vector<Sample> samples);

 private:
  friend class Registry;
  using Family::Family;
  std::unique_ptr<Gauge> MakeSeries() const override { return std::make_unique<Gauge>(); }
};

class HistogramFamily final : public Family<Histogram> {
 private:
  friend class Registry;
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::size_t max_series, std::vector<double> upper_bounds);
  std::unique_ptr<Histogram> MakeSeries() const override {
    return std::make_unique<Histogram>(upper_bounds_);
  }
  std::vector<double> upper_bounds_;
};

class Registry {
 public:
  static constexpr std::size_t kDefaultMaxSeries = 10'000;

  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Adds a family; rendered in the order added. A counter's name ends in
  // "_total". Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
  // [a-zA-Z_][a-zA-Z0-9_]* (not "le", not starting "__"), each name once.
  CounterFamily& AddCounter(std::string name, std::string help,
                            std::vector<std::string> label_names,
                            std::size_t max_series = kDefaultMaxSeries);
  GaugeFamily& AddGauge(std::string name, std::string help, std::vector<std::string> label_names,
                        std::size_t max_series = kDefaultMaxSeries);
  HistogramFamily& AddHistogram(std::string name, std::string help,
                                std::vector<std::string> label_names,
                                std::vector<double> upper_bounds,
                                std::size_t max_series = kDefaultMaxSeries);

  // Every family in the text exposition format 0.0.4. A family without
  // series still has its HELP and TYPE lines.
  std::string Render() const;

 private:
  struct Entry;
  void CheckNewName(const std::string& name, const std::vector<std::string>& label_names) const;

  mutable std::shared_mutex mutex_;
  std::vector<std::unique_ptr<Entry>> families_;  // GUARDED_BY(mutex_)
};

// Text format helpers, exposed for tests.
// A label value with \ " and newline escaped.
std::string EscapeLabelValue(std::string_view value);
// A sample value as Prometheus writes it: "+Inf", "-Inf", "NaN", or the
// shortest text that reads back as the same double ("0.25", "1e-05", "3").
std::string FormatValue(double value);

}  // namespace tw::telemetry
