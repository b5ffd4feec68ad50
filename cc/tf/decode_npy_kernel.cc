// DecodeNpy: .npy bytes held in a string tensor -> tensor. Glue only: the
// reading is NpyReader's (cc/npy), the batch path batch.h's.
#include "absl/container/inlined_vector.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tf/batch.h"
#include "tf/npy_tf.h"

namespace tfnpy {
namespace {

namespace tf = ::tensorflow;

struct Element {
  Element() {}  // Not zero-filled first (see read_npy_kernel.cc).
  NpyReader reader;
  Selection sel;
};

class DecodeNpyOp : public tf::OpKernel {
 public:
  explicit DecodeNpyOp(tf::OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ReadKernelAttrs(ctx, &dtype_, &expected_, &limits_));
    OP_REQUIRES_OK(ctx, ReadBatchMode(ctx, &mode_));
  }

  void Compute(tf::OpKernelContext* ctx) override {
    const tf::Tensor& input = ctx->input(0);
    OP_REQUIRES(ctx, input.dims() <= 1,
                tf::errors::InvalidArgument(
                    "DecodeNpy: contents must be a scalar or a vector, got shape ",
                    input.shape().DebugString()));
    const auto contents = input.flat<tf::tstring>();
    const int64_t n = contents.size();
    const bool batched = input.dims() == 1;
    auto context = [batched](int64_t i) {
      return batched ? "DecodeNpy: element " + std::to_string(i) + ": " : std::string("DecodeNpy: ");
    };
    std::optional<absl::InlinedVector<Element, 1>> storage;
    OP_REQUIRES_OK(ctx, MakeChecked(&storage, n, "DecodeNpy: "));
    auto& elements = *storage;
    Batch batch(ctx, mode_, batched, n, "DecodeNpy: ", 1);
    OP_REQUIRES_OK(ctx, batch.Run(1000, [&](int64_t i) {
      Element& e = elements[i];
      MemorySource source(contents(i).data(), contents(i).size());
      Status s = e.reader.Open(&source, limits_);
      e.reader.Detach();  // Complete: the bytes stay where they are.
      if (s.ok()) s = SelectChecked(e.reader, nullptr, i, dtype_, expected_, &e.sel);
      return s.ok() ? tf::OkStatus() : ToTfStatus(s, context(i));
    }));
    ArraysSpec spec;
    spec.element = [&](int64_t i) { return batch.failed(i) ? nullptr : &elements[i].sel.array; };
    spec.describe = [](int64_t i) { return "element " + std::to_string(i); };
    spec.empty_shape = [this](tf::TensorShape* shape) { return EmptyBatchShape(shape); };
    spec.expected = expected_;
    tf::Tensor* output = nullptr;
    OP_REQUIRES_OK(ctx, batch.Allocate(spec, &output));
    if (output->NumElements() > 0) {
      const int64_t bytes_per_element = static_cast<int64_t>(output->TotalBytes()) / n;
      OP_REQUIRES_OK(ctx, batch.Run(bytes_per_element + 1000, [&](int64_t i) {
        Element& e = elements[i];
        const Status s = ReadElement(&e.reader, e.sel, output, batch.Start(0, i));
        return s.ok() ? tf::OkStatus() : ToTfStatus(s, context(i));
      }));
    }
    OP_REQUIRES_OK(ctx, batch.Finish());
  }

 private:
  // An empty batch has no file to take the shape from: use the attr.
  tf::Status EmptyBatchShape(tf::TensorShape* shape) const {
    if (expected_.unknown_rank()) {
      return tf::errors::InvalidArgument(
          "DecodeNpy: cannot infer the array shape of an empty batch; pass shape=");
    }
    tf::TensorShape out;
    for (int i = 0; i < expected_.dims(); ++i) {
      const int64_t d = expected_.dim_size(i);
      TF_RETURN_IF_ERROR(out.AddDimWithStatus(d < 0 ? 0 : d));
    }
    *shape = out;
    return tf::OkStatus();
  }

  DType dtype_;
  tf::PartialTensorShape expected_;
  Limits limits_;
  BatchMode mode_;
};

REGISTER_KERNEL_BUILDER(Name("TFNpy>DecodeNpy").Device(tf::DEVICE_CPU), DecodeNpyOp);

}  // namespace
}  // namespace tfnpy
