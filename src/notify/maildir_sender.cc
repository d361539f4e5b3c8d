// Maildir delivery (https://cr.yp.to/proto/maildir.html): write the message
// into tmp/, make it durable, then rename it into new/, so that a reader
// never sees a partial file.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "common/host_name.h"
#include "notify/transport.h"

namespace tw::notify {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

AttemptResult IoFailure(std::string_view what, const std::string& path, int err) {
  AttemptResult result;
  result.outcome = AttemptOutcome::kRetryable;
  result.detail = std::string(what) + " " + path + ": " + ErrnoText(err);
  return result;
}

// Creates `path` (mode 0700) unless it is already a directory.
int MakeDirectory(const std::string& path) {
  if (mkdir(path.c_str(), 0700) == 0) return 0;
  int err = errno;
  struct stat st;
  if (err == EEXIST && stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return 0;
  return err == EEXIST ? ENOTDIR : err;
}

// mkdir -p of `dir` itself and its parents.
int MakeDirectories(const std::string& dir) {
  for (size_t slash = dir.find('/', 1); slash != std::string::npos;
       slash = dir.find('/', slash + 1)) {
    if (int err = MakeDirectory(dir.substr(0, slash)); err != 0) return err;
  }
  return MakeDirectory(dir);
}

// The host part of a Maildir name, with '/' and ':' written as octal
// escapes as the convention asks.
std::string MaildirHostName() {
  const std::string name = HostName();
  std::string escaped;
  for (const char* p = name.c_str(); *p != '\0'; ++p) {
    if (*p == '/') {
      escaped += "\\057";
    } else if (*p == ':') {
      escaped += "\\072";
    } else {
      escaped += *p;
    }
  }
  return escaped;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

int SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = fsync(fd) == 0 ? 0 : errno;
  close(fd);
  return err;
}

class MaildirSender final : public MailSender {
 public:
  explicit MaildirSender(std::string dir) : dir_(std::move(dir)), host_(MaildirHostName()) {
    while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  }

  AttemptResult Send(const MailEnvelope& mail) override {
    auto start = std::chrono::steady_clock::now();
    AttemptResult result = Attempt(mail);
    result.elapsed = std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - start);
    return result;
  }

  std::string Describe() const override { return "Maildir " + dir_; }

 private:
  AttemptResult Attempt(const MailEnvelope& mail) {
    const std::string tmp = dir_ + "/tmp";
    const std::string cur = dir_ + "/cur";
    const std::string fresh = dir_ + "/new";
    for (const std::string& d : {dir_, tmp, cur, fresh}) {
      if (int err = MakeDirectories(d); err != 0) return IoFailure("cannot create", d, err);
    }

    // time.pid_counter.host is unique on this host: the counter separates
    // the deliveries of this process, O_EXCL catches the impossible rest.
    std::string name;
    int fd = -1;
    for (int tries = 0; fd < 0; ++tries) {
      auto now = std::chrono::system_clock::now().time_since_epoch();
      name = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count()) + "." +
             std::to_string(getpid()) + "_" + std::to_string(++counter_) + "." + host_;
      fd = open((tmp + "/" + name).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0 && (errno != EEXIST || tries >= 100)) {
        return IoFailure("cannot create", tmp + "/" + name, errno);
      }
    }
    const std::string tmp_path = tmp + "/" + name;
    const std::string new_path = fresh + "/" + name;
    if (!WriteAll(fd, mail.data) || fsync(fd) != 0) {
      int err = errno;
      close(fd);
      unlink(tmp_path.c_str());
      return IoFailure("cannot write", tmp_path, err);
    }
    if (close(fd) != 0) {
      int err = errno;
      unlink(tmp_path.c_str());
      return IoFailure("cannot write", tmp_path, err);
    }
    if (rename(tmp_path.c_str(), new_path.c_str()) != 0) {
      int err = errno;
      unlink(tmp_path.c_str());
      return IoFailure("cannot rename into", new_path, err);
    }
    AttemptResult result;
    result.outcome = AttemptOutcome::kDelivered;
    result.detail = "written to " + new_path;
    // The rename is durable once new/ itself is. The message is in new/
    // either way: a retry would deliver it twice, so this only adds a note.
    if (int err = SyncDirectory(fresh); err != 0) {
      result.detail += " (but syncing " + fresh + " failed: " + ErrnoText(err) + ")";
    }
    return result;
  }

  std::string dir_;
  const std::string host_;
  // Shared by every MaildirSender of the process, so that two senders on
  // the same directory cannot pick the same name.
  static std::atomic<unsigned long> counter_;
};

std::atomic<unsigned long> MaildirSender::counter_{0};

}  // namespace

std::unique_ptr<MailSender> MakeMaildirSender(std::string dir) {
  return std::make_unique<MaildirSender>(std::move(dir));
}

}  // namespace tw::notify
