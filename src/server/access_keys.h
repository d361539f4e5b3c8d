// The access keys `trailwatch serve` accepts, and where they come from.
//
// A secret given on the command line (--access-key ID:SECRET) is visible to
// every local user in `ps` and /proc/<pid>/cmdline, so serve also takes
// keys from files (--access-key-file, private like an ssh key) and from the
// environment (TRAILWATCH_ACCESS_KEYS, which only the same user and root can
// read). With none of the three, the first start writes a key pair to
// <data dir>/credentials (mode 0600 from the first byte, never through a
// symbolic link) and later starts read it back. No function here puts a
// secret into an error message.
//
//   AccessKeySources sources{.files = {"/etc/trailwatch/keys"}};
//   Result<AccessKeys> keys = LoadAccessKeys(sources, data_dir);
//   if (!keys.ok()) return keys.status();   // e.g. "... is readable by group or others ..."
//
// Thread safety: plain functions over their arguments and the files named.

#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/sigv4.h"
#include "common/status.h"

namespace tw::server {

struct AccessKeySources {
  std::vector<std::string> pairs;          // --access-key "ID:SECRET" (repeatable)
  std::vector<std::string> files;          // --access-key-file (repeatable)
  std::optional<std::string> environment;  // TRAILWATCH_ACCESS_KEYS, when set
};

struct AccessKeys {
  std::vector<api::Credentials> keys;  // never empty on success
  // <data dir>/credentials when the keys came from it (nothing was given);
  // `created` when this call made it.
  std::string credentials_file;
  bool created = false;
};

// The keys of a key file's `text`; `name` (the file's path) starts error
// messages, which give line numbers, never the line. Two forms, mixable:
//   # comment, blank lines
//   AKIDEXAMPLE:secret                       one key per line
//   [profile]                                an AWS shared-credentials file
//   aws_access_key_id = AKIDEXAMPLE          (such as <data dir>/credentials);
//   aws_secret_access_key = secret           other settings are ignored
// kInvalidArgument for a malformed line, a profile with only one of the two
// settings, or an ID given twice with different secrets.
Result<std::vector<api::Credentials>> ParseAccessKeyFile(std::string_view text,
                                                         const std::string& name);

// The keys of TRAILWATCH_ACCESS_KEYS: "ID:SECRET" items separated by commas
// or whitespace. kInvalidArgument for an item without ID or secret.
Result<std::vector<api::Credentials>> ParseAccessKeyList(std::string_view text);

// Every key of `sources` (pairs, then files, then the environment). When
// they give none, the pair in <data_dir>/credentials, created on first use
// with a fresh random key. Refuses (kFailedPrecondition) a key file that
// group or others may access or that belongs to another user (as ssh
// does), and a <data_dir>/credentials that is a symbolic link or not a
// regular file; kInvalidArgument for malformed keys or an ID given twice
// with different secrets; kDataLoss for a credentials file without a key;
// kIo when a file cannot be read or written.
Result<AccessKeys> LoadAccessKeys(const AccessKeySources& sources, const std::string& data_dir);

}  // namespace tw::server
