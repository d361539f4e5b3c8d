// The data directory as a private place: the store holds the SNS signing
// key, subscription tokens and every log event, and the directory may hold
// the access key pair (`credentials`). Only the user running trailwatch may
// read it, and no one else may write it.
//
//   Result<std::string> note = SecureDataDirectory("/var/lib/trailwatch");
//   if (!note.ok()) return note.status();     // refused: the message says why and the fix
//   if (!note->empty()) LogWarning(*note);    // a legacy directory was tightened
//
// DirectoryLock::Acquire calls it, so every command that opens a data
// directory (serve, replay --notify, outbox) gets the same rules. Files
// trailwatch creates there are 0600 from the first byte (the CLI sets
// umask 077 at start; Database::Open and the credentials file give the mode
// explicitly as well), directories 0700.

#pragma once

#include <string>

#include "common/status.h"

namespace tw::store {

// Creates `dir` (mode 0700; missing parents as mkdir -p makes them) or
// checks the existing one (symbolic links to a directory are followed):
//  - kFailedPrecondition when it is not a directory, belongs to another
//    user, or group or others may write it (another local user could
//    replace the database or the credentials): the message names the path,
//    its mode or owner, and the command that fixes it;
//  - when group or others may read or enter it (what earlier versions
//    created: 0755 with 0644 files), it is made 0700 and every file and
//    directory in it that the user owns loses its group and other bits;
//    in a private directory, only the entries at its top are checked (a
//    database put back by hand after a recovery, say). Symbolic links and
//    what they point to are left alone. Returns one line describing what
//    changed, for the log; "" when nothing did.
//  - kIo when it cannot be created, inspected or tightened.
Result<std::string> SecureDataDirectory(const std::string& dir);

}  // namespace tw::store
