// Throughput of the pattern engine on CloudTrail messages, against the cost
// of parsing them at all.
//
// The corpus is generated at start-up from every record of
// shared/data/cloudtrail (read with ingest::MessageReader): the records are
// cycled until TW_BENCH_CORPUS_MB megabytes (default 300) of compact JSON
// messages exist, each copy with its own eventTime, eventID, requestID and
// (where it is an IPv4 address) sourceIPAddress. Messages live in one buffer.
//
// Before anything is timed, each benchmark's hit count on the first events is
// checked against an independent reference (nlohmann-parsed records and the
// hand-written predicates of tests/support/cis_oracle.h; std::string_view::find
// for the term pattern); a mismatch aborts. Every timed pass re-checks its
// count against the full-corpus count.
//
// After the run, the ratios of events/s (IAM / parse-only, all-CIS /
// parse-only) are printed to stderr. See bench/README.md.

#include <benchmark/benchmark.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "event/event_view.h"
#include "ingest/ingest.h"
#include "pattern/pattern.h"
#include "support/cis_oracle.h"
#include "support/cis_patterns.h"

namespace {

using tw::event::EventView;
using tw::pattern::Matcher;
using tw::pattern::PatternSet;

constexpr std::string_view kTermPattern = "\"AccessDenied\"";
constexpr std::string_view kTermText = "AccessDenied";

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "pattern_bench: %s\n", message.c_str());
  std::abort();
}

// All messages back to back in one buffer; message i is
// [offsets[i], offsets[i + 1]).
struct Corpus {
  std::string buffer;
  std::vector<std::size_t> offsets{0};

  std::size_t size() const { return offsets.size() - 1; }
  std::size_t bytes() const { return buffer.size(); }
  std::string_view at(std::size_t i) const {
    return std::string_view(buffer).substr(offsets[i], offsets[i + 1] - offsets[i]);
  }
  void Append(std::string_view message) {
    buffer.append(message);
    offsets.push_back(buffer.size());
  }
};

// ---- corpus generation -----------------------------------------------------

std::vector<std::string> ReadBaseRecords(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::string relative = fs::relative(entry.path(), dir).generic_string();
    if (!tw::testing::IsExcludedCorpusFile(relative)) files.push_back(relative);
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> records;
  for (const std::string& relative : files) {
    auto reader =
        tw::ingest::MessageReader::Open(dir + "/" + relative, tw::ingest::InputFormat::kAuto);
    if (!reader.ok()) Die(reader.status().ToString());
    std::string_view message;
    while ((*reader)->Next(&message)) records.emplace_back(message);
    if (!(*reader)->status().ok()) Die((*reader)->status().ToString());
  }
  return records;
}

