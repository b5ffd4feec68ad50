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
#include "tf/remote.h"

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
    OP_REQUIRES_OK(ctx, ReadOutOfBounds(ctx, &policy_));
    OP_REQUIRES_OK(ctx, ReadBatchMode(ctx, &mode_));
    // With a dtype and a whole shape the array is known before any file is
    // read: the file np.save writes for it is read in one go (PredictedNpy).
    if (!mode_.ragged && expected_.IsFullyDefined()) {
      predicted_.Init(dtype_, expected_.dim_sizes().data(), expected_.dims(), limits_);
    }
  }

  void Compute(tf::OpKernelContext* ctx) override {
    const tf::Tensor& names = ctx->input(0);
    OP_REQUIRES(ctx, names.dims() <= 1,
                tf::errors::InvalidArgument(
                    "ReadNpy: filename must be a scalar or a vector, got shape ",
                    names.shape().DebugString()));
    const auto files = names.flat<tf::tstring>();
    const int64_t n = files.size();
    const bool batched = names.dims() == 1;
    RegionInputs regions;
    OP_REQUIRES_OK(ctx, regions.Init("ReadNpy: ", ctx->input(1), ctx->input(2), batched, n, policy_));
    const tf::Tensor& fill = ctx->input(3);
    OP_REQUIRES(ctx, fill.dims() == 0,
                tf::errors::InvalidArgument("ReadNpy: fill_value must be a scalar, got shape ",
                                            fill.shape().DebugString()));
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

    auto open = [&](int64_t i, FileSource* source) { return source->Open(env, files(i), file_system(i)); };
    // Validates open file i: header, size checks, selection.
    auto validate = [&](int64_t i, FileSource* source, NpyReader* reader, Selection* sel, Arena* arena) {
      tf::Status s = source->Convert(reader->Open(source, limits_, arena));
      if (s.ok()) s = source->Convert(SelectChecked(*reader, &regions, i, dtype_, expected_, sel));
      return s;
    };
    Batch batch(ctx, mode_, batched, n, "ReadNpy: ", 1, RemoteBatch(names));
    ArraysSpec spec;
    spec.describe = [&](int64_t i) {
      return "'" + std::string(files(i)) + "' (element " + std::to_string(i) + ")";
    };
    spec.empty_shape = [&](tf::TensorShape* shape) { return regions.EmptyShape("ReadNpy: ", expected_, shape); };
    spec.expected = expected_;
    tf::Tensor* output = nullptr;

    if (predicted_.usable() && ctx->input(1).NumElements() == 0) {
      // Whole arrays of a known shape: the output first, then each file
      // straight into its row, in one pass; a file that is not the predicted
      // one is read as below, with the same result or error.
      spec.element = [&](int64_t) { return &predicted_.array(); };
      OP_REQUIRES_OK(ctx, batch.Allocate(spec, &output));
      char* base = static_cast<char*>(output->data());
      const uint64_t row = predicted_.array().data_bytes;
      OP_REQUIRES_OK(ctx, batch.Run(static_cast<int64_t>(row) + 100000, [&](int64_t i) -> tf::Status {
        FileSource source;
        tf::Status s = open(i, &source);
        if (!s.ok() || (source.is_local() && predicted_.Read(&source, base + i * row))) return s;
        NpyReader reader;
        Selection sel;
        s = validate(i, &source, &reader, &sel, nullptr);
        if (s.ok()) s = source.Convert(ReadElement(&reader, sel, output, batch.Start(0, i), &fill));
        return s;
      }));
      OP_REQUIRES_OK(ctx, batch.Finish());
      return;
    }

    Arena arena;  // What small files' first reads keep, until the end of Compute.
    // Each element is made (validation) and destroyed (after its read) by a
    // pool thread, not one after another here (as ReadNpz's).
    std::optional<absl::InlinedVector<std::optional<Element>, 1>> storage;
    OP_REQUIRES_OK(ctx, MakeChecked(&storage, n, "ReadNpy: "));
    auto& elements = *storage;
    OP_REQUIRES_OK(ctx, batch.Run(100000, [&](int64_t i) -> tf::Status {
      Element& e = elements[i].emplace();
      tf::Status s = open(i, &e.source);
      if (s.ok()) s = validate(i, &e.source, &e.reader, &e.sel, n > 1 ? &arena : nullptr);
      if (!s.ok()) {
        elements[i].reset();
        return s;
      }
      if (e.reader.complete() || held_open.fetch_add(1) >= kMaxHeldOpen) {
        e.reader.Detach();
        e.source.Close();
      }
      return tf::OkStatus();
    }));

    spec.element = [&](int64_t i) -> const Header* { return elements[i] ? &elements[i]->sel.array : nullptr; };
    OP_REQUIRES_OK(ctx, batch.Allocate(spec, &output));

    auto read = [&](int64_t i) -> tf::Status {
      Element& e = *elements[i];
      tf::Status s;
      if (!e.reader.complete() && !e.source.is_open()) {
        s = open(i, &e.source);
        if (s.ok()) s = e.source.Convert(e.reader.Reattach(&e.source));
      }
      if (s.ok()) s = e.source.Convert(ReadElement(&e.reader, e.sel, output, batch.Start(0, i), &fill));
      elements[i].reset();
      return s;
    };
    if (output->NumElements() > 0) {
      const int64_t bytes_per_element = static_cast<int64_t>(output->TotalBytes()) / n;
      OP_REQUIRES_OK(ctx, batch.Run(bytes_per_element + 100000, read));
    }
    OP_REQUIRES_OK(ctx, batch.Finish());
  }

 private:
  DType dtype_;
  tf::PartialTensorShape expected_;
  Limits limits_;
  OutOfBounds policy_;
  BatchMode mode_;
  PredictedNpy predicted_;
};

REGISTER_KERNEL_BUILDER(Name("TFNpy>ReadNpy").Device(tf::DEVICE_CPU), ReadNpyOp);

}  // namespace
}  // namespace tfnpy
