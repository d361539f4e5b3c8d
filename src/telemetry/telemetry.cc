#include "telemetry/telemetry.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace tw::telemetry {
namespace {

// Registration errors are ours, never a user's: fail loudly at start.
[[noreturn]] void Misuse(const std::string& what) {
  std::fprintf(stderr, "telemetry: %s\n", what.c_str());
  std::abort();
}

bool IsMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool IsLabelName(std::string_view name) {
  return IsMetricName(name) && name.find(':') == std::string_view::npos && name != "le" &&
         !name.starts_with("__");
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// `{a="x",b="y"}`, with `extra` (e.g. le="0.5") last; "" without labels.
std::string LabelText(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      std::string_view extra = {}) {
  if (names.empty() && extra.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    out += EscapeLabelValue(values[i]);
    out += '"';
  }
  if (!extra.empty()) {
    if (!names.empty()) out += ',';
    out += extra;
  }
  out += '}';
  return out;
}

void AddHeader(std::string* out, const std::string& name, const std::string& help,
               std::string_view type) {
  *out += "# HELP " + name + " " + EscapeHelp(help) + "\n";
  *out += "# TYPE " + name + " ";
  *out += type;
  *out += '\n';
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Histogram::Histogram(std::span<const double> upper_bounds)
    : upper_bounds_(upper_bounds.begin(), upper_bounds.end()),
      counts_(new std::atomic<std::uint64_t>[upper_bounds.size() + 1]) {
  for (std::size_t i = 0; i < upper_bounds_.size(); ++i) {
    if (!std::isfinite(upper_bounds_[i]) || (i > 0 && upper_bounds_[i] <= upper_bounds_[i - 1])) {
      Misuse("histogram bounds must be finite and strictly increasing");
    }
  }
  for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double value) {
  // The first bound >= value is its bucket ("le": less than or equal).
  const std::size_t bucket =
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

template <typename Series>
Family<Series>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::size_t max_series)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      max_series_(max_series) {}

template <typename Series>
Series& Family<Series>::With(std::span<const std::string_view> label_values) {
  if (label_values.size() != label_names_.size()) {
    Misuse(name_ + ": " + std::to_string(label_values.size()) + " label values for " +
           std::to_string(label_names_.size()) + " labels");
  }
  {
    std::shared_lock lock(mutex_);
    auto it = series_.find(label_values);
    if (it != series_.end()) return *it->second;
  }
  std::unique_lock lock(mutex_);
  auto it = series_.find(label_values);
  if (it != series_.end()) return *it->second;
  LabelValues key;
  if (series_.size() >= max_series_) {
    key.assign(label_names_.size(), std::string(kOverflowLabel));
    it = series_.find(key);
    if (it != series_.end()) return *it->second;
  } else {
    key.assign(label_values.begin(), label_values.end());
  }
  return *series_.emplace(std::move(key), MakeSeries()).first->second;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

void GaugeFamily::Replace(std::vector<Sample> samples) {
  std::map<LabelValues, std::unique_ptr<Gauge>, LabelsLess> fresh;
  for (Sample& s : samples) {
    if (s.label_values.size() != label_names_.size()) {
      Misuse(name_ + ": " + std::to_string(s.label_values.size()) + " label values for " +
             std::to_string(label_names_.size()) + " labels");
    }
    auto it = fresh.find(s.label_values);
    if (it == fresh.end()) {
      if (fresh.size() >= max_series_) {
        LabelValues overflow(label_names_.size(), std::string(kOverflowLabel));
        it = fresh.find(overflow);
        if (it == fresh.end()) it = fresh.emplace(std::move(overflow), MakeSeries()).first;
      } else {
        it = fresh.emplace(std::move(s.label_values), MakeSeries()).first;
      }
    }
    it->second->Set(s.value);
  }
  std::unique_lock lock(mutex_);
  series_.swap(fresh);
}

HistogramFamily::HistogramFamily(std::string name, std::string help,
                                 std::vector<std::string> label_names, std::size_t max_series,
                                 std::vector<double> upper_bounds)
    : Family(std::move(name), std::move(help), std::move(label_names), max_series),
      upper_bounds_(std::move(upper_bounds)) {
  Histogram check(upper_bounds_);  // aborts on bad bounds now, not at the first series
}

struct Registry::Entry {
  std::unique_ptr<CounterFamily> counter;
  std::unique_ptr<GaugeFamily> gauge;
  std::unique_ptr<HistogramFamily> histogram;

  const std::string& name() const {
    return counter ? counter->name() : gauge ? gauge->name() : histogram->name();
  }
};

Registry::Registry() = default;
Registry::~Registry() = default;

void Registry::CheckNewName(const std::string& name,
                            const std::vector<std::string>& label_names) const {
  if (!IsMetricName(name)) Misuse("not a metric name: '" + name + "'");
  for (const std::string& label : label_names) {
    if (!IsLabelName(label)) Misuse(name + ": not a label name: '" + label + "'");
  }
  for (const auto& entry : families_) {
    if (entry->name() == name) Misuse("metric registered twice: " + name);
  }
}

CounterFamily& Registry::AddCounter(std::string name, std::string help,
                                    std::vector<std::string> label_names, std::size_t max_series) {
  std::unique_lock lock(mutex_);
  CheckNewName(name, label_names);
  if (!name.ends_with("_total")) Misuse("a counter's name ends in _total: " + name);
  auto entry = std::make_unique<Entry>();
  entry->counter.reset(
      new CounterFamily(std::move(name), std::move(help), std::move(label_names), max_series));
  families_.push_back(std::move(entry));
  return *families_.back()->counter;
}

GaugeFamily& Registry::AddGauge(std::string name, std::string help,
                                std::vector<std::string> label_names, std::size_t max_series) {
  std::unique_lock lock(mutex_);
  CheckNewName(name, label_names);
  auto entry = std::make_unique<Entry>();
  entry->gauge.reset(
      new GaugeFamily(std::move(name), std::move(help), std::move(label_names), max_series));
  families_.push_back(std::move(entry));
  return *families_.back()->gauge;
}

HistogramFamily& Registry::AddHistogram(std::string name, std::string help,
                                        std::vector<std::string> label_names,
                                        std::vector<double> upper_bounds, std::size_t max_series) {
  std::unique_lock lock(mutex_);
  CheckNewName(name, label_names);
  auto entry = std::make_unique<Entry>();
  entry->histogram.reset(new HistogramFamily(std::move(name), std::move(help),
                                             std::move(label_names), max_series,
                                             std::move(upper_bounds)));
  families_.push_back(std::move(entry));
  return *families_.back()->histogram;
}

std::string Registry::Render() const {
  std::shared_lock lock(mutex_);
  std::string out;
  for (const auto& entry : families_) {
    if (const CounterFamily* f = entry->counter.get()) {
      AddHeader(&out, f->name(), f->help(), "counter");
      f->ForEach([&](const std::vector<std::string>& labels, const Counter& c) {
        out += f->name() + LabelText(f->label_names(), labels) + " " + std::to_string(c.value()) +
               "\n";
      });
    } else if (const GaugeFamily* f = entry->gauge.get()) {
      AddHeader(&out, f->name(), f->help(), "gauge");
      f->ForEach([&](const std::vector<std::string>& labels, const Gauge& g) {
        out +=
            f->name() + LabelText(f->label_names(), labels) + " " + FormatValue(g.value()) + "\n";
      });
    } else if (const HistogramFamily* f = entry->histogram.get()) {
      AddHeader(&out, f->name(), f->help(), "histogram");
      f->ForEach([&](const std::vector<std::string>& labels, const Histogram& h) {
        const Histogram::Snapshot s = h.Read();
        const std::span<const double> bounds = h.upper_bounds();
        for (std::size_t i = 0; i <= bounds.size(); ++i) {
          const std::string le =
              "le=\"" + (i < bounds.size() ? FormatValue(bounds[i]) : std::string("+Inf")) + "\"";
          out += f->name() + "_bucket" + LabelText(f->label_names(), labels, le) + " " +
                 std::to_string(s.cumulative[i]) + "\n";
        }
        const std::string label_text = LabelText(f->label_names(), labels);
        out += f->name() + "_sum" + label_text + " " + FormatValue(s.sum) + "\n";
        out += f->name() + "_count" + label_text + " " + std::to_string(s.cumulative.back()) + "\n";
      });
    }
  }
  return out;
}

}  // namespace tw::telemetry
