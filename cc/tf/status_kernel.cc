// CheckStatus and LogSkipped: per-element errors of a batched read, for
// tfnpy.data's pipelines. A batch read with on_error="report" gives each
// file's error code and message; CheckStatus turns one back into the error
// (its code kept), so that one bad file fails one element; LogSkipped says
// once per process which files on_error="skip" left out.
#include <string>

#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/platform/errors.h"
#include "tf/status_log.h"

namespace tfnpy {
namespace {

namespace tf = ::tensorflow;

// Passes `values` through unless `code` says the element failed: then its
// error, with the code kept (NotFound, DataLoss...), so that a pipeline's
// ignore_errors() drops it as it would a failed per-element read.
class CheckStatusOp : public tf::OpKernel {
 public:
  using OpKernel::OpKernel;

  void Compute(tf::OpKernelContext* ctx) override {
    const tf::Tensor& code = ctx->input(0);
    const tf::Tensor& message = ctx->input(1);
    OP_REQUIRES(ctx, code.dims() == 0 && message.dims() == 0,
                tf::errors::InvalidArgument("CheckStatus: code and message must be scalars, got shapes ",
                                            code.shape().DebugString(), " and ", message.shape().DebugString()));
    const int32_t c = code.scalar<int32_t>()();
    if (c != 0) {
      // A code TensorFlow does not know (never one of ours) is still an error.
      const auto status_code = c > 0 && c <= static_cast<int32_t>(absl::StatusCode::kUnauthenticated)
                                   ? static_cast<absl::StatusCode>(c)
                                   : absl::StatusCode::kUnknown;
      ctx->SetStatus(tf::Status(status_code, std::string(message.scalar<tf::tstring>()())));
      return;
    }
    for (int i = 2; i < ctx->num_inputs(); ++i) ctx->set_output(i - 2, ctx->input(i));
  }
};

class LogSkippedOp : public tf::OpKernel {
 public:
  using OpKernel::OpKernel;

  void Compute(tf::OpKernelContext* ctx) override {
    const auto messages = ctx->input(0).flat<tf::tstring>();
    int64_t count = SkippedSoFar();
    for (int64_t i = 0; i < messages.size(); ++i) count = LogSkipped(std::string(messages(i)));
    tf::Tensor* out = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, tf::TensorShape({}), &out));
    out->scalar<int64_t>()() = count;
  }
};

REGISTER_KERNEL_BUILDER(Name("TFNpy>CheckStatus").Device(tf::DEVICE_CPU), CheckStatusOp);
REGISTER_KERNEL_BUILDER(Name("TFNpy>LogSkipped").Device(tf::DEVICE_CPU), LogSkippedOp);

}  // namespace
}  // namespace tfnpy
