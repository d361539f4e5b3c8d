#include "store/data_directory.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace tw::store {
namespace {

namespace fs = std::filesystem;

// At most this many changes are named in the log line; the rest are counted
// (a Maildir may hold thousands of messages).
constexpr std::size_t kNamedChanges = 8;

std::string Octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// "alice (uid 1000)", or "uid 1000" when the user has no name here.
std::string UserName(uid_t uid) {
  struct passwd* entry = getpwuid(uid);
  const std::string id = "uid " + std::to_string(uid);
  if (entry == nullptr || entry->pw_name == nullptr) return id;
  return std::string(entry->pw_name) + " (" + id + ")";
}

// What `chown` takes for `uid`: its name, else the number.
std::string ChownName(uid_t uid) {
  struct passwd* entry = getpwuid(uid);
  return entry != nullptr && entry->pw_name != nullptr ? entry->pw_name : std::to_string(uid);
}

std::string Who(mode_t mode, mode_t group_bits, mode_t other_bits) {
  if ((mode & group_bits) && (mode & other_bits)) return "its group and other users";
  return (mode & group_bits) ? "its group" : "other users";
}

// Drops the group and other bits of `path` (never following a symbolic
// link); records "name 0644 -> 0600" in `changes`.
Status Tighten(const std::string& path, const std::string& name, const struct stat& st,
               std::vector<std::string>* changes) {
  const mode_t mode = st.st_mode & 07777;
  const mode_t tight = mode & 07700;
  if (mode == tight) return Status::Ok();
  if (chmod(path.c_str(), tight) != 0) {
    return IoError("cannot make " + path + " private (chmod " + Octal(tight) +
                   "): " + std::strerror(errno));
  }
  changes->push_back(name + " " + Octal(mode) + " -> " + Octal(tight));
  return Status::Ok();
}

}  // namespace

Result<std::string> SecureDataDirectory(const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return IoError("cannot inspect data directory " + dir + ": " + std::strerror(errno));
    }
    // Parents follow the umask (077 in the CLI); the directory itself is
    // 0700 whatever the umask of a library caller.
    std::error_code error;
    fs::path path(dir);
    if (!path.has_filename()) path = path.parent_path();  // "data/" names "data"
    const fs::path parent = path.parent_path();
    if (!parent.empty()) fs::create_directories(parent, error);
    if (error) return IoError("cannot create data directory " + dir + ": " + error.message());
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return IoError("cannot create data directory " + dir + ": " + std::strerror(errno));
    }
    if (stat(dir.c_str(), &st) != 0) {
      return IoError("cannot inspect data directory " + dir + ": " + std::strerror(errno));
    }
  }
  if (!S_ISDIR(st.st_mode)) {
    return Status(StatusCode::kFailedPrecondition,
                  "data directory " + dir + " exists but is not a directory; give --data-dir a "
                  "directory (it is created when missing)");
  }
  const uid_t me = geteuid();
  if (st.st_uid != me) {
    return Status(StatusCode::kFailedPrecondition,
                  "data directory " + dir + " belongs to " + UserName(st.st_uid) +
                      ", not to " + UserName(me) +
                      ", who runs trailwatch; trailwatch keeps keys there and refuses a "
                      "directory another user controls. Run trailwatch as its owner, or take it "
                      "over with: chown -R " + ChownName(me) + " " + dir);
  }
  const mode_t mode = st.st_mode & 07777;
  if (mode & (S_IWGRP | S_IWOTH)) {
    return Status(StatusCode::kFailedPrecondition,
                  "data directory " + dir + " is writable by " + Who(mode, S_IWGRP, S_IWOTH) +
                      " (mode " + Octal(mode) +
                      "): another local user could replace its database or credentials, so "
                      "trailwatch refuses to use it. Make it private with: chmod 700 " + dir +
                      " (and check that no one else has added files to it)");
  }
  // Readable by others (what earlier versions created): the directory and
  // everything in it (the store and its -wal/-shm, the credentials, the
  // Maildir) are tightened. Once the directory is private the files' own
  // modes hardly matter, but a later `chmod 755` of the directory must not
  // expose them again; so even in a private directory the files at its top
  // are checked at every start (a handful: a database put back by hand after
  // a recovery is 0644).
  const bool open_directory = (mode & 077) != 0;
  std::vector<std::string> changes;
  TW_RETURN_IF_ERROR(Tighten(dir, dir, st, &changes));
  std::error_code error;
  fs::recursive_directory_iterator it(dir, error), end;
  for (; !error && it != end; it.increment(error)) {
    if (!open_directory) it.disable_recursion_pending();
    const std::string path = it->path().string();
    struct stat entry;
    // lstat: a symbolic link is left alone, and so is what it points to.
    if (lstat(path.c_str(), &entry) != 0 || S_ISLNK(entry.st_mode)) continue;
    if (entry.st_uid != me) continue;  // not ours to change (chmod would fail)
    if (!S_ISREG(entry.st_mode) && !S_ISDIR(entry.st_mode)) continue;
    TW_RETURN_IF_ERROR(
        Tighten(path, it->path().lexically_relative(dir).string(), entry, &changes));
  }
  if (error) return IoError("cannot list data directory " + dir + ": " + error.message());
  if (changes.empty()) return std::string();
  // The directory first, then its entries by name: the same line for the
  // same directory, whatever order the file system lists them in.
  std::sort(changes.begin() + (open_directory ? 1 : 0), changes.end());

  std::string note = open_directory ? "data directory " + dir + " was readable by " +
                                          Who(mode, S_IRWXG, S_IRWXO) + " (mode " + Octal(mode) +
                                          "); made it private: "
                                    : "files in data directory " + dir +
                                          " were readable by other users; made them private: ";
  for (std::size_t i = 0; i < changes.size() && i < kNamedChanges; ++i) {
    note += (i == 0 ? "" : ", ") + changes[i];
  }
  if (changes.size() > kNamedChanges) {
    note += " and " + std::to_string(changes.size() - kNamedChanges) + " more";
  }
  return note;
}

}  // namespace tw::store
