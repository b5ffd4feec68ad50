// Status and error codes of the framework-free .npy core.
//
// Nothing in cc/npy throws or aborts on bad input: every entry point returns
// a Status, and a failed call leaves its outputs unspecified. A failed
// allocation is kOutOfMemory (memory.h says which ones are checked).
#ifndef TFNPY_CC_NPY_STATUS_H_
#define TFNPY_CC_NPY_STATUS_H_

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
  kUnsupportedDtype,  // A valid numpy dtype with no tensor equivalent (object, structured...).
  kBadFortranOrder,   // fortran_order is not True or False.
  kBadShape,          // shape is not a tuple of non-negative integers.
  kTooManyDims,       // More than kMaxDims dimensions.
  kSizeOverflow,      // Element count or byte size does not fit in int64.
  kDataTruncated,     // The input holds fewer data bytes than the header declares.
  kTooLarge,          // The selected array is larger than Limits::max_output_bytes.
  kBadArgument,       // The caller passed inconsistent arguments (buffer size, region).
  kReadFailed,        // The byte source could not be read (its own error is in the message).
  kDataLoss,          // The source changed while being read (a file that shrank or was rewritten).
  kNotZip,            // The input has no zip end-of-central-directory record: not an .npz archive.
  kZipCorrupt,        // Zip records disagree or point outside the archive (sizes, offsets, overlaps, headers).
  kZipUnsupported,    // A zip feature we do not read: encryption, multiple disks, a method other than stored/deflate.
  kNoMember,          // No member of the archive has the key asked for.
  kBadDeflate,        // A deflated member is not a valid deflate stream or inflates to another size than declared.
  kCrcMismatch,       // A member's bytes do not have the CRC-32 its archive records.
  kBadString,         // A U array element holds a value that is not a Unicode code point.
  kOutOfMemory,       // An allocation failed; the message names what was allocated and its size.
};
constexpr int kNumCodes = static_cast<int>(Code::kOutOfMemory) + 1;

// Short stable name of a code, e.g. kBadMagic -> "bad_magic".
const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  // OK. User-provided: a defaulted constructor would make Status() zero all
  // of the object before constructing it (value-initialization), which GCC
  // does with `rep stos`, measurable on every OK return of a hot path.
  Status() {}
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

// Returns from the calling function if `expr` is not OK.
#define TFNPY_RETURN_IF_ERROR(expr)               \
  do {                                            \
    ::tfnpy::Status tfnpy_status_ = (expr);       \
    if (!tfnpy_status_.ok()) return tfnpy_status_; \
  } while (0)

}  // namespace tfnpy

#endif  // TFNPY_CC_NPY_STATUS_H_
