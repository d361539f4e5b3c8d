// An exclusive lock on a data directory, so that two trailwatch processes
// never deliver from or write to the same store at once. The lock is an
// flock() on <dir>/lock: the kernel releases it when the process ends, even
// by SIGKILL, so a crash never leaves a stale lock behind.

#pragma once

#include <string>

#include "common/status.h"

namespace tw::store {

class DirectoryLock {
 public:
  // Creates `dir` (and its parents) if needed and locks it. kUnavailable
  // when another process holds the lock ("data directory X is in use by
  // another trailwatch process (pid N)"), kIo when it cannot be created.
  static Result<DirectoryLock> Acquire(const std::string& dir);

  DirectoryLock(DirectoryLock&& other) noexcept;
  DirectoryLock& operator=(DirectoryLock&&) = delete;
  ~DirectoryLock();

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_;  // -1 once moved from
};

}  // namespace tw::store
