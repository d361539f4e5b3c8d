// `serve --cloudtrail-dir DIR --log-group NAME`: CloudTrail files arriving
// in a directory tree (the S3 layout AWSLogs/<account>/CloudTrail/<region>/
// YYYY/MM/DD/, e.g. an `aws s3 sync` target) become log events of a log
// group, each file exactly once.
//
// A file is read only when complete: its size and modification time have
// not changed between two scans and it is older than `settle`; a file that
// does not parse while younger than `give_up` is tried again (it may still
// be written), later it is recorded as failed and logged, and tried again
// only if it changes. Each file's events, the metric observations they
// produce and the file's checkpoint row commit in one transaction, so a
// restart (even after SIGKILL) neither skips nor repeats a file.
//
// Records keep their eventTime as the event timestamp, whatever its age
// (archives are ingested as they are); the stream is
// "<recipientAccountId>_CloudTrail_<awsRegion>", as CloudTrail names it.

#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "server/engine.h"

namespace tw::server {

struct CloudTrailWatcherOptions {
  std::string dir;
  std::string log_group = "CloudTrail/DefaultLogGroup";
  Duration poll_interval = std::chrono::seconds(1);
  Duration settle = std::chrono::seconds(1);
  Duration give_up = std::chrono::seconds(60);
};

class CloudTrailWatcher {
 public:
  // Creates the checkpoint table. Does not start scanning.
  static Result<std::unique_ptr<CloudTrailWatcher>> Open(Engine* engine,
                                                         CloudTrailWatcherOptions options);
  ~CloudTrailWatcher();

  void Start();  // scans every poll_interval on a thread of its own
  void Stop();

  // One scan on the calling thread; returns how many files were ingested.
  Result<int> ScanOnce();

 private:
  CloudTrailWatcher(Engine* engine, CloudTrailWatcherOptions options)
      : engine_(engine), options_(std::move(options)) {}

  struct Seen {
    std::uintmax_t size = 0;
    std::int64_t mtime_ns = 0;
  };
  Result<bool> Ingest(const std::string& path, const Seen& seen);

  Engine* engine_;
  CloudTrailWatcherOptions options_;
  std::map<std::string, Seen> last_scan_;  // path -> what the previous scan saw
  std::mutex mutex_;
  std::condition_variable wake_;
  bool running_ = false;  // GUARDED_BY(mutex_)
  std::thread thread_;
};

}  // namespace tw::server
