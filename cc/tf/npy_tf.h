// Glue between the framework-free .npy core and TensorFlow: status and dtype
// conversion, a TensorFlow file as a core ByteSource, and the checks every
// tfnpy kernel makes before it allocates.
#ifndef TFNPY_CC_TF_NPY_TF_H_
#define TFNPY_CC_TF_NPY_TF_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "npy/memory.h"
#include "npy/npy_format.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/partial_tensor_shape.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/platform/tstring.h"
#include "tensorflow/core/framework/tensor_shape.h"
#include "tensorflow/core/framework/types.h"
#include "tensorflow/core/platform/env.h"
#include "tensorflow/core/platform/status.h"

namespace tfnpy {

// "DecodeNpy: ": the kernel's op (without its "TFNpy>" namespace), to prefix
// messages.
std::string OpContext(const tensorflow::OpKernelConstruction* ctx);

// The TensorFlow type of a dtype table entry (DT_STRING for S and U,
// DT_INVALID for void).
tensorflow::DataType TfType(DType dtype);

// kTooLarge and kOutOfMemory become ResourceExhausted, kDataLoss and kCrcMismatch DataLoss,
// everything else InvalidArgument. The message is prefixed with `context` ("DecodeNpy: ",
// "ReadNpy: 'a.npy': ").
tensorflow::Status ToTfStatus(const Status& status, const std::string& context);

// The core type of a kernel's dtype attr (a plain `type`: an op's type list
// cannot name the float8 types), from the dtype tables; InvalidArgument for
// any other type, prefixed with `context` ("DecodeNpy: "), listing the
// supported ones. `verb`: "read from" or "written to".
tensorflow::Status FromTfType(tensorflow::DataType type, DType* out, const std::string& context,
                              const char* verb = "read from");

// Reads the attrs every tfnpy kernel has: dtype, shape, max_header_size and
// max_output_bytes (negative: no cap beyond what the input can hold).
tensorflow::Status ReadKernelAttrs(tensorflow::OpKernelConstruction* ctx,
                                   DType* dtype,
                                   tensorflow::PartialTensorShape* expected,
                                   Limits* limits);

// Reads the max_header_size and max_output_bytes attrs.
tensorflow::Status ReadLimitAttrs(tensorflow::OpKernelConstruction* ctx, Limits* limits);

// Checks a parsed header against the kernel's dtype and expected shape (of
// the whole array). A core status (kBadArgument), so that the caller builds
// its context string only for an error.
Status CheckHeader(const Header& header, DType expected_dtype,
                   const tensorflow::PartialTensorShape& expected);

// ReadNpy's and ReadNpz's region inputs and out_of_bounds attr, checked
// once per call. start and stop: int64 indices (negative ones count from
// the end of the axis), or float64 fractions of each axis (DALI's
// rel_roi_start/rel_roi_end); scalars (rows of axis 0), vectors of k bounds
// (the first k axes), or [n, k] matrices (one region per file of a batch).
class RegionInputs {
 public:
  // The policy is the out_of_bounds attr's (ReadOutOfBounds). `op`
  // prefixes messages ("ReadNpy: ").
  tensorflow::Status Init(const std::string& op, const tensorflow::Tensor& start, const tensorflow::Tensor& stop,
                          bool batched, int64_t n, OutOfBounds policy);
  // Element i's region of the array `header` describes (fractions are
  // resolved against its shape).
  Status Of(int64_t i, const Header& header, Region* out) const;
  // The array shape of an empty batch (no file to take it from): the shape
  // attr's (unknown dims 0), cut by the region.
  tensorflow::Status EmptyShape(const std::string& op, const tensorflow::PartialTensorShape& expected,
                                tensorflow::TensorShape* shape) const;

