#include "tf/batch.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "tensorflow/core/framework/types.h"
#include "tensorflow/core/platform/blocking_counter.h"
#include "tensorflow/core/platform/errors.h"
#include "tensorflow/core/platform/tstring.h"
#include "tf/npy_tf.h"
#include "tf/remote.h"

namespace tfnpy {

namespace tf = ::tensorflow;

namespace {

// "ReadNpy: " for messages, from the kernel's op ("TFNpy>ReadNpy").
std::string OpOf(tf::OpKernelContext* ctx) {
  absl::string_view op = ctx->op_kernel().type_string();
  return std::string(op.substr(op.find('>') + 1)) + ": ";
}

// fn(i), where an allocation left unchecked (one of the small, bounded ones:
// messages, names) that fails is ResourceExhausted, never an exception that
// would end the process on a pool thread.
tf::Status Guarded(tf::OpKernelContext* ctx, const std::function<tf::Status(int64_t)>& fn, int64_t i) {
  try {
    return fn(i);
  } catch (const std::bad_alloc&) {
    return tf::errors::ResourceExhausted(OpOf(ctx), "element ", i, ": out of memory");
  }
}

}  // namespace

tf::Status ForEachElement(tf::OpKernelContext* ctx, int64_t n, int64_t cost_per_element,
                          const std::function<tf::Status(int64_t)>& fn, bool remote,
                          std::vector<tf::Status>* kept) {
  if (n <= 0) return tf::OkStatus();
  if (n == 1) {
    tf::Status s = Guarded(ctx, fn, 0);
    if (kept != nullptr) (*kept)[0] = s;
    return s;
  }
  std::optional<absl::InlinedVector<tf::Status, 4>> storage;
  TF_RETURN_IF_ERROR(MakeChecked(&storage, n, OpOf(ctx)));
  auto& statuses = *storage;
  // The calling thread and pool threads take chunks of elements from one
  // counter, as many threads in all as the pool has: tf::Shard would add the
  // caller to the whole pool, one thread more than there are CPUs for it.
  // Like tf::Shard, the caller then waits for what it scheduled.
  // Remote reads: one element at a time on the remote pool.
  tf::thread::ThreadPool* pool;
  int64_t threads, chunk = 1;
  if (remote) {
    pool = RemotePool();
    threads = RemoteThreads();
  } else {
    auto* workers = ctx->device()->tensorflow_cpu_worker_threads();
    pool = workers->workers;
    threads = std::max(1, workers->num_threads);
    chunk = cost_per_element >= 1000000 ? 1 : std::max<int64_t>(1, std::min<int64_t>(32, n / (threads * 8)));
  }
  std::atomic<int64_t> next{0};
  auto run = [&]() {
    for (int64_t begin = next.fetch_add(chunk); begin < n; begin = next.fetch_add(chunk)) {
      const int64_t end = std::min(n, begin + chunk);
      for (int64_t i = begin; i < end; ++i) statuses[i] = Guarded(ctx, fn, i);
    }
  };
  const int64_t helpers = std::min(threads - 1, (n + chunk - 1) / chunk - 1);
  tf::BlockingCounter done(static_cast<int>(helpers));
  for (int64_t h = 0; h < helpers; ++h) {
    pool->Schedule([&]() {
      run();
      done.DecrementCount();
    });
  }
  run();
  done.Wait();
  if (kept != nullptr) std::copy(statuses.begin(), statuses.end(), kept->begin());
  for (const tf::Status& s : statuses) {
    if (!s.ok()) return s;
  }
  return tf::OkStatus();
}

tf::Status ReadBatchMode(tf::OpKernelConstruction* ctx, BatchMode* mode) {
  TF_RETURN_IF_ERROR(ctx->GetAttr("ragged", &mode->ragged));
  std::string on_error;
  TF_RETURN_IF_ERROR(ctx->GetAttr("on_error", &on_error));
  if (on_error != "raise" && on_error != "report") {  // The op's attr allows no other.
    return tf::errors::InvalidArgument(OpContext(ctx), "on_error must be 'raise' or 'report', got '", on_error, "'");
  }
  mode->report = on_error == "report";
  return tf::OkStatus();
}

namespace {

// TFNPY_HUGE_PAGES=0 in the environment turns the advice below off; read once.
bool HugePagesWanted() {
  static const bool wanted = [] {
    const char* v = std::getenv("TFNPY_HUGE_PAGES");
    return v == nullptr || std::strcmp(v, "0") != 0;
  }();
  return wanted;
}

// A batch output is usually fresh memory: TensorFlow's default CPU allocator
// is malloc, which maps blocks over 32 MiB anew for each call, so every 4 KiB
// page of the output costs a page fault and a zeroing inside the reads that
// fill it. Asking for transparent huge pages turns 512 of those faults into
// one: 1.2-2.4x faster batched reads of 224x224x3 and 1024x1024 float32 files
// (the performance page of the docs says when it costs instead).
// Only the whole 2 MiB pages inside the output are advised: the reads then
// write every byte of them, so this holds no memory the tensor does not use.
// Advice only: on a kernel without THP, or with THP "never", or on memory
// madvise cannot advise, nothing changes.
void AdviseHugePages(const tf::Tensor& t) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // Strings are not in the tensor's buffer (tensor_data() refuses them).
  if (!tf::DataTypeCanUseMemcpy(t.dtype()) || !HugePagesWanted()) return;
  const char* data = t.tensor_data().data();
  const size_t n = t.tensor_data().size();
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t at = reinterpret_cast<uintptr_t>(data);
  const uintptr_t begin = (at + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (at + n) & ~(kHuge - 1);
  if (end > begin) {
    (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);  // Advice: its result is not needed.
  }
#else
  (void)t;
#endif
}

bool SameShape(const Header& a, const Header& b) {
  if (a.ndims != b.ndims) return false;
  for (int k = 0; k < a.ndims; ++k) {
    if (a.dims[k] != b.dims[k]) return false;
  }
  return true;
}

}  // namespace

Batch::Batch(tf::OpKernelContext* ctx, const BatchMode& mode, bool batched, int64_t n, std::string op,
             int num_arrays, bool remote)
    : ctx_(ctx), mode_(mode), batched_(batched), remote_(remote), n_(n), op_(std::move(op)) {
  outputs_.reserve(num_arrays);
  starts_.resize(num_arrays);
  stride_.resize(num_arrays);
  shapes_.resize(num_arrays);
  ranks_.resize(num_arrays);
}

tf::Status Batch::Run(int64_t cost_per_element, const std::function<tf::Status(int64_t)>& fn) {
  if (!mode_.report) return ForEachElement(ctx_, n_, cost_per_element, fn, remote_);
  std::vector<tf::Status> now;
  TF_RETURN_IF_ERROR(ToTfStatus(Growing(2 * sizeof(tf::Status) * static_cast<uint64_t>(n_), "the batch's statuses",
                                        [&] {
                                          if (statuses_.empty()) statuses_.resize(n_);
                                          now.resize(n_);
                                        }),
                                op_));
  (void)ForEachElement(
      ctx_, n_, cost_per_element, [&](int64_t i) { return failed(i) ? tf::OkStatus() : fn(i); }, remote_, &now);
  for (int64_t i = 0; i < n_; ++i) {
    if (statuses_[i].ok()) statuses_[i] = now[i];
  }
  return tf::OkStatus();
}

tf::Status Batch::Fail(int64_t i, const tf::Status& s) {
  if (!mode_.report || statuses_.empty()) return s;
  if (statuses_[i].ok()) statuses_[i] = s;
  return tf::OkStatus();
}

uint64_t Batch::Count(int k, int64_t i) const {
  return mode_.ragged ? starts_[k][i + 1] - starts_[k][i] : stride_[k];
}

tf::Status Batch::Allocate(const ArraysSpec& spec, tf::Tensor** output) {
  const int k = static_cast<int>(outputs_.size());
  int64_t first = 0;  // The first element read (not failed).
  while (first < n_ && spec.element(first) == nullptr) ++first;
  tf::TensorShape shape;
  if (!mode_.ragged) {
    tf::TensorShape array;
    if (first < n_) {
      const Header& h0 = *spec.element(first);
      TF_RETURN_IF_ERROR(ArrayShape(h0, &array));
      for (int64_t i = first + 1; i < n_; ++i) {
        const Header* h = spec.element(i);
        if (h == nullptr || SameShape(*h, h0)) continue;
        TF_RETURN_IF_ERROR(Fail(
            i, tf::errors::InvalidArgument(op_, spec.describe(i), " gives shape ", ShapeString(h->dims, h->ndims),
                                           " but ", spec.describe(first), " gives ",
                                           ShapeString(h0.dims, h0.ndims),
                                           "; all arrays in a batch must share dtype and shape (ragged=True reads "
                                           "arrays of different shapes)")));
      }
    } else {
      tf::Status s = spec.empty_shape(&array);
      // Every element failed and the attr has no shape to give: the first one's error.
      if (!s.ok() && !statuses_.empty()) return statuses_[0];
      TF_RETURN_IF_ERROR(s);
    }
    stride_[k] = static_cast<uint64_t>(array.num_elements());
    if (batched_) TF_RETURN_IF_ERROR(shape.AddDimWithStatus(n_));
    shape.AppendShape(array);
  } else {
    // The rank: the attr's, else the first array's; every array must have it.
    const int rank = !spec.expected.unknown_rank() ? spec.expected.dims()
                     : first < n_                  ? spec.element(first)->ndims
                                                   : 0;
    ranks_[k] = rank;
    std::vector<int64_t>& dims = shapes_[k];
    std::vector<uint64_t>& starts = starts_[k];
    TF_RETURN_IF_ERROR(ToTfStatus(Growing(static_cast<uint64_t>(n_) * (rank + 1) * 8, "a ragged batch's row shapes",
                                          [&] {
                                            dims.resize(static_cast<size_t>(n_) * rank);
                                            starts.resize(n_ + 1);
                                          }),
                                  op_));
    uint64_t total = 0;
    for (int64_t i = 0; i < n_; ++i) {
      const Header* h = spec.element(i);
      if (h != nullptr && h->ndims != rank) {
        TF_RETURN_IF_ERROR(Fail(i, tf::errors::InvalidArgument(op_, spec.describe(i), " has ", h->ndims,
                                                               " dimensions but ", spec.describe(first), " has ",
                                                               rank, "; a ragged batch needs arrays of one rank")));
        h = nullptr;
      }
      // A failed row: the attr's known dims, the others 0.
      uint64_t count = 1;
      for (int a = 0; a < rank; ++a) {
        const int64_t d = h != nullptr                                     ? h->dims[a]
                          : spec.expected.unknown_rank()                   ? 0
                          : std::max<int64_t>(0, spec.expected.dim_size(a));
        dims[static_cast<size_t>(i) * rank + a] = d;
        if (!MulWithinInt64(count, static_cast<uint64_t>(d), &count)) count = UINT64_MAX;
      }
      if (h != nullptr) count = h->num_elements;
      if (h == nullptr && spec.expected.unknown_rank()) count = 0;
      starts[i] = total;
      if (count > static_cast<uint64_t>(INT64_MAX) - total) {
        return tf::errors::ResourceExhausted(op_, "a ragged batch of ", n_, " arrays holds more than 2**63 elements");
      }
      total += count;
    }
    starts[n_] = total;
    TF_RETURN_IF_ERROR(shape.AddDimWithStatus(static_cast<int64_t>(total)));
  }
  const tf::Status allocated = ctx_->allocate_output(spec.output, shape, output);
  if (!allocated.ok()) {  // Name the op and the size: TensorFlow's message gives neither in bytes.
    const tf::DataType type = ctx_->expected_output_dtype(spec.output);
    const uint64_t item = type == tf::DT_STRING ? sizeof(tf::tstring) : tf::DataTypeSize(type);
    return tf::Status(allocated.code(), absl::StrCat(op_, "cannot allocate the output, shape ", shape.DebugString(),
                                                     " of ", tf::DataTypeString(type), " (",
                                                     static_cast<uint64_t>(shape.num_elements()) * item,
                                                     " bytes): ", allocated.message()));
  }
  AdviseHugePages(**output);
  outputs_.push_back(*output);
  return tf::OkStatus();
}

tf::Status Batch::Finish() {
  const int num_arrays = static_cast<int>(starts_.size());
  int columns = 0;
  for (int r : ranks_) columns += r;
  tf::Tensor* row_shapes = nullptr;
  TF_RETURN_IF_ERROR(ctx_->allocate_output(num_arrays, tf::TensorShape({mode_.ragged ? n_ : 0, mode_.ragged ? columns : 0}),
                                           &row_shapes));
  if (mode_.ragged) {
    auto m = row_shapes->matrix<int64_t>();
    for (int64_t i = 0; i < n_; ++i) {
      int c = 0;
      for (int k = 0; k < num_arrays; ++k) {
        for (int a = 0; a < ranks_[k]; ++a) m(i, c++) = shapes_[k][static_cast<size_t>(i) * ranks_[k] + a];
      }
    }
  }
  const int64_t m = mode_.report ? n_ : 0;
  tf::Tensor* status = nullptr;
  tf::Tensor* message = nullptr;
  TF_RETURN_IF_ERROR(ctx_->allocate_output(num_arrays + 1, tf::TensorShape({m}), &status));
  TF_RETURN_IF_ERROR(ctx_->allocate_output(num_arrays + 2, tf::TensorShape({m}), &message));
  for (int64_t i = 0; i < m; ++i) {
    const tf::Status s = static_cast<size_t>(i) < statuses_.size() ? statuses_[i] : tf::OkStatus();
    status->vec<int32_t>()(i) = static_cast<int32_t>(s.code());
    const absl::string_view said = s.message();
    TF_RETURN_IF_ERROR(ToTfStatus(SetString(&message->vec<tf::tstring>()(i), said.data(), said.size(), "an error message"), op_));
    if (s.ok()) continue;
    // A failed row holds zeros (empty strings), whatever was read into it.
    for (size_t k = 0; k < outputs_.size(); ++k) {
      tf::Tensor* out = outputs_[k];
      const uint64_t start = Start(static_cast<int>(k), i);
      const uint64_t count = Count(static_cast<int>(k), i);
      if (count == 0) continue;
      if (out->dtype() == tf::DT_STRING) {
        tf::tstring* p = out->flat<tf::tstring>().data() + start;
        for (uint64_t j = 0; j < count; ++j) p[j] = tf::tstring();
      } else {
        const size_t item = tf::DataTypeSize(out->dtype());
        std::memset(static_cast<char*>(out->data()) + start * item, 0, count * item);
      }
    }
  }
  return tf::OkStatus();
}

}  // namespace tfnpy
