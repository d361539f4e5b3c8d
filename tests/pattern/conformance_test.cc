// Conformance table: runs every case file in tests/pattern/cases/*.txt against the
// pattern engine (Matcher::Compile / Matches / Extract).
//
// Case file format (one record per pattern):
//
//   # comment lines start with '#'; blank lines are ignored
//   pattern: { $.eventType = "UpdateTrail" }
//   event: {"eventType":"UpdateTrail"}
//   match: yes
//   extracted: {"$.eventType":"UpdateTrail"}   (optional; compared as a set of pairs)
//   event: {"eventType":"CreateTrail"}
//   match: no
//   ---
//   pattern: { $.a = (
//   error: column 10                            (must fail to compile at this column)
//   error-contains: regex                       (optional; substring of message or hint)
//   ---
//
// Keys: pattern | pattern-json, option, event | event-json, match, extracted, error,
// error-contains, and '---' to end a record. Values are taken literally to the end of the
// line (only the single space after the colon and a trailing '\r' are removed); the -json
// forms take a JSON string literal, for leading/trailing whitespace and control characters.
// `match`, `error` and `option` values may carry a trailing "# comment"; `extracted` may be
// followed by one too (after the JSON object).
// Options: strict-delimited (DelimitedAlignment::kStrict), scan-json
// (event::JsonMode::kScanFromFirstBrace).
//
// Each failing expectation is reported at its file:line.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "event/event_view.h"
#include "pattern/pattern.h"

namespace tw::pattern {
namespace {

namespace fs = std::filesystem;

fs::path CasesDir() { return fs::path(TW_SOURCE_DIR) / "tests" / "pattern" / "cases"; }

struct EventExpectation {
  int line = 0;  // line of the `event:` key
  std::string message;
  std::optional<bool> match;
  int match_line = 0;
  std::optional<nlohmann::json> extracted;  // a JSON object of strings
  int extracted_line = 0;
};

struct Case {
  std::string file;
  int line = 0;  // line of the `pattern:` key
  std::string pattern;
  bool strict_delimited = false;
  bool scan_json = false;
  std::vector<EventExpectation> events;
  bool expect_error = false;
  int error_line = 0;
  std::optional<int> error_column;
  std::vector<std::pair<int, std::string>> error_contains;  // (line, text)
};

struct ParsedFile {
  std::vector<Case> cases;
  std::vector<std::pair<int, std::string>> problems;  // malformed input, by line
};

std::string Trim(const std::string& s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

// Drops a trailing "# comment" (preceded by whitespace) and trims.
std::string StripComment(const std::string& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) return Trim(s.substr(0, i));
  }
  return Trim(s);
}

// Decodes a JSON string literal; nullopt when it is not one.
std::optional<std::string> DecodeJsonString(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(Trim(text));
    if (!j.is_string()) return std::nullopt;
    return j.get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

// Parses a JSON value followed by optional whitespace and an optional "# comment".
std::optional<nlohmann::json> ParseJsonWithComment(const std::string& text) {
  std::istringstream in(text);
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  std::string rest;
  std::getline(in, rest, '\0');
  rest = Trim(rest);
  if (!rest.empty() && rest[0] != '#') return std::nullopt;
  return j;
}

ParsedFile ParseCaseFile(const fs::path& path) {
  ParsedFile out;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.problems.emplace_back(0, "cannot open file");
    return out;
  }
  const std::string file = path.filename().string();
  std::optional<Case> current;
  auto problem = [&](int line, std::string what) {
    out.problems.emplace_back(line, std::move(what));
  };
  auto finish = [&]() {
    if (!current) return;
    Case& c = *current;
    if (c.expect_error && !c.events.empty())
      problem(c.line, "record has both error: and event: lines");
    if (!c.expect_error && c.events.empty())
      problem(c.line, "record has neither error: nor event: lines");
    if (!c.expect_error && !c.error_contains.empty())
      problem(c.line, "error-contains: without error:");
    for (const auto& e : c.events) {
      if (!e.match) problem(e.line, "event: without a match: line");
    }
    out.cases.push_back(std::move(c));
    current.reset();
  };

  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    if (raw.empty() || Trim(raw).empty()) continue;
    if (raw[0] == '#') continue;
    if (Trim(raw) == "---") {
      if (!current) problem(line_no, "'---' without a record");
      finish();
      continue;
    }
    auto colon = raw.find(':');
    if (colon == std::string::npos) {
      problem(line_no, "not a 'key: value' line: " + raw);
      continue;
    }
    const std::string key = raw.substr(0, colon);
    std::string value = raw.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);

