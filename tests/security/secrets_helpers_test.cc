// Issue 12, secrets, in-process: the one redaction helper every display of
// an endpoint goes through, the stored attempt details, and the access key
// sources of `serve` (files, the environment, <data dir>/credentials).
//
// Before the fix RedactUrlPasswords, ParseAccessKeyFile/List and the new
// LoadAccessKeys did not exist (this file did not compile); the outbox
// stored a transport's text with the URL's password in it; the credentials
// file was written through an ofstream (0644 until a chmod, following
// symbolic links). End-to-end checks with the real binary:
// secrets_access_keys_test.py, secrets_redaction_test.py.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "common/url.h"
#include "notify/outbox.h"
#include "server/access_keys.h"
#include "store/database.h"

namespace tw {
namespace {

namespace fs = std::filesystem;

TEST(RedactUrlPasswordsTest, MasksThePasswordOfEveryUrlAndNothingElse) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"https://user:pw@host/x", "https://user:****@host/x"},
      {"http://user:pa55w0rd@127.0.0.1:8080/hook?a=b", "http://user:****@127.0.0.1:8080/hook?a=b"},
      {"https://user:p@ss@host", "https://user:****@host"},        // '@' in the password
      {"https://user:pw:more@host/", "https://user:****@host/"},  // ':' in the password
      {"https://:pw@host", "https://:****@host"},
      {"https://user@host/x", "https://user@host/x"},  // no password, nothing to hide
      {"https://host:8443/a@b", "https://host:8443/a@b"},  // '@' in the path
      {"security@example.com", "security@example.com"},
      {"", ""},
      {"cannot reach http://u:p@h:81/ (refused); retry https://v:q@k then",
       "cannot reach http://u:****@h:81/ (refused); retry https://v:****@k then"},
      {R"({"url":"https://u:secret@h/x","n":1})", R"({"url":"https://u:****@h/x","n":1})"},
      {"smtp://alice:s3cret@mail.example.com:587", "smtp://alice:****@mail.example.com:587"},
      {"://:@", "://:****@"},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(RedactUrlPasswords(in), out) << in;
}

TEST(OutboxRedactionTest, AStoredAttemptDetailHasNoPassword) {
  Result<store::Database> db = store::Database::OpenInMemory();
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(notify::Outbox::Migrate(*db).ok());
  notify::Outbox outbox(&*db);
  notify::OutboxItem item;
  item.message_id = "m-1";
  item.type = "Notification";
  item.topic_arn = "arn:aws:sns:us-east-1:000000000000:t";
  item.subscription_arn = item.topic_arn + ":s";
  item.protocol = "https";
  item.endpoint = "https://user:pa55w0rd@hooks.example.com/x";
  item.http = notify::HttpRequest{item.endpoint, {}, "{}"};
  item.retry_delays = {std::chrono::seconds(20)};
  const TimePoint now = *ParseTimestamp("2024-03-01T12:00:00Z");
  Result<std::int64_t> id = outbox.Enqueue(item, now);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  notify::AttemptResult result;
  result.outcome = notify::AttemptOutcome::kRetryable;
  result.detail = "transfer failed: cannot POST to https://user:pa55w0rd@hooks.example.com/x";
  ASSERT_TRUE(outbox.RecordAttempt(*id, result, now, now).ok());
  Result<notify::Delivery> d = outbox.Get(*id);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const std::string shown = "transfer failed: cannot POST to https://user:****@hooks.example.com/x";
  EXPECT_EQ(d->last_detail, shown);
  ASSERT_EQ(d->history.size(), 1u);
  EXPECT_EQ(d->history[0].detail, shown);
  // The request keeps the URL whole: the next attempt needs the password.
  Result<notify::OutboxItem> request = outbox.Request(*id);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->http->url, "https://user:pa55w0rd@hooks.example.com/x");
}

}  // namespace

