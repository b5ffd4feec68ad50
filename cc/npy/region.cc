#include "npy/region.h"

#include <cmath>
#include <cstring>
#include <string>

#include "npy/text.h"

namespace tfnpy {

bool ParseOutOfBounds(const char* name, size_t size, OutOfBounds* out) {
  for (OutOfBounds p : {OutOfBounds::kClamp, OutOfBounds::kError, OutOfBounds::kPad}) {
    const char* n = OutOfBoundsName(p);
    if (std::strlen(n) == size && std::memcmp(n, name, size) == 0) {
      *out = p;
      return true;
    }
  }
  return false;
}

const char* OutOfBoundsName(OutOfBounds policy) {
  switch (policy) {
    case OutOfBounds::kClamp:
      return "clamp";
    case OutOfBounds::kError:
      return "error";
    case OutOfBounds::kPad:
      return "pad";
  }
  return "?";
}

namespace {

// A bound as a position on an axis of `dim` (>= 0) elements: negative ones
// count from the end unless resolved; INT64_MAX as a stop is the end.
// Never overflows: a negative bound plus a non-negative dim stays in range.
int64_t Position(int64_t bound, int64_t dim, bool resolved, bool is_stop) {
  if (is_stop && bound == INT64_MAX) return dim;
  if (bound < 0 && !resolved) return bound + dim;
  return bound;
}

// The extent [a, b) selects: b - a, or 0 if a >= b; -1 if it does not fit
// in int64 (a pad box that large is refused).
int64_t Extent(int64_t a, int64_t b) {
  if (a >= b) return 0;
  if (a < 0 && b > INT64_MAX + a) return -1;
  return b - a;
}

}  // namespace

int64_t RegionExtent(OutOfBounds policy, bool resolved, int64_t start, int64_t stop, int64_t dim) {
  if (dim < 0) {
    // Without the dim: only bounds that do not move with it (both positions
    // on the same side of the axis, no "to the end") and, for kClamp, an
    // empty range.
    const bool from_end_a = start < 0 && !resolved;
    const bool from_end_b = stop < 0 && !resolved;
    if (stop == INT64_MAX || from_end_a != from_end_b) return -1;
    const int64_t e = Extent(start, stop);
    if (policy == OutOfBounds::kClamp) return e == 0 ? 0 : -1;
    return e;
  }
  const int64_t a = Position(start, dim, resolved, false);
  const int64_t b = Position(stop, dim, resolved, true);
  switch (policy) {
    case OutOfBounds::kClamp: {
      const int64_t hi = b < 0 ? 0 : b > dim ? dim : b;
      const int64_t lo = a < 0 ? 0 : a > hi ? hi : a;
      return hi - lo;
    }
    case OutOfBounds::kError:
      return a >= 0 && a <= b && b <= dim ? b - a : -1;
    case OutOfBounds::kPad:
      return Extent(a, b);
  }
  return -1;
}

Status ResolveRelative(const Header& header, int rank, const double* start, const double* stop,
                       Region* out) {
  if (rank < 0 || rank > header.ndims) {
    return Status(Code::kBadArgument,
                  "a region over " + std::to_string(rank) + " axes does not fit an array of shape " +
                      ShapeString(header.dims, header.ndims) + " (" + std::to_string(header.ndims) +
                      " axes)");
  }
  // Doubles in (-2**63, 2**63) convert to int64 exactly once rounded.
  constexpr double kLimit = 9223372036854775808.0;  // 2**63
  out->rank = rank;
  out->resolved = true;
  for (int i = 0; i < rank; ++i) {
    const double bounds[2] = {start[i], stop[i]};
    int64_t* at[2] = {&out->start[i], &out->stop[i]};
    for (int k = 0; k < 2; ++k) {
      const double v = std::round(bounds[k] * static_cast<double>(header.dims[i]));
      if (!(v > -kLimit && v < kLimit)) {  // Also NaN.
        return Status(Code::kBadArgument,
                      std::string("relative ") + (k == 0 ? "start " : "stop ") + std::to_string(bounds[k]) +
                          " on axis " + std::to_string(i) + " of shape " +
                          ShapeString(header.dims, header.ndims) + " is not a position in the array");
      }
      *at[k] = static_cast<int64_t>(v);
    }
  }
  return Status::Ok();
}

Status Select(const Header& header, const Region& region, Selection* out) {
  if (region.rank < 0 || region.rank > header.ndims) {
    return Status(Code::kBadArgument,
                  "a region over " + std::to_string(region.rank) +
                      " axes does not fit an array of shape " +
                      ShapeString(header.dims, header.ndims) + " (" +
                      std::to_string(header.ndims) + " axes)");
  }
  // The header without its unused dims (the copy is on every file's path).
  Header& a = out->array;
  a.preamble = header.preamble;
  a.dtype = header.dtype;
  a.itemsize = header.itemsize;
  a.swap = header.swap;
  a.fortran_order = header.fortran_order;
  a.ndims = header.ndims;
  a.data_offset = header.data_offset;
  std::memcpy(a.descr, header.descr, sizeof(a.descr));
  out->whole = true;
  out->padded = false;
  for (int i = 0; i < header.ndims; ++i) {
    const int64_t dim = header.dims[i];
    int64_t lo = 0, hi = dim, extent = dim, before = 0;
    if (i < region.rank) {
      const int64_t s = Position(region.start[i], dim, region.resolved, false);
      const int64_t e = Position(region.stop[i], dim, region.resolved, true);
      if (region.policy == OutOfBounds::kError && !(s >= 0 && s <= e && e <= dim)) {
        const std::string given = "[" + std::to_string(region.start[i]) + ", " +
                                  (region.stop[i] == INT64_MAX ? std::string("end") : std::to_string(region.stop[i])) +
                                  ")";
        const std::string at = "[" + std::to_string(s) + ", " + std::to_string(e) + ")";
        return Status(Code::kBadArgument,
                      "region " + given + (given == at ? "" : " (" + at + " on this file)") + " on axis " +
                          std::to_string(i) + " is out of bounds for shape " + ShapeString(header.dims, header.ndims) +
                          "; out_of_bounds='error' needs 0 <= start <= stop <= " + std::to_string(dim) +
                          " on that axis");
      }
      hi = e < 0 ? 0 : e > dim ? dim : e;
      lo = s < 0 ? 0 : s > hi ? hi : s;
      extent = hi - lo;
      if (region.policy == OutOfBounds::kPad) {
        extent = Extent(s, e);
        if (extent < 0) {
          return Status(Code::kSizeOverflow, "region [" + std::to_string(s) + ", " + std::to_string(e) +
                                                 ") on axis " + std::to_string(i) + " is too large");
        }
        // Fill before the part read: lo - s (computed without overflow),
        // at most the extent (a box wholly past the end reads nothing).
        const uint64_t gap = static_cast<uint64_t>(lo) - static_cast<uint64_t>(s);
        before = extent == 0 || s >= dim ? extent : static_cast<int64_t>(gap);
        if (extent != hi - lo) out->padded = true;
      }
    }
    out->lo[i] = lo;
    out->hi[i] = hi;
    out->before[i] = before;
    a.dims[i] = extent;
    if (lo != 0 || hi != dim) out->whole = false;
  }
  if (header.num_elements == 0) out->whole = true;  // Nothing to read either way.
  // Cannot overflow unless padded: each extent is then at most its dim, and
  // the dims' product (or that of their nonzero part) was checked.
  uint64_t count = 1;
  for (int i = 0; i < a.ndims && count != 0; ++i) {
    if (a.dims[i] == 0) count = 0;
  }
  for (int i = 0; i < a.ndims && count != 0; ++i) {
    if (!MulWithinInt64(count, static_cast<uint64_t>(a.dims[i]), &count)) {
      return Status(Code::kSizeOverflow, "the padded region " + ShapeString(a.dims, a.ndims) +
                                             " has more elements than int64 can count");
    }
  }
  a.num_elements = count;
  if (!MulWithinInt64(count, header.itemsize, &a.data_bytes)) {
    return Status(Code::kSizeOverflow, "the region " + ShapeString(a.dims, a.ndims) + " of " +
                                           DescribeDtype(header) + " overflows int64 bytes");
  }
  return Status::Ok();
}

Selection InnerOf(const Selection& sel) {
  Selection inner = sel;
  inner.padded = false;
  uint64_t count = 1;
  for (int i = 0; i < sel.array.ndims; ++i) {
    inner.array.dims[i] = sel.hi[i] - sel.lo[i];
    inner.before[i] = 0;
    count *= static_cast<uint64_t>(inner.array.dims[i]);  // At most the array's own count.
  }
  inner.array.num_elements = count;
  inner.array.data_bytes = count * sel.array.itemsize;
  return inner;
}

uint64_t PaddedIndex(const Selection& sel, uint64_t k) {
  const int n = sel.array.ndims;
  uint64_t index = 0, scale = 1;
  for (int i = n - 1; i >= 0; --i) {
    const uint64_t inner = static_cast<uint64_t>(sel.hi[i] - sel.lo[i]);
    const uint64_t at = inner == 0 ? 0 : k % inner;
    k = inner == 0 ? 0 : k / inner;
    index += (at + static_cast<uint64_t>(sel.before[i])) * scale;
    scale *= static_cast<uint64_t>(sel.array.dims[i]);
  }
  return index;
}

void PadInto(const Selection& sel, const char* src, size_t itemsize, const void* fill, char* dst) {
  const Header& a = sel.array;
  const uint64_t total = a.num_elements * itemsize;
  // The fill everywhere first (bytes all equal: one memset), then the rows read.
  const unsigned char* f = static_cast<const unsigned char*>(fill);
  bool uniform = true;
  for (size_t b = 1; f != nullptr && b < itemsize && uniform; ++b) uniform = f[b] == f[0];
  if (f == nullptr || uniform) {
    std::memset(dst, f == nullptr || itemsize == 0 ? 0 : f[0], static_cast<size_t>(total));
  } else {
    for (uint64_t o = 0; o < total; o += itemsize) std::memcpy(dst + o, f, itemsize);
  }
  const int n = a.ndims;
  if (n == 0) {
    std::memcpy(dst, src, itemsize);
    return;
  }
  int64_t inner[kMaxDims];
  for (int i = 0; i < n; ++i) {
    inner[i] = sel.hi[i] - sel.lo[i];
    if (inner[i] == 0) return;  // Nothing read: all fill.
  }
  // Rows of the last axis, stepped through the outer axes like an odometer.
  const size_t row = static_cast<size_t>(inner[n - 1]) * itemsize;
  int64_t idx[kMaxDims] = {};
  while (true) {
    uint64_t at = 0;
    for (int i = 0; i < n; ++i) {
      at = at * static_cast<uint64_t>(a.dims[i]) + static_cast<uint64_t>(idx[i] + sel.before[i]);
    }
    std::memcpy(dst + at * itemsize, src, row);
    src += row;
    int i = n - 2;
    for (; i >= 0; --i) {
      if (++idx[i] < inner[i]) break;
      idx[i] = 0;
    }
    if (i < 0) return;
  }
}

RunIterator::RunIterator(const Header& whole, const Selection& sel) {
  const int n = whole.ndims;
  for (int j = 0; j < n; ++j) {
    if (sel.lo[j] == sel.hi[j]) {  // Nothing of the array is read.
      done_ = true;
      return;
    }
  }
  // Storage axes: the file holds C order of the dims, or of the reversed
  // dims for a Fortran-order array.
  int64_t dims[kMaxDims];
  for (int j = 0; j < n; ++j) {
    const int axis = whole.fortran_order ? n - 1 - j : j;
    dims[j] = whole.dims[axis];
    lo_[j] = sel.lo[axis];
    hi_[j] = sel.hi[axis];
  }
  const uint64_t item = whole.itemsize;
  uint64_t stride = item;
  for (int j = n - 1; j >= 0; --j) {
    stride_[j] = stride;
    stride *= static_cast<uint64_t>(dims[j]);
  }
  // Inner axes taken whole are one contiguous block; the first partial axis
  // from the inside bounds the run; the axes outside it are stepped.
  int m = n - 1;
  while (m >= 0 && lo_[m] == 0 && hi_[m] == dims[m]) --m;
  if (m < 0) {
    run_bytes_ = whole.data_bytes;
    base_ = whole.data_offset;
    outer_ = 0;
    return;
  }
  run_bytes_ = static_cast<uint64_t>(hi_[m] - lo_[m]) * stride_[m];
  outer_ = m;
  base_ = whole.data_offset + static_cast<uint64_t>(lo_[m]) * stride_[m];
  for (int j = 0; j < m; ++j) {
    idx_[j] = lo_[j];
    base_ += static_cast<uint64_t>(lo_[j]) * stride_[j];
  }
}

bool RunIterator::Next(uint64_t* offset, uint64_t* length) {
  if (done_) return false;
  uint64_t at = base_;
  for (int j = 0; j < outer_; ++j) {
    at += static_cast<uint64_t>(idx_[j] - lo_[j]) * stride_[j];
  }
  *offset = at;
  *length = run_bytes_;
  // Step the odometer of the outer axes (innermost fastest).
  int j = outer_ - 1;
  for (; j >= 0; --j) {
    if (++idx_[j] < hi_[j]) break;
    idx_[j] = lo_[j];
  }
  if (j < 0) done_ = true;
  return true;
}

}  // namespace tfnpy