    if (key == "pattern" || key == "pattern-json") {
      if (current) {
        problem(line_no, "new pattern: before '---' ends the previous record (line " +
                             std::to_string(current->line) + ")");
        finish();
      }
      current.emplace();
      current->file = file;
      current->line = line_no;
      if (key == "pattern") {
        current->pattern = value;
      } else {
        auto decoded = DecodeJsonString(value);
        if (!decoded) problem(line_no, "pattern-json: value is not a JSON string literal");
        current->pattern = decoded.value_or("");
      }
      continue;
    }
    if (!current) {
      problem(line_no, "'" + key + ":' outside a record (missing pattern:)");
      continue;
    }
    Case& c = *current;
    if (key == "option") {
      const std::string opt = StripComment(value);
      if (opt == "strict-delimited") {
        c.strict_delimited = true;
      } else if (opt == "scan-json") {
        c.scan_json = true;
      } else {
        problem(line_no, "unknown option: " + opt);
      }
    } else if (key == "event" || key == "event-json") {
      EventExpectation e;
      e.line = line_no;
      if (key == "event") {
        e.message = value;
      } else {
        auto decoded = DecodeJsonString(value);
        if (!decoded) problem(line_no, "event-json: value is not a JSON string literal");
        e.message = decoded.value_or("");
      }
      if (!c.events.empty() && !c.events.back().match)
        problem(c.events.back().line, "event: without a match: line");
      c.events.push_back(std::move(e));
    } else if (key == "match") {
      if (c.events.empty()) {
        problem(line_no, "match: without a preceding event:");
        continue;
      }
      auto& e = c.events.back();
      if (e.match) problem(line_no, "second match: for the same event:");
      const std::string v = StripComment(value);
      if (v == "yes") {
        e.match = true;
      } else if (v == "no") {
        e.match = false;
      } else {
        problem(line_no, "match: must be yes or no, got '" + v + "'");
      }
      e.match_line = line_no;
    } else if (key == "extracted") {
      if (c.events.empty() || !c.events.back().match) {
        problem(line_no, "extracted: must follow an event:/match: pair");
        continue;
      }
      auto& e = c.events.back();
      auto j = ParseJsonWithComment(value);
      if (!j || !j->is_object()) {
        problem(line_no, "extracted: value is not a JSON object");
        continue;
      }
      e.extracted = std::move(*j);
      e.extracted_line = line_no;
    } else if (key == "error") {
      c.expect_error = true;
      c.error_line = line_no;
      const std::string v = StripComment(value);
      if (v.rfind("column ", 0) == 0) {
        try {
          c.error_column = std::stoi(v.substr(7));
        } catch (...) {
          problem(line_no, "error: expects 'column N'");
        }
      } else if (v != "yes") {
        problem(line_no, "error: expects 'column N' or 'yes'");
      }
    } else if (key == "error-contains") {
      c.error_contains.emplace_back(line_no, value);
    } else {
      problem(line_no, "unknown key '" + key + "'");
    }
  }
  if (current) {
    problem(current->line, "record not terminated by '---'");
    finish();
  }
  return out;
}

std::vector<std::string> CaseFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(CasesDir(), ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".txt") {
      files.push_back(entry.path().filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string Quote(const std::string& s) { return nlohmann::json(s).dump(); }

std::string ToJson(const ExtractedValues& values) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& [k, v] : values) j.push_back({k, v});
  return j.dump();
}

