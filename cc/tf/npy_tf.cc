#include "tf/npy_tf.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <vector>

#include "absl/strings/string_view.h"
#include "tensorflow/core/platform/errors.h"
#include "tf/remote.h"

namespace tfnpy {

namespace tf = ::tensorflow;

static_assert(sizeof(tf::tstring) == kStringObjectBytes,
              "max_output_bytes counts one tstring per string element");

tf::DataType TfType(DType dtype) {
  switch (dtype) {
#define TFNPY_TF_TYPE(e, name_, kind_, size_, unit_, code_, number_, tf_type) \
  case DType::e:                                                      \
    return tf::tf_type;
    TFNPY_DTYPE_TABLE(TFNPY_TF_TYPE)
#undef TFNPY_TF_TYPE
#define TFNPY_TF_TYPE(e, name_, kind_, char_size_, unit_, code_, number_, tensor_, tf_type) \
  case DType::e:                                                                  \
    return tf::tf_type;
    TFNPY_FLEXIBLE_DTYPE_TABLE(TFNPY_TF_TYPE)
#undef TFNPY_TF_TYPE
// ml_dtypes' types: a types.proto number, which an older TensorFlow may not know.
#define TFNPY_TF_TYPE(e, name_, size_, unit_, tf_number)                                   \
  case DType::e:                                                                          \
    return tf::DataType_IsValid(tf_number) ? static_cast<tf::DataType>(tf_number) : tf::DT_INVALID;
    TFNPY_VOID_DTYPE_TABLE(TFNPY_TF_TYPE)
#undef TFNPY_TF_TYPE
  }
  return tf::DT_INVALID;
}

std::string OpContext(const tf::OpKernelConstruction* ctx) {
  absl::string_view op = ctx->def().op();
  const size_t gt = op.find('>');  // "TFNpy>DecodeNpy"
  if (gt != absl::string_view::npos) op.remove_prefix(gt + 1);
  return std::string(op) + ": ";
}

tf::Status ToTfStatus(const Status& status, const std::string& context) {
  switch (status.code()) {
    case Code::kOk:
      return tf::OkStatus();
    case Code::kTooLarge:
    case Code::kOutOfMemory:
      return tf::errors::ResourceExhausted(context, status.message());
    case Code::kDataLoss:
    case Code::kCrcMismatch:
      return tf::errors::DataLoss(context, status.message());
    default:
      return tf::errors::InvalidArgument(context, status.message());
  }
}

tf::Status FromTfType(tf::DataType type, DType* out, const std::string& context, const char* verb) {
  DType types[kNumDTypes];
  const int n = TensorDTypes(types);
  for (int i = 0; i < n; ++i) {
    if (TfType(types[i]) == type) {
      *out = types[i];  // DT_STRING: kBytes, which accepts S and U files alike.
      return tf::OkStatus();
    }
  }
  return tf::errors::InvalidArgument(context, "dtype ", tf::DataTypeString(type), " cannot be ", verb,
                                     " a .npy file; supported: ", TensorTypeList());
}

tf::Status ReadKernelAttrs(tf::OpKernelConstruction* ctx, DType* dtype,
                           tf::PartialTensorShape* expected, Limits* limits) {
  tf::DataType type;
  TF_RETURN_IF_ERROR(ctx->GetAttr("dtype", &type));
  TF_RETURN_IF_ERROR(FromTfType(type, dtype, OpContext(ctx)));
  TF_RETURN_IF_ERROR(ctx->GetAttr("shape", expected));
  return ReadLimitAttrs(ctx, limits);
}

tf::Status ReadLimitAttrs(tf::OpKernelConstruction* ctx, Limits* limits) {
  int64_t max_header = 0, max_output = 0;
  TF_RETURN_IF_ERROR(ctx->GetAttr("max_header_size", &max_header));
  TF_RETURN_IF_ERROR(ctx->GetAttr("max_output_bytes", &max_output));
  if (max_header < 0) {
    return tf::errors::InvalidArgument("max_header_size must be >= 0, got ",
                                       max_header);
  }
  limits->max_header_size = static_cast<uint64_t>(max_header);
  limits->max_output_bytes =
      max_output < 0 ? UINT64_MAX : static_cast<uint64_t>(max_output);
  return tf::OkStatus();
}

std::string PartialShapeString(const tf::PartialTensorShape& shape) {
  if (shape.unknown_rank()) return "<unknown>";
  std::vector<int64_t> dims(shape.dims());
  for (int i = 0; i < shape.dims(); ++i) dims[i] = shape.dim_size(i);
  return ShapeString(dims.data(), shape.dims());
}

Status CheckHeader(const Header& header, DType expected_dtype,
                   const tf::PartialTensorShape& expected) {
  TFNPY_RETURN_IF_ERROR(CheckDtype(header, expected_dtype));
  bool compatible = expected.unknown_rank() || expected.dims() == header.ndims;
  for (int i = 0; compatible && !expected.unknown_rank() && i < header.ndims; ++i) {
    compatible = expected.dim_size(i) < 0 || expected.dim_size(i) == header.dims[i];
  }
  if (!compatible) {
    return Status(Code::kBadArgument, "file has shape " + ShapeString(header.dims, header.ndims) +
                                          ", expected " + PartialShapeString(expected));
  }
  return Status::Ok();
}

Status SelectChecked(const NpyReader& reader, const RegionInputs* regions, int64_t i, DType dtype,
                     const tf::PartialTensorShape& expected, Selection* sel) {
  TFNPY_RETURN_IF_ERROR(CheckHeader(reader.header(), dtype, expected));
  Region region;
  if (regions != nullptr) TFNPY_RETURN_IF_ERROR(regions->Of(i, reader.header(), &region));
  TFNPY_RETURN_IF_ERROR(reader.Select(region, sel));
  ReadAs(dtype, &sel->array);
  return Status::Ok();
}

// SetString hands a block it allocated to the tstring as tstring's own
// resize would: through the C struct every tstring is (ctstring_internal.h).
static_assert(std::is_standard_layout<tf::tstring>::value && sizeof(tf::tstring) == sizeof(TF_TString),
              "a tstring is its TF_TString");

Status SetString(tf::tstring* s, const char* data, size_t n, const char* what, char** out) {
  char* p;
  if (n > TF_TString_SmallCapacity) {
    // A heap string, as TF_TString_ResizeUninitialized makes one (a LARGE
    // string of capacity align16(n + 1) - 1, NUL-terminated, freed by the
    // tstring), but from a malloc whose failure is seen: that function
    // writes through its malloc's result unchecked.
    TF_TString* raw = reinterpret_cast<TF_TString*>(s);
    if (TF_TString_GetSize(raw) != 0) {
      return Status(Code::kBadArgument, "SetString needs an empty string");
    }
    const size_t cap = TF_align16(n + 1) - 1;
    p = AllocationAllowed() ? static_cast<char*>(std::malloc(cap + 1)) : nullptr;
    if (p == nullptr) return OutOfMemory(n, what);
    TF_TString_Dealloc(raw);
    raw->u.large.size = TF_TString_ToInternalSizeT(n, TF_TSTR_LARGE);
    raw->u.large.cap = cap;
    raw->u.large.ptr = p;
    p[n] = '\0';
  } else {  // Held inside the tstring: no allocation.
    s->resize_uninitialized(n);
    p = s->mdata();
  }
  if (data != nullptr && n > 0) std::memcpy(p, data, n);
  if (out != nullptr) *out = p;
  return Status::Ok();
}

namespace {
class TStringSink final : public StringSink {
 public:
  // Element k of the selection read goes to out[k], or with `padded` to
  // out[PaddedIndex(*padded, k)] (which holds the fill value until then).
  TStringSink(tf::tstring* out, const Selection* padded) : out_(out), padded_(padded) {}
  Status Put(uint64_t index, const char* data, size_t size) override {
    tf::tstring& s = out_[padded_ == nullptr ? index : PaddedIndex(*padded_, index)];
    if (!s.empty()) s = tf::tstring();
    return SetString(&s, data, size, "a string element");
  }

