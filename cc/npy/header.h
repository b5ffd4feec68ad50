// The .npy preamble and header: parsing and validation.
//
// Typical use, for a complete file held in memory:
//
//   tfnpy::Header h;
//   tfnpy::Status s = tfnpy::ParseNpy(bytes, size, tfnpy::Limits(), &h);
//   if (!s.ok()) return s;
//   ... allocate h.data_bytes bytes at dst ...
//   s = tfnpy::DecodeData(h, bytes + h.data_offset, size - h.data_offset,
//                         dst, h.data_bytes);
//
// Files and other byte sources are read with NpyReader (reader.h), which
// calls these in order: ParsePreamble on the first bytes, ParseHeader once
// data_offset bytes are in, then the data-size and output-size checks.
#ifndef TFNPY_CC_NPY_HEADER_H_
#define TFNPY_CC_NPY_HEADER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "npy/dtype.h"
#include "npy/literal.h"  // kMaxDims
#include "npy/status.h"

namespace tfnpy {

// a * b into *out if it stays within int64 (sizes and counts of arrays);
// false, *out unchanged, otherwise.
inline bool MulWithinInt64(uint64_t a, uint64_t b, uint64_t* out) {
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  if (a > kMax || b > kMax || (a != 0 && b > kMax / a)) return false;
  *out = a * b;
  return true;
}

// Bytes before the header text: 10 for version 1.0, 12 for 2.0 and 3.0.
constexpr size_t kMaxPreambleSize = 12;

struct Limits {
  // numpy refuses headers longer than this (np.load's max_header_size) unless
  // told otherwise: a long header costs parse time before any data is read.
  uint64_t max_header_size = 10000;
  // Largest array (or selected region) a caller will allocate. Checked after
  // the input is known to hold the array, so a truncated input is reported
  // as such whatever size it declares.
  uint64_t max_output_bytes = UINT64_MAX;
};

struct Preamble {
  uint8_t major = 0;         // 1, 2 or 3.
  uint8_t minor = 0;         // Always 0.
  uint64_t header_len = 0;   // Bytes of header text after the preamble.
  uint64_t data_offset = 0;  // Preamble + header: where the data starts.
};

struct Header {
  Preamble preamble;
  DType dtype = DType::kBool;
  bool swap = false;           // Data byte order differs from this machine's.
  bool fortran_order = false;  // Data is stored column-major.
  int ndims = 0;
  // The logical shape, as numpy reports it. Only dims[0, ndims) are set: a
  // Header is copied a lot, and 512 bytes of zeros per copy are measurable.
  int64_t dims[kMaxDims];
  uint64_t num_elements = 0;   // Product of dims (1 for a scalar).
  uint64_t itemsize = 0;       // Bytes per element: ItemSize(dtype), or the descr's (S3: 3, U5: 20).
  uint64_t data_bytes = 0;     // num_elements * itemsize.
  uint64_t data_offset = 0;    // Same as preamble.data_offset.
  char descr[24] = {};         // descr as written (truncated), for messages.
};

// Reads magic, version and header length from the first bytes of a file.
// `size` may be anything; fewer than the preamble needs gives kTruncated.
Status ParsePreamble(const void* data, size_t size, const Limits& limits,
                     Preamble* out);

// Parses the preamble and header dict. `data` must hold at least the first
// `data_offset` bytes of the file (the data itself is not needed). Checks
// dims, element count and byte size for overflow; does not check that the
// data is present, nor limits.max_output_bytes.
Status ParseHeader(const void* data, size_t size, const Limits& limits,
                   Header* out);

// What one string element costs in a string tensor besides its characters:
// sizeof(tensorflow::tstring) (checked where TensorFlow is in view).
constexpr uint64_t kStringObjectBytes = 24;

// The bytes an array costs its reader: data_bytes for numbers; for an S or
// U array read into strings, data_bytes (the file's bytes, read first; the
// strings' characters take at most as many) plus kStringObjectBytes per
// element.
uint64_t OutputBytes(const Header& header);

// kTooLarge if the header's array (OutputBytes) is larger than
// limits.max_output_bytes.
Status CheckOutputSize(const Header& header, const Limits& limits);

// kDataTruncated unless `input_size` bytes (counted from the start of the
// file) hold the whole array. Trailing bytes after the array are allowed and
// ignored, as np.load does.
Status CheckDataSize(const Header& header, uint64_t input_size);

// ParseHeader + CheckDataSize + CheckOutputSize for a complete file held in
// memory.
Status ParseNpy(const void* data, size_t size, const Limits& limits,
                Header* out);

// "<f8 (float64)": the descr as written and the type it maps to.
std::string DescribeDtype(const Header& header);

// The tensor types a file can be read as, for messages: "bool, int8, ...,
// complex128, string, bfloat16".
std::string TensorTypeList();

// kBadArgument unless an array of the file's type reads as a tensor of
// `want` (a DType of TensorDTypes): the same type; for a string tensor
// (want S or U) an S or a U array; for an ml_dtypes type a V array of its
// item size. The message names both: "file holds <U5 (str), expected
// float32".
Status CheckDtype(const Header& file, DType want);

// The type `array` (a Selection's) is read as once CheckDtype(file, want)
// passed: a V array becomes `want` (its byte order then counts), others
// stay.
void ReadAs(DType want, Header* array);

}  // namespace tfnpy

#endif  // TFNPY_CC_NPY_HEADER_H_
