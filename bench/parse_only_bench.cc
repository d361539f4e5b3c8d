// The parse-only baseline as a whole process, for bench/test_pattern_vs_parse_only.sh:
// what `trailwatch test-pattern` would cost if deciding an event took exactly
// one simdjson DOM parse of it.
//
//   parse_only_bench messages FILE   ingest::MessageReader (CloudTrail format, as
//                                    test-pattern --format cloudtrail reads it),
//                                    then each message copied into a padded
//                                    buffer and DOM-parsed, as EventView does
//   parse_only_bench file FILE       the whole file loaded and parsed with
//                                    simdjson's parse_many (NDJSON), one document
//                                    per line: the cost of the parse alone
//
// Prints "<mode>: <documents> documents, <objects> objects" to stdout, so the
// work cannot be skipped and the script can check the event count.

#include <simdjson.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/ingest.h"

namespace {

int Usage() {
  std::fprintf(stderr, "usage: parse_only_bench (messages|file) FILE\n");
  return 2;
}

int ParseMessages(const std::string& path) {
  auto reader = tw::ingest::MessageReader::Open(path, tw::ingest::InputFormat::kCloudTrail);
  if (!reader.ok()) {
    std::fprintf(stderr, "parse_only_bench: %s\n", reader.status().message().c_str());
    return 2;
  }
  simdjson::dom::parser parser;
  std::vector<char> padded;
  std::size_t documents = 0;
  std::size_t objects = 0;
  std::string_view message;
  while ((*reader)->Next(&message)) {
    ++documents;
    std::size_t needed = message.size() + simdjson::SIMDJSON_PADDING;
    if (padded.size() < needed) padded.resize(needed);
    std::memcpy(padded.data(), message.data(), message.size());
    std::memset(padded.data() + message.size(), 0, simdjson::SIMDJSON_PADDING);
    simdjson::dom::element root;
    if (parser.parse(padded.data(), message.size(), false).get(root) == simdjson::SUCCESS) {
      objects += root.is_object();
    }
  }
  if (!(*reader)->status().ok()) {
    std::fprintf(stderr, "parse_only_bench: %s\n", (*reader)->status().message().c_str());
    return 2;
  }
  std::printf("messages: %zu documents, %zu objects\n", documents, objects);
  return 0;
}

int ParseFile(const std::string& path) {
  simdjson::padded_string text;
  if (simdjson::padded_string::load(path).get(text) != simdjson::SUCCESS) {
    std::fprintf(stderr, "parse_only_bench: cannot read %s\n", path.c_str());
    return 2;
  }
  simdjson::dom::parser parser;
  simdjson::dom::document_stream stream;
  if (parser.parse_many(text).get(stream) != simdjson::SUCCESS) {
    std::fprintf(stderr, "parse_only_bench: %s is not NDJSON\n", path.c_str());
    return 2;
  }
  std::size_t documents = 0;
  std::size_t objects = 0;
  for (auto document : stream) {
    simdjson::dom::element root;
    if (document.get(root) != simdjson::SUCCESS) {
      std::fprintf(stderr, "parse_only_bench: invalid JSON in document %zu\n", documents + 1);
      return 2;
    }
    ++documents;
    objects += root.is_object();
  }
  std::printf("file: %zu documents, %zu objects\n", documents, objects);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return Usage();
  const std::string_view mode = argv[1];
  if (mode == "messages") return ParseMessages(argv[2]);
  if (mode == "file") return ParseFile(argv[2]);
  return Usage();
}
