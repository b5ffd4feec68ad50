// Reading a file whose array is known before it is opened: ReadNpy with a
// dtype and a whole shape, reading whole arrays. np.save writes exactly one
// header for that array (encode.h plans it byte for byte), so a file that
// begins with those bytes holds that array right after them. One scatter
// read (preadv) then brings the header into a small buffer and the data
// straight into the caller's output, and a byte comparison stands in for
// the header parser: a small file costs one open, one read and one close,
// and no copy.
//
//   tfnpy::PredictedNpy predicted;
//   if (predicted.Init(tfnpy::DType::kFloat64, dims, 2, limits)) {
//     ... allocate predicted.array().data_bytes bytes at dst ...
//     if (!predicted.Read(&file, dst)) {
//       ... read the file with NpyReader: its result or error ...
//     }
//   }
//
// Read claims only files on which NpyReader would succeed with the same
// bytes: the predicted header parses to the predicted array (checked once,
// by Init), and all of its data is there. Anything else (another header
// spelling or an older numpy's padding, big-endian data, Fortran order, a
// short file, a failed read) is left to NpyReader, which gives the result or
// the error it always gives.
#ifndef TFNPY_CC_NPY_PREDICTED_H_
#define TFNPY_CC_NPY_PREDICTED_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "npy/dtype.h"
#include "npy/header.h"
#include "npy/reader.h"

namespace tfnpy {

class PredictedNpy {
 public:
  // Longest predicted header Read holds on its stack (np.save's header for
  // 64 dims of 19 digits is under 2 KiB).
  static constexpr size_t kMaxHeader = 4096;

  // Predicts the file np.save writes for an array of `dtype` (a tensor
  // dtype of the table; an ml_dtypes type as the V array np.save writes)
  // and dims. False, and usable() false, where there is nothing to predict
  // or the general path must answer: strings (read through NpyReader into
  // string tensors), a header longer than kMaxHeader or limits.max_header_size,
  // an array larger than limits.max_output_bytes, dims that np.save could
  // not write (negative, too many, overflowing).
  bool Init(DType dtype, const int64_t* dims, int ndims, const Limits& limits);
  bool usable() const { return !header_.empty(); }

  // The array Read gives: what NpyReader's Select and ReadAs give for the
  // predicted file (C order, the tensor's dtype).
  const Header& array() const { return array_; }
  // np.save's header bytes, preamble to '\n' (empty unless usable()).
  const std::string& header() const { return header_; }

  // Reads the file at `source` into dst (array().data_bytes bytes) if it is
  // the predicted file: its first bytes are header() and at least
  // array().data_bytes bytes follow. True: dst holds the array as
  // NpyReader::ReadInto gives it (native byte order, bools 0/1). False: any
  // other file, or a read that failed; dst's bytes are then unspecified and
  // the file is read with NpyReader. One ReadScattered of the header and
  // the data (up to NpyReader::kFirstRead bytes in all, so another file
  // costs little), then one Read of the rest of a larger array.
  bool Read(ByteSource* source, void* dst) const;

 private:
  std::string header_;
  Header array_;
};

}  // namespace tfnpy

#endif  // TFNPY_CC_NPY_PREDICTED_H_
