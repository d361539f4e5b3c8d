#include "store/directory_lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace tw::store {
namespace {

std::string TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "tw-lock-XXXXXX").string();
  EXPECT_NE(mkdtemp(pattern.data()), nullptr);
  return pattern;
}

// flock() conflicts between open file descriptions, so a second Acquire in
// the same process already sees the first.
TEST(DirectoryLockTest, SecondHolderIsRefusedWithThePid) {
  std::string dir = TempDir() + "/data/nested";
  Result<DirectoryLock> first = DirectoryLock::Acquire(dir);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  Result<DirectoryLock> second = DirectoryLock::Acquire(dir);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(second.status().message(), "data directory " + dir +
                                           " is in use by another trailwatch process (pid " +
                                           std::to_string(getpid()) + ")");
}

TEST(DirectoryLockTest, ReleasedOnDestructionAndWhenTheHolderIsKilled) {
  std::string dir = TempDir();
  {
    Result<DirectoryLock> lock = DirectoryLock::Acquire(dir);
    ASSERT_TRUE(lock.ok());
  }
  ASSERT_TRUE(DirectoryLock::Acquire(dir).ok());

  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Result<DirectoryLock> lock = DirectoryLock::Acquire(dir);
    char c = lock.ok() ? 'y' : 'n';
    (void)!write(ready[1], &c, 1);
    pause();
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  EXPECT_EQ(DirectoryLock::Acquire(dir).status().code(), StatusCode::kUnavailable);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_TRUE(DirectoryLock::Acquire(dir).ok());
  close(ready[0]);
  close(ready[1]);
}

}  // namespace
}  // namespace tw::store
