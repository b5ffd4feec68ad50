// The batch path every reading kernel shares: validate every element in
// parallel, lay out the output (arrays stacked, or ragged: one after
// another), fill every element in parallel, and report per element (the
// on_error attr) or fail with the lowest-numbered element's error.
#ifndef TFNPY_CC_TF_BATCH_H_
#define TFNPY_CC_TF_BATCH_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "npy/npy_format.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/partial_tensor_shape.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/framework/tensor_shape.h"

namespace tfnpy {

// Runs fn(i) for i in [0, n) on the intra-op pool (inline for a single
// element, the common per-element case in a tf.data map) and returns the
// status of the lowest-numbered element that failed, so errors do not depend
// on scheduling. `remote`: the elements are files of a remote file system
// (RemoteBatch, remote.h), whose reads wait on the network, not on a CPU:
// they run one at a time on tfnpy's remote pool, RemoteThreads() of them at
// once whatever the number of cores (never more than n). With `statuses`
// (n of them), every element's status is kept there as well.
tensorflow::Status ForEachElement(tensorflow::OpKernelContext* ctx, int64_t n,
                                  int64_t cost_per_element,
                                  const std::function<tensorflow::Status(int64_t)>& fn,
                                  bool remote = false, std::vector<tensorflow::Status>* statuses = nullptr);

// The attrs that say how a reading kernel returns a batch, read once.
struct BatchMode {
  // Arrays one after another in a flat output, with each one's shape in
  // the row_shapes output (a tf.RaggedTensor in Python), instead of stacked.
  bool ragged = false;
  // on_error="report": an element that fails leaves its row zero and its
  // error in the status and message outputs; the others are read.
  bool report = false;
};
// Reads the ragged and on_error attrs.
tensorflow::Status ReadBatchMode(tensorflow::OpKernelConstruction* ctx, BatchMode* mode);

// One array output of a batch (ReadNpz has one per key).
struct ArraysSpec {
  int output = 0;
  // Element i's selected array after validation; nullptr if it failed.
  std::function<const Header*(int64_t)> element;
  // "'a.npy' (element 3)": element i, for messages.
  std::function<std::string(int64_t)> describe;
  // The shape of each array when no element gives one (an empty batch, or
  // every element failed): the shape attr's, cut by the region.
  std::function<tensorflow::Status(tensorflow::TensorShape*)> empty_shape;
  // The shape attr: a ragged output's rank, and a failed row's known dims.
  tensorflow::PartialTensorShape expected;
};

// One call's batch. Outputs, after the arrays' (0 .. num_arrays - 1):
// row_shapes (int64 [n, sum of the arrays' ranks] when ragged, else [0, 0]),
// status (int32 [n]: 0 or the error code) and message (string [n]) when
// reporting, else both [0].
class Batch {
 public:
  // `remote`: the elements are files of a remote file system (ForEachElement).
  Batch(tensorflow::OpKernelContext* ctx, const BatchMode& mode, bool batched, int64_t n, std::string op,
        int num_arrays, bool remote = false);

  // fn(i) for every element not failed yet, in parallel. Without report:
  // the lowest-numbered failure. With report: failures are kept (the
  // element is then skipped) and the call succeeds.
  tensorflow::Status Run(int64_t cost_per_element, const std::function<tensorflow::Status(int64_t)>& fn);
  bool failed(int64_t i) const { return !statuses_.empty() && !statuses_[i].ok(); }

  // Allocates the arrays' output spec.output (call for k = 0, 1, ... in
  // order): stacked, [n] + the elements' common shape for a vector input
  // (the element's own for a scalar), every element with element 0's shape
  // (else an error naming both; with report, the element that differs from
  // the first one read fails); or ragged, [sum of their element counts].
  tensorflow::Status Allocate(const ArraysSpec& spec, tensorflow::Tensor** output);
  // Where element i's array starts in output k, in elements.
  uint64_t Start(int k, int64_t i) const {
    return mode_.ragged ? starts_[k][i] : static_cast<uint64_t>(i) * stride_[k];
  }
  // How many elements element i's array has in output k.
  uint64_t Count(int k, int64_t i) const;

  // The row_shapes, status and message outputs; failed rows zeroed.
  tensorflow::Status Finish();

 private:
  tensorflow::Status Fail(int64_t i, const tensorflow::Status& s);

  tensorflow::OpKernelContext* ctx_;
  BatchMode mode_;
  bool batched_;
  bool remote_;
  int64_t n_;
  std::string op_;
  std::vector<tensorflow::Status> statuses_;  // With report: one per element.
  std::vector<tensorflow::Tensor*> outputs_;
  std::vector<std::vector<uint64_t>> starts_;  // Ragged: per output, n + 1 prefix sums.
  std::vector<uint64_t> stride_;               // Stacked: elements per row.
  std::vector<std::vector<int64_t>> shapes_;   // Ragged: per output, n x rank dims.
  std::vector<int> ranks_;
};

}  // namespace tfnpy

#endif  // TFNPY_CC_TF_BATCH_H_
