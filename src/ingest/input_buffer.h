// Private to ingest: a window of bytes over a ByteSource, read a chunk at a
// time, with the absolute offset of every byte (for error positions).
//
// The readers look at [cursor(), limit()), move the cursor with Consume(),
// and call Refill() once the window is used up. Extend() keeps the bytes
// held and appends the next chunk, which is how format detection peeks
// ahead and then lets the chosen reader replay what it saw.
//
// Thread safety: none.

#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "common/status.h"
#include "ingest/byte_source.h"

namespace tw::ingest {

class InputBuffer {
 public:
  InputBuffer(std::unique_ptr<ByteSource> source, std::size_t chunk_bytes)
      : source_(std::move(source)), chunk_bytes_(chunk_bytes == 0 ? 1 : chunk_bytes) {}

  const char* cursor() const { return buffer_.data() + pos_; }
  const char* limit() const { return buffer_.data() + size_; }
  // Moves the cursor to `p`, which lies in [cursor(), limit()].
  void Consume(const char* p) { pos_ = static_cast<std::size_t>(p - buffer_.data()); }
  // Bytes held from the cursor on.
  std::size_t available() const { return size_ - pos_; }

  // Absolute offset in the input of the byte at `p` (a pointer into the window).
  std::uint64_t OffsetOf(const char* p) const {
    return base_ + static_cast<std::uint64_t>(p - buffer_.data());
  }

  // Drops everything held and reads the next chunk. Returns false at the end
  // of the input or on an error; status() tells which.
  bool Refill() {
    base_ += size_;
    pos_ = size_ = 0;
    // A long peek may have grown the window; give that memory back.
    if (buffer_.size() > 4 * chunk_bytes_) std::string().swap(buffer_);
    if (buffer_.size() < chunk_bytes_) buffer_.resize(chunk_bytes_);
    return ReadInto(0);
  }

  // Keeps what is held and appends the next chunk. Returns false at the end
  // of the input or on an error.
  bool Extend() {
    if (buffer_.size() < size_ + chunk_bytes_) buffer_.resize(size_ + chunk_bytes_);
    return ReadInto(size_);
  }

  bool at_end() const { return at_end_; }
  const Status& status() const { return status_; }

 private:
  bool ReadInto(std::size_t at) {
    if (at_end_ || !status_.ok()) return false;
    Result<std::size_t> got = source_->Read(buffer_.data() + at, buffer_.size() - at);
    if (!got.ok()) {
      status_ = got.status();
      return false;
    }
    if (*got == 0) {
      at_end_ = true;
      return false;
    }
    size_ = at + *got;
    return true;
  }

  std::unique_ptr<ByteSource> source_;
  std::size_t chunk_bytes_;
  std::string buffer_;
  std::size_t pos_ = 0;     // cursor
  std::size_t size_ = 0;    // bytes held in buffer_
  std::uint64_t base_ = 0;  // absolute offset of buffer_[0]
  bool at_end_ = false;
  Status status_;
};

}  // namespace tw::ingest
