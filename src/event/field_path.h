// A path to one value inside a JSON event: member names and array indexes,
// no wildcards (the pattern engine expands wildcards itself).
//
// A FieldPath is immutable once built and may be shared between threads.
// EventView memoizes lookups per FieldPath *object*; InternFieldPath() gives
// every equal path the same object, so that the many patterns naming
// `$.eventName` resolve it once per event.

#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace tw::event {

class FieldPath {
 public:
  struct Step {
    bool is_index = false;
    std::string member;     // when !is_index
    std::size_t index = 0;  // when is_index
  };

  FieldPath() = default;
  explicit FieldPath(std::vector<Step> steps);

  const std::vector<Step>& steps() const { return steps_; }
  // A stable 64-bit fingerprint of the steps; equal paths have equal keys.
  std::uint64_t key() const { return key_; }
  // Canonical text, e.g. `$.a.b[0]['x.y']`; also the memo's collision check.
  const std::string& canonical() const { return canonical_; }

  bool operator==(const FieldPath& other) const { return canonical_ == other.canonical_; }

 private:
  std::vector<Step> steps_;
  std::uint64_t key_ = 0;
  std::string canonical_;
};

// The process-wide shared instance equal to `path`. Thread-safe; meant for
// compile time, not for the per-event path. An instance lives as long as
// someone holds it.
std::shared_ptr<const FieldPath> InternFieldPath(FieldPath path);

}  // namespace tw::event
