#include "npy/memory.h"

#include <atomic>
#include <string>

namespace tfnpy {

namespace {
// Allocations left before the injected failures start; negative: none fail.
std::atomic<int64_t> g_allowed{-1};
std::atomic<bool> g_failed{false};
}  // namespace

void FailAllocationsAfter(int64_t after) {
  g_failed.store(false, std::memory_order_relaxed);
  g_allowed.store(after < 0 ? -1 : after, std::memory_order_relaxed);
}

bool AllocationFailed() { return g_failed.load(std::memory_order_relaxed); }

bool AllocationAllowed() {
  int64_t left = g_allowed.load(std::memory_order_relaxed);
  if (left < 0) return true;
  // Under test: count down to zero, then fail every allocation.
  while (left > 0 && !g_allowed.compare_exchange_weak(left, left - 1, std::memory_order_relaxed)) {
  }
  if (left == 0) g_failed.store(true, std::memory_order_relaxed);
  return left != 0;
}

Status OutOfMemory(uint64_t bytes, const char* what) {
  return Status(Code::kOutOfMemory,
                "out of memory: cannot allocate " + std::to_string(bytes) + " bytes for " + what);
}

char* NewBytes(uint64_t n) {
  if (n > SIZE_MAX || !AllocationAllowed()) return nullptr;
  return new (std::nothrow) char[n == 0 ? 1 : static_cast<size_t>(n)];
}

Status AllocateBytes(uint64_t n, const char* what, std::unique_ptr<char[]>* out) {
  out->reset(NewBytes(n));
  return *out != nullptr ? Status::Ok() : OutOfMemory(n, what);
}

}  // namespace tfnpy
