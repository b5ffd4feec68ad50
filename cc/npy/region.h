// Regions of an array: which elements a read selects (a box over the first
// k axes, like DALI's roi_start/roi_end or a Python slice per axis), and the
// contiguous byte runs of the file that hold them.
#ifndef TFNPY_CC_NPY_REGION_H_
#define TFNPY_CC_NPY_REGION_H_

#include <cstdint>

#include "npy/header.h"
#include "npy/status.h"

namespace tfnpy {

// What a region does where its bounds reach outside the array (DALI's
// out_of_bounds_policy, with Python's slicing as the default).
enum class OutOfBounds : uint8_t {
  kClamp,  // Bounds are clamped to the axis, as a Python slice is: a smaller (or empty) result.
  kError,  // A bound outside [0, dim], or start > stop, is kBadArgument naming the axis and shape.
  kPad,    // The result has the requested size; elements outside the array are the fill value.
};

// "clamp", "error", "pad" (the op attr's spelling); false for anything else.
bool ParseOutOfBounds(const char* name, size_t size, OutOfBounds* out);
const char* OutOfBoundsName(OutOfBounds policy);

// [start[i], stop[i]) on axes 0..rank-1; the other axes whole. rank 0 is the
// whole array. A negative bound counts from the end of its axis, as in
// Python (-3 is dim - 3), unless `resolved` (ResolveRelative's bounds, which
// are positions: a negative one lies before the array). INT64_MAX as a stop
// means "to the end of the axis".
struct Region {
  int rank = 0;
  OutOfBounds policy = OutOfBounds::kClamp;
  bool resolved = false;
  // Only [0, rank) are read (and Region() zeroes them all): not zeroing
  // 1 KiB for every element of a batch was measurable.
  int64_t start[kMaxDims];
  int64_t stop[kMaxDims];

  // Rows [start, stop) of axis 0.
  static Region Rows(int64_t start, int64_t stop) {
    Region r;
    r.rank = 1;
    r.start[0] = start;
    r.stop[0] = stop;
    return r;
  }
};

// DALI's rel_roi_start / rel_roi_end: bounds as fractions of each axis of
// `header` (0.0 the start, 1.0 the end), rounded to the nearest index (half
// away from zero): start[i] * dims[i], stop[i] * dims[i]. Sets out->start,
// stop and rank, and marks the region resolved; its policy is left as it
// is. kBadArgument for a bound that is not a finite number or whose index
// does not fit in int64, or for more axes than the array has.
Status ResolveRelative(const Header& header, int rank, const double* start, const double* stop,
                       Region* out);

// The extent a region's bounds [start, stop) select on an axis of `dim`
// elements under `policy`, for static shapes: -1 if it depends on a dim
// not known (dim < 0), and for bounds the policy refuses (a shape function
// leaves those to the kernel's error).
int64_t RegionExtent(OutOfBounds policy, bool resolved, int64_t start, int64_t stop, int64_t dim);

// What a region selects from an array.
struct Selection {
  // The selected elements as an array of their own: dims, num_elements and
  // data_bytes of the result, in the file's dtype, byte order and memory
  // order; data_offset stays the whole array's. When padded, its dims are
  // the requested box, larger than [lo, hi).
  Header array;
  // The part of the array that is read, on every axis of the whole array
  // (whole axes: [0, dim)). (Only [0, array.ndims) are set.)
  int64_t lo[kMaxDims];
  int64_t hi[kMaxDims];
  // The selection is the whole array.
  bool whole = true;
  // kPad reached outside the array: array.dims exceed hi - lo somewhere,
  // and before[i] elements of fill come before lo[i] on axis i (only
  // [0, array.ndims) are set).
  bool padded = false;
  int64_t before[kMaxDims];
};

// The region's selection from the array `header` describes. Bounds past
// the axis follow region.policy (Python's slicing by default); a region with
// more axes than the array is refused with kBadArgument, as are, with kPad,
// boxes whose size overflows int64 (kSizeOverflow).
Status Select(const Header& header, const Region& region, Selection* out);

// The part of a padded selection that is read from the array: `sel` with
// dims hi - lo and no padding (what ReadInto reads before padding it).
Selection InnerOf(const Selection& sel);

// Index, in C order of sel.array's dims, of element k (C order) of
// InnerOf(sel): where a padded read puts it.
uint64_t PaddedIndex(const Selection& sel, uint64_t k);

// Lays the C-order elements of InnerOf(sel) (at src, `itemsize` bytes each)
// out in the C-order box sel.array describes (at dst, sel.array.num_elements
// items), every other element a copy of the `itemsize` bytes at `fill`
// (nullptr: zero bytes).
void PadInto(const Selection& sel, const char* src, size_t itemsize, const void* fill, char* dst);

// The selection's bytes in the file as maximal contiguous runs, in increasing
// file order. Laid end to end the runs are the selection in the file's
// memory order (C order of the selected dims for a C-order file, Fortran
// order for a Fortran-order one), ready for DecodeData with sel.array.
class RunIterator {
 public:
  RunIterator(const Header& whole, const Selection& sel);
  // The next run: its file offset (from the start of the file) and length
  // in bytes. False when there are no more.
  bool Next(uint64_t* offset, uint64_t* length);
  // Bytes of every run (all runs have the same length).
  uint64_t run_bytes() const { return run_bytes_; }

 private:
  int outer_ = 0;  // Storage axes 0..outer_-1 are stepped through.
  int64_t lo_[kMaxDims] = {};
  int64_t hi_[kMaxDims] = {};
  int64_t idx_[kMaxDims] = {};
  uint64_t stride_[kMaxDims] = {};  // Bytes per step of each storage axis.
  uint64_t base_ = 0;               // File offset of the first run.
  uint64_t run_bytes_ = 0;
  bool done_ = false;
};

}  // namespace tfnpy

#endif  // TFNPY_CC_NPY_REGION_H_