 private:
  const tensorflow::Tensor* start_ = nullptr;
  const tensorflow::Tensor* stop_ = nullptr;
  bool relative_ = false;
  bool per_element_ = false;  // [n, k] bounds.
  int rank_ = 0;              // k.
  OutOfBounds policy_ = OutOfBounds::kClamp;
};

// Reads the out_of_bounds attr ("clamp", "error", "pad").
tensorflow::Status ReadOutOfBounds(tensorflow::OpKernelConstruction* ctx, OutOfBounds* policy);

// CheckHeader, then element i's region's selection (kTooLarge above the
// cap), read as `dtype` (a V file as an ml_dtypes type). Nothing is
// allocated. `regions` may be nullptr: the whole array.
Status SelectChecked(const NpyReader& reader, const RegionInputs* regions, int64_t i, DType dtype,
                     const tensorflow::PartialTensorShape& expected, Selection* sel);

// Sets *s to n bytes, copied from `data` (or left for the caller to write at
// *out, if data is nullptr), and checks the allocation: kOutOfMemory naming
// `what` and n. tstring's own resize and assign write through whatever
// malloc returns, a failed allocation included: a crash. *s must be empty
// (as in a fresh tensor).
Status SetString(tensorflow::tstring* s, const char* data, size_t n, const char* what,
                 char** out = nullptr);

// Constructs *v as a container of n default elements, a kernel's
// per-element state: a failed allocation is ResourceExhausted naming `op`
// ("ReadNpy: ") and the bytes, never std::bad_alloc.
template <typename V>
tensorflow::Status MakeChecked(std::optional<V>* v, int64_t n, const std::string& op) {
  const uint64_t bytes = static_cast<uint64_t>(n) * sizeof(typename V::value_type);
  return ToTfStatus(Growing(bytes, "the batch's per-element state", [&] { v->emplace(static_cast<size_t>(n)); }), op);
}

// Reads a selection into `output` from element `start` on (a batch's rows
// are laid out by Batch): the bytes, or for a string tensor one tstring per
// element (S: bytes without trailing NULs; U: UTF-8). A padded selection's
// elements outside the array are copies of `fill` (a scalar of the output's
// type; nullptr: zeros, or empty strings).
Status ReadElement(NpyReader* reader, const Selection& sel, tensorflow::Tensor* output, uint64_t start,
                   const tensorflow::Tensor* fill = nullptr);

// The TensorShape of an array's dims.
tensorflow::Status ArrayShape(const Header& array, tensorflow::TensorShape* shape);

// numpy-style "(3, None)" for a partial shape.
std::string PartialShapeString(const tensorflow::PartialTensorShape& shape);

// The URI scheme of a path as TensorFlow's file systems see it ("gs" for
// "gs://b/x", "" for a local path).
absl::string_view Scheme(absl::string_view name);

// A file of any TensorFlow file system as a core ByteSource. A failed read
// is kReadFailed for the core; Convert() keeps TensorFlow's own status.
//
// A local path (no scheme) is opened with POSIX open/pread/close, as
// TensorFlow's own local file system does, but with one pread where the
// file ends inside the read (TensorFlow's RandomAccessFile reads again to
// see the end: a second system call per small file), and sized through its
// handle, never its name. Any other scheme (gs://, ram://, file://...) goes
// through TensorFlow's file systems.
// InvalidArgument naming the op and the path if `path` holds a NUL byte.
tensorflow::Status CheckPath(const std::string& op, absl::string_view path);

class FileSource final : public ByteSource {
 public:
  FileSource() = default;
  ~FileSource() override { Close(); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  // Opens `name` through env's file systems; errors name the file. With
  // `fs` (the file system of every name in a batch that has `scheme`, looked
  // up once), the per-file registry lookup is skipped.
  // `name` must outlive the source (it is a view, not a copy).
  tensorflow::Status Open(tensorflow::Env* env, const tensorflow::tstring& name,
                          tensorflow::FileSystem* fs = nullptr);
  void Close();
  bool is_open() const { return local_.is_open() || file_ != nullptr; }
  // Open on a local path (POSIX reads, PosixFile's).
  bool is_local() const { return local_.is_open(); }

  Status Read(uint64_t offset, size_t n, char* dst, size_t* got) override;
  // A local file: one preadv.
  Status ReadScattered(uint64_t offset, const ReadPiece* pieces, int count, size_t* got) override;
  // By name, for messages only (the data is validated by reading it).
  bool Size(uint64_t* size) override;

  // A core status from this source's reader as a TensorFlow status, with the
  // file named (then `more`); a read failure keeps TensorFlow's code and message.
  tensorflow::Status Convert(const Status& status, const std::string& more = "") const;
  // "ReadNpy: 'name': "
  std::string Context() const;
  // The op named in messages ("ReadNpy", the default).
  void set_op(const std::string& op) { op_ = op; }

 private:
  tensorflow::Env* env_ = nullptr;
  std::string op_ = "ReadNpy";
  absl::string_view name_;
  // A failed local read's status, its error kept in error_ in TensorFlow's words.
  Status Local(const Status& status);

  PosixFile local_;                                     // A local file.
  std::unique_ptr<tensorflow::RandomAccessFile> file_;  // Any other.
  tensorflow::Status error_;
};

}  // namespace tfnpy

#endif  // TFNPY_CC_TF_NPY_TF_H_
