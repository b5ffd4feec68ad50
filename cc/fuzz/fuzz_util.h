// Shared by the fuzz targets: a region taken from the input's last bytes and
// the naive reference a region read must equal.
#ifndef TFNPY_CC_FUZZ_FUZZ_UTIL_H_
#define TFNPY_CC_FUZZ_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "npy/npy_format.h"

namespace tfnpy_fuzz {

// Up to 3 bounded axes from bytes at the end: starts -7..7, stops -7..7 or
// INT64_MAX (the end), and the out-of-bounds policy (clamp, error, pad).
inline tfnpy::Region RegionFrom(const uint8_t* data, size_t size, int ndims) {
  tfnpy::Region r;
  if (size < 4) return r;
  r.rank = data[size - 1] % 4;
  if (r.rank > ndims) r.rank = ndims;
  r.policy = static_cast<tfnpy::OutOfBounds>((data[size - 1] >> 2) % 3);
  for (int k = 0; k < r.rank; ++k) {
    const uint8_t b = data[size - 2 - k];
    r.start[k] = (b & 8) ? -(b & 7) : (b & 7);
    const int hi = b >> 4;
    r.stop[k] = hi == 15 ? INT64_MAX : hi < 8 ? hi : 7 - hi;
  }
  return r;
}

// The bytes of an item outside the array in a padded read (as many as an
// item has), for the fuzzers.
inline std::vector<uint8_t> Fill(uint64_t itemsize) {
  std::vector<uint8_t> fill(itemsize);
  for (uint64_t b = 0; b < itemsize; ++b) fill[b] = static_cast<uint8_t>(0xA5 ^ b);
  return fill;
}

// The naive reference of a region read, from the C-order decode `all` of the
// whole array: per axis the bounds as positions (negative ones from the end),
// then clamped, or refused (kError: *refused), or the requested box with
// `fill` (an item's bytes) outside the array.
inline std::vector<uint8_t> ExpectedRegion(const tfnpy::Header& h, const tfnpy::Region& r,
                                           const std::vector<uint8_t>& all, const std::vector<uint8_t>& fill,
                                           bool* refused) {
  *refused = false;
  const int n = h.ndims;
  const uint64_t item = h.itemsize;
  int64_t origin[tfnpy::kMaxDims], extent[tfnpy::kMaxDims];
  uint64_t count = 1;
  for (int k = 0; k < n; ++k) {
    const int64_t d = h.dims[k];
    int64_t s = 0, e = d;
    if (k < r.rank) {
      s = r.start[k] < 0 ? r.start[k] + d : r.start[k];
      e = r.stop[k] == INT64_MAX ? d : r.stop[k] < 0 ? r.stop[k] + d : r.stop[k];
    }
    if (r.policy == tfnpy::OutOfBounds::kError && !(0 <= s && s <= e && e <= d)) {
      *refused = true;
      return {};
    }
    if (r.policy == tfnpy::OutOfBounds::kPad) {
      origin[k] = s;
      extent[k] = e > s ? e - s : 0;
    } else {
      const int64_t hi = e < 0 ? 0 : e > d ? d : e;
      origin[k] = s < 0 ? 0 : s > hi ? hi : s;
      extent[k] = hi - origin[k];
    }
    count *= static_cast<uint64_t>(extent[k]);
  }
  std::vector<uint8_t> out;
  if (count == 0) return out;
  out.reserve(count * item);
  int64_t idx[tfnpy::kMaxDims] = {};
  for (uint64_t done = 0; done < count; ++done) {
    bool inside = true;
    uint64_t c = 0;
    for (int k = 0; k < n; ++k) {
      const int64_t at = origin[k] + idx[k];
      inside = inside && at >= 0 && at < h.dims[k];
      c = c * static_cast<uint64_t>(h.dims[k]) + static_cast<uint64_t>(inside ? at : 0);
    }
    for (uint64_t b = 0; b < item; ++b) out.push_back(inside ? all[c * item + b] : fill[b]);
    for (int k = n - 1; k >= 0; --k) {
      if (++idx[k] < extent[k]) break;
      idx[k] = 0;
    }
  }
  return out;
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
