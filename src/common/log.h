// One line per event on standard error, with a UTC timestamp and a level:
//   2024-03-01T12:00:00.123Z info  listening on http://127.0.0.1:4566
// Thread-safe: each line is written with one call, under a mutex.

#pragma once

#include <string_view>

namespace tw {

enum class LogLevel { kInfo, kWarning, kError };

void Log(LogLevel level, std::string_view message);
inline void LogInfo(std::string_view message) { Log(LogLevel::kInfo, message); }
inline void LogWarning(std::string_view message) { Log(LogLevel::kWarning, message); }
inline void LogError(std::string_view message) { Log(LogLevel::kError, message); }

}  // namespace tw
