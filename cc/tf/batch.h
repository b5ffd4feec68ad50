// The batch path both kernels share: validate every element in parallel,
// agree on one shape, allocate once, fill every element in parallel; errors
// are those of the lowest-numbered element that failed.
#ifndef TFNPY_CC_TF_BATCH_H_
#define TFNPY_CC_TF_BATCH_H_

#include <cstdint>
#include <functional>
#include <string>

#include "npy/npy_format.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/framework/tensor_shape.h"

namespace tfnpy {

// Runs fn(i) for i in [0, n) on the intra-op pool (inline for a single
// element, the common per-element case in a tf.data map) and returns the
// status of the lowest-numbered element that failed, so errors do not depend
// on scheduling. `remote`: the elements are files of a remote file system
// (RemoteBatch, remote.h), whose reads wait on the network, not on a CPU:
// they run one at a time on tfnpy's remote pool, RemoteThreads() of them at
// once whatever the number of cores (never more than n).
tensorflow::Status ForEachElement(tensorflow::OpKernelContext* ctx, int64_t n,
                                  int64_t cost_per_element,
                                  const std::function<tensorflow::Status(int64_t)>& fn,
                                  bool remote = false);

// What AllocateBatch needs to know of the elements.
struct BatchSpec {
  bool batched = false;  // The input is a vector: the output gets axis 0 of n.
  int64_t n = 1;
  // Element i's selected array (after validation).
  std::function<const Header&(int64_t)> element;
  // "'a.npy' (element 3)": element i, for messages.
  std::function<std::string(int64_t)> describe;
  // The array shape of an empty batch (no element to take it from).
  std::function<tensorflow::Status(tensorflow::TensorShape*)> empty_shape;
  // "ReadNpy: " or "DecodeNpy: ".
  std::string op;
  // The output to allocate.
  int output = 0;
};

// Allocates output spec.output: [n] + the elements' common shape for a batch, the
// element's shape otherwise. Every element must have element 0's shape; the
// error names both. Sets *stride to the bytes of one element.
tensorflow::Status AllocateBatch(tensorflow::OpKernelContext* ctx, const BatchSpec& spec,
                                 tensorflow::Tensor** output, uint64_t* stride);

}  // namespace tfnpy

#endif  // TFNPY_CC_TF_BATCH_H_
