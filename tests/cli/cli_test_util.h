// Helpers for tests that run the real build/trailwatch binary: a temporary
// directory and a runner that captures exit status, stdout and stderr.

#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace tw::cli {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "tw_cli_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  std::string Write(const std::string& name, const std::string& bytes) const {
    fs::create_directories(fs::path(File(name)).parent_path());
    std::ofstream(File(name), std::ios::binary) << bytes;
    return File(name);
  }

 private:
  fs::path path_;
};

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
inline bool HasPrefix(const std::string& text, const std::string& prefix) {
  return text.starts_with(prefix);
}
inline bool HasSuffix(const std::string& text, const std::string& suffix) {
  return text.ends_with(suffix);
}

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Starts trailwatch with `args` without waiting: standard input from
// `stdin_path`, standard output and error into the files given. Returns the
// pid, or -1 (with a test failure) when it cannot start.
inline pid_t StartTrailwatch(const std::vector<std::string>& args, const std::string& out_path,
                             const std::string& err_path,
                             const std::string& stdin_path = "/dev/null") {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> argv_storage = {TW_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, TW_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "cannot run " << TW_BINARY << ": " << std::strerror(rc);
    return -1;
  }
  return pid;
}

// Runs trailwatch with `args`, standard input from `stdin_path`; kills it
// after `limit` so that a hang fails the test instead of blocking it.
inline Outcome Trailwatch(const std::vector<std::string>& args,
                          const std::string& stdin_path = "/dev/null",
                          std::chrono::seconds limit = std::chrono::seconds(60)) {
  TempDir io;
  const std::string out_path = io.File("stdout");
  const std::string err_path = io.File("stderr");
  Outcome run;
  pid_t pid = StartTrailwatch(args, out_path, err_path, stdin_path);
  if (pid < 0) return run;
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << "trailwatch did not finish within " << limit.count() << " s";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  } else {
    ADD_FAILURE() << "trailwatch died with signal " << WTERMSIG(status);
  }
  run.out = Slurp(out_path);
  run.err = Slurp(err_path);
  return run;
}

}  // namespace tw::cli
