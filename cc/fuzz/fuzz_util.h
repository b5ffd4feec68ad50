// Shared by the fuzz targets: a region taken from the input's last bytes and
// the naive reference a region read must equal.
#ifndef TFNPY_CC_FUZZ_FUZZ_UTIL_H_
#define TFNPY_CC_FUZZ_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "npy/npy_format.h"

namespace tfnpy_fuzz {

// Up to 3 bounded axes, bounds 0..15 (INT64_MAX for 15), from bytes at the end.
inline tfnpy::Region RegionFrom(const uint8_t* data, size_t size, int ndims) {
  tfnpy::Region r;
  if (size < 4) return r;
  r.rank = data[size - 1] % 4;
  if (r.rank > ndims) r.rank = ndims;
  for (int k = 0; k < r.rank; ++k) {
    const uint8_t b = data[size - 2 - k];
    r.start[k] = b & 7;
    r.stop[k] = (b >> 4) == 15 ? INT64_MAX : (b >> 4);
  }
  return r;
}

// Box sel.lo..sel.hi of the C-order decode `all` of the whole array.
inline std::vector<uint8_t> PickBox(const tfnpy::Header& h, const tfnpy::Selection& sel,
                                    const std::vector<uint8_t>& all) {
  std::vector<uint8_t> out;
  if (sel.array.num_elements == 0) return out;
  const size_t item = h.itemsize;
  int64_t idx[tfnpy::kMaxDims];
  for (int k = 0; k < h.ndims; ++k) idx[k] = sel.lo[k];
  while (true) {
    uint64_t c = 0;
    for (int k = 0; k < h.ndims; ++k) c = c * static_cast<uint64_t>(h.dims[k]) + static_cast<uint64_t>(idx[k]);
    out.insert(out.end(), all.begin() + static_cast<std::ptrdiff_t>(c * item),
               all.begin() + static_cast<std::ptrdiff_t>((c + 1) * item));
    int k = h.ndims - 1;
    for (; k >= 0; --k) {
      if (++idx[k] < sel.hi[k]) break;
      idx[k] = sel.lo[k];
    }
    if (k < 0) return out;
  }
}

// For an S or U selection decoded into `raw`: ForEachString puts every
// element once, in order, within its item's UTF-8 bound, as valid UTF-8 for
// U (or refuses with kBadString, and only for an invalid code point).
inline void CheckStrings(const tfnpy::Selection& sel, const std::vector<uint8_t>& raw) {
  if (!tfnpy::IsString(sel.array.dtype)) return;
  struct Sink final : tfnpy::StringSink {
    uint64_t next = 0, max = 0;
    bool utf8 = false;
    tfnpy::Status Put(uint64_t index, const char* data, size_t size) override {
      if (index != next++ || size > max) __builtin_trap();
      size_t bad = 0;
      uint64_t cps = 0;
      if (size > 0 && data[size - 1] == '\0') __builtin_trap();  // Trailing NULs stripped.
      if (utf8 && !tfnpy::ValidUtf8(reinterpret_cast<const unsigned char*>(data), size, &bad, &cps)) __builtin_trap();
      return tfnpy::Status::Ok();
    }
  } sink;
  sink.max = sel.array.itemsize;
  sink.utf8 = sel.array.dtype == tfnpy::DType::kStr;
  const tfnpy::Status s =
      tfnpy::ForEachString(sel, reinterpret_cast<const char*>(raw.data()), raw.size(), &sink);
  if (s.ok() ? sink.next != sel.array.num_elements : s.code() != tfnpy::Code::kBadString) __builtin_trap();
}

// A source whose reads return nothing, whatever size it gives.
class Silent : public tfnpy::ByteSource {
 public:
  explicit Silent(uint64_t size) : size_(size) {}
  tfnpy::Status Read(uint64_t, size_t, char*, size_t* got) override {
    *got = 0;
    return tfnpy::Status::Ok();
  }
  bool Size(uint64_t* size) override {
    *size = size_;
    return true;
  }

 private:
  uint64_t size_;
};

// Runs read() with the core's allocation number `k` made to fail (k < 0:
// none): if one failed, the status must be kOutOfMemory and *failed is set;
// else read()'s status is returned.
template <typename F>
tfnpy::Status WithFailedAllocation(int k, bool* failed, F read) {
  tfnpy::FailAllocationsAfter(k);
  const tfnpy::Status s = read();
  *failed = tfnpy::AllocationFailed();
  tfnpy::FailAllocationsAfter(-1);
  if (*failed && s.code() != tfnpy::Code::kOutOfMemory) __builtin_trap();
  return s;
}

}  // namespace tfnpy_fuzz

#endif  // TFNPY_CC_FUZZ_FUZZ_UTIL_H_
