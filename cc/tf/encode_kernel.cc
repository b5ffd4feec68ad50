// EncodeNpy and WriteNpy: tensors -> the bytes np.save writes, in a string
// tensor or in files of TensorFlow's file systems (local, ram://, gs://...).
// The encoding is the core's (cc/npy/encode.h), the parallel loop over a
// batch batch.h's; here is what WriteNpy does with what is already at a
// name (WriteLocal).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
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
    TFNPY_RETURN_IF_ERROR(Growing(a.num_elements * sizeof(std::string_view), "the strings' views",
                                  [&] { views->resize(static_cast<size_t>(a.num_elements)); }));
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
    char* dst = nullptr;
    OP_REQUIRES_OK(ctx, ToTfStatus(SetString(&output->scalar<tf::tstring>()(), nullptr,
                                             static_cast<size_t>(plan.total_size), "the encoded file", &dst),
                                   "EncodeNpy: "));
    HintHugePages(dst, static_cast<size_t>(plan.total_size));
    OP_REQUIRES_OK(ctx, EncodeTo(plan, a, views, dst, "EncodeNpy: "));
  }
};

// TensorFlow's status with the file named first, its code kept.
tf::Status Named(const std::string& context, const tf::Status& s) {
  std::string message(s.message());
  if (message.empty()) message = absl::StatusCodeToString(s.code());
  return tf::Status(s.code(), context + message);
}

// The bytes of one file, in order: the header and the tensor's own bytes,
// or the whole encoded file.
using Pieces = absl::InlinedVector<absl::string_view, 2>;

// Longest file name (one path component) a temporary name may have: Linux's
// NAME_MAX, and what most file systems take.
constexpr size_t kNameMax = 255;
constexpr char kTempMark[] = ".tfnpy-tmp-";

// "dir/.<name>.tfnpy-tmp-<16 hex>": the temporary name for `path` (split at
// its last '/'). The name is cut, at a UTF-8 character boundary, so that the
// whole stays within kNameMax bytes.
std::string TempPath(absl::string_view path) {
  const size_t slash = path.rfind('/');
  const absl::string_view dir = slash == absl::string_view::npos ? absl::string_view() : path.substr(0, slash + 1);
  absl::string_view base = slash == absl::string_view::npos ? path : path.substr(slash + 1);
  const size_t room = kNameMax - 1 - (sizeof(kTempMark) - 1) - 16;
  if (base.size() > room) {
    size_t cut = room;
    while (cut > 0 && (static_cast<unsigned char>(base[cut]) & 0xC0) == 0x80) --cut;
    base = base.substr(0, cut);
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(tf::random::New64()));
  return std::string(dir) + "." + std::string(base) + kTempMark + hex;
}

// Any file system but the local one: TensorFlow's, through a temporary file
// renamed over the name. An object store that replaces an object whole
// (gs://: WritesWholeObjects) is written straight to the name: there a
// rename is a copy and a delete, four requests more than the upload's two.
tf::Status WriteThroughEnv(tf::Env* env, const std::string& path, const std::string& context, const Pieces& pieces,
                           bool sync) {
  const std::string temp = WritesWholeObjects(path) ? path : TempPath(path);
  std::unique_ptr<tf::WritableFile> file;
  tf::Status s = env->NewWritableFile(temp, &file);
  if (!s.ok()) return Named(context, s);
  for (size_t k = 0; k < pieces.size() && s.ok(); ++k) {
    if (!pieces[k].empty()) s = file->Append(pieces[k]);
  }
  if (s.ok() && sync) s = file->Sync();
  if (s.ok()) s = file->Close();
  file.reset();
  if (s.ok() && temp != path) s = env->RenameFile(temp, path);
  if (!s.ok()) {
    if (temp != path) env->DeleteFile(temp).IgnoreError();  // Best effort: it may not exist.
    return Named(context, s);
  }
  return tf::OkStatus();
}

// POSIX, for local files.
tf::Status Errno(const std::string& context, const std::string& what, int err) {
  return tf::errors::IOError(context + what, err);
}

// The file `path` names once symbolic links are followed, as open() follows
// them: the last link's target, which need not exist (*exists then false).
tf::Status FollowLinks(const std::string& context, std::string* path, struct stat* st, bool* exists) {
  for (int hops = 0;; ++hops) {
    if (::lstat(path->c_str(), st) != 0) {
      if (errno != ENOENT) return Errno(context, *path, errno);
      *exists = false;
      return tf::OkStatus();
    }
    if (!S_ISLNK(st->st_mode)) {
      *exists = true;
      return tf::OkStatus();
    }
    if (hops == 40) return Errno(context, *path, ELOOP);
    std::string link(static_cast<size_t>(st->st_size > 0 ? st->st_size : PATH_MAX) + 1, '\0');
    const ssize_t n = ::readlink(path->c_str(), &link[0], link.size());
    if (n < 0) return Errno(context, *path, errno);
    if (static_cast<size_t>(n) >= link.size()) return Errno(context, *path, ENAMETOOLONG);  // It changed.
    link.resize(static_cast<size_t>(n));
    const size_t slash = path->rfind('/');
    if (link[0] == '/' || slash == std::string::npos) {
      *path = link;
    } else {
      path->resize(slash + 1);
      *path += link;
    }
  }
}

tf::Status WriteAll(int fd, const std::string& context, const std::string& name, const Pieces& pieces) {
  for (absl::string_view piece : pieces) {
    while (!piece.empty()) {
      const size_t want = piece.size() < (size_t{1} << 30) ? piece.size() : (size_t{1} << 30);
      const ssize_t n = ::write(fd, piece.data(), want);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno(context, name, errno);
      piece.remove_prefix(static_cast<size_t>(n));
    }
  }
  return tf::OkStatus();
}