 private:
  tf::tstring* out_;
  const Selection* padded_;
};
}  // namespace

Status ReadElement(NpyReader* reader, const Selection& sel, tf::Tensor* output, uint64_t start,
                   const tf::Tensor* fill) {
  const Header& a = sel.array;
  if (a.num_elements == 0) return Status::Ok();
  if (output->dtype() == tf::DT_STRING) {
    tf::tstring* out = output->flat<tf::tstring>().data() + start;
    const Selection inner = sel.padded ? InnerOf(sel) : sel;
    if (sel.padded && fill != nullptr) {
      const tf::tstring& f = fill->scalar<tf::tstring>()();
      for (uint64_t j = 0; j < a.num_elements; ++j) {
        TFNPY_RETURN_IF_ERROR(SetString(&out[j], f.data(), f.size(), "the fill value"));
      }
    }
    if (inner.array.num_elements == 0) return Status::Ok();
    // The file's bytes of the selection first (C order, native order), then
    // one string each: as many bytes again at most.
    std::unique_ptr<char[]> raw;
    TFNPY_RETURN_IF_ERROR(AllocateBytes(inner.array.data_bytes, "the array's string data", &raw));
    TFNPY_RETURN_IF_ERROR(reader->ReadInto(inner, raw.get(), inner.array.data_bytes));
    TStringSink sink(out, sel.padded ? &sel : nullptr);
    return ForEachString(inner, raw.get(), inner.array.data_bytes, &sink);
  }
  char* base = static_cast<char*>(output->data());
  const void* f = fill != nullptr && sel.padded ? fill->tensor_data().data() : nullptr;
  return reader->ReadInto(sel, base + start * a.itemsize, a.data_bytes, f);
}

tf::Status ArrayShape(const Header& array, tf::TensorShape* shape) {
  tf::TensorShape out;
  for (int i = 0; i < array.ndims; ++i) {
    TF_RETURN_IF_ERROR(out.AddDimWithStatus(array.dims[i]));
  }
  *shape = std::move(out);
  return tf::OkStatus();
}

std::string FileSource::Context() const { return op_ + ": '" + std::string(name_) + "': "; }

absl::string_view Scheme(absl::string_view name) {
  // As tsl::io::ParseURI: [a-zA-Z][0-9a-zA-Z.]* followed by "://".
  const size_t end = name.find("://");
  if (end == absl::string_view::npos || end == 0 || !std::isalpha(static_cast<unsigned char>(name[0]))) {
    return absl::string_view();
  }
  for (size_t i = 1; i < end; ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (!std::isalnum(c) && c != '.') return absl::string_view();
  }
  return name.substr(0, end);
}

tf::Status CheckPath(const std::string& op, absl::string_view path) {
  const size_t nul = path.find('\0');
  if (nul == absl::string_view::npos) return tf::OkStatus();
  // A file system would open the file named by the prefix.
  return tf::errors::InvalidArgument(op, ": '", Quote(path.data(), path.size()),
                                     "': the path contains a NUL byte at offset ", nul);
}

tf::Status FileSource::Open(tf::Env* env, const tf::tstring& name, tf::FileSystem* fs) {
  env_ = env;
  name_ = absl::string_view(name.data(), name.size());
  error_ = tf::OkStatus();
  TF_RETURN_IF_ERROR(CheckPath(op_, name_));
  Close();
  if (Scheme(name_).empty()) {
    if (local_.Open(name.c_str()).ok()) return tf::OkStatus();
    error_ = tf::errors::IOError(std::string(name_), local_.error());
    return Convert(Status(Code::kReadFailed, ""));
  }
  const std::string path(name_);
  tf::Status s = fs != nullptr ? fs->NewRandomAccessFile(path, nullptr, &file_)
                               : env->NewRandomAccessFile(path, &file_);
  if (s.ok()) {
    file_ = WithoutGcsBuffer(name_, std::move(file_));  // remote.h: gs:// reads skip a 64 MiB zero-fill.
    return s;
  }
  error_ = s;
  return Convert(Status(Code::kReadFailed, ""));
}

void FileSource::Close() {
  local_.Close();
  file_.reset();
}

Status FileSource::Read(uint64_t offset, size_t n, char* dst, size_t* got) {
  if (local_.is_open()) return Local(local_.Read(offset, n, dst, got));
  *got = 0;
  absl::string_view result;
  tf::Status s = file_->Read(offset, n, &result, dst);
  if (!s.ok() && !tf::errors::IsOutOfRange(s)) {
    error_ = s;
    *got = 0;
    return Status(Code::kReadFailed, std::string(s.message()));
  }
  if (result.data() != dst && !result.empty()) {
    std::memmove(dst, result.data(), result.size());
  }
  *got = result.size();
  return Status::Ok();
}

Status FileSource::ReadScattered(uint64_t offset, const ReadPiece* pieces, int count, size_t* got) {
  if (local_.is_open()) return Local(local_.ReadScattered(offset, pieces, count, got));
  return ByteSource::ReadScattered(offset, pieces, count, got);
}

Status FileSource::Local(const Status& status) {
  if (status.ok()) return status;
  // TensorFlow's words for the error, as its own local file system gives them.
  error_ = tf::errors::IOError(std::string(name_), local_.error());
  return Status(Code::kReadFailed, std::string(error_.message()));
}

bool FileSource::Size(uint64_t* size) {
  if (local_.is_open()) return local_.Size(size);
  return env_ != nullptr && env_->GetFileSize(std::string(name_), size).ok();
}

tf::Status FileSource::Convert(const Status& status, const std::string& more) const {
  if (status.ok()) return tf::OkStatus();
  if (status.code() != Code::kReadFailed || error_.ok()) {
    return ToTfStatus(status, Context() + more);
  }
  // Some file systems give no message at all: then say what kind of error.
  std::string message(error_.message());
  if (message.empty()) message = absl::StatusCodeToString(error_.code());
  return tf::Status(error_.code(), Context() + more + message);
}

tf::Status ReadOutOfBounds(tf::OpKernelConstruction* ctx, OutOfBounds* policy) {
  std::string name;
  TF_RETURN_IF_ERROR(ctx->GetAttr("out_of_bounds", &name));
  if (!ParseOutOfBounds(name.data(), name.size(), policy)) {  // The op's attr allows no other.
    return tf::errors::InvalidArgument(OpContext(ctx), "out_of_bounds must be 'clamp', 'error' or 'pad', got '",
                                       name, "'");
  }
  return tf::OkStatus();
}

tf::Status RegionInputs::Init(const std::string& op, const tf::Tensor& start, const tf::Tensor& stop, bool batched,
                              int64_t n, OutOfBounds policy) {
  if (start.shape() != stop.shape()) {
    return tf::errors::InvalidArgument(op, "start and stop must have the same shape, got ",
                                       start.shape().DebugString(), " and ", stop.shape().DebugString());
  }
  if (start.dims() > 2 || (start.dims() == 2 && !batched)) {
    return tf::errors::InvalidArgument(
        op, "start and stop must be scalars, vectors of bounds for the first axes, or (for a "
        "vector of filenames) matrices of one row per file; got shape ",
        start.shape().DebugString(), batched ? "" : " for a scalar filename");
  }
  if (start.dims() == 2 && start.dim_size(0) != n) {
    return tf::errors::InvalidArgument(op, "start and stop have ", start.dim_size(0),
                                       " rows (regions), but there are ", n, " files");
  }
  const int64_t k = start.dims() == 0 ? 1 : start.dim_size(start.dims() - 1);
  if (k > kMaxDims) {
    return tf::errors::InvalidArgument(op, "a region over ", k, " axes; at most ", kMaxDims, " are possible");
  }
  start_ = &start;
  stop_ = &stop;
  relative_ = start.dtype() == tf::DT_DOUBLE;
  per_element_ = start.dims() == 2;
  rank_ = static_cast<int>(k);
  policy_ = policy;
  return tf::OkStatus();
}

Status RegionInputs::Of(int64_t i, const Header& header, Region* out) const {
  out->policy = policy_;
  const int64_t first = per_element_ ? i * rank_ : 0;
  if (relative_) {
    const double* lo = start_->flat<double>().data() + first;
    const double* hi = stop_->flat<double>().data() + first;
    return ResolveRelative(header, rank_, lo, hi, out);
  }
  const int64_t* lo = start_->flat<int64_t>().data() + first;
  const int64_t* hi = stop_->flat<int64_t>().data() + first;
  out->rank = rank_;
  out->resolved = false;
  for (int a = 0; a < rank_; ++a) {
    out->start[a] = lo[a];
    out->stop[a] = hi[a];
  }
  return Status::Ok();
}

tf::Status RegionInputs::EmptyShape(const std::string& op, const tf::PartialTensorShape& expected,
                                    tf::TensorShape* shape) const {
  if (expected.unknown_rank()) {
    return tf::errors::InvalidArgument(op, "cannot infer the array shape of an empty batch; pass shape=");
  }
  // The attr's shape as an array (unknown dims 0), cut by the region as a
  // file's would be. [n, k] bounds have no row for an empty batch: whole axes.
  Header h;
  h.ndims = expected.dims();
  h.itemsize = 1;
  h.num_elements = 1;  // Select asks only whether it is 0.
  for (int i = 0; i < h.ndims; ++i) {
    h.dims[i] = std::max<int64_t>(0, expected.dim_size(i));
    if (h.dims[i] == 0) h.num_elements = 0;
  }
  Region region;
  Status s = per_element_ ? Status::Ok() : Of(0, h, &region);
  Selection sel;
  if (s.ok()) s = Select(h, region, &sel);
  if (!s.ok()) return ToTfStatus(s, op + "shape " + PartialShapeString(expected) + ": ");
  tf::TensorShape out;
  for (int i = 0; i < h.ndims; ++i) TF_RETURN_IF_ERROR(out.AddDimWithStatus(sel.array.dims[i]));
  *shape = out;
  return tf::OkStatus();
}

}  // namespace tfnpy
