#include "support/cis_patterns.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "ingest/ingest.h"

namespace tw::testing {

Result<std::vector<std::string>> ListCorpusFiles(const std::string& cloudtrail_dir,
                                                 bool include_excluded) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::recursive_directory_iterator it(cloudtrail_dir, ec);
  if (ec) return IoError(cloudtrail_dir + ": " + ec.message());
  std::vector<std::string> files;
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return IoError(cloudtrail_dir + ": " + ec.message());
    if (!it->is_regular_file()) continue;
    std::string relative = fs::relative(it->path(), cloudtrail_dir).generic_string();
    if (!include_excluded && IsExcludedCorpusFile(relative)) continue;
    files.push_back(std::move(relative));
  }
  if (ec) return IoError(cloudtrail_dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

Result<std::vector<CorpusFile>> LoadCorpus(const std::string& cloudtrail_dir) {
  Result<std::vector<std::string>> names = ListCorpusFiles(cloudtrail_dir, false);
  if (!names.ok()) return names.status();
  std::vector<CorpusFile> corpus;
  for (const std::string& relative : *names) {
    auto reader =
        ingest::MessageReader::Open(cloudtrail_dir + "/" + relative, ingest::InputFormat::kAuto);
    if (!reader.ok()) return reader.status();
    CorpusFile file{relative, {}};
    std::string_view message;
    while ((*reader)->Next(&message)) file.messages.emplace_back(message);
    if (!(*reader)->status().ok()) return (*reader)->status();
    corpus.push_back(std::move(file));
  }
  return corpus;
}

}  // namespace tw::testing
