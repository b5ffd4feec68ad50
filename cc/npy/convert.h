// Data conversion for the .npy format: copy, byte swap, bool normalisation
// and Fortran-to-C transposition into a caller's buffer.
#ifndef TFNPY_CC_NPY_CONVERT_H_
#define TFNPY_CC_NPY_CONVERT_H_

#include <cstddef>

#include "npy/header.h"
#include "npy/status.h"

namespace tfnpy {

// Converts the header's data into a C-order, native-endian array at `dst`:
// byte-swaps if needed (each half of a complex), turns Fortran order into C
// order, and writes bools as exactly 0 or 1. `src` points at the first data
// byte and must hold header.data_bytes bytes; `dst_size` must equal
// header.data_bytes. `src == dst` is allowed unless the data is in Fortran
// order with more than one non-trivial dimension.
Status DecodeData(const Header& header, const void* src, size_t src_size,
                  void* dst, size_t dst_size);

// False if DecodeData needs `src` and `dst` to be different buffers (the data
// is in Fortran order with two or more dimensions longer than 1).
bool CanDecodeInPlace(const Header& header);

}  // namespace tfnpy

#endif  // TFNPY_CC_NPY_CONVERT_H_
