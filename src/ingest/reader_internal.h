// Private to ingest and its tests: MessageReader with its limits exposed and
// with sources other than a file.
//
// Tests shrink the chunk size to 1 byte to put a chunk boundary everywhere,
// and shrink the limits to test them without gigabytes of input; the fuzz
// target reads from memory.

#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "common/status.h"
#include "ingest/ingest.h"

namespace tw::ingest::internal {

struct ReaderOptions {
  // Bytes read from the source at a time.
  std::size_t chunk_bytes = 64 * 1024;
  // Longest line (kLines) or record (kCloudTrail); longer ones are an error,
  // which keeps memory bounded on a file without line breaks.
  std::size_t max_message_bytes = std::size_t{256} << 20;
  // kAuto reads at most this far into a '{' document looking for a
  // "Records" member; past it the input is taken as lines.
  std::size_t max_peek_bytes = std::size_t{64} << 20;
};

// MessageReader::Open with explicit options.
Result<std::unique_ptr<MessageReader>> OpenFile(const std::string& path, InputFormat format,
                                                const ReaderOptions& options);

// Reads `data` as if it were the contents of a file called `name` (which
// matters to kAuto: a name ending in ".gz" means CloudTrail). The bytes are
// used as they are: no gzip decompression.
std::unique_ptr<MessageReader> OpenString(std::string name, std::string data, InputFormat format,
                                          const ReaderOptions& options = {});

}  // namespace tw::ingest::internal