bool IsIpv4(const std::string& s) {
  int dots = 0;
  for (char c : s) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

void SetIfString(nlohmann::ordered_json& record, const char* key, const std::string& value) {
  auto it = record.find(key);
  if (it != record.end() && it->is_string()) *it = value;
}

// Copies the base records, varying the per-event fields, until `target_bytes`.
Corpus Generate(const std::vector<std::string>& base, std::size_t target_bytes) {
  std::vector<nlohmann::ordered_json> parsed;
  parsed.reserve(base.size());
  for (const std::string& message : base) {
    parsed.push_back(nlohmann::ordered_json::parse(message, nullptr, false));
  }
  Corpus corpus;
  corpus.buffer.reserve(target_bytes + (1 << 20));
  const std::time_t kStart = 1688947200;  // 2023-07-10T00:00:00Z
  std::uint64_t serial = 0;
  while (corpus.bytes() < target_bytes) {
    for (std::size_t i = 0; i < base.size() && corpus.bytes() < target_bytes; ++i, ++serial) {
      nlohmann::ordered_json& record = parsed[i];
      if (!record.is_object()) {
        corpus.Append(base[i]);
        continue;
      }
      char text[64];
      std::time_t t = kStart + static_cast<std::time_t>(serial / 4);
      std::tm tm{};
      gmtime_r(&t, &tm);
      std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
      SetIfString(record, "eventTime", text);
      std::snprintf(text, sizeof text, "%08" PRIx64 "-%04x-4%03x-a%03x-%012" PRIx64,
                    serial * 2654435761u & 0xffffffffu, static_cast<unsigned>(serial & 0xffff),
                    static_cast<unsigned>(i & 0xfff), static_cast<unsigned>(serial >> 16 & 0xfff),
                    serial);
      SetIfString(record, "eventID", text);
      text[0] = 'f';  // requestID differs from eventID
      SetIfString(record, "requestID", text);
      auto ip = record.find("sourceIPAddress");
      if (ip != record.end() && ip->is_string() && IsIpv4(ip->get<std::string>())) {
        std::snprintf(text, sizeof text, "10.%u.%u.%u", static_cast<unsigned>(serial >> 16 & 255),
                      static_cast<unsigned>(serial >> 8 & 255),
                      static_cast<unsigned>(serial & 255));
        *ip = text;
      }
      corpus.Append(record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  }
  return corpus;
}

// ---- the measured operations, shared by verification and benchmarks --------

const Corpus* g_corpus = nullptr;
const Matcher* g_iam = nullptr;
const PatternSet* g_cis = nullptr;
const Matcher* g_term = nullptr;

// Copies `message` into `padded` with simdjson's padding, as EventView does.
const char* PadCopy(std::string_view message, std::vector<char>* padded) {
  std::size_t needed = message.size() + simdjson::SIMDJSON_PADDING;
  if (padded->size() < needed) padded->resize(needed);
  std::memcpy(padded->data(), message.data(), message.size());
  std::memset(padded->data() + message.size(), 0, simdjson::SIMDJSON_PADDING);
  return padded->data();
}

// Messages whose JSON root is an object.
std::size_t CountDomObjects(std::size_t n) {
  static simdjson::dom::parser parser;
  static std::vector<char> padded;
  std::size_t objects = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::string_view m = g_corpus->at(i);
    simdjson::dom::element root;
    if (parser.parse(PadCopy(m, &padded), m.size(), false).get(root) == simdjson::SUCCESS) {
      objects += root.is_object();
    }
  }
  return objects;
}

// Messages with a string eventName.
std::size_t CountOnDemandEventNames(std::size_t n) {
  static simdjson::ondemand::parser parser;
  static std::vector<char> padded;
  std::size_t names = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::string_view m = g_corpus->at(i);
    const char* data = PadCopy(m, &padded);
    simdjson::ondemand::document doc;
    if (parser.iterate(data, m.size(), padded.size()).get(doc) != simdjson::SUCCESS) continue;
    std::string_view name;
    if (doc["eventName"].get_string().get(name) == simdjson::SUCCESS) names += !name.empty();
  }
  return names;
}

std::size_t CountMatcher(const Matcher& m, std::size_t n) {
  static EventView view;
  std::size_t hits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    view.Reset(g_corpus->at(i));
    hits += m.Matches(view);
  }
  return hits;
}

std::size_t CountPatternSet(const PatternSet& set, std::size_t n) {
  static EventView view;
  auto hits = std::make_unique<bool[]>(set.size());
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    view.Reset(g_corpus->at(i));
    total += set.Match(view, std::span<bool>(hits.get(), set.size()));
  }
  return total;
}

// Full-corpus counts, fixed before timing; each timed pass must reproduce them.
struct Expected {
  std::size_t dom_objects = 0;
  std::size_t ondemand_names = 0;
  std::size_t iam = 0;
  std::size_t cis = 0;
  std::size_t term = 0;
} g_expected;

void CheckEqual(const char* what, std::size_t got, std::size_t want) {
  if (got != want) {
    Die(std::string(what) + ": got " + std::to_string(got) + ", reference says " +
        std::to_string(want));
  }
}

