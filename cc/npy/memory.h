// Memory the core takes, without exceptions: a failed allocation is a
// status, kOutOfMemory naming what was being allocated and its size.
//
//   std::unique_ptr<char[]> buf;
//   TFNPY_RETURN_IF_ERROR(tfnpy::AllocateBytes(n, "the string data", &buf));
//   TFNPY_RETURN_IF_ERROR(tfnpy::Growing(n * sizeof(Entry), "the central directory",
//                                        [&] { entries.reserve(n); }));
//
// Every allocation whose size the input decides (arrays, scratch buffers, a
// zip directory and its entries, held bytes) goes through these. What is left
// to the standard library's throwing allocation is bounded by small constants
// (messages, a header's text, names of at most 64 KiB): callers that must
// outlive any failure catch std::bad_alloc at their boundary, as the
// TensorFlow kernels and the Python module do.
#ifndef TFNPY_CC_NPY_MEMORY_H_
#define TFNPY_CC_NPY_MEMORY_H_

#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>

#include "npy/status.h"

namespace tfnpy {

// kOutOfMemory: "out of memory: cannot allocate <bytes> bytes for <what>".
Status OutOfMemory(uint64_t bytes, const char* what);

// False when the test hook (FailAllocationsAfter) says this allocation fails.
bool AllocationAllowed();

// n uninitialised bytes (at least one is allocated, so n == 0 works too), or
// kOutOfMemory; *out is left empty then.
Status AllocateBytes(uint64_t n, const char* what, std::unique_ptr<char[]>* out);

// The same as a raw pointer for the caller to delete[], or nullptr.
char* NewBytes(uint64_t n);

// Runs fn, which grows standard containers by about `bytes`, and turns a
// failed allocation in it (std::bad_alloc, std::length_error) into
// kOutOfMemory. For containers whose size the input decides.
template <typename F>
Status Growing(uint64_t bytes, const char* what, F&& fn) {
  if (!AllocationAllowed()) return OutOfMemory(bytes, what);
  try {
    fn();
  } catch (const std::bad_alloc&) {
    return OutOfMemory(bytes, what);
  } catch (const std::length_error&) {
    return OutOfMemory(bytes, what);
  }
  return Status::Ok();
}

// For tests and fuzzers: after `after` more allocations through this file
// succeed, every later one fails (as if memory had run out); -1 (the
// default) turns failures off. Process-wide.
void FailAllocationsAfter(int64_t after);
// Whether an allocation was made to fail since FailAllocationsAfter.
bool AllocationFailed();

}  // namespace tfnpy

#endif  // TFNPY_CC_NPY_MEMORY_H_
