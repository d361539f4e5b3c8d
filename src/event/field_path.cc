#include "event/field_path.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>

namespace tw::event {
namespace {

bool IsPlainName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

}  // namespace

FieldPath::FieldPath(std::vector<Step> steps) : steps_(std::move(steps)) {
  canonical_ = "$";
  for (const Step& step : steps_) {
    if (step.is_index) {
      canonical_ += '[';
      canonical_ += std::to_string(step.index);
      canonical_ += ']';
    } else if (IsPlainName(step.member)) {
      canonical_ += '.';
      canonical_ += step.member;
    } else {
      canonical_ += "['";
      for (char c : step.member) {
        if (c == '\'' || c == '\\') canonical_ += '\\';
        canonical_ += c;
      }
      canonical_ += "']";
    }
  }
  // FNV-1a over the canonical text: cheap, and collisions are caught by the
  // memo's text comparison anyway.
  std::uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : canonical_) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  key_ = hash;
}

std::shared_ptr<const FieldPath> InternFieldPath(FieldPath path) {
  static std::mutex mutex;
  static auto* table = new std::unordered_map<std::string, std::weak_ptr<const FieldPath>>();
  std::lock_guard<std::mutex> lock(mutex);
  auto found = table->find(path.canonical());
  if (found != table->end()) {
    if (std::shared_ptr<const FieldPath> alive = found->second.lock()) return alive;
  }
  if (table->size() > 1024) {  // forget paths nobody uses any more
    std::erase_if(*table, [](const auto& entry) { return entry.second.expired(); });
  }
  auto shared = std::make_shared<const FieldPath>(std::move(path));
  (*table)[shared->canonical()] = shared;
  return shared;
}

}  // namespace tw::event