// Reference counts on the first `n` events, from nlohmann and the oracle
// predicates, then the full-corpus counts used inside the timed loops.
void VerifyOrDie(std::size_t n) {
  using tw::testing::oracle::Json;
  std::size_t objects = 0, names = 0, iam = 0, cis = 0, term = 0;
  std::vector<tw::testing::oracle::Predicate> predicates;
  for (const tw::testing::CisPattern& p : tw::testing::kCisPatterns) {
    if (p.in_security_hub_set) predicates.push_back(tw::testing::oracle::PredicateFor(p.id));
  }
  for (std::size_t i = 0; i < n; ++i) {
    std::string_view m = g_corpus->at(i);
    term += m.find(kTermText) != std::string_view::npos;
    Json r = Json::parse(m, nullptr, false);
    if (r.is_discarded()) continue;
    objects += r.is_object();
    auto name = r.is_object() ? r.find("eventName") : r.end();
    names += name != r.end() && name->is_string() && !name->get<std::string>().empty();
    iam += tw::testing::oracle::IamPolicyChanges(r);
    for (auto predicate : predicates) cis += predicate(r);
  }
  CheckEqual("parse-only (DOM objects)", CountDomObjects(n), objects);
  CheckEqual("parse-only (on-demand eventName)", CountOnDemandEventNames(n), names);
  CheckEqual("IAM pattern", CountMatcher(*g_iam, n), iam);
  CheckEqual("all CIS patterns", CountPatternSet(*g_cis, n), cis);
  CheckEqual("term pattern", CountMatcher(*g_term, n), term);
  std::fprintf(stderr,
               "verified on the first %zu events: objects=%zu eventNames=%zu iam=%zu "
               "cis=%zu term=%zu\n",
               n, objects, names, iam, cis, term);

  const std::size_t all = g_corpus->size();
  g_expected.dom_objects = CountDomObjects(all);
  g_expected.ondemand_names = CountOnDemandEventNames(all);
  g_expected.iam = CountMatcher(*g_iam, all);
  g_expected.cis = CountPatternSet(*g_cis, all);
  g_expected.term = CountMatcher(*g_term, all);
  std::fprintf(stderr,
               "full corpus: %zu events, %.1f MB; objects=%zu eventNames=%zu iam=%zu cis=%zu "
               "term=%zu\n",
               all, g_corpus->bytes() / 1e6, g_expected.dom_objects, g_expected.ondemand_names,
               g_expected.iam, g_expected.cis, g_expected.term);
}

void Finish(benchmark::State& state, std::size_t hits) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * g_corpus->size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * g_corpus->bytes()));
  state.counters["hits"] = static_cast<double>(hits);
}

// One timed pass over the corpus per iteration; every pass must reproduce
// the count verified before timing.
template <typename Pass>
void RunPasses(benchmark::State& state, const char* name, std::size_t expected, Pass pass) {
  std::size_t hits = 0;
  for (auto _ : state) {
    hits = pass();
    benchmark::DoNotOptimize(hits);
    CheckEqual(name, hits, expected);
  }
  Finish(state, hits);
}

// ---- benchmarks ------------------------------------------------------------

void BM_ParseOnly(benchmark::State& state) {
  RunPasses(state, "BM_ParseOnly", g_expected.dom_objects,
            [] { return CountDomObjects(g_corpus->size()); });
}

void BM_ParseOnlyOnDemand(benchmark::State& state) {
  RunPasses(state, "BM_ParseOnlyOnDemand", g_expected.ondemand_names,
            [] { return CountOnDemandEventNames(g_corpus->size()); });
}

void BM_IamPattern(benchmark::State& state) {
  RunPasses(state, "BM_IamPattern", g_expected.iam,
            [] { return CountMatcher(*g_iam, g_corpus->size()); });
}

void BM_AllCisPatterns(benchmark::State& state) {
  RunPasses(state, "BM_AllCisPatterns", g_expected.cis,
            [] { return CountPatternSet(*g_cis, g_corpus->size()); });
}

void BM_TermPattern(benchmark::State& state) {
  RunPasses(state, "BM_TermPattern", g_expected.term,
            [] { return CountMatcher(*g_term, g_corpus->size()); });
}

BENCHMARK(BM_ParseOnly)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseOnlyOnDemand)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IamPattern)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AllCisPatterns)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TermPattern)->Unit(benchmark::kMillisecond);