// Flushes a folder's entries (the rename) to storage.
tf::Status SyncFolder(const std::string& context, const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno(context, dir, errno);
  const int r = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  return r == 0 ? tf::OkStatus() : Errno(context, dir, err);
}

// A local file, as np.save would leave it, but atomically: a symbolic link
// is followed to the file it names; a regular file (or none) is replaced by
// a temporary file written beside it and renamed over it, keeping the old
// one's permission bits and, where the process may, its owner and group (a
// file the process may not write is refused, as by np.save); a FIFO or a
// device is written to directly (np.save's way: there is no old content to
// keep); a folder is refused.
tf::Status WriteLocal(const std::string& path, const std::string& context, const Pieces& pieces, bool sync) {
  std::string target = path;
  struct stat st;
  bool exists = false;
  TF_RETURN_IF_ERROR(FollowLinks(context, &target, &st, &exists));
  if (exists && S_ISDIR(st.st_mode)) return Errno(context, target, EISDIR);
  if (exists && !S_ISREG(st.st_mode)) {
    int fd;
    do {
      fd = ::open(target.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return Errno(context, target, errno);
    tf::Status s = WriteAll(fd, context, target, pieces);
    if (s.ok() && sync && ::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) s = Errno(context, target, errno);
    if (::close(fd) != 0 && s.ok()) s = Errno(context, target, errno);
    return s;
  }
  // A file we may not write is refused, as np.save (open for writing) refuses it.
  if (exists && ::faccessat(AT_FDCWD, target.c_str(), W_OK, AT_EACCESS) != 0) return Errno(context, target, errno);
  std::string temp;
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 4; ++attempt) {
    temp = TempPath(target);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST && errno != EINTR) {
      return Errno(context, "cannot create a temporary file beside " + target + " to replace it atomically: " + temp,
                   errno);
    }
  }
  if (fd < 0) return Errno(context, temp, EEXIST);
  tf::Status s;
  if (exists) {
    // As np.save leaves a file it writes over: its mode, owner and group.
    // Setting another owner takes privileges: else keep the group if we
    // may, else the file is ours.
    if (::fchmod(fd, st.st_mode & 0777) != 0) s = Errno(context, temp, errno);
    if (s.ok() && ::fchown(fd, st.st_uid, st.st_gid) != 0 && ::fchown(fd, static_cast<uid_t>(-1), st.st_gid) != 0) {
      // Neither: the new file is the writer's own, as any file it creates.
    }
  }
  if (s.ok()) s = WriteAll(fd, context, temp, pieces);
  if (s.ok() && sync && ::fsync(fd) != 0) s = Errno(context, temp, errno);
  if (::close(fd) != 0 && s.ok()) s = Errno(context, temp, errno);
  if (s.ok() && ::rename(temp.c_str(), target.c_str()) != 0) s = Errno(context, target, errno);
  if (!s.ok()) {
    ::unlink(temp.c_str());
    return s;
  }
  if (sync) {
    const size_t slash = target.rfind('/');
    return SyncFolder(context, slash == std::string::npos ? "." : slash == 0 ? "/" : target.substr(0, slash));
  }
  return tf::OkStatus();
}

// Writes `a` to `name`: local paths with WriteLocal, others through
// TensorFlow's file systems; either way the name holds the old file or the
// new one, never a part. On failure the temporary file is deleted.
tf::Status WriteOne(tf::Env* env, const tf::tstring& name, const Array& a, bool sync) {
  const std::string path(name.data(), name.size());
  TF_RETURN_IF_ERROR(CheckPath("WriteNpy", path));
  const std::string context = "WriteNpy: '" + path + "': ";
  std::vector<std::string_view> views;
  EncodePlan plan;
  TF_RETURN_IF_ERROR(Plan(a, context, &views, &plan));
  // Data a little-endian host holds as the file does is written from the
  // tensor itself, after the header; anything else is encoded first.
  std::unique_ptr<char[]> encoded;
  Pieces pieces;
  if (plan.verbatim) {
    pieces = {plan.header, absl::string_view(a.data, static_cast<size_t>(plan.data_bytes))};
  } else {
    TF_RETURN_IF_ERROR(ToTfStatus(AllocateBytes(plan.total_size, "the encoded file", &encoded), context));
    TF_RETURN_IF_ERROR(EncodeTo(plan, a, views, encoded.get(), context));
    pieces = {absl::string_view(encoded.get(), static_cast<size_t>(plan.total_size))};
  }
  if (Scheme(path).empty()) return WriteLocal(path, context, pieces, sync);
  return WriteThroughEnv(env, path, context, pieces, sync);
}

class WriteNpyOp : public tf::OpKernel {
 public:
  explicit WriteNpyOp(tf::OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, CheckWritable(ctx));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("sync", &sync_));
  }

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
      return WriteOne(env, files(i), batched ? Row(tensor, n, i) : Whole(tensor), sync_);
    }, RemoteBatch(names)));
  }

 private:
  bool sync_ = false;
};

REGISTER_KERNEL_BUILDER(Name("TFNpy>EncodeNpy").Device(tf::DEVICE_CPU), EncodeNpyOp);
REGISTER_KERNEL_BUILDER(Name("TFNpy>WriteNpy").Device(tf::DEVICE_CPU), WriteNpyOp);

}  // namespace
}  // namespace tfnpy
