// ReadNpy: .npy files -> tensor through TensorFlow's file systems (local,
// ram://, gs://, s3://, ...), reading the data straight into the output.
// Glue only: the format work is in cc/npy.
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/platform/env.h"
#include "tensorflow/core/util/work_sharder.h"
#include "tf/npy_tf.h"

namespace tfnpy {
namespace {

namespace tf = ::tensorflow;

// The first read of a whole-file request. A small file arrives in one read
// and needs no size query; larger ones read their data directly afterwards.
constexpr size_t kFirstRead = 16 * 1024;

// One file of the request: its open handle, its header (rows selected), and
// the bytes read so far.
struct Job {
  std::unique_ptr<tf::RandomAccessFile> file;
  Header header;
  std::unique_ptr<char[]> head;
  uint64_t head_size = 0;
};

std::string Context(const std::string& filename) {
  return "ReadNpy: '" + filename + "': ";
}

// A file system error with the file named (some file systems give no
// message at all: then say what kind of error it is).
tf::Status FileError(const tf::Status& s, const std::string& filename) {
  std::string message(s.message());
  if (message.empty()) message = absl::StatusCodeToString(s.code());
  return tf::Status(s.code(), Context(filename) + message);
}

// Reads up to n bytes at offset into dst; *got says how many arrived (fewer
// only at the end of the file).
tf::Status ReadAt(const Job& job, uint64_t offset, size_t n, char* dst,
                  uint64_t* got) {
  absl::string_view result;
  // The (offset, n, result, scratch) form: the Span overload is 2.20+ only.
  tf::Status s = job.file->Read(offset, n, &result, dst);
  if (!s.ok() && !tf::errors::IsOutOfRange(s)) return s;
  if (result.data() != dst && !result.empty()) {
    std::memmove(dst, result.data(), result.size());
  }
  *got = result.size();
  return tf::OkStatus();
}

// Runs fn(i) for i in [0, n) on the intra-op pool; a single file runs
// inline (the common per-element case in a tf.data map).
template <typename Fn>
void ForEach(const tf::DeviceBase::CpuWorkerThreads* workers, int64_t n,
             int64_t cost_per_unit, Fn fn) {
  if (n == 1) {
    fn(0);
    return;
  }
  tf::Shard(workers->num_threads, workers->workers, n, cost_per_unit,
            [&fn](int64_t begin, int64_t end) {
              for (int64_t i = begin; i < end; ++i) fn(i);
            });
}

class ReadNpyOp : public tf::OpKernel {
 public:
  explicit ReadNpyOp(tf::OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ReadKernelAttrs(ctx, &dtype_, &expected_, &limits_));
  }

  void Compute(tf::OpKernelContext* ctx) override {
    const tf::Tensor& names = ctx->input(0);
    OP_REQUIRES(ctx, names.dims() <= 1,
                tf::errors::InvalidArgument(
                    "ReadNpy: filename must be a scalar or a vector, got shape ",
                    names.shape().DebugString()));
    OP_REQUIRES(ctx,
                tf::TensorShapeUtils::IsScalar(ctx->input(1).shape()) &&
                    tf::TensorShapeUtils::IsScalar(ctx->input(2).shape()),
                tf::errors::InvalidArgument(
                    "ReadNpy: start and stop must be scalars"));
    const int64_t start = ctx->input(1).scalar<int64_t>()();
    const int64_t stop = ctx->input(2).scalar<int64_t>()();
    OP_REQUIRES(ctx, start >= 0 && stop >= 0,
                tf::errors::InvalidArgument(
                    "ReadNpy: row range [", start, ", ", stop,
                    ") has a negative bound; start and stop must be >= 0"));
    const auto files = names.flat<tf::tstring>();
    const int64_t n = files.size();
    auto* workers = ctx->device()->tensorflow_cpu_worker_threads();

    // 1. Open every file and validate its header against its size, in
    //    parallel. Nothing is allocated for the data yet.
    absl::InlinedVector<Job, 1> jobs(n);
    absl::InlinedVector<tf::Status, 1> statuses(n);
    ForEach(workers, n, /*cost_per_unit=*/100000, [&](int64_t i) {
      statuses[i] = Open(files(i), start, stop, &jobs[i]);
    });
    for (int64_t i = 0; i < n; ++i) OP_REQUIRES_OK(ctx, statuses[i]);
    for (int64_t i = 1; i < n; ++i) OP_REQUIRES_OK(ctx, SameShape(files, jobs, i));

    // 2. Allocate.
    tf::TensorShape shape;
    if (names.dims() == 1) shape.AddDim(n);
    if (n > 0) {
      const Header& h = jobs[0].header;
      for (int i = 0; i < h.ndims; ++i) shape.AddDim(h.dims[i]);
    } else {
      OP_REQUIRES_OK(ctx, EmptyBatchShape(start, stop, &shape));
    }
    tf::Tensor* output = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, shape, &output));
    if (n == 0 || output->NumElements() == 0) return;

