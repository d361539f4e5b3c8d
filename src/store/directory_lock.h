// An exclusive lock on a data directory, so that two trailwatch processes
// never deliver from or write to the same store at once. The lock is an
// flock() on <dir>/lock: the kernel releases it when the process ends, even
// by SIGKILL, so a crash never leaves a stale lock behind. Before locking,
// the directory is made private (store/data_directory.h).

#pragma once

#include <string>
#include <utility>

#include "common/status.h"

namespace tw::store {

class DirectoryLock {
 public:
  // Creates `dir` (and its parents) if needed, secures it with
  // SecureDataDirectory() and locks it. kFailedPrecondition when the
  // directory is refused (writable by others, another user's), kUnavailable
  // when another process holds the lock ("data directory X is in use by
  // another trailwatch process (pid N)"), kIo when it cannot be created.
  static Result<DirectoryLock> Acquire(const std::string& dir);

  DirectoryLock(DirectoryLock&& other) noexcept;
  DirectoryLock& operator=(DirectoryLock&&) = delete;
  ~DirectoryLock();

  // What SecureDataDirectory() changed ("data directory X was readable by
  // ...; made it private: ..."), for the caller to log once; "" usually.
  const std::string& tightened() const { return tightened_; }

 private:
  DirectoryLock(int fd, std::string tightened) : fd_(fd), tightened_(std::move(tightened)) {}
  int fd_;  // -1 once moved from
  std::string tightened_;
};

}  // namespace tw::store
