// ReadNpy: .npy files -> tensor through TensorFlow's file systems (local,
// ram://, gs://, s3://, ...), reading each file's selected region straight
// into the output. Glue only: the reading is NpyReader's (cc/npy), the batch
// path batch.h's.
#include <atomic>
#include <optional>
#include <string>

#include "absl/container/inlined_vector.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tf/batch.h"
#include "tf/npy_tf.h"

namespace tfnpy {
namespace {

namespace tf = ::tensorflow;

// Files of a batch still open between validation and reading, at most. A
// small file is complete after its first read and closed at once; a larger
// one past this count is closed and opened again to be read (its header must
// not have changed), so a batch of any size fits in any sane open-file limit.
constexpr int kMaxHeldOpen = 64;

struct Element {
  // User-provided, so that a batch's elements are not zero-filled first.
  Element() {}
  FileSource source;
  NpyReader reader;
  Selection sel;
};

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
    const auto files = names.flat<tf::tstring>();
    const int64_t n = files.size();
    const tf::Tensor& start = ctx->input(1);
    const tf::Tensor& stop = ctx->input(2);
    OP_REQUIRES_OK(ctx, CheckRegionBounds("ReadNpy: ", start, stop, names.dims() == 1, n));
    tf::Env* env = ctx->env();
    std::atomic<int> held_open{0};
    // One file-system lookup for the batch: every name with the first
    // name's scheme uses its file system (the others look theirs up).
    tf::FileSystem* fs = nullptr;
    absl::string_view scheme;
    if (n > 1 && env->GetFileSystemForFile(files(0), &fs).ok()) scheme = Scheme(files(0));
    auto file_system = [&](int64_t i) {
      return fs != nullptr && Scheme(files(i)) == scheme ? fs : nullptr;
    };

    Arena arena;  // What small files' first reads keep, until the end of Compute.
    // Each element is made (validation) and destroyed (after its read) by a
    // pool thread, not one after another here (as ReadNpz's).
    std::optional<absl::InlinedVector<std::optional<Element>, 1>> storage;
    OP_REQUIRES_OK(ctx, MakeChecked(&storage, n, "ReadNpy: "));
    auto& elements = *storage;
    OP_REQUIRES_OK(ctx, ForEachElement(ctx, n, 100000, [&](int64_t i) -> tf::Status {
      Element& e = elements[i].emplace();
      TF_RETURN_IF_ERROR(e.source.Open(env, files(i), file_system(i)));
      TF_RETURN_IF_ERROR(e.source.Convert(e.reader.Open(&e.source, limits_, n > 1 ? &arena : nullptr)));
      TF_RETURN_IF_ERROR(
          e.source.Convert(SelectChecked(e.reader, RegionOf(start, stop, i), dtype_, expected_, &e.sel)));
      if (e.reader.complete() || held_open.fetch_add(1) >= kMaxHeldOpen) {
        e.reader.Detach();
        e.source.Close();
      }
      return tf::OkStatus();
    }));

    BatchSpec spec;
    spec.batched = names.dims() == 1;
    spec.n = n;
    spec.op = "ReadNpy: ";
    spec.element = [&](int64_t i) -> const Header& { return elements[i]->sel.array; };
    spec.describe = [&](int64_t i) {
      return "'" + std::string(files(i)) + "' (element " + std::to_string(i) + ")";
    };
    spec.empty_shape = [&](tf::TensorShape* shape) {
      return RegionBatchShape("ReadNpy: ", expected_, start, stop, shape);
    };
    tf::Tensor* output = nullptr;
    uint64_t stride = 0;
    OP_REQUIRES_OK(ctx, AllocateBatch(ctx, spec, &output, &stride));
    if (output->NumElements() == 0) return;

    OP_REQUIRES_OK(ctx, ForEachElement(ctx, n, static_cast<int64_t>(stride) + 100000,
                                       [&](int64_t i) -> tf::Status {
      Element& e = *elements[i];
      if (!e.reader.complete() && !e.source.is_open()) {
        TF_RETURN_IF_ERROR(e.source.Open(env, files(i), file_system(i)));
        TF_RETURN_IF_ERROR(e.source.Convert(e.reader.Reattach(&e.source)));
      }
      tf::Status s = e.source.Convert(ReadElement(&e.reader, e.sel, output, i));
      elements[i].reset();
      return s;
    }));
  }

 private:
  DType dtype_;
  tf::PartialTensorShape expected_;
  Limits limits_;
};

REGISTER_KERNEL_BUILDER(Name("TFNpy>ReadNpy").Device(tf::DEVICE_CPU), ReadNpyOp);

}  // namespace
}  // namespace tfnpy
