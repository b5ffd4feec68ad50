// The framework-free .npy core, in one include. It depends on nothing but the
// C++ standard library; the TensorFlow kernels, the Python module and the
// fuzzers are thin glue over it.
//
//   status.h   Status and the error codes
//   memory.h   allocations that fail as a status (kOutOfMemory), never an exception
//   dtype.h    the dtype table and numpy's spellings of the dtypes
//   text.h     quoting for messages, UTF-8 validation, shape strings
//   literal.h  the non-evaluating Python-literal parser headers are read with
//   header.h   preamble and header parsing and validation
//   convert.h  copy, byte swap, bool normalisation, Fortran -> C order
//   region.h   regions (boxes over the first axes) and their byte runs
//   reader.h   ByteSource and NpyReader: header, size checks, read into a buffer
//   file.h     a local file as a ByteSource (POSIX open/pread)
//   strings.h  S and U array elements as byte strings (UTF-8 for U)
//   encode.h   writing: np.save's header bytes and the data after it
//   predicted.h  files np.save wrote for an array known beforehand: one read each
#ifndef TFNPY_CC_NPY_NPY_FORMAT_H_
#define TFNPY_CC_NPY_NPY_FORMAT_H_

#include "npy/convert.h"
#include "npy/dtype.h"
#include "npy/encode.h"
#include "npy/file.h"
#include "npy/header.h"
#include "npy/literal.h"
#include "npy/memory.h"
#include "npy/predicted.h"
#include "npy/reader.h"
#include "npy/region.h"
#include "npy/status.h"
#include "npy/strings.h"
#include "npy/text.h"

#endif  // TFNPY_CC_NPY_NPY_FORMAT_H_
