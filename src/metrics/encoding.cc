// Text forms of Statistics and QuantileSketch for the store. Doubles are
// written in hexadecimal floating point (std::to_chars, chars_format::hex),
// which reads back bit for bit; a sketch's buckets follow as index/count
// pairs. Versioned ("s1", "q1") so that a later layout can be told apart.

#include <charconv>
#include <climits>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "metrics/metrics.h"

namespace tw::metrics {
namespace {

void PutDouble(std::string* out, double v) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::hex);
  out->push_back(' ');
  out->append(buffer, ec == std::errc() ? end : buffer);
}

void PutInt(std::string* out, long long v) {
  out->push_back(' ');
  out->append(std::to_string(v));
}

// Reads space-separated fields from the front of a text.
class Fields {
 public:
  explicit Fields(std::string_view text) : text_(text) {}

  std::optional<std::string_view> Word() {
    while (!text_.empty() && text_.front() == ' ') text_.remove_prefix(1);
    if (text_.empty()) return std::nullopt;
    std::size_t end = text_.find(' ');
    std::string_view word = text_.substr(0, end);
    text_.remove_prefix(end == std::string_view::npos ? text_.size() : end);
    return word;
  }
  std::optional<double> Double() {
    std::optional<std::string_view> w = Word();
    if (!w) return std::nullopt;
    double v = 0;
    bool negative = !w->empty() && w->front() == '-';
    std::string_view digits = negative ? w->substr(1) : *w;
    auto [end, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), v, std::chars_format::hex);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
      // inf and nan are written by name
      if (digits == "inf")
        v = HUGE_VAL;
      else if (digits == "nan")
        v = NAN;
      else
        return std::nullopt;
    }
    return negative ? -v : v;
  }
  std::optional<long long> Int() {
    std::optional<std::string_view> w = Word();
    if (!w) return std::nullopt;
    long long v = 0;
    auto [end, ec] = std::from_chars(w->data(), w->data() + w->size(), v);
    if (ec != std::errc() || end != w->data() + w->size()) return std::nullopt;
    return v;
  }
  bool AtEnd() {
    while (!text_.empty() && text_.front() == ' ') text_.remove_prefix(1);
    return text_.empty();
  }
  std::string_view Rest() const { return text_; }

 private:
  std::string_view text_;
};

}  // namespace

std::string QuantileSketch::Encode() const {
  std::string out = "q1";
  PutDouble(&out, count_);
  PutDouble(&out, zero_count_);
  PutDouble(&out, negative_count_);
  PutDouble(&out, min_);
  PutDouble(&out, max_);
  PutInt(&out, static_cast<long long>(buckets_.size()));
  for (const auto& [index, count] : buckets_) {
    PutInt(&out, index);
    PutDouble(&out, count);
  }
  return out;
}

std::optional<QuantileSketch> QuantileSketch::Decode(std::string_view text) {
  Fields f(text);
  if (f.Word() != "q1") return std::nullopt;
  QuantileSketch s;
  std::optional<double> count = f.Double(), zero = f.Double(), negative = f.Double(),
                        min = f.Double(), max = f.Double();
  std::optional<long long> n = f.Int();
  if (!count || !zero || !negative || !min || !max || !n || *n < 0) return std::nullopt;
  s.count_ = *count;
  s.zero_count_ = *zero;
  s.negative_count_ = *negative;
  s.min_ = *min;
  s.max_ = *max;
  for (long long i = 0; i < *n; ++i) {
    std::optional<long long> index = f.Int();
    std::optional<double> bucket_count = f.Double();
    if (!index || !bucket_count || *index < INT_MIN || *index > INT_MAX) return std::nullopt;
    s.buckets_[static_cast<int>(*index)] = *bucket_count;
  }
  if (!f.AtEnd()) return std::nullopt;
  return s;
}

std::string Statistics::Encode() const {
  std::string out = "s1";
  PutDouble(&out, sample_count);
  PutDouble(&out, sum);
  PutDouble(&out, minimum);
  PutDouble(&out, maximum);
  out.push_back(' ');
  out += sketch.Encode();
  return out;
}

std::optional<Statistics> Statistics::Decode(std::string_view text) {
  Fields f(text);
  if (f.Word() != "s1") return std::nullopt;
  Statistics s;
  std::optional<double> count = f.Double(), sum = f.Double(), min = f.Double(), max = f.Double();
  if (!count || !sum || !min || !max) return std::nullopt;
  std::optional<QuantileSketch> sketch = QuantileSketch::Decode(f.Rest());
  if (!sketch) return std::nullopt;
  s.sample_count = *count;
  s.sum = *sum;
  s.minimum = *min;
  s.maximum = *max;
  s.sketch = std::move(*sketch);
  return s;
}

}  // namespace tw::metrics
