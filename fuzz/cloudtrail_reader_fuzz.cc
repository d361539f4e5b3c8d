// libFuzzer target for ingest::MessageReader: arbitrary bytes in every
// format must give messages or an error, never a crash, a hang or a bad
// message.
//
// The first input byte is a control byte:
//   bits 0-1  format (auto, lines, cloudtrail; 3 wraps to cloudtrail)
//   bits 2-5  chunk size, so that chunk boundaries land everywhere
//   bit 6     read through zlib from a memfd (gzip or plain), not from memory
//   bit 7     name the input *.gz (auto then means cloudtrail)
// Invariants checked on every message, and between a small-chunk read and
// a one-chunk read of the same bytes (which must agree exactly).

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/ingest.h"
#include "ingest/reader_internal.h"
#include "support/compact_json.h"

namespace {

using tw::ingest::InputFormat;
using tw::ingest::MessageReader;
using tw::ingest::internal::ReaderOptions;

constexpr std::size_t kMaxMessage = 1 << 16;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

bool IsCompactJsonObject(std::string_view m) {
  return m.size() >= 2 && m.front() == '{' && m.back() == '}' && tw::testing::IsCompactJson(m);
}

struct Outcome {
  std::vector<std::string> messages;
  std::string error;
  bool over_limit = false;  // a line or record too large
  InputFormat format = InputFormat::kAuto;
};

Outcome Drain(MessageReader& reader) {
  Outcome outcome;
  std::string_view message;
  while (reader.Next(&message)) {
    Check(!message.empty());
    Check(message.size() <= kMaxMessage);
    if (reader.format() == InputFormat::kCloudTrail) {
      Check(IsCompactJsonObject(message));
    } else {
      Check(reader.format() == InputFormat::kLines);
      Check(message.find('\n') == std::string_view::npos);
    }
    outcome.messages.emplace_back(message);
  }
  Check(!reader.Next(&message));  // stays finished
  if (!reader.status().ok()) {
    outcome.error = reader.status().ToString();
    outcome.over_limit = reader.status().code() == tw::StatusCode::kResourceExhausted;
    Check(!reader.status().message().empty());
  }
  outcome.format = reader.format();
  return outcome;
}

std::unique_ptr<MessageReader> OpenViaMemfd(std::string_view bytes, InputFormat format,
                                            const ReaderOptions& options) {
  int fd = memfd_create("cloudtrail_reader_fuzz", MFD_CLOEXEC);
  if (fd < 0) return nullptr;
  if (write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    close(fd);
    return nullptr;
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  auto reader = tw::ingest::internal::OpenFile(path, format, options);
  close(fd);  // the reader holds its own descriptor
  return reader.ok() ? std::move(*reader) : nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t control = data[0];
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  static constexpr InputFormat kFormats[] = {InputFormat::kAuto, InputFormat::kLines,
                                             InputFormat::kCloudTrail, InputFormat::kCloudTrail};
  const InputFormat format = kFormats[control & 3];
  const bool via_zlib = (control & 0x40) != 0;
  const std::string name = (control & 0x80) ? "fuzz.json.gz" : "fuzz.json";

  ReaderOptions small;
  small.chunk_bytes = 1 + ((control >> 2) & 0xF);
  small.max_message_bytes = kMaxMessage;
  small.max_peek_bytes = 4096;
  ReaderOptions whole = small;
  whole.chunk_bytes = size + 1;

  if (via_zlib) {
    // The name is the /proc path, so only the content decides; just check
    // that zlib's view of arbitrary bytes (gzip or not) never breaks us.
    std::unique_ptr<MessageReader> reader = OpenViaMemfd(bytes, format, small);
    if (reader) Drain(*reader);
    return 0;
  }
  auto small_reader = tw::ingest::internal::OpenString(name, std::string(bytes), format, small);
  auto whole_reader = tw::ingest::internal::OpenString(name, std::string(bytes), format, whole);
  Outcome a = Drain(*small_reader);
  Outcome b = Drain(*whole_reader);
  Check(a.format == b.format);
  Check(a.messages == b.messages);
  // Chunking must change nothing: same format, messages and errors. Only a
  // line or record over the limit may be reported differently, as it is
  // noticed at a chunk boundary.
  if (!a.over_limit && !b.over_limit) {
    Check(a.error == b.error);
  }
  return 0;
}
