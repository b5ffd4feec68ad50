// Writing .npy files: the header bytes np.save writes, and the data after it.
//
//   tfnpy::ElementFormat format = tfnpy::FormatOf(tfnpy::DType::kFloat32);
//   tfnpy::EncodePlan plan;
//   TFNPY_RETURN_IF_ERROR(tfnpy::PlanEncode(format, dims, ndims, &plan));
//   ... allocate plan.total_size bytes at dst ...
//   TFNPY_RETURN_IF_ERROR(tfnpy::EncodeInto(plan, data, data_size, dst, plan.total_size));
//
// The bytes equal np.save's (np.lib.format.write_array with version=None)
// for a C-order array: the header dict "{'descr': '<f4', 'fortran_order':
// False, 'shape': (2, 3), }", numpy's 21 - len(repr(shape[0])) spare spaces
// (room to grow axis 0 in place), then spaces and a '\n' up to a multiple of
// 64 bytes counting the preamble (always at least one space: numpy adds 64
// where the text would end exactly on a boundary). Version 1.0; 2.0 when the
// header length does not fit in 16 bits (only a long caller-provided descr
// can get there: 64 dims of 19 digits stay under 2 KB).
//
// Data is written little-endian whatever the host (a big-endian host swaps
// each element's swap units), bools as 0/1. Strings are numpy's fixed-width
// bytes '|S<n>': n is the longest element (at least 1, as numpy gives |S1
// for all-empty strings), each element padded with NULs; np.load strips
// trailing NULs, so b"a\0" reads back as b"a" (as with numpy's own files).
#ifndef TFNPY_CC_NPY_ENCODE_H_
#define TFNPY_CC_NPY_ENCODE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "npy/dtype.h"
#include "npy/literal.h"  // kMaxDims
#include "npy/status.h"

namespace tfnpy {

// Longest descr PlanEncode takes (a guard on header size, not a numpy rule).
constexpr size_t kMaxEncodeDescr = 1 << 20;

// How elements are written.
struct ElementFormat {
  std::string descr;       // As written in the header: "<f4", "|S5", "<V2".
  uint64_t item_size = 0;  // Bytes per element in the file (>= 1).
  uint64_t swap_unit = 1;  // Bytes reversed by a big-endian host (1: none).
  bool normalize_bool = false;  // Write each byte as 0 or 1.
  bool strings = false;    // Elements are byte strings (EncodeStringsInto).
};

// A fixed-size type of the dtype table as np.save writes it: DTypeDescr
// ("<f8", "|b1"), its size and swap unit. ml_dtypes' types (bfloat16) are
// "<V<size>", their dtype.str, which is what np.save writes: numpy knows them
// only as opaque bytes (np.load gives a V2 array, .view(ml_dtypes.bfloat16)
// the values); the bytes are the little-endian bit pattern on every host.
// Not for S and U (BytesFormat).
ElementFormat FormatOf(DType dtype);

// numpy's fixed-width bytes, "|S<width>", for string tensors; kBadArgument
// for a width of 0 or one that overflows.
Status BytesFormat(uint64_t width, ElementFormat* out);

// The width numpy gives an array of these strings: the longest, at least 1.
uint64_t StringWidth(const std::string_view* elements, uint64_t n);

// Everything EncodeInto needs, computed once.
struct EncodePlan {
  ElementFormat format;
  int major = 1;             // Format version: 1 or 2 (.0).
  std::string header;        // Preamble + dict + padding + '\n', a multiple of 64 bytes.
  uint64_t num_elements = 0; // Product of dims (1 for a scalar).
  uint64_t data_bytes = 0;   // num_elements * item_size.
  uint64_t total_size = 0;   // header.size() + data_bytes: the whole file.
  // The data can be written as the caller holds it (little-endian host, no
  // bools to normalise, not strings): header then the caller's bytes.
  bool verbatim = false;
};

// Validates the format and dims and computes the header and sizes. Errors:
// kTooManyDims (more than kMaxDims), kBadShape (a negative dim), kBadDescr
// (empty, too long, or characters other than printable ASCII without quotes
// and backslashes), kBadArgument (item size 0), kSizeOverflow (elements,
// data bytes or the file size past INT64_MAX or SIZE_MAX; zero-size dims do
// not hide an overflow of the others, as for the reader).
Status PlanEncode(const ElementFormat& format, const int64_t* dims, int ndims,
                  EncodePlan* out);

// Writes the whole file into dst. `data` holds num_elements elements in C
// order and native byte order (data_size must be plan.data_bytes);
// dst_size must be plan.total_size. kBadArgument otherwise, or for a
// strings plan.
Status EncodeInto(const EncodePlan& plan, const void* data, size_t data_size,
                  void* dst, size_t dst_size);

// The same for a strings plan: n (must be num_elements) byte strings, each
// at most item_size bytes (kBadArgument naming the element otherwise).
Status EncodeStringsInto(const EncodePlan& plan, const std::string_view* elements,
                         uint64_t n, void* dst, size_t dst_size);

}  // namespace tfnpy

#endif  // TFNPY_CC_NPY_ENCODE_H_