// Console output as usual, plus items/s per benchmark (the median aggregate
// when repetitions are asked for) for the ratios printed at the end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  explicit RatioReporter(OutputOptions options) : ConsoleReporter(options) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name != "median") continue;
      auto it = run.counters.find("items_per_second");
      if (it == run.counters.end()) continue;
      std::string name = run.run_name.function_name;
      if (run.run_type == Run::RT_Aggregate || !has_median_.count(name)) {
        items_per_second_[name] = it->second.value;
        bytes_per_second_[name] =
            run.counters.count("bytes_per_second") ? run.counters.at("bytes_per_second").value : 0;
      }
      if (run.run_type == Run::RT_Aggregate) has_median_[name] = true;
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void PrintRatios() const {
    std::fprintf(stderr, "\n%-22s %14s %10s\n", "benchmark", "events/s", "MB/s");
    for (const auto& [name, items] : items_per_second_) {
      std::fprintf(stderr, "%-22s %14.0f %10.1f\n", name.c_str(), items,
                   bytes_per_second_.at(name) / 1e6);
    }
    PrintRatio("BM_IamPattern", "BM_ParseOnly", 1.0);  // issue 13: the prefilter skips the parse
    PrintRatio("BM_AllCisPatterns", "BM_ParseOnly", 0.25);
    PrintRatio("BM_TermPattern", "BM_ParseOnly", 0);
    PrintRatio("BM_ParseOnlyOnDemand", "BM_ParseOnly", 0);
  }

 private:
  void PrintRatio(const std::string& what, const std::string& base, double target) const {
    auto a = items_per_second_.find(what);
    auto b = items_per_second_.find(base);
    if (a == items_per_second_.end() || b == items_per_second_.end() || b->second <= 0) return;
    double ratio = a->second / b->second;
    if (target > 0) {
      std::fprintf(stderr, "ratio %s / %s = %.3f (target >= %.2f: %s)\n", what.c_str(),
                   base.c_str(), ratio, target, ratio >= target ? "met" : "MISSED");
    } else {
      std::fprintf(stderr, "ratio %s / %s = %.3f\n", what.c_str(), base.c_str(), ratio);
    }
  }

  std::map<std::string, double> items_per_second_;
  std::map<std::string, double> bytes_per_second_;
  std::map<std::string, bool> has_median_;
};

std::size_t EnvSize(const char* name, std::size_t fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  char* end = nullptr;
  unsigned long long parsed = std::strtoull(value, &end, 10);
  if (*end != '\0' || parsed == 0) Die(std::string(name) + " must be a positive integer");
  return static_cast<std::size_t>(parsed);
}

Matcher CompileOrDie(std::string_view text) {
  auto m = Matcher::Compile(text);
  if (!m.ok()) Die("cannot compile " + std::string(text) + ": " + m.error().ToString());
  return std::move(*m);
}

// A reporter passed to RunSpecifiedBenchmarks() does not see
// --benchmark_color, so it is read here, before Initialize() consumes it.
benchmark::ConsoleReporter::OutputOptions ConsoleOptions(int argc, char** argv) {
  bool color = isatty(STDOUT_FILENO) != 0;
  constexpr std::string_view kFlag = "--benchmark_color=";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!arg.starts_with(kFlag)) continue;
    std::string_view value = arg.substr(kFlag.size());
    if (value == "false" || value == "no" || value == "0") color = false;
    if (value == "true" || value == "yes" || value == "1") color = true;
  }
  return color ? benchmark::ConsoleReporter::OO_ColorTabular
               : benchmark::ConsoleReporter::OO_Tabular;
}

}  // namespace

int main(int argc, char** argv) {
  const auto console_options = ConsoleOptions(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  const std::size_t megabytes = EnvSize("TW_BENCH_CORPUS_MB", 300);
  const std::string dir = std::string(TW_SHARED_DIR) + "/data/cloudtrail";
  std::vector<std::string> base = ReadBaseRecords(dir);
  static const Corpus corpus = Generate(base, megabytes * 1000 * 1000);
  g_corpus = &corpus;
  std::fprintf(stderr, "corpus: %zu base records from %s -> %zu events, %.1f MB\n", base.size(),
               dir.c_str(), corpus.size(), corpus.bytes() / 1e6);

  static const Matcher iam = CompileOrDie(tw::testing::kIamPolicyChangePattern);
  static const Matcher term = CompileOrDie(kTermPattern);
  std::vector<std::shared_ptr<const Matcher>> cis;
  for (const tw::testing::CisPattern& p : tw::testing::kCisPatterns) {
    if (p.in_security_hub_set) cis.push_back(std::make_shared<const Matcher>(CompileOrDie(p.text)));
  }
  static const PatternSet cis_set(std::move(cis));
  g_iam = &iam;
  g_term = &term;
  g_cis = &cis_set;

  VerifyOrDie(std::min(corpus.size(), EnvSize("TW_BENCH_VERIFY_EVENTS", 50000)));

  RatioReporter reporter(console_options);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