    // 3. Read each file's selected bytes into its slot, in parallel.
    char* base = static_cast<char*>(output->data());
    const uint64_t stride = jobs[0].header.data_bytes;
    ForEach(workers, n, /*cost_per_unit=*/static_cast<int64_t>(stride) + 100000,
            [&](int64_t i) {
              statuses[i] = Fill(files(i), jobs[i], base + i * stride);
            });
    for (int64_t i = 0; i < n; ++i) OP_REQUIRES_OK(ctx, statuses[i]);
  }

 private:
  tf::Status Open(const std::string& filename, int64_t start, int64_t stop,
                  Job* job) const {
    const std::string context = Context(filename);
    tf::Env* env = tf::Env::Default();
    tf::Status s = env->NewRandomAccessFile(filename, &job->file);
    if (!s.ok()) return FileError(s, filename);
    const bool whole = start == 0 && stop == INT64_MAX;
    // A row range reads the preamble, the header and its rows, nothing more.
    size_t want = whole ? kFirstRead : kMaxPreambleSize;
    job->head.reset(new char[want]);
    uint64_t got = 0;
    s = ReadAt(*job, 0, want, job->head.get(), &got);
    if (!s.ok()) return FileError(s, filename);
    Preamble pre;
    TF_RETURN_IF_ERROR(
        ToTfStatus(ParsePreamble(job->head.get(), got, limits_, &pre), context));
    uint64_t file_size = got;
    if (got == want) {
      s = env->GetFileSize(filename, &file_size);
      if (!s.ok()) return FileError(s, filename);
    }
    if (pre.data_offset > got && pre.data_offset <= file_size) {
      // The header is longer than the first read (bounded by max_header_size).
      std::unique_ptr<char[]> longer(new char[pre.data_offset]);
      std::memcpy(longer.get(), job->head.get(), got);
      uint64_t more = 0;
      s = ReadAt(*job, got, pre.data_offset - got, longer.get() + got, &more);
      if (!s.ok()) return FileError(s, filename);
      job->head = std::move(longer);
      got += more;
    }
    job->head_size = got;
    // The size cap applies to what is read: the selected rows, checked below.
    Limits parse_limits = limits_;
    parse_limits.max_output_bytes = UINT64_MAX;
    Header header;
    TF_RETURN_IF_ERROR(ToTfStatus(
        ParseHeader(job->head.get(), got, parse_limits, &header), context));
    if (whole) {
      TF_RETURN_IF_ERROR(ToTfStatus(CheckOutputSize(header, limits_), context));
    }
    TF_RETURN_IF_ERROR(ToTfStatus(CheckDataSize(header, file_size), context));
    tf::TensorShape unused;
    TF_RETURN_IF_ERROR(CheckHeader(header, dtype_, expected_, context, &unused));
    if (whole) {
      job->header = header;
      return tf::OkStatus();
    }
    TF_RETURN_IF_ERROR(
        ToTfStatus(SliceRows(header, start, stop, &job->header), context));
    return ToTfStatus(CheckOutputSize(job->header, limits_), context);
  }

  tf::Status Fill(const std::string& filename, const Job& job, char* dst) const {
    const std::string context = Context(filename);
    const Header& h = job.header;
    const uint64_t offset = h.data_offset, size = h.data_bytes;
    if (offset + size <= job.head_size) {
      return ToTfStatus(DecodeData(h, job.head.get() + offset, size, dst, size),
                        context);
    }
    std::unique_ptr<char[]> scratch;
    char* target = dst;
    if (!CanDecodeInPlace(h)) {
      scratch.reset(new char[size]);
      target = scratch.get();
    }
    uint64_t got = 0;
    tf::Status s = ReadAt(job, offset, size, target, &got);
    if (!s.ok()) return FileError(s, filename);
    if (got != size) {
      return tf::errors::DataLoss(context, "file shrank while reading: expected ",
                                  size, " bytes at offset ", offset, ", got ", got);
    }
    return ToTfStatus(DecodeData(h, target, size, dst, size), context);
  }

  // Files of a batch must agree; the message names both files.
  tf::Status SameShape(const tf::TTypes<tf::tstring>::ConstFlat& files,
                       absl::Span<const Job> jobs, int64_t i) const {
    const Header& a = jobs[0].header;
    const Header& b = jobs[i].header;
    bool same = a.ndims == b.ndims;
    for (int k = 0; same && k < a.ndims; ++k) same = a.dims[k] == b.dims[k];
    if (same) return tf::OkStatus();
    return tf::errors::InvalidArgument(
        Context(files(i)), "file (element ", i, ") gives shape ",
        ShapeString(b.dims, b.ndims), " but '", files(0),
        "' (element 0) gives ", ShapeString(a.dims, a.ndims),
        "; all files in a batch must share dtype and shape");
  }

  tf::Status EmptyBatchShape(int64_t start, int64_t stop,
                             tf::TensorShape* shape) const {
    if (expected_.unknown_rank()) {
      return tf::errors::InvalidArgument(
          "ReadNpy: cannot infer the array shape of an empty batch; pass "
          "shape=");
    }
    for (int i = 0; i < expected_.dims(); ++i) {
      int64_t d = expected_.dim_size(i) < 0 ? 0 : expected_.dim_size(i);
      if (i == 0 && !(start == 0 && stop == INT64_MAX)) {
        const int64_t hi = stop < d ? stop : d;
        d = start < hi ? hi - start : 0;
      }
      TF_RETURN_IF_ERROR(shape->AddDimWithStatus(d));
    }
    return tf::OkStatus();
  }

  DType dtype_;
  tf::PartialTensorShape expected_;
  Limits limits_;
};

REGISTER_KERNEL_BUILDER(Name("TFNpy>ReadNpy").Device(tf::DEVICE_CPU),
                        ReadNpyOp);

}  // namespace
}  // namespace tfnpy
