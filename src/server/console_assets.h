// The web console's static files (web/), compiled into the binary by
// cmake/embed_assets.cmake: the server serves them from memory.

#pragma once

#include <span>
#include <string_view>

namespace tw::server {

struct ConsoleAsset {
  std::string_view path;  // relative to web/, e.g. "index.html", "js/app.js"
  std::string_view content_type;
  std::string_view body;
};

// Sorted by path.
std::span<const ConsoleAsset> ConsoleAssets();

}  // namespace tw::server