namespace server {
namespace {

using Keys = std::vector<std::pair<std::string, std::string>>;

Keys Pairs(const std::vector<api::Credentials>& keys) {
  Keys out;
  for (const api::Credentials& k : keys) out.emplace_back(k.access_key_id, k.secret_access_key);
  return out;
}

TEST(AccessKeyFileTest, ReadsPairsAndSharedCredentialsProfiles) {
  Result<std::vector<api::Credentials>> keys = ParseAccessKeyFile(
      "# keys of the CI runners\n"
      "\n"
      "  AKIDONE : secret/One+1  \n"
      "[default]\n"
      "region = eu-west-1\n"
      "[ci]\n"
      "aws_access_key_id = AKIDTWO\n"
      "aws_secret_access_key=se:cret=two\n"
      "aws_session_token = ignored\n"
      "; another comment\n"
      "AKIDTHREE:three\r\n",
      "keys.txt");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(Pairs(*keys),
            (Keys{{"AKIDONE", "secret/One+1"}, {"AKIDTHREE", "three"}, {"AKIDTWO", "se:cret=two"}}));
}

TEST(AccessKeyFileTest, ErrorsNameTheLineButNeverRepeatIt) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"AKIDONE:one\nmy-secret-without-id\n",
       "keys.txt line 2: expected ID:SECRET, a [profile] line or aws_access_key_id = / "
       "aws_secret_access_key = settings"},
      {":secret-without-id\n",
       "keys.txt line 1: expected ID:SECRET, a [profile] line or aws_access_key_id = / "
       "aws_secret_access_key = settings"},
      {"aws_secret_access_key = floating-secret\n",
       "keys.txt line 1: a setting outside a [profile] section"},
      {"[p]\naws_secret_access_key = lonely-secret\n",
       "keys.txt line 1: profile [p] has aws_secret_access_key without aws_access_key_id"},
      {"[broken\n", "keys.txt line 1: a [profile] line must end with ]"},
      {"AKIDSAME:first-secret\nAKIDSAME:second-secret\n",
       "access key ID AKIDSAME is given twice with different secrets (keys.txt and keys.txt)"},
  };
  for (const auto& [text, message] : cases) {
    Result<std::vector<api::Credentials>> keys = ParseAccessKeyFile(text, "keys.txt");
    EXPECT_EQ(keys.ok() ? Status::Ok() : keys.status(), InvalidArgument(message)) << text;
  }
  // The same key twice is no conflict.
  EXPECT_EQ(Pairs(ParseAccessKeyFile("A:s\nA:s\n", "k").value()), (Keys{{"A", "s"}}));
}

TEST(AccessKeyListTest, SplitsOnCommasAndWhitespace) {
  EXPECT_EQ(Pairs(ParseAccessKeyList(" AKIDA:a/1, AKIDB:b+2\n\tAKIDC:c:3 ,").value()),
            (Keys{{"AKIDA", "a/1"}, {"AKIDB", "b+2"}, {"AKIDC", "c:3"}}));
  EXPECT_EQ(ParseAccessKeyList("AKIDA:a, just-a-secret").status(),
            InvalidArgument("TRAILWATCH_ACCESS_KEYS item 2: expected ID:SECRET (items are "
                            "separated by commas or spaces)"));
}

class LoadAccessKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tw-keys-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text, mode_t mode) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    EXPECT_EQ(chmod(path.c_str(), mode), 0);
    return path;
  }
  static mode_t Mode(const std::string& path) {
    struct stat st;
    EXPECT_EQ(lstat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  std::string dir_;
};

TEST_F(LoadAccessKeysTest, AllSourcesTogetherAndNoCredentialsFileMade) {
  const std::string file = Write("keys", "AKIDFILE:file-secret\n", 0600);
  Result<AccessKeys> keys =
      LoadAccessKeys({{"AKIDARG:arg-secret"}, {file}, "AKIDENV:env-secret"}, dir_);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(Pairs(keys->keys), (Keys{{"AKIDARG", "arg-secret"},
                                     {"AKIDFILE", "file-secret"},
                                     {"AKIDENV", "env-secret"}}));
  EXPECT_FALSE(keys->created);
  EXPECT_EQ(keys->credentials_file, "");
  EXPECT_FALSE(fs::exists(dir_ + "/credentials"));
}

TEST_F(LoadAccessKeysTest, AKeyFileOthersCanAccessIsRefused) {
  for (mode_t mode : {0640, 0604, 0620, 0700 | 0001}) {
    const std::string file = Write("keys", "AKIDFILE:file-secret\n", mode);
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
    EXPECT_EQ(LoadAccessKeys({{}, {file}, std::nullopt}, dir_).status(),
              Status(StatusCode::kFailedPrecondition,
                     file + " is accessible by group or others (mode " + octal +
                         "); an access key file must be private. Fix it with: chmod 600 " + file));
  }
}

TEST_F(LoadAccessKeysTest, OneIdWithTwoSecretsAcrossSourcesIsRefused) {
  const std::string file = Write("keys", "AKIDX:from-file\n", 0400);
  EXPECT_EQ(LoadAccessKeys({{"AKIDX:from-argv"}, {file}, std::nullopt}, dir_).status(),
            InvalidArgument("access key ID AKIDX is given twice with different secrets "
                            "(--access-key and " + file + ")"));
}

TEST_F(LoadAccessKeysTest, TheCredentialsFileIsPrivateFromTheFirstByteAndReadBack) {
  const mode_t old = umask(0);  // the mode must not depend on the umask
  Result<AccessKeys> made = LoadAccessKeys({}, dir_);
  umask(old);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_TRUE(made->created);
  const std::string path = dir_ + "/credentials";
  EXPECT_EQ(made->credentials_file, path);
  EXPECT_EQ(Mode(path), 0600u);
  ASSERT_EQ(made->keys.size(), 1u);
  const api::Credentials key = made->keys.front();
  EXPECT_EQ(key.access_key_id.size(), 20u);
  EXPECT_TRUE(key.access_key_id.starts_with("AKIATW"));
  EXPECT_EQ(key.secret_access_key.size(), 40u);
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "[trailwatch]\naws_access_key_id = " + key.access_key_id +
                      "\naws_secret_access_key = " + key.secret_access_key + "\n");

  Result<AccessKeys> again = LoadAccessKeys({}, dir_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(Pairs(again->keys), (Keys{{key.access_key_id, key.secret_access_key}}));
}

TEST_F(LoadAccessKeysTest, ASymbolicLinkAsTheCredentialsFileIsRefusedAndNotFollowed) {
  const std::string target = Write("elsewhere", "[trailwatch]\naws_access_key_id = A\n"
                                                "aws_secret_access_key = s\n", 0644);
  const std::string link = dir_ + "/credentials";
  for (const std::string& pointee : {target, dir_ + "/missing"}) {
    fs::remove(link);
    ASSERT_EQ(symlink(pointee.c_str(), link.c_str()), 0);
    EXPECT_EQ(LoadAccessKeys({}, dir_).status(),
              Status(StatusCode::kFailedPrecondition,
                     link + " is a symbolic link; trailwatch keeps its key pair only in a regular "
                            "file of the data directory and refuses to follow a link there. "
                            "Remove the link (a new key pair is then made), or give keys with "
                            "--access-key-file"));
    EXPECT_FALSE(fs::exists(dir_ + "/missing"));
  }
  EXPECT_EQ(Mode(target), 0644u);
}

TEST_F(LoadAccessKeysTest, ACredentialsFileWithoutAKeyIsDataLoss) {
  Write("credentials", "[trailwatch]\nregion = us-east-1\n", 0600);
  EXPECT_EQ(LoadAccessKeys({}, dir_).status(),
            DataLoss(dir_ + "/credentials holds no aws_access_key_id / aws_secret_access_key; "
                            "delete it and trailwatch makes a new key pair"));
}

}  // namespace
}  // namespace server
}  // namespace tw
