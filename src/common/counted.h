// A count with its noun, as people read it: Counted(1, "file") is "1 file",
// Counted(3, "file") is "3 files" (English plurals by "s" only).

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tw {

inline std::string Counted(std::int64_t count, std::string_view noun) {
  std::string out = std::to_string(count);
  out.push_back(' ');
  out.append(noun);
  if (count != 1) out.push_back('s');
  return out;
}

}  // namespace tw
