#include "common/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace tw {
namespace {

void FillRandom(unsigned char* out, std::size_t size) {
  while (size > 0) {
    ssize_t got = getrandom(out, size, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      // Without the kernel's generator no identifier can be trusted to be
      // unique; there is nothing sensible to fall back to.
      std::perror("trailwatch: getrandom");
      std::abort();
    }
    out += got;
    size -= static_cast<std::size_t>(got);
  }
}

void AppendHex(std::string* out, const unsigned char* bytes, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < size; ++i) {
    out->push_back(kHex[bytes[i] >> 4]);
    out->push_back(kHex[bytes[i] & 0xf]);
  }
}

}  // namespace

std::string NewUuid() {
  unsigned char b[16];
  FillRandom(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  AppendHex(&out, b, 4);
  out += '-';
  AppendHex(&out, b + 4, 2);
  out += '-';
  AppendHex(&out, b + 6, 2);
  out += '-';
  AppendHex(&out, b + 8, 2);
  out += '-';
  AppendHex(&out, b + 10, 6);
  return out;
}

std::string RandomHex(std::size_t bytes) {
  std::vector<unsigned char> b(bytes);
  FillRandom(b.data(), b.size());
  std::string out;
  out.reserve(2 * bytes);
  AppendHex(&out, b.data(), b.size());
  return out;
}

}  // namespace tw
