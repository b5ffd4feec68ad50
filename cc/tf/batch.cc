#include "tf/batch.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "tensorflow/core/framework/types.h"
#include "tensorflow/core/platform/blocking_counter.h"
#include "tensorflow/core/platform/errors.h"
#include "tf/npy_tf.h"

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
                          const std::function<tf::Status(int64_t)>& fn) {
  if (n <= 0) return tf::OkStatus();
  if (n == 1) return Guarded(ctx, fn, 0);
  std::optional<absl::InlinedVector<tf::Status, 4>> storage;
  TF_RETURN_IF_ERROR(MakeChecked(&storage, n, OpOf(ctx)));
  auto& statuses = *storage;
  auto* workers = ctx->device()->tensorflow_cpu_worker_threads();
  // The calling thread and pool threads take chunks of elements from one
  // counter, as many threads in all as the pool has: tf::Shard would add the
  // caller to the whole pool, one thread more than there are CPUs for it.
  // Like tf::Shard, the caller then waits for what it scheduled.
  const int64_t threads = std::max(1, workers->num_threads);
  const int64_t chunk =
      cost_per_element >= 1000000 ? 1 : std::max<int64_t>(1, std::min<int64_t>(32, n / (threads * 8)));
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
    workers->workers->Schedule([&]() {
      run();
      done.DecrementCount();
    });
  }
  run();
  done.Wait();
  for (const tf::Status& s : statuses) {
    if (!s.ok()) return s;
  }
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
// (README, "Fresh output memory", which also says when it costs instead).
// Only the whole 2 MiB pages inside the output are advised: the reads then
// write every byte of them, so this holds no memory the tensor does not use.
// Advice only: on a kernel without THP, or with THP "never", or on memory
// madvise cannot advise, nothing changes.
void AdviseHugePages(const char* data, size_t n) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t at = reinterpret_cast<uintptr_t>(data);
  const uintptr_t begin = (at + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (at + n) & ~(kHuge - 1);
  if (end > begin && HugePagesWanted()) {
    (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);  // Advice: its result is not needed.
  }
#else
  (void)data;
  (void)n;
#endif
}

}  // namespace

tf::Status AllocateBatch(tf::OpKernelContext* ctx, const BatchSpec& spec, tf::Tensor** output,
                         uint64_t* stride) {
  tf::TensorShape array;
  if (spec.n > 0) {
    const Header& first = spec.element(0);
    TF_RETURN_IF_ERROR(ArrayShape(first, &array));
    for (int64_t i = 1; i < spec.n; ++i) {
      const Header& h = spec.element(i);
      bool same = h.ndims == first.ndims;
      for (int k = 0; same && k < h.ndims; ++k) same = h.dims[k] == first.dims[k];
      if (!same) {
        return tf::errors::InvalidArgument(
            spec.op, spec.describe(i), " gives shape ", ShapeString(h.dims, h.ndims), " but ",
            spec.describe(0), " gives ", ShapeString(first.dims, first.ndims),
            "; all arrays in a batch must share dtype and shape");
      }
    }
    *stride = first.data_bytes;
  } else {
    TF_RETURN_IF_ERROR(spec.empty_shape(&array));
    *stride = 0;
  }
  tf::TensorShape shape;
  if (spec.batched) TF_RETURN_IF_ERROR(shape.AddDimWithStatus(spec.n));
  shape.AppendShape(array);
  const tf::Status allocated = ctx->allocate_output(spec.output, shape, output);
  if (!allocated.ok()) {  // Name the op and the size: TensorFlow's message gives neither in bytes.
    const tf::DataType type = ctx->expected_output_dtype(spec.output);
    const uint64_t item = type == tf::DT_STRING ? sizeof(tf::tstring) : tf::DataTypeSize(type);
    return tf::Status(allocated.code(), absl::StrCat(spec.op, "cannot allocate the output, shape ", shape.DebugString(),
                                                     " of ", tf::DataTypeString(type), " (",
                                                     static_cast<uint64_t>(shape.num_elements()) * item,
                                                     " bytes): ", allocated.message()));
  }
  // Strings are not in the tensor's buffer (tensor_data() refuses them).
  if (tf::DataTypeCanUseMemcpy((*output)->dtype())) {
    AdviseHugePages((*output)->tensor_data().data(), (*output)->tensor_data().size());
  }
  return tf::OkStatus();
}

}  // namespace tfnpy
