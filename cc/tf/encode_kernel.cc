// EncodeNpy and WriteNpy: tensors -> the bytes np.save writes, in a string
// tensor or in files of TensorFlow's file systems (local, ram://, gs://...).
// Glue only: the encoding is the core's (cc/npy/encode.h), the parallel
// loop over a batch batch.h's.
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "absl/container/inlined_vector.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/platform/errors.h"
#include "tensorflow/core/platform/random.h"
#include "tf/batch.h"
#include "tf/npy_tf.h"
#include "tf/remote.h"

namespace tfnpy {
namespace {

namespace tf = ::tensorflow;

// One array to encode: a whole tensor, or row i of one.
struct Array {
  tf::DataType type = tf::DT_INVALID;
  absl::InlinedVector<int64_t, 8> dims;
  uint64_t num_elements = 0;
  const char* data = nullptr;              // Numeric types: native bytes.
  const tf::tstring* strings = nullptr;    // DT_STRING: the elements.
};

Array Whole(const tf::Tensor& t) {
  Array a;
  a.type = t.dtype();
  for (int i = 0; i < t.dims(); ++i) a.dims.push_back(t.dim_size(i));
  a.num_elements = static_cast<uint64_t>(t.NumElements());
  if (t.dtype() == tf::DT_STRING) {
    a.strings = t.flat<tf::tstring>().data();
  } else {
    a.data = t.tensor_data().data();
  }
  return a;
}

// Row i of a tensor of n >= 1 rows: tensor[i].
Array Row(const tf::Tensor& t, int64_t n, int64_t i) {
  Array a = Whole(t);
  a.dims.erase(a.dims.begin());
  a.num_elements /= static_cast<uint64_t>(n);
  if (a.strings != nullptr) {
    a.strings += i * a.num_elements;
  } else {
    a.data += i * a.num_elements * tf::DataTypeSize(t.dtype());
  }
  return a;
}

// The element format of a tensor type (the dtype table's): strings as
// numpy's fixed-width bytes of the longest element.
Status FormatFor(const Array& a, std::vector<std::string_view>* views, ElementFormat* format) {
  if (a.type == tf::DT_STRING) {
    views->resize(a.num_elements);
    for (uint64_t j = 0; j < a.num_elements; ++j) {
      (*views)[j] = std::string_view(a.strings[j].data(), a.strings[j].size());
    }
    return BytesFormat(StringWidth(views->data(), views->size()), format);
  }
  DType dtype;
  if (!FromTfType(a.type, &dtype, "").ok()) {  // The kernel's constructor refuses it.
    return Status(Code::kBadArgument,
                  "dtype " + tf::DataTypeString(a.type) + " cannot be written to .npy");
  }
  *format = FormatOf(dtype);
  return Status::Ok();
}

// Plans the encoding of `a`; string elements are viewed in *views.
tf::Status Plan(const Array& a, const std::string& context, std::vector<std::string_view>* views,
                EncodePlan* plan) {
  ElementFormat format;
  Status s = FormatFor(a, views, &format);
  if (s.ok()) s = PlanEncode(format, a.dims.data(), static_cast<int>(a.dims.size()), plan);
  return ToTfStatus(s, context);
}

// The whole file into dst (plan.total_size bytes).
tf::Status EncodeTo(const EncodePlan& plan, const Array& a, const std::vector<std::string_view>& views,
                    char* dst, const std::string& context) {
  const Status s = plan.format.strings
                       ? EncodeStringsInto(plan, views.data(), views.size(), dst, plan.total_size)
                       : EncodeInto(plan, a.data, plan.data_bytes, dst, plan.total_size);
  return ToTfStatus(s, context);
}

// A large string is a fresh mmap of malloc's: faulting it in 4 KiB pages
// costs several times the copy. Where transparent huge pages are on request
// (madvise mode, the usual default), ask for them, as numpy does for its
// large arrays. Only a hint: nothing changes if the kernel says no.
void HintHugePages(char* p, size_t n) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  if (n < 2 * kHuge) return;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + n) & ~(kHuge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)p;
  (void)n;
#endif
}

// The T attr is a plain `type` (an op's type list cannot name the float8
// types): the types of the dtype tables, checked once, when the kernel is built.
tf::Status CheckWritable(tf::OpKernelConstruction* ctx) {
  tf::DataType type;
  TF_RETURN_IF_ERROR(ctx->GetAttr("T", &type));
  DType dtype;
  return FromTfType(type, &dtype, OpContext(ctx), "written to");
}

class EncodeNpyOp : public tf::OpKernel {
 public:
  explicit EncodeNpyOp(tf::OpKernelConstruction* ctx) : OpKernel(ctx) { OP_REQUIRES_OK(ctx, CheckWritable(ctx)); }

