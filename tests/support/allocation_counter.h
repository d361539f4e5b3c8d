// Counts heap allocations, for tests that promise a hot path does not
// allocate. Linking this replaces every form of global operator new/delete
// (with malloc/free, consistently, so ASan's pairing checks still hold);
// only binaries that use AllocationCounter pull it in.

#pragma once

namespace tw::testing {

// While an AllocationCounter is alive, every operator new on its thread is
// counted. Not nestable.
class AllocationCounter {
 public:
  AllocationCounter();
  ~AllocationCounter();
  AllocationCounter(const AllocationCounter&) = delete;
  AllocationCounter& operator=(const AllocationCounter&) = delete;

  // Allocations made on this thread since construction.
  long count() const;
};

}  // namespace tw::testing