std::string ValueText(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// Runs one case; every failure is reported at the file:line of the expectation.
void RunCase(const Case& c, const std::string& path, int* checks) {
  CompileOptions options;
  if (c.strict_delimited) options.alignment = DelimitedAlignment::kStrict;
  auto compiled = Matcher::Compile(c.pattern, options);

  if (c.expect_error) {
    ++*checks;
    if (compiled.ok()) {
      ADD_FAILURE_AT(path.c_str(), c.error_line)
          << "pattern " << Quote(c.pattern) << "\n  expected: compile error"
          << (c.error_column ? " at column " + std::to_string(*c.error_column) : std::string())
          << "\n  got:      compiled OK (kind " << static_cast<int>(compiled->kind()) << ", AST "
          << ToString(compiled->ast()) << ")";
      return;
    }
    const PatternError& err = compiled.error();
    if (c.error_column && err.column != *c.error_column) {
      ADD_FAILURE_AT(path.c_str(), c.error_line)
          << "pattern " << Quote(c.pattern) << "\n  expected: error at column " << *c.error_column
          << "\n  got:      error at column " << err.column << ": " << err.ToString();
    }
    const std::string text = err.message + "\n" + err.hint;
    for (const auto& [line, needle] : c.error_contains) {
      if (text.find(needle) == std::string::npos) {
        ADD_FAILURE_AT(path.c_str(), line)
            << "pattern " << Quote(c.pattern) << "\n  expected: error message/hint containing "
            << Quote(needle) << "\n  got:      message " << Quote(err.message) << ", hint "
            << Quote(err.hint);
      }
    }
    return;
  }

  if (!compiled.ok()) {
    ++*checks;
    ADD_FAILURE_AT(path.c_str(), c.line)
        << "pattern " << Quote(c.pattern)
        << "\n  expected: compiles\n  got:      " << compiled.error().ToString();
    return;
  }
  const Matcher& matcher = *compiled;
  event::EventView view(c.scan_json ? event::JsonMode::kScanFromFirstBrace
                                    : event::JsonMode::kStrict);
  for (const auto& e : c.events) {
    if (!e.match) continue;
    ++*checks;
    view.Reset(e.message);
    const bool got = matcher.Matches(view);
    if (got != *e.match) {
      ADD_FAILURE_AT(path.c_str(), e.match_line)
          << "pattern " << Quote(c.pattern) << "\n  event    " << Quote(e.message)
          << "\n  expected: match " << (*e.match ? "yes" : "no") << "\n  got:      match "
          << (got ? "yes" : "no");
      continue;
    }
    if (!e.extracted || !got) continue;
    ++*checks;
    const ExtractedValues values = matcher.Extract(view);
    std::set<std::pair<std::string, std::string>> want;
    for (const auto& [k, v] : e.extracted->items()) want.emplace(k, ValueText(v));
    std::set<std::pair<std::string, std::string>> have(values.begin(), values.end());
    const bool duplicates = have.size() != values.size();
    if (want != have || duplicates) {
      std::ostringstream diff;
      for (const auto& p : want) {
        if (!have.count(p)) diff << "\n    missing: " << Quote(p.first) << ": " << Quote(p.second);
      }
      for (const auto& p : have) {
        if (!want.count(p)) diff << "\n    extra:   " << Quote(p.first) << ": " << Quote(p.second);
      }
      if (duplicates) diff << "\n    (Extract returned duplicate pairs)";
      ADD_FAILURE_AT(path.c_str(), e.extracted_line)
          << "pattern " << Quote(c.pattern) << "\n  event    " << Quote(e.message)
          << "\n  expected: extracted " << e.extracted->dump() << "\n  got:      extracted "
          << ToJson(values) << diff.str();
    }
  }
}

class ConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ConformanceTest, CaseFile) {
  const fs::path path = CasesDir() / GetParam();
  const std::string shown = path.string();
  ParsedFile parsed = ParseCaseFile(path);
  for (const auto& [line, what] : parsed.problems) {
    ADD_FAILURE_AT(shown.c_str(), line) << "malformed case file: " << what;
  }
  ASSERT_FALSE(parsed.cases.empty()) << shown << " holds no cases";
  int checks = 0;
  for (const Case& c : parsed.cases) RunCase(c, shown, &checks);
  std::size_t events = 0;
  for (const Case& c : parsed.cases) events += c.events.size();
  RecordProperty("cases", static_cast<int>(parsed.cases.size()));
  RecordProperty("checks", checks);
  std::printf("[ conformance ] %s: %zu cases, %zu events, %d checks\n", GetParam().c_str(),
              parsed.cases.size(), events, checks);
}

std::string FileTestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  if (auto dot = name.rfind('.'); dot != std::string::npos) name.erase(dot);
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Cases, ConformanceTest, ::testing::ValuesIn(CaseFiles()), FileTestName);

// Guards against the glob silently finding nothing (e.g. a wrong TW_SOURCE_DIR).
TEST(ConformanceFiles, CaseDirectoryIsPopulated) {
  EXPECT_GE(CaseFiles().size(), 5u) << "no case files under " << CasesDir();
}

}  // namespace
}  // namespace tw::pattern
