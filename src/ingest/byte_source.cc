#include "ingest/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>
#include <utility>

namespace tw::ingest {
namespace {

// zlib's own buffer; larger than its 8 KiB default so a plain file is read in
// few system calls.
constexpr unsigned kGzBufferBytes = 128 * 1024;

// zlib prefixes its messages with the path it was given, "<fd:N>" for us;
// the caller's name says it better.
std::string ZlibMessage(const char* message) {
  std::string_view text = message;
  if (text.starts_with("<fd:")) {
    std::size_t colon = text.find(": ");
    if (colon != std::string_view::npos) text.remove_prefix(colon + 2);
  }
  return std::string(text);
}

class GzSource final : public ByteSource {
 public:
  GzSource(gzFile file, std::string name) : file_(file), name_(std::move(name)) {}
  ~GzSource() override { gzclose(file_); }
  GzSource(const GzSource&) = delete;
  GzSource& operator=(const GzSource&) = delete;

  Result<std::size_t> Read(char* buffer, std::size_t capacity) override {
    // gzread takes an unsigned count and returns an int.
    unsigned want = static_cast<unsigned>(std::min<std::size_t>(capacity, INT_MAX));
    int got = gzread(file_, buffer, want);
    int code = Z_OK;
    const char* message = gzerror(file_, &code);
    if (got < 0) {
      if (code == Z_ERRNO) {
        return IoError(name_ + ": read failed: " + std::strerror(errno));
      }
      return DataLoss(name_ + ": corrupt gzip data: " + ZlibMessage(message));
    }
    // zlib reports a truncated gzip stream as a short read plus Z_BUF_ERROR.
    if (got == 0 && code == Z_BUF_ERROR) {
      return DataLoss(name_ + ": truncated gzip data: " + ZlibMessage(message));
    }
    return static_cast<std::size_t>(got);
  }

 private:
  gzFile file_;
  std::string name_;
};

class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}

  Result<std::size_t> Read(char* buffer, std::size_t capacity) override {
    std::size_t n = std::min(capacity, data_.size() - offset_);
    std::memcpy(buffer, data_.data() + offset_, n);
    offset_ += n;
    return n;
  }

 private:
  std::string data_;
  std::size_t offset_ = 0;
};

}  // namespace

Result<std::unique_ptr<ByteSource>> OpenGzSource(const std::string& path, const std::string& name) {
  int fd = -1;
  if (path == "-") {
    fd = dup(STDIN_FILENO);
    if (fd < 0) return IoError(name + ": cannot read standard input: " + std::strerror(errno));
  } else {
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      int error = errno;
      std::string message = name + ": cannot open: " + std::strerror(error);
      if (error == ENOENT) return NotFound(std::move(message));
      return IoError(std::move(message));
    }
    // open() accepts a directory; say so now rather than fail on the first read.
    struct stat info;
    if (fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) {
      close(fd);
      return IoError(name + ": is a directory, not a file");
    }
  }
  gzFile file = gzdopen(fd, "rb");
  if (file == nullptr) {
    close(fd);
    return IoError(name + ": cannot open: out of memory in zlib");
  }
  gzbuffer(file, kGzBufferBytes);
  return std::unique_ptr<ByteSource>(new GzSource(file, name));
}

std::unique_ptr<ByteSource> MakeStringSource(std::string data) {
  return std::make_unique<StringSource>(std::move(data));
}

}  // namespace tw::ingest
