// Regions of an array: which elements a read selects (a box over the first
// k axes, like DALI's roi_start/roi_end or a Python slice per axis), and the
// contiguous byte runs of the file that hold them.
#ifndef TFNPY_CC_NPY_REGION_H_
#define TFNPY_CC_NPY_REGION_H_

#include <cstdint>

#include "npy/header.h"
#include "npy/status.h"

namespace tfnpy {

// [start[i], stop[i]) on axes 0..rank-1; the other axes whole. rank 0 is the
// whole array. INT64_MAX as a stop means "to the end of the axis".
struct Region {
  int rank = 0;
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

// What a region selects from an array.
struct Selection {
  // The selected elements as an array of their own: dims, num_elements and
  // data_bytes of the selection, in the file's dtype, byte order and memory
  // order; data_offset stays the whole array's.
  Header array;
  // Clamped bounds on every axis of the whole array (whole axes: [0, dim)).
  // (Only [0, array.ndims) are set.)
  int64_t lo[kMaxDims];
  int64_t hi[kMaxDims];
  // The selection is the whole array.
  bool whole = true;
};

// Python slice semantics for non-negative bounds on each bounded axis: stop
// is clamped to the axis length, and start >= stop selects nothing. A region
// with more axes than the array, or with a negative bound, is refused with
// kBadArgument.
Status Select(const Header& header, const Region& region, Selection* out);

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
