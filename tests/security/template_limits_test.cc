// Issue 12, templates: a hostile or broken CloudFormation template given to
// `trailwatch replay --template` or `trailwatch serve --template` ends in a
// clear error and exit status 2, quickly and in bounded memory, whatever it
// holds: a YAML alias bomb, a file over CloudFormation's 1 MiB, collections
// nested 100,000 levels deep, an alias inside its own anchor, a stream with
// no end. A template with a few ordinary anchors still loads.
//
// The binary runs with its address space limited to 1 GiB (RLIMIT_AS; under
// AddressSanitizer, which needs terabytes of address space, ASan's own
// hard_rss_limit_mb=1024), so that a regression fails here instead of
// taking the machine's memory.
//
// Before: the bomb (842 bytes) grew to the limit and died of std::bad_alloc
// (SIGABRT, about 20 s, with no limit it took all of the machine's memory),
// in replay and in serve alike; /dev/zero was read until memory ran out;
// the self-referencing alias recursed until the stack overflowed (SIGSEGV);
// 100,000 levels of nesting said "bad file".

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace tw {
namespace {

namespace fs = std::filesystem;

constexpr rlim_t kAddressSpace = rlim_t{1} << 30;
constexpr const char* kNoSuchExpansion = "; CloudFormation templates need no such expansion";

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#else
constexpr bool kAsan = false;
#endif

struct Outcome {
  int exit_code = -1;  // -1: killed by a signal (term_signal) or timed out
  int term_signal = 0;
  bool timed_out = false;
  std::chrono::milliseconds elapsed{0};
  std::string out;
  std::string err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class TemplateLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tw-template-limits-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    events_ = Write("events.json", R"({"Records":[]})");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  // Runs trailwatch with `args` in bounded memory; kills it after `limit`.
  Outcome Run(const std::vector<std::string>& args,
              std::chrono::seconds limit = std::chrono::seconds(60)) {
    const std::string out_path = dir_ + "/stdout", err_path = dir_ + "/stderr";
    std::vector<std::string> storage = {TW_BINARY};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    // The environment, with ASan's memory limit added to its options.
    std::vector<std::string> env_storage;
    std::string asan_options = "ASAN_OPTIONS=hard_rss_limit_mb=1024";
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::strncmp(*e, "ASAN_OPTIONS=", 13) == 0) {
        asan_options += std::string(":") + (*e + 13);
      } else {
        env_storage.emplace_back(*e);
      }
    }
    if (kAsan) env_storage.push_back(asan_options);
    std::vector<char*> envp;
    for (std::string& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
    const auto started = std::chrono::steady_clock::now();
    const pid_t pid = fork();
    if (pid == 0) {
      // Only async-signal-safe calls between fork and exec.
      const int in = open("/dev/null", O_RDONLY);
      const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in < 0 || out < 0 || err < 0) _exit(126);
      dup2(in, STDIN_FILENO);
      dup2(out, STDOUT_FILENO);
      dup2(err, STDERR_FILENO);
      if (!kAsan) {
        const rlimit limit{kAddressSpace, kAddressSpace};
        if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(126);
      }
      execve(TW_BINARY, argv.data(), envp.data());
      _exit(127);
    }
    Outcome run;
    if (pid < 0) {
      ADD_FAILURE() << "fork: " << std::strerror(errno);
      return run;
    }
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() - started > limit) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        run.timed_out = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    run.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    if (!run.timed_out && WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
    if (!run.timed_out && WIFSIGNALED(status)) run.term_signal = WTERMSIG(status);
    run.out = Slurp(out_path);
    run.err = Slurp(err_path);
    return run;
  }

  Outcome Replay(const std::string& template_path) {
    return Run({"replay", "--template", template_path, events_});
  }

  // `trailwatch serve` with one template, on a free port, in its own data
  // directory. It must give up before listening, so a short limit.
  Outcome Serve(const std::string& template_path) {
    return Run({"serve", "--data-dir", dir_ + "/data", "--listen", "127.0.0.1:0", "--template",
                template_path},
               std::chrono::seconds(30));
  }

  std::string dir_;
  std::string events_;
};

// Nine levels of ten aliases each: 10^9 leaves from 842 bytes.
std::string BillionLaughs() {
  std::string out =
      "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      DisplayName: x\n"
      "      Tags:\n        - Key: bomb\n          Value:\n";
  for (int level = 0; level < 10; ++level) {
    out += "            a" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) {
      if (i > 0) out += ", ";
      out += level == 0 ? "lol" : "*a" + std::to_string(level - 1);
    }
    out += "]\n";
  }
  return out;
}

std::string Describe(const Outcome& run) {
  return "exit " + std::to_string(run.exit_code) + ", signal " + std::to_string(run.term_signal) +
         (run.timed_out ? ", timed out" : "") + " after " + std::to_string(run.elapsed.count()) +
         " ms\nstderr: " + run.err.substr(0, 2000);
}

TEST_F(TemplateLimitsTest, AliasBombInReplayIsAClearErrorInBoundedMemory) {
  const std::string bomb = Write("bomb.yaml", BillionLaughs());
  ASSERT_LT(fs::file_size(bomb), 1024u);
  const Outcome run = Replay(bomb);
  EXPECT_EQ(run.exit_code, 2) << Describe(run);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "trailwatch replay: " + bomb +
                         ": Resources.Topic.Properties: YAML aliases expand to more than 1000000 "
                         "nodes (an alias bomb?)" +
                         kNoSuchExpansion + "\n");
  EXPECT_LT(run.elapsed, std::chrono::seconds(kAsan ? 30 : 10)) << Describe(run);
}

