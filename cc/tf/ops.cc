// Op registrations for tfnpy. Kernels live in *_kernel.cc.
#include <cstdint>

#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace tfnpy {
namespace {

using ::tensorflow::PartialTensorShape;
using ::tensorflow::Status;
using ::tensorflow::shape_inference::DimensionHandle;
using ::tensorflow::shape_inference::InferenceContext;
using ::tensorflow::shape_inference::ShapeHandle;

#define TFNPY_DTYPES                                                     \
  "{bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, half, " \
  "float, double, complex64, complex128}"

// Output = input's batch dim (if it is a vector) + the expected `shape` attr,
// with axis 0 of the array replaced by `rows` when given.
Status OutputShape(InferenceContext* c, const DimensionHandle* rows) {
  ShapeHandle input;
  TF_RETURN_IF_ERROR(c->WithRankAtMost(c->input(0), 1, &input));
  PartialTensorShape expected;
  TF_RETURN_IF_ERROR(c->GetAttr("shape", &expected));
  ShapeHandle array;
  TF_RETURN_IF_ERROR(c->MakeShapeFromPartialTensorShape(expected, &array));
  if (rows != nullptr && c->RankKnown(array)) {
    if (c->Rank(array) == 0) {
      return tensorflow::errors::InvalidArgument(
          "a row range needs an array of rank >= 1, but shape is ()");
    }
    TF_RETURN_IF_ERROR(c->ReplaceDim(array, 0, *rows, &array));
  }
  if (!c->RankKnown(input)) {
    c->set_output(0, c->UnknownShape());
    return tensorflow::OkStatus();
  }
  if (c->Rank(input) == 0) {
    c->set_output(0, array);
    return tensorflow::OkStatus();
  }
  ShapeHandle out;
  TF_RETURN_IF_ERROR(c->Concatenate(c->Vector(c->Dim(input, 0)), array, &out));
  c->set_output(0, out);
  return tensorflow::OkStatus();
}

// Rows selected by constant start/stop: min(stop, n) - min(start, ...).
Status ReadShape(InferenceContext* c) {
  ShapeHandle unused;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 0, &unused));
  TF_RETURN_IF_ERROR(c->WithRank(c->input(2), 0, &unused));
  const tensorflow::Tensor* start = c->input_tensor(1);
  const tensorflow::Tensor* stop = c->input_tensor(2);
  if (start != nullptr && stop != nullptr &&
      start->scalar<int64_t>()() == 0 &&
      stop->scalar<int64_t>()() == INT64_MAX) {
    return OutputShape(c, nullptr);  // The whole array.
  }
  PartialTensorShape expected;
  TF_RETURN_IF_ERROR(c->GetAttr("shape", &expected));
  DimensionHandle rows = c->UnknownDim();
  if (start != nullptr && stop != nullptr && !expected.unknown_rank() &&
      expected.dims() > 0 && expected.dim_size(0) >= 0) {
    int64_t lo = start->scalar<int64_t>()(), hi = stop->scalar<int64_t>()();
    const int64_t n = expected.dim_size(0);
    if (lo >= 0 && hi >= 0) {
      hi = hi < n ? hi : n;
      lo = lo < hi ? lo : hi;
      rows = c->MakeDim(hi - lo);
    }
  }
  return OutputShape(c, &rows);
}

}  // namespace

REGISTER_OP("TFNpy>DecodeNpy")
    .Input("contents: string")
    .Output("output: dtype")
    .Attr("dtype: " TFNPY_DTYPES)
    .Attr("shape: shape = { unknown_rank: true }")
    .Attr("max_header_size: int = 10000")
    .Attr("max_output_bytes: int = -1")
    .SetShapeFn([](InferenceContext* c) { return OutputShape(c, nullptr); })
    .Doc(R"doc(
Decodes the bytes of .npy files into a tensor.

contents: A scalar (one file) or vector (a batch of files of equal dtype and
  shape) of complete .npy file contents.
output: The array, C order and native byte order; for a vector input, the
  arrays stacked along a new axis 0.
dtype: The element type the files must hold.
shape: The shape each array must have; unknown dims (-1) match any size.
max_header_size: Longest header accepted, in characters (numpy's default).
max_output_bytes: Largest output accepted (ResourceExhausted above it);
  -1 for no cap beyond the input's size.
)doc");

REGISTER_OP("TFNpy>ReadNpy")
    .Input("filename: string")
    .Input("start: int64")
    .Input("stop: int64")
    .Output("output: dtype")
    .Attr("dtype: " TFNPY_DTYPES)
    .Attr("shape: shape = { unknown_rank: true }")
    .Attr("max_header_size: int = 10000")
    .Attr("max_output_bytes: int = 17179869184")
    .SetShapeFn(ReadShape)
    .Doc(R"doc(
Reads .npy files through TensorFlow's file systems into a tensor.

filename: A scalar path, or a vector of paths to files of equal dtype and shape.
start: First row (axis 0) to read; 0 for the first.
stop: One past the last row to read, clamped to the row count; INT64_MAX for all.
output: Rows [start, stop) of the array (of each array, stacked, for a vector).
dtype: The element type the files must hold.
shape: The shape each whole array must have; unknown dims (-1) match any size.
max_header_size: Longest header accepted, in characters (numpy's default).
max_output_bytes: Largest output accepted, checked against the header before
  anything is allocated (ResourceExhausted above it); -1 for no cap.
)doc");

}  // namespace tfnpy
