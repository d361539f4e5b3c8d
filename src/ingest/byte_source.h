// Private to ingest: where the bytes of one input come from.
//
// A ByteSource hands out the (decompressed) bytes of one file in order. The
// readers never see zlib or file descriptors; tests and the fuzz target feed
// them from memory instead.
//
// Thread safety: none.

#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "common/status.h"

namespace tw::ingest {

class ByteSource {
 public:
  virtual ~ByteSource() = default;

  // Copies up to `capacity` bytes into `buffer`. Returns the number copied,
  // 0 only at the end of the input, or kIo / kDataLoss (a corrupt or
  // truncated gzip stream). Blocks until `capacity` bytes or the end are
  // available, so a short read means the end is near.
  virtual Result<std::size_t> Read(char* buffer, std::size_t capacity) = 0;
};

// Opens `path` through zlib, which reads gzip and plain files alike ("-" is
// standard input, duplicated so that closing the source leaves fd 0 open).
// `name` is used in error messages. Fails with kNotFound when the file does
// not exist and kIo when it cannot be read (a directory, no permission).
Result<std::unique_ptr<ByteSource>> OpenGzSource(const std::string& path, const std::string& name);

// Serves the bytes of `data` as they are (no decompression).
std::unique_ptr<ByteSource> MakeStringSource(std::string data);

}  // namespace tw::ingest
