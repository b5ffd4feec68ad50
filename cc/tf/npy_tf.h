// Glue between the framework-free .npy core and TensorFlow: status and dtype
// conversion, and the checks every tfnpy kernel makes before it allocates.
#ifndef TFNPY_CC_TF_NPY_TF_H_
#define TFNPY_CC_TF_NPY_TF_H_

#include <string>

#include "npy/npy_format.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/partial_tensor_shape.h"
#include "tensorflow/core/framework/tensor_shape.h"
#include "tensorflow/core/framework/types.h"
#include "tensorflow/core/platform/status.h"

namespace tfnpy {

// kTooLarge becomes ResourceExhausted, everything else InvalidArgument. The
// message is prefixed with `context` ("DecodeNpy: ", "ReadNpy: 'a.npy': ").
tensorflow::Status ToTfStatus(const Status& status, const std::string& context);

// The core type of a kernel's `dtype` attr; an error for types we cannot read.
tensorflow::Status FromTfType(tensorflow::DataType type, DType* out);

// Reads the attrs every tfnpy kernel has: dtype, shape, max_header_size and
// max_output_bytes (negative: no cap beyond what the input can hold).
tensorflow::Status ReadKernelAttrs(tensorflow::OpKernelConstruction* ctx,
                                   DType* dtype,
                                   tensorflow::PartialTensorShape* expected,
                                   Limits* limits);

// Checks a parsed header against the kernel's dtype and expected shape and
// builds the array's TensorShape.
tensorflow::Status CheckHeader(const Header& header, DType expected_dtype,
                               const tensorflow::PartialTensorShape& expected,
                               const std::string& context,
                               tensorflow::TensorShape* shape);

// numpy-style "(3, None)" for a partial shape.
std::string PartialShapeString(const tensorflow::PartialTensorShape& shape);

}  // namespace tfnpy

#endif  // TFNPY_CC_TF_NPY_TF_H_