TEST_F(TemplateLimitsTest, AliasBombInServeStopsItBeforeItListens) {
  const std::string bomb = Write("bomb.yaml", BillionLaughs());
  const Outcome run = Serve(bomb);
  EXPECT_EQ(run.exit_code, 2) << Describe(run);
  // serve's log line adds the path in front of the loader's message.
  EXPECT_NE(run.err.find(bomb +
                         ": Resources.Topic.Properties: YAML aliases expand to more than "
                         "1000000 nodes (an alias bomb?)" +
                         kNoSuchExpansion + "\n"),
            std::string::npos)
      << Describe(run);
  EXPECT_EQ(run.err.find("listening"), std::string::npos) << run.err;
  EXPECT_LT(run.elapsed, std::chrono::seconds(kAsan ? 30 : 10)) << Describe(run);
}

TEST_F(TemplateLimitsTest, TemplateOverOneMebibyteIsRefusedUnread) {
  std::string text = "Resources:\n  T:\n    Type: AWS::SNS::Topic\n#";
  text.resize(1048577, 'x');
  const std::string big = Write("big.yaml", text);
  const std::string limit =
      " bytes; trailwatch reads templates of at most 1048576 bytes (CloudFormation's limit for "
      "templates in S3)\n";
  Outcome run = Replay(big);
  EXPECT_EQ(run.exit_code, 2) << Describe(run);
  EXPECT_EQ(run.err, "trailwatch replay: " + big + ": the template is 1048577" + limit);

  // A stream without an end: before, read until memory ran out.
  run = Replay("/dev/zero");
  EXPECT_EQ(run.exit_code, 2) << Describe(run);
  EXPECT_EQ(run.err, "trailwatch replay: /dev/zero: the template is more than 1048576" + limit);

  run = Serve(big);
  EXPECT_EQ(run.exit_code, 2) << Describe(run);
  EXPECT_NE(run.err.find(big + ": the template is 1048577" + limit), std::string::npos)
      << Describe(run);
}

TEST_F(TemplateLimitsTest, HundredThousandLevelsOfNestingAreAClearError) {
  constexpr int kLevels = 100000;
  const std::string nested_message =
      ": collections nested more than 499 levels deep; CloudFormation templates need no such "
      "nesting\n";
  std::string lists = "Resources: ", maps = "Resources: ";
  for (int i = 0; i < kLevels; ++i) lists += "[", maps += "{a: ";
  lists += "x";
  maps += "x";
  for (int i = 0; i < kLevels; ++i) lists += "]", maps += "}";
  const std::string lists_path = Write("lists.yaml", lists + "\n");
  const std::string maps_path = Write("maps.yaml", maps + "\n");
  Outcome run = Replay(lists_path);
  EXPECT_EQ(run.exit_code, 2) << Describe(run);
  EXPECT_EQ(run.err, "trailwatch replay: " + lists_path + ":1:200013" + nested_message);
  run = Replay(maps_path);
  EXPECT_EQ(run.exit_code, 2) << Describe(run);
  EXPECT_EQ(run.err, "trailwatch replay: " + maps_path + ":1:2003" + nested_message);

  // An alias inside its own anchor is nesting without end.
  const std::string cyclic = Write("cyclic.yaml",
                                   "Parameters:\n  P:\n    Type: String\n    Default: x\n"
                                   "    Description: &a [*a]\n"
                                   "Resources:\n  T:\n    Type: AWS::SNS::Topic\n");
  run = Replay(cyclic);
  EXPECT_EQ(run.exit_code, 2) << Describe(run);
  std::string path = "Parameters.P.Description";
  for (int i = 0; i < 64; ++i) path += "[0]";
  EXPECT_EQ(run.err, "trailwatch replay: " + path + ": nested more than 64 levels deep\n");
}

TEST_F(TemplateLimitsTest, OrdinaryAnchorsStillLoad) {
  const std::string ordinary = Write("anchors.yaml", R"(Resources:
  Filter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: CloudTrail/DefaultLogGroup
      FilterPattern: '{ $.eventName = "DeletePolicy" }'
      MetricTransformations:
        - {MetricNamespace: &namespace CloudTrailMetrics, MetricName: IAMPolicyEventCount,
           MetricValue: "1"}
  Topic:
    Type: AWS::SNS::Topic
    Properties: {TopicName: alerts}
  Fast:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: fast
      Namespace: *namespace
      MetricName: &metric IAMPolicyEventCount
      Statistic: &statistic Maximum
      Period: 60
      EvaluationPeriods: &periods 1
      Threshold: &threshold 0
      ComparisonOperator: &operator GreaterThanThreshold
      AlarmActions: &actions [!Ref Topic]
  Slow:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: slow
      Namespace: *namespace
      MetricName: *metric
      Statistic: *statistic
      Period: 300
      EvaluationPeriods: *periods
      Threshold: *threshold
      ComparisonOperator: *operator
      AlarmActions: *actions
)");
  const Outcome run = Run({"replay", "--template", ordinary,
                           std::string(TW_SOURCE_DIR) + "/examples/sample-cloudtrail.json"});
  EXPECT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_EQ(run.err, "");
  EXPECT_NE(run.out.find("fast"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("slow"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace tw
