// DecodeNpy: .npy bytes held in a string tensor -> tensor. Glue only: the
// format work is in cc/npy.
#include <mutex>

#include "absl/container/inlined_vector.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/util/work_sharder.h"
#include "tf/npy_tf.h"

namespace tfnpy {
namespace {

namespace tf = ::tensorflow;

class DecodeNpyOp : public tf::OpKernel {
 public:
  explicit DecodeNpyOp(tf::OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ReadKernelAttrs(ctx, &dtype_, &expected_, &limits_));
  }

  void Compute(tf::OpKernelContext* ctx) override {
    const tf::Tensor& input = ctx->input(0);
    OP_REQUIRES(ctx, input.dims() <= 1,
                tf::errors::InvalidArgument(
                    "DecodeNpy: contents must be a scalar or a vector, got "
                    "shape ",
                    input.shape().DebugString()));
    const auto contents = input.flat<tf::tstring>();
    const int64_t n = contents.size();
    // Validate every element before allocating anything.
    absl::InlinedVector<Header, 1> headers(n);
    tf::TensorShape array_shape;
    for (int64_t i = 0; i < n; ++i) {
      OP_REQUIRES_OK(ctx, Parse(contents(i), i, input.dims() == 1, &headers[i],
                                &array_shape, i == 0 ? nullptr : &headers[0]));
    }
    tf::TensorShape out_shape;
    if (input.dims() == 1) {
      OP_REQUIRES_OK(ctx, EmptyBatchShape(n, &array_shape));
      out_shape.AddDim(n);
    }
    out_shape.AppendShape(array_shape);
    tf::Tensor* output = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, out_shape, &output));
    if (n == 0 || output->NumElements() == 0) return;

    char* base = static_cast<char*>(output->data());
    const uint64_t stride = headers[0].data_bytes;
    std::mutex mu;
    tf::Status status;
    auto decode = [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const Header& h = headers[i];
        const tf::tstring& s = contents(i);
        tf::Status st = ToTfStatus(
            DecodeData(h, s.data() + h.data_offset, s.size() - h.data_offset,
                       base + i * stride, stride),
            "DecodeNpy: ");
        if (!st.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          status.Update(st);
        }
      }
    };
    if (n == 1) {
      decode(0, 1);
    } else {
      auto* workers = ctx->device()->tensorflow_cpu_worker_threads();
      tf::Shard(workers->num_threads, workers->workers, n,
                /*cost_per_unit=*/static_cast<int64_t>(stride) + 1000, decode);
    }
    OP_REQUIRES_OK(ctx, status);
  }

 private:
  // Parses element i; the first one fixes the shape, later ones must match it.
  tf::Status Parse(const tf::tstring& s, int64_t i, bool batched, Header* h,
                   tf::TensorShape* shape, const Header* first) const {
    const std::string context =
        batched ? "DecodeNpy: element " + std::to_string(i) + ": "
                : std::string("DecodeNpy: ");
    TF_RETURN_IF_ERROR(
        ToTfStatus(ParseNpy(s.data(), s.size(), limits_, h), context));
    tf::TensorShape element_shape;
    TF_RETURN_IF_ERROR(
        CheckHeader(*h, dtype_, expected_, context, &element_shape));
    if (first == nullptr) {
      *shape = element_shape;
    } else if (element_shape != *shape) {
      return tf::errors::InvalidArgument(
          context, "file has shape ", ShapeString(h->dims, h->ndims),
          " but element 0 has shape ",
          ShapeString(first->dims, first->ndims),
          "; all files in a batch must share dtype and shape");
    }
    return tf::OkStatus();
  }

  // An empty batch has no file to take the shape from: use the attr.
  tf::Status EmptyBatchShape(int64_t n, tf::TensorShape* shape) const {
    if (n > 0) return tf::OkStatus();
    if (expected_.unknown_rank()) {
      return tf::errors::InvalidArgument(
          "DecodeNpy: cannot infer the array shape of an empty batch; pass "
          "shape=");
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
};

REGISTER_KERNEL_BUILDER(Name("TFNpy>DecodeNpy").Device(tf::DEVICE_CPU),
                        DecodeNpyOp);

}  // namespace
}  // namespace tfnpy
