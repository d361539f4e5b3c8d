#include "pattern/prefilter.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "pattern/program.h"

namespace tw::pattern {
namespace {

// Occurrences per 1000 bytes of compact CloudTrail JSON (the 3,740 records of
// shared/data/cloudtrail), for ' ' (0x20) .. '~' (0x7e). Other bytes are rare
// there. Only the search's speed depends on these numbers, never its answer.
constexpr std::array<std::uint8_t, 95> kPrintableFrequency = {
    9,  0,  95, 0, 0,  0, 0, 0, 1,  1,  0,  1, 23, 25, 15, 8,  18, 23, 23, 17, 10, 8, 8, 14,
    11, 10, 38, 1, 0,  0, 0, 0, 0,  13, 2,  7, 6,  5,  2,  2,  4,  12, 1,  2,  2,  3, 5, 2,
    4,  2,  5,  8, 6,  2, 3, 1, 1,  1,  2,  1, 1,  1,  0,  2,  0,  48, 8,  23, 20, 82, 8, 8,
    5,  24, 2,  2, 14, 18, 35, 26, 13, 2, 44, 43, 46, 19, 10, 9,  2,  7,  3,  5,  0,  5,  0};

// A memchr pass over a kilobyte costs about as much as this many anchor hits.
constexpr double kPassCost = 4;
// The conjunction keeps its cheapest sets; more would cost scans on the
// events that contain them all, for little extra rejection.
constexpr std::size_t kMaxSets = 3;
constexpr std::size_t kMaxWindow = 8;

double Frequency(unsigned char c) {
  return c >= 0x20 && c < 0x7f ? kPrintableFrequency[c - 0x20] : 0;
}

std::uint64_t LoadWindow(const char* bytes, std::size_t size) {
  std::uint64_t window = 0;
  if (size == kMaxWindow) {
    std::memcpy(&window, bytes, kMaxWindow);
  } else {
    std::memcpy(&window, bytes, size);
  }
  return window;
}

struct AnchorPlan {
  unsigned char byte = 0;
  std::vector<std::size_t> literals;
};

// Greedy set cover: repeatedly the byte that anchors the most literals not yet
// anchored, per unit of expected work (one pass plus its hits).
std::vector<AnchorPlan> PlanAnchors(const std::vector<std::string>& literals) {
  std::vector<std::array<bool, 256>> contains(literals.size());
  for (std::size_t i = 0; i < literals.size(); ++i) {
    contains[i].fill(false);
    for (char c : literals[i]) contains[i][static_cast<unsigned char>(c)] = true;
  }
  std::vector<bool> anchored(literals.size(), false);
  std::size_t left = literals.size();
  std::vector<AnchorPlan> plan;
  while (left > 0) {
    int best = -1;
    double best_score = 0;
    for (int b = 0; b < 256; ++b) {
      std::size_t count = 0;
      for (std::size_t i = 0; i < literals.size(); ++i) count += !anchored[i] && contains[i][b];
      double score = static_cast<double>(count) / (kPassCost + Frequency(static_cast<unsigned char>(b)));
      if (count > 0 && score > best_score) {
        best = b;
        best_score = score;
      }
    }
    AnchorPlan anchor;
    anchor.byte = static_cast<unsigned char>(best);
    for (std::size_t i = 0; i < literals.size(); ++i) {
      if (anchored[i] || !contains[i][anchor.byte]) continue;
      anchored[i] = true;
      --left;
      anchor.literals.push_back(i);
    }
    plan.push_back(std::move(anchor));
  }
  return plan;
}

double PlanCost(const std::vector<AnchorPlan>& plan) {
  double cost = 0;
  for (const AnchorPlan& anchor : plan) cost += kPassCost + Frequency(anchor.byte);
  return cost;
}

// ------------------------------------------------------------ derivation --

bool IsNumberRenderingChar(char c) {
  return (c >= '0' && c <= '9') || std::string_view("+-.eEinfa").find(c) != std::string_view::npos;
}

// The bytes a value satisfying `kind`/`text` under `=` must put in the
// message, or nullopt when it could be written in more than one way.
std::optional<std::string> LiteralFor(Op op, ValueTest::Kind kind, std::string_view text) {
  if (op != Op::kEq || text.empty()) return std::nullopt;
  bool leading = kind == ValueTest::Kind::kSuffix || kind == ValueTest::Kind::kContains;
  bool trailing = kind == ValueTest::Kind::kPrefix || kind == ValueTest::Kind::kContains;
  if (kind != ValueTest::Kind::kExact && !leading && !trailing) return std::nullopt;
  for (char c : text) {
    if (c == '"' || c == '\\' || c == '/' || static_cast<unsigned char>(c) < 0x20) {
      return std::nullopt;
    }
  }
  // A number's text is its rendering, not its JSON token ("4.01e2" is "401").
  if (std::all_of(text.begin(), text.end(), IsNumberRenderingChar)) return std::nullopt;
  // A boolean's text is its token, which has no quotes.
  bool boolean_text = false;
  for (std::string_view word : {std::string_view("true"), std::string_view("false")}) {
    boolean_text = boolean_text || (kind == ValueTest::Kind::kExact && word == text) ||
                   (kind == ValueTest::Kind::kPrefix && word.starts_with(text)) ||
                   (kind == ValueTest::Kind::kSuffix && word.ends_with(text));
  }
  std::string literal;
  if (!leading && !boolean_text) literal += '"';
  literal += text;
  if (!trailing && !boolean_text) literal += '"';
  return literal;
}

// Each inner list: at least one of these literals occurs. Empty: no condition.
using Conjunction = std::vector<std::vector<std::string>>;

Conjunction Derive(const Program& program, const CompiledExpr& expr) {
  switch (expr.kind) {
    case CompiledExpr::Kind::kCondition: {
      const CompiledCondition& c = program.conditions[expr.condition];
      std::optional<std::string> literal = LiteralFor(c.op, c.test.kind, c.test.text);
      if (!literal) return {};
      return {{std::move(*literal)}};
    }
    case CompiledExpr::Kind::kAnyOf: {
      std::vector<std::string> any;
      for (const std::string& text : expr.sorted_texts) {
        std::optional<std::string> literal = LiteralFor(Op::kEq, ValueTest::Kind::kExact, text);
        if (!literal) return {};
        any.push_back(std::move(*literal));
      }
      return {std::move(any)};
    }
    case CompiledExpr::Kind::kAnd: {
      Conjunction all;
      for (const CompiledExpr& child : expr.children) {
        for (std::vector<std::string>& set : Derive(program, child)) all.push_back(std::move(set));
      }
      return all;
    }
    case CompiledExpr::Kind::kOr: {
      std::vector<std::string> any;
      for (const CompiledExpr& child : expr.children) {
        Conjunction sets = Derive(program, child);
        if (sets.empty()) return {};
        // One set of the child suffices; the cheapest keeps the merged set cheap.
        auto cheapest = std::min_element(
            sets.begin(), sets.end(), [](const auto& a, const auto& b) {
              return LiteralSet(a).cost() < LiteralSet(b).cost();
            });
        any.insert(any.end(), cheapest->begin(), cheapest->end());
      }
      return {std::move(any)};
    }
  }
  return {};
}

}  // namespace

LiteralSet::LiteralSet(std::vector<std::string> literals) {
  std::sort(literals.begin(), literals.end());
  literals.erase(std::unique(literals.begin(), literals.end()), literals.end());
  for (const std::string& literal : literals) {
    bool redundant = std::any_of(literals.begin(), literals.end(), [&](const std::string& other) {
      return other.size() < literal.size() && literal.find(other) != std::string::npos;
    });
    if (!redundant) literals_.push_back(literal);
  }
  std::vector<AnchorPlan> plan = PlanAnchors(literals_);
  cost_ = PlanCost(plan);
  for (const AnchorPlan& anchor_plan : plan) {
    Anchor anchor;
    anchor.byte = anchor_plan.byte;
    // Each literal may use any occurrence of the anchor byte and a window at
    // its start or its end. Literals whose windows sit at the same place
    // relative to the anchor hit share one load, so greedily pick the places
    // most literals can share.
    struct Placement {
      std::int32_t window;  // relative to the anchor hit
      std::int32_t start;   // of the literal, relative to the anchor hit
    };
    const std::size_t count = anchor_plan.literals.size();
    std::vector<std::vector<Placement>> options(count);
    std::vector<std::uint32_t> window_sizes(count);
    for (std::size_t j = 0; j < count; ++j) {
      const std::string& literal = literals_[anchor_plan.literals[j]];
      window_sizes[j] = static_cast<std::uint32_t>(std::min(literal.size(), kMaxWindow));
      auto tail = static_cast<std::int32_t>(literal.size() - window_sizes[j]);
      for (std::size_t k = 0; k < literal.size(); ++k) {
        if (static_cast<unsigned char>(literal[k]) != anchor.byte) continue;
        auto start = -static_cast<std::int32_t>(k);
        options[j].push_back({start, start});
        if (tail > 0) options[j].push_back({start + tail, start});
      }
    }
    auto find_option = [&](std::size_t j, std::int32_t window,
                           std::uint32_t size) -> const Placement* {
      if (window_sizes[j] != size) return nullptr;
      for (const Placement& option : options[j]) {
        if (option.window == window) return &option;
      }
      return nullptr;
    };
    std::vector<bool> placed(count, false);
    std::size_t left = count;
    while (left > 0) {
      std::int32_t best_window = 0;
      std::uint32_t best_size = 0;
      std::size_t best_count = 0;
      for (std::size_t j = 0; j < count; ++j) {
        if (placed[j]) continue;
        for (const Placement& option : options[j]) {
          std::size_t sharing = 0;
          for (std::size_t m = 0; m < count; ++m) {
            sharing += !placed[m] && find_option(m, option.window, window_sizes[j]) != nullptr;
          }
          if (sharing > best_count) {
            best_window = option.window;
            best_size = window_sizes[j];
            best_count = sharing;
          }
        }
      }
      Group group;
      group.window = best_window;
      group.window_size = best_size;
      for (std::size_t m = 0; m < count; ++m) {
        const Placement* option = placed[m] ? nullptr : find_option(m, best_window, best_size);
        if (option == nullptr) continue;
        const std::string& literal = literals_[anchor_plan.literals[m]];
        group.candidates.push_back(
            {LoadWindow(literal.data() + (option->window - option->start), best_size),
             static_cast<std::uint32_t>(anchor_plan.literals[m]), option->start});
        placed[m] = true;
        --left;
      }
      anchor.groups.push_back(std::move(group));
    }
    anchors_.push_back(std::move(anchor));
  }
}

bool LiteralSet::FoundIn(std::string_view text) const {
  const std::size_t size = text.size();
  if (size == 0) return false;
  const char* data = text.data();
  const char* end = data + size;
  for (const Anchor& anchor : anchors_) {
    const char* from = data;
    while (from < end) {
      const void* found = std::memchr(from, anchor.byte, static_cast<std::size_t>(end - from));
      if (found == nullptr) break;
      const char* hit = static_cast<const char*>(found);
      const auto at = static_cast<std::ptrdiff_t>(hit - data);
      for (const Group& group : anchor.groups) {
        std::ptrdiff_t window = at + group.window;
        if (window < 0 || static_cast<std::size_t>(window) + group.window_size > size) continue;
        std::uint64_t bytes = LoadWindow(data + window, group.window_size);
        for (const Candidate& candidate : group.candidates) {
          if (candidate.window != bytes) continue;
          const std::string& literal = literals_[candidate.literal];
          std::ptrdiff_t start = at + candidate.start;
          if (start >= 0 && static_cast<std::size_t>(start) + literal.size() <= size &&
              std::memcmp(data + start, literal.data(), literal.size()) == 0) {
            return true;
          }
        }
      }
      from = hit + 1;
    }
  }
  return false;
}

Prefilter::Prefilter(std::vector<LiteralSet> all_of) : all_of_(std::move(all_of)) {}

bool Prefilter::MayMatch(event::EventView& event) const {
  for (const LiteralSet& set : all_of_) {
    if (!set.FoundIn(event.message())) return event.HasUnicodeEscape();
  }
  return true;
}

std::string Prefilter::ToString() const {
  std::string out;
  for (const LiteralSet& set : all_of_) {
    if (!out.empty()) out += " && ";
    out += "any{";
    for (std::size_t i = 0; i < set.literals().size(); ++i) {
      if (i > 0) out += ' ';
      out += '`' + set.literals()[i] + '`';
    }
    out += '}';
  }
  return out;
}

std::optional<Prefilter> DerivePrefilter(const Program& program) {
  if (program.ast.kind != PatternKind::kJson) return std::nullopt;
  Conjunction conjunction = Derive(program, program.root);
  std::vector<LiteralSet> sets;
  for (std::vector<std::string>& literals : conjunction) {
    LiteralSet set(std::move(literals));
    if (set.cost() > kMaxScanCost) continue;
    bool duplicate = std::any_of(sets.begin(), sets.end(), [&](const LiteralSet& other) {
      return other.literals() == set.literals();
    });
    if (!duplicate) sets.push_back(std::move(set));
  }
  if (sets.empty()) return std::nullopt;
  std::stable_sort(sets.begin(), sets.end(), [](const LiteralSet& a, const LiteralSet& b) {
    return a.cost() < b.cost();
  });
  if (sets.size() > kMaxSets) sets.erase(sets.begin() + kMaxSets, sets.end());
  return Prefilter(std::move(sets));
}

}  // namespace tw::pattern
