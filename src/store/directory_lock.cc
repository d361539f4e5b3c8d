#include "store/directory_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "store/data_directory.h"

namespace tw::store {

Result<DirectoryLock> DirectoryLock::Acquire(const std::string& dir) {
  Result<std::string> tightened = SecureDataDirectory(dir);
  if (!tightened.ok()) return tightened.status();
  const std::string path = dir + "/lock";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot open " + path + ": " + std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int saved = errno;
    char buffer[32] = {};
    ssize_t n = pread(fd, buffer, sizeof buffer - 1, 0);
    close(fd);
    if (saved != EWOULDBLOCK) return IoError("cannot lock " + path + ": " + std::strerror(saved));
    std::string holder = n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
    return Status(StatusCode::kUnavailable, "data directory " + dir +
                                                " is in use by another trailwatch process" +
                                                (holder.empty() ? "" : " (pid " + holder + ")"));
  }
  // The pid is only for the message above; the flock is what protects.
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // Not fatal: the lock holds without the pid.
  }
  return DirectoryLock(fd, std::move(tightened).value());
}

DirectoryLock::DirectoryLock(DirectoryLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), tightened_(std::move(other.tightened_)) {}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) close(fd_);  // releases the flock
}

}  // namespace tw::store
