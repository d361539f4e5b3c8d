// This machine's name, as mail headers, Maildir file names and node names
// show it.

#pragma once

#include <string>

namespace tw {

// gethostname(), or "localhost" when the machine has no name.
std::string HostName();

}  // namespace tw
