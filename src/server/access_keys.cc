#include "server/access_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <utility>

#include "common/random.h"

namespace tw::server {
namespace {

// Larger than any key file; a bound so that a wrong path (a log, a device)
// is refused rather than read whole.
constexpr off_t kMaxKeyFileBytes = 1 << 20;

std::string Octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool IsSettingName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// "ID:SECRET" -> a key; nullopt when either side is empty or the ID has
// spaces in it.
std::optional<api::Credentials> ParsePair(std::string_view item) {
  std::size_t colon = item.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view id = Trim(item.substr(0, colon)), secret = Trim(item.substr(colon + 1));
  if (id.empty() || secret.empty()) return std::nullopt;
  for (char c : id) {
    if (std::isspace(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return api::Credentials{std::string(id), std::string(secret)};
}

// Appends `more` to `keys`; an ID already there with another secret is an
// error (which one would a client's signature be checked against?).
Status Merge(std::vector<api::Credentials> more, const std::string& where,
             std::vector<api::Credentials>* keys, std::map<std::string, std::string>* origin) {
  for (api::Credentials& k : more) {
    auto [it, fresh] = origin->emplace(k.access_key_id, where);
    if (!fresh) {
      for (const api::Credentials& known : *keys) {
        if (known.access_key_id == k.access_key_id &&
            known.secret_access_key != k.secret_access_key) {
          return InvalidArgument("access key ID " + k.access_key_id +
                                 " is given twice with different secrets (" + it->second + " and " +
                                 where + ")");
        }
      }
      continue;
    }
    keys->push_back(std::move(k));
  }
  return Status::Ok();
}

enum class FileRule {
  kPrivateKeyFile,  // --access-key-file: links followed; private, ours or root's
  kOwnCredentials,  // <data dir>/credentials: never through a symbolic link
};

// The contents of `path`, or nullopt when it does not exist (kOwnCredentials
// only).
Result<std::optional<std::string>> ReadKeyFile(const std::string& path, FileRule rule) {
  const int flags = O_RDONLY | O_CLOEXEC | (rule == FileRule::kOwnCredentials ? O_NOFOLLOW : 0);
  int fd = open(path.c_str(), flags);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT && rule == FileRule::kOwnCredentials) return std::optional<std::string>();
    if (err == ELOOP && rule == FileRule::kOwnCredentials) {
      return Status(StatusCode::kFailedPrecondition,
                    path +
                        " is a symbolic link; trailwatch keeps its key pair only in a "
                        "regular file of the data directory and refuses to follow a link "
                        "there. Remove the link (a new key pair is then made), or give keys "
                        "with --access-key-file");
    }
    return IoError("cannot read " + path + ": " + std::strerror(err));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return IoError("cannot read " + path + ": " + std::strerror(err));
  }
  Status refused;
  const uid_t me = geteuid();
  if (!S_ISREG(st.st_mode)) {
    refused = Status(StatusCode::kFailedPrecondition, path + " is not a regular file");
  } else if (st.st_size > kMaxKeyFileBytes) {
    refused = Status(StatusCode::kFailedPrecondition,
                     path + " is larger than 1 MiB: not an access key file");
  } else if (rule == FileRule::kPrivateKeyFile && st.st_uid != me && st.st_uid != 0) {
    refused = Status(StatusCode::kFailedPrecondition,
                     path + " belongs to user " + std::to_string(st.st_uid) +
                         ": an access key file must belong to the user running trailwatch (" +
                         std::to_string(me) + ") or to root");
  } else if (rule == FileRule::kPrivateKeyFile && (st.st_mode & 077) != 0) {
    // As ssh refuses a private key "too open": a secret others can read is
    // no longer a secret, and the mistake is better found now.
    refused = Status(StatusCode::kFailedPrecondition,
                     path + " is accessible by group or others (mode " + Octal(st.st_mode) +
                         "); an access key file must be private. Fix it with: chmod 600 " + path);
  }
  if (!refused.ok()) {
    close(fd);
    return refused;
  }
  std::string text;
  char buffer[4096];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      return IoError("cannot read " + path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  return std::optional<std::string>(std::move(text));
}

// Writes a new key pair to `path`, which must not exist: O_EXCL|O_NOFOLLOW
// refuse anything already there, a symbolic link planted to make us write
// elsewhere included, and mode 0600 applies from the first byte.
Result<api::Credentials> CreateCredentials(const std::string& path) {
  std::string id = "AKIATW" + RandomHex(7);
  for (char& c : id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  api::Credentials key{std::move(id), RandomHex(20)};
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) {
      return Status(StatusCode::kFailedPrecondition,
                    "cannot create " + path +
                        ": something appeared there meanwhile; trailwatch "
                        "refuses to overwrite it");
    }
    return IoError("cannot create " + path + ": " + std::strerror(err));
  }
  const std::string text = "[trailwatch]\naws_access_key_id = " + key.access_key_id +
                           "\naws_secret_access_key = " + key.secret_access_key + "\n";
  std::string_view rest = text;
  int err = 0;
  while (!rest.empty() && err == 0) {
    ssize_t n = write(fd, rest.data(), rest.size());
    if (n < 0 && errno != EINTR) err = errno;
    if (n > 0) rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (err == 0 && fsync(fd) != 0) err = errno;
  if (close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    unlink(path.c_str());  // a half-written key would be refused at the next start
    return IoError("cannot write " + path + ": " + std::strerror(err));
  }
  return key;
}

}  // namespace

Result<std::vector<api::Credentials>> ParseAccessKeyFile(std::string_view text,
                                                         const std::string& name) {
  std::vector<api::Credentials> keys;
  std::map<std::string, std::string> origin;
  // The profile being read, if any: its line number and the two settings.
  struct Profile {
    std::string name;
    int line = 0;
    std::string id, secret;
  };
  std::optional<Profile> profile;
  auto close_profile = [&]() -> Status {
    if (!profile) return Status::Ok();
    Profile p = std::move(*profile);
    profile.reset();
    if (p.id.empty() && p.secret.empty()) return Status::Ok();  // e.g. only a region
    if (p.id.empty() || p.secret.empty()) {
      return InvalidArgument(
          name + " line " + std::to_string(p.line) + ": profile [" + p.name + "] has " +
          (p.id.empty() ? "aws_secret_access_key" : "aws_access_key_id") + " without " +
          (p.id.empty() ? "aws_access_key_id" : "aws_secret_access_key"));
    }
    return Merge({{p.id, p.secret}}, name, &keys, &origin);
  };
  int number = 0;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = Trim(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++number;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    const std::string where = name + " line " + std::to_string(number);
    if (line.front() == '[') {
      if (line.back() != ']') return InvalidArgument(where + ": a [profile] line must end with ]");
      TW_RETURN_IF_ERROR(close_profile());
      profile = Profile{std::string(Trim(line.substr(1, line.size() - 2))), number, "", ""};
      continue;
    }
    std::size_t equals = line.find('=');
    if (equals != std::string_view::npos && IsSettingName(Trim(line.substr(0, equals)))) {
      std::string_view setting = Trim(line.substr(0, equals));
      if (!profile) return InvalidArgument(where + ": a setting outside a [profile] section");
      std::string value(Trim(line.substr(equals + 1)));
      if (setting == "aws_access_key_id") profile->id = std::move(value);
      if (setting == "aws_secret_access_key") profile->secret = std::move(value);
      continue;
    }
    std::optional<api::Credentials> pair = ParsePair(line);
    if (!pair) {
      // The line may hold a secret: say what is wrong, never what it says.
      return InvalidArgument(where +
                             ": expected ID:SECRET, a [profile] line or aws_access_key_id = / "
                             "aws_secret_access_key = settings");
    }
    TW_RETURN_IF_ERROR(Merge({std::move(*pair)}, name, &keys, &origin));
  }
  TW_RETURN_IF_ERROR(close_profile());
  return keys;
}

Result<std::vector<api::Credentials>> ParseAccessKeyList(std::string_view text) {
  std::vector<api::Credentials> keys;
  std::map<std::string, std::string> origin;
  int item = 0;
  while (true) {
    std::size_t start = text.find_first_not_of(", \t\r\n");
    if (start == std::string_view::npos) break;
    text.remove_prefix(start);
    std::size_t end = text.find_first_of(", \t\r\n");
    std::string_view token = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end);
    ++item;
    std::optional<api::Credentials> pair = ParsePair(token);
    if (!pair) {
      return InvalidArgument("TRAILWATCH_ACCESS_KEYS item " + std::to_string(item) +
                             ": expected ID:SECRET (items are separated by commas or spaces)");
    }
    TW_RETURN_IF_ERROR(Merge({std::move(*pair)}, "TRAILWATCH_ACCESS_KEYS", &keys, &origin));
  }
  return keys;
}

Result<AccessKeys> LoadAccessKeys(const AccessKeySources& sources, const std::string& data_dir) {
  AccessKeys out;
  std::map<std::string, std::string> origin;
  for (std::size_t i = 0; i < sources.pairs.size(); ++i) {
    std::optional<api::Credentials> pair = ParsePair(sources.pairs[i]);
    if (!pair) {
      return InvalidArgument("--access-key must be ID:SECRET; value " + std::to_string(i + 1) +
                             " is not (it is not repeated here: it may hold a secret)");
    }
    TW_RETURN_IF_ERROR(Merge({std::move(*pair)}, "--access-key", &out.keys, &origin));
  }
  for (const std::string& file : sources.files) {
    Result<std::optional<std::string>> text = ReadKeyFile(file, FileRule::kPrivateKeyFile);
    if (!text.ok()) return text.status();
    Result<std::vector<api::Credentials>> keys = ParseAccessKeyFile(**text, file);
    if (!keys.ok()) return keys.status();
    if (keys->empty()) return InvalidArgument(file + " holds no access key");
    TW_RETURN_IF_ERROR(Merge(std::move(keys).value(), file, &out.keys, &origin));
  }
  if (sources.environment && !Trim(*sources.environment).empty()) {
    Result<std::vector<api::Credentials>> keys = ParseAccessKeyList(*sources.environment);
    if (!keys.ok()) return keys.status();
    TW_RETURN_IF_ERROR(
        Merge(std::move(keys).value(), "TRAILWATCH_ACCESS_KEYS", &out.keys, &origin));
  }
  if (!out.keys.empty()) return out;

  out.credentials_file = data_dir + "/credentials";
  Result<std::optional<std::string>> text =
      ReadKeyFile(out.credentials_file, FileRule::kOwnCredentials);
  if (!text.ok()) return text.status();
  if (*text) {
    Result<std::vector<api::Credentials>> keys = ParseAccessKeyFile(**text, out.credentials_file);
    if (!keys.ok()) return keys.status();
    if (keys->empty()) {
      return DataLoss(out.credentials_file +
                      " holds no aws_access_key_id / aws_secret_access_key; delete it and "
                      "trailwatch makes a new key pair");
    }
    out.keys = std::move(keys).value();
    return out;
  }
  Result<api::Credentials> made = CreateCredentials(out.credentials_file);
  if (!made.ok()) return made.status();
  out.keys.push_back(std::move(made).value());
  out.created = true;
  return out;
}

}  // namespace tw::server
