#include "npy/region.h"

#include <cstring>
#include <string>

#include "npy/text.h"

namespace tfnpy {

Status Select(const Header& header, const Region& region, Selection* out) {
  if (region.rank < 0 || region.rank > header.ndims) {
    return Status(Code::kBadArgument,
                  "a region over " + std::to_string(region.rank) +
                      " axes does not fit an array of shape " +
                      ShapeString(header.dims, header.ndims) + " (" +
                      std::to_string(header.ndims) + " axes)");
  }
  for (int i = 0; i < region.rank; ++i) {
    if (region.start[i] < 0 || region.stop[i] < 0) {
      return Status(Code::kBadArgument,
                    "region [" + std::to_string(region.start[i]) + ", " +
                        std::to_string(region.stop[i]) + ") on axis " +
                        std::to_string(i) +
                        " has a negative bound; start and stop must be >= 0");
    }
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
  uint64_t count = header.num_elements == 0 ? 0 : 1;
  for (int i = 0; i < header.ndims; ++i) {
    int64_t lo = 0, hi = header.dims[i];
    if (i < region.rank) {
      hi = region.stop[i] < hi ? region.stop[i] : hi;
      lo = region.start[i] < hi ? region.start[i] : hi;
    }
    out->lo[i] = lo;
    out->hi[i] = hi;
    out->array.dims[i] = hi - lo;
    if (lo != 0 || hi != header.dims[i]) out->whole = false;
    // Cannot overflow: each factor is at most the header's own dim, whose
    // product (or that of its nonzero part) was checked.
    count *= static_cast<uint64_t>(hi - lo);
  }
  if (header.num_elements == 0) out->whole = true;  // Nothing to read either way.
  out->array.num_elements = count;
  out->array.data_bytes = count * header.itemsize;
  return Status::Ok();
}

RunIterator::RunIterator(const Header& whole, const Selection& sel) {
  const int n = whole.ndims;
  if (sel.array.num_elements == 0) {
    done_ = true;
    return;
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
