#include "common/log.h"

#include <cstdio>
#include <mutex>
#include <string>

#include "common/time.h"

namespace tw {

void Log(LogLevel level, std::string_view message) {
  static std::mutex mutex;
  const char* name = level == LogLevel::kInfo      ? "info "
                     : level == LogLevel::kWarning ? "warn "
                                                   : "error";
  std::string line = FormatIso8601Millis(SystemClock().Now()) + " " + name + " ";
  line.append(message);
  line.push_back('\n');
  std::lock_guard<std::mutex> lock(mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace tw
