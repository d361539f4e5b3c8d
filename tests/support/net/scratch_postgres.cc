#include "support/net/scratch_postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

namespace tw::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kPgCtl[] = "/usr/lib/postgresql/15/bin/pg_ctl";

Status Unavailable(std::string message) {
  return Status(StatusCode::kUnavailable, std::move(message));
}

// Runs scratch_postgres.sh with `args`; its stdout and stderr together, or
// kUnavailable with them when it fails.
Result<std::string> RunScript(std::vector<std::string> args) {
  const std::string command = args[0];
  // Through bash, so that the script's file mode does not matter.
  args.insert(args.begin(), {"/bin/bash", TW_SCRATCH_POSTGRES});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Unavailable(std::string("pipe2: ") + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return Unavailable(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::string output;
  char buffer[4096];
  while (true) {
    ssize_t n = read(fds[0], buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buffer, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Unavailable("scratch_postgres.sh " + command + " failed (status " +
                       std::to_string(status) + "): " + output);
  }
  return output;
}

}  // namespace

Result<ScratchPostgres> ScratchPostgres::Start() {
  if (access(kPgCtl, X_OK) != 0) {
    return Status(StatusCode::kFailedPrecondition,
                  std::string("PostgreSQL 15 is not installed (no ") + kPgCtl +
                      "; Debian: apt-get install postgresql)");
  }
  const char* tmpdir = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp") + "/tw-postgres-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return Unavailable("mkdtemp " + pattern + ": " + std::strerror(errno));
  }
  // mkdtemp makes it 0700: the postgres user must get in when we are root.
  chmod(pattern.c_str(), 0755);
  ScratchPostgres pg(pattern, "", /*owned=*/true);
  Result<std::string> output = RunScript({"start", pattern});
  if (!output.ok()) return output.status();
  // The URL is the last line; anything before it is the script's chatter.
  std::string text = *output;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  pg.url_ = text.substr(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
  if (!pg.url_.starts_with("postgresql://")) {
    return Unavailable("scratch_postgres.sh start printed no URL: " + *output);
  }
  return pg;
}

Result<ScratchPostgres> ScratchPostgres::Attach(std::string dir) {
  std::ifstream port_file(dir + "/port");
  int port = 0;
  if (!(port_file >> port) || port <= 0) {
    return Unavailable("no PostgreSQL server was started in " + dir +
                       " (its port file is missing: did ctest's fixture postgres_cluster fail?)");
  }
  std::string url = "postgresql://trailwatch@127.0.0.1:" + std::to_string(port) + "/postgres";
  return ScratchPostgres(std::move(dir), std::move(url), /*owned=*/false);
}

std::string ScratchPostgres::UniqueDatabaseName(std::string_view base) {
  static int count = 0;
  std::string name =
      std::string(base) + "_" + std::to_string(getpid()) + "_" + std::to_string(++count);
  // The distinguishing suffix survives the cut.
  if (name.size() > 63) name.erase(0, name.size() - 63);
  return name;
}

ScratchPostgres::ScratchPostgres(ScratchPostgres&& other) noexcept
    : dir_(std::exchange(other.dir_, "")),
      url_(std::move(other.url_)),
      owned_(other.owned_),
      created_(std::move(other.created_)) {}

ScratchPostgres& ScratchPostgres::operator=(ScratchPostgres&& other) noexcept {
  if (this != &other) {
    Release();
    dir_ = std::exchange(other.dir_, "");
    url_ = std::move(other.url_);
    owned_ = other.owned_;
    created_ = std::move(other.created_);
  }
  return *this;
}

ScratchPostgres::~ScratchPostgres() { Release(); }

void ScratchPostgres::Release() {
  if (dir_.empty()) return;
  if (!owned_) {
    // Each database is a copy of template1 (about 7 MB): a whole test run
    // would leave hundreds behind on the shared server.
    if (!created_.empty()) {
      std::vector<std::string> args = {"dropdb", dir_};
      args.insert(args.end(), created_.begin(), created_.end());
      (void)RunScript(std::move(args));
    }
    dir_.clear();
    return;
  }
  (void)Stop();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
  dir_.clear();
}

Result<std::string> ScratchPostgres::CreateDatabase(std::string_view name) {
  const bool plain =
      !name.empty() &&
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string_view::npos;
  if (!plain) return InvalidArgument("database name '" + std::string(name) + "' is not plain");
  Result<std::string> output = RunScript({"createdb", dir_, std::string(name)});
  if (!output.ok()) return output.status();
  created_.emplace_back(name);
  return url_.substr(0, url_.rfind('/') + 1) + std::string(name);
}

Status ScratchPostgres::Stop() {
  if (dir_.empty()) return Status::Ok();
  if (!owned_)
    return Status(StatusCode::kFailedPrecondition, "the shared server is not ours to stop");
  Result<std::string> output = RunScript({"stop", dir_});
  return output.ok() ? Status::Ok() : output.status();
}

Status ScratchPostgres::Restart() {
  if (!owned_) {
    return Status(StatusCode::kFailedPrecondition, "the shared server is not ours to restart");
  }
  Result<std::string> output = RunScript({"restart", dir_});
  return output.ok() ? Status::Ok() : output.status();
}

}  // namespace tw::testing