  void Compute(tf::OpKernelContext* ctx) override {
    const Array a = Whole(ctx->input(0));
    std::vector<std::string_view> views;
    EncodePlan plan;
    OP_REQUIRES_OK(ctx, Plan(a, "EncodeNpy: ", &views, &plan));
    tf::Tensor* output = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, tf::TensorShape({}), &output));
    tf::tstring& contents = output->scalar<tf::tstring>()();
    contents.resize_uninitialized(static_cast<size_t>(plan.total_size));
    HintHugePages(contents.mdata(), contents.size());
    OP_REQUIRES_OK(ctx, EncodeTo(plan, a, views, contents.mdata(), "EncodeNpy: "));
  }
};

// TensorFlow's status with the file named first, its code kept.
tf::Status Named(const std::string& context, const tf::Status& s) {
  std::string message(s.message());
  if (message.empty()) message = absl::StatusCodeToString(s.code());
  return tf::Status(s.code(), context + message);
}

// Writes `a` to `name`: to a temporary name in the same directory, then
// renamed, so the final name only ever holds a complete file. On failure the
// temporary file is deleted. An object store that replaces an object whole
// (gs://: WritesWholeObjects) is written straight to the name: there a
// rename is a copy and a delete, four requests more than the upload's two.
tf::Status WriteOne(tf::Env* env, const tf::tstring& name, const Array& a) {
  const std::string path(name.data(), name.size());
  TF_RETURN_IF_ERROR(CheckPath("WriteNpy", path));
  const std::string context = "WriteNpy: '" + path + "': ";
  std::vector<std::string_view> views;
  EncodePlan plan;
  TF_RETURN_IF_ERROR(Plan(a, context, &views, &plan));
  // Data a little-endian host holds as the file does is written from the
  // tensor itself, after the header; anything else is encoded first.
  std::unique_ptr<char[]> encoded;
  if (!plan.verbatim) {
    encoded.reset(new char[plan.total_size]);
    TF_RETURN_IF_ERROR(EncodeTo(plan, a, views, encoded.get(), context));
  }
  char suffix[32];
  std::snprintf(suffix, sizeof(suffix), ".tmp-%016llx",
                static_cast<unsigned long long>(tf::random::New64()));
  const std::string temp = WritesWholeObjects(path) ? path : path + suffix;
  std::unique_ptr<tf::WritableFile> file;
  tf::Status s = env->NewWritableFile(temp, &file);
  if (!s.ok()) return Named(context, s);
  if (plan.verbatim) {
    s = file->Append(plan.header);
    if (s.ok() && plan.data_bytes != 0) {
      s = file->Append(absl::string_view(a.data, static_cast<size_t>(plan.data_bytes)));
    }
  } else {
    s = file->Append(absl::string_view(encoded.get(), static_cast<size_t>(plan.total_size)));
  }
  if (s.ok()) s = file->Close();
  file.reset();
  if (s.ok() && temp != path) s = env->RenameFile(temp, path);
  if (!s.ok()) {
    if (temp != path) env->DeleteFile(temp).IgnoreError();  // Best effort: it may not exist.
    return Named(context, s);
  }
  return tf::OkStatus();
}

class WriteNpyOp : public tf::OpKernel {
 public:
  explicit WriteNpyOp(tf::OpKernelConstruction* ctx) : OpKernel(ctx) { OP_REQUIRES_OK(ctx, CheckWritable(ctx)); }

  void Compute(tf::OpKernelContext* ctx) override {
    const tf::Tensor& names = ctx->input(0);
    const tf::Tensor& tensor = ctx->input(1);
    OP_REQUIRES(ctx, names.dims() <= 1,
                tf::errors::InvalidArgument("WriteNpy: filename must be a scalar or a vector, got shape ",
                                            names.shape().DebugString()));
    const auto files = names.flat<tf::tstring>();
    const int64_t n = files.size();
    const bool batched = names.dims() == 1;
    if (batched) {
      OP_REQUIRES(ctx, tensor.dims() >= 1 && tensor.dim_size(0) == n,
                  tf::errors::InvalidArgument(
                      "WriteNpy: ", n, " filenames need a tensor of shape [", n,
                      ", ...] (one file per tensor[i]), but the tensor has ",
                      tensor.dims() == 0 ? std::string("no first dimension (a scalar)")
                                         : "first dimension " + std::to_string(tensor.dim_size(0)),
                      " (shape ", tensor.shape().DebugString(), ")"));
    }
    const int64_t row_bytes =
        n > 0 ? static_cast<int64_t>(tensor.TotalBytes()) / (batched ? n : 1) : 0;
    tf::Env* env = ctx->env();
    OP_REQUIRES_OK(ctx, ForEachElement(ctx, n, row_bytes + 100000, [&](int64_t i) {
      return WriteOne(env, files(i), batched ? Row(tensor, n, i) : Whole(tensor));
    }, RemoteBatch(names)));
  }
};

REGISTER_KERNEL_BUILDER(Name("TFNpy>EncodeNpy").Device(tf::DEVICE_CPU), EncodeNpyOp);
REGISTER_KERNEL_BUILDER(Name("TFNpy>WriteNpy").Device(tf::DEVICE_CPU), WriteNpyOp);

}  // namespace
}  // namespace tfnpy
