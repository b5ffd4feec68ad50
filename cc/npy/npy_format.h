// Framework-free reader for the NumPy .npy format (versions 1.0, 2.0, 3.0).
//
// Depends on nothing but the C++ standard library. Nothing here throws or
// aborts on bad input: every entry point returns a Status, and a failed call
// leaves its outputs unspecified. The TensorFlow kernels and the Python module
// are thin glue over these functions.
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
// A reader that streams from a file calls ParsePreamble on the first
// kMaxPreambleSize bytes, then ParseHeader on the first data_offset bytes,
// then checks the file size with CheckDataSize before it allocates.
#ifndef TFNPY_CC_NPY_NPY_FORMAT_H_
#define TFNPY_CC_NPY_NPY_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace tfnpy {

// Why a call failed. One line per value; Status::message() gives the details
// (the expected and the found value).
enum class Code : uint8_t {
  kOk = 0,            // Success.
  kTruncated,         // Input ends inside the preamble (magic, version, header length).
  kBadMagic,          // The first six bytes are not "\x93NUMPY".
  kBadVersion,        // Format version is not 1.0, 2.0 or 3.0.
  kHeaderTooLarge,    // Header is longer than Limits::max_header_size.
  kHeaderTruncated,   // The header length points past the end of the input.
  kHeaderEncoding,    // A version 3.0 header is not valid UTF-8.
  kHeaderSyntax,      // The header is not a Python dict literal we can read.
  kHeaderKeys,        // Keys other than exactly descr, fortran_order, shape.
  kBadDescr,          // descr is not a dtype string numpy understands.
  kUnsupportedDtype,  // A valid numpy dtype with no tensor equivalent (object, str, structured...).
  kBadFortranOrder,   // fortran_order is not True or False.
  kBadShape,          // shape is not a tuple of non-negative integers.
  kTooManyDims,       // More than kMaxDims dimensions.
  kSizeOverflow,      // Element count or byte size does not fit in int64.
  kDataTruncated,     // The input holds fewer data bytes than the header declares.
  kTooLarge,          // The array is larger than Limits::max_output_bytes.
  kBadArgument,       // The caller passed inconsistent arguments (buffer size, row range).
};

// Short stable name of a code, e.g. "kBadMagic" -> "bad_magic".
const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK.
  Status(Code code, std::string message)
      : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Element types a .npy file can hold that tensors can represent.
enum class DType : uint8_t {
  kBool, kInt8, kInt16, kInt32, kInt64, kUInt8, kUInt16, kUInt32, kUInt64,
  kFloat16, kFloat32, kFloat64, kComplex64, kComplex128,
};
constexpr int kNumDTypes = 14;

// Bytes per element (complex64 is 8: two float32 halves).
size_t ItemSize(DType dtype);
// numpy's name of the type: "float64", "bool", "complex64".
const char* DTypeName(DType dtype);
// The little-endian numpy descr of the type: "<f8", "|b1".
const char* DTypeDescr(DType dtype);

// numpy 2.x allows at most 64 dimensions (NPY_MAXDIMS).
constexpr int kMaxDims = 64;
// Bytes before the header text: 10 for version 1.0, 12 for 2.0 and 3.0.
constexpr size_t kMaxPreambleSize = 12;

struct Limits {
  // numpy refuses headers longer than this (np.load's max_header_size) unless
  // told otherwise: a long header costs parse time before any data is read.
  uint64_t max_header_size = 10000;
  // Largest array a caller will allocate. The in-memory decoder cannot exceed
  // its input anyway; the file reader uses this against huge files.
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
  int64_t dims[kMaxDims] = {};  // The logical shape, as numpy reports it.
  uint64_t num_elements = 0;   // Product of dims (1 for a scalar).
  uint64_t data_bytes = 0;     // num_elements * ItemSize(dtype).
  uint64_t data_offset = 0;    // Same as preamble.data_offset.
  char descr[24] = {};         // descr as written (truncated), for messages.
};

// Reads magic, version and header length from the first bytes of a file.
// `size` may be anything; fewer than the preamble needs gives kTruncated.
Status ParsePreamble(const void* data, size_t size, const Limits& limits,
                     Preamble* out);

// Parses the preamble and header dict. `data` must hold at least the first
// `data_offset` bytes of the file (the data itself is not needed). Checks
// dims, element count and byte size for overflow and against
// limits.max_output_bytes; does not check that the data is present.
Status ParseHeader(const void* data, size_t size, const Limits& limits,
                   Header* out);

// kTooLarge if the header's array is larger than limits.max_output_bytes.
// ParseHeader checks this; a reader that selects rows calls it again on the
// result of SliceRows with a header parsed under a larger limit.
Status CheckOutputSize(const Header& header, const Limits& limits);

// kDataTruncated unless `input_size` bytes (counted from the start of the
// file) hold the whole array. Trailing bytes after the array are allowed and
// ignored, as np.load does.
Status CheckDataSize(const Header& header, uint64_t input_size);

// ParseHeader + CheckDataSize for a complete file held in memory.
Status ParseNpy(const void* data, size_t size, const Limits& limits,
                Header* out);

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

// Rows [start, stop) along axis 0, with Python slice semantics for
// non-negative bounds (stop is clamped to the row count; start >= stop gives
// zero rows). Negative bounds, scalars and Fortran-order arrays whose rows are
// not contiguous are refused with kBadArgument. On success `out` describes the
// selected rows as an array whose data starts at out->data_offset bytes from
// the start of the file; pass it to DecodeData like a whole-file header.
Status SliceRows(const Header& header, int64_t start, int64_t stop,
                 Header* out);

// "(10, 10)", "()", "(3,)": the shape as numpy prints it.
std::string ShapeString(const int64_t* dims, int ndims);
// "<f8 (float64)": the descr as written and the type it maps to.
std::string DescribeDtype(const Header& header);

}  // namespace tfnpy

#endif  // TFNPY_CC_NPY_NPY_FORMAT_H_
