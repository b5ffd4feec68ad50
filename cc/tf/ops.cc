// Op registrations for tfnpy. Kernels live in *_kernel.cc.
#include <cstdint>
#include <vector>

#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tf/npy_tf.h"

namespace tfnpy {
namespace {

using ::tensorflow::PartialTensorShape;
using ::tensorflow::Status;
using ::tensorflow::shape_inference::DimensionHandle;
using ::tensorflow::shape_inference::InferenceContext;
using ::tensorflow::shape_inference::ShapeHandle;

// Output = input's batch dim (if it is a vector) + the array's shape, whose
// first `region_rank` dims are replaced by `region` when given.
Status OutputShapeFor(InferenceContext* c, const PartialTensorShape& expected,
                      const std::vector<DimensionHandle>* region, int output) {
  ShapeHandle input;
  TF_RETURN_IF_ERROR(c->WithRankAtMost(c->input(0), 1, &input));
  ShapeHandle array;
  TF_RETURN_IF_ERROR(c->MakeShapeFromPartialTensorShape(expected, &array));
  if (region != nullptr && c->RankKnown(array)) {
    const int k = static_cast<int>(region->size());
    if (k > c->Rank(array)) {
      return tensorflow::errors::InvalidArgument("a region over ", k, " axes needs an array of rank >= ", k,
                                                 ", but shape is ", expected.DebugString());
    }
    for (int i = 0; i < k; ++i) TF_RETURN_IF_ERROR(c->ReplaceDim(array, i, (*region)[i], &array));
  }
  if (!c->RankKnown(input)) {
    c->set_output(output, c->UnknownShape());
    return tensorflow::OkStatus();
  }
  if (c->Rank(input) == 0) {
    c->set_output(output, array);
    return tensorflow::OkStatus();
  }
  ShapeHandle out;
  TF_RETURN_IF_ERROR(c->Concatenate(c->Vector(c->Dim(input, 0)), array, &out));
  c->set_output(output, out);
  return tensorflow::OkStatus();
}

Status OutputShape(InferenceContext* c, const std::vector<DimensionHandle>* region) {
  PartialTensorShape expected;
  TF_RETURN_IF_ERROR(c->GetAttr("shape", &expected));
  return OutputShapeFor(c, expected, region, 0);
}

// The region's dims where start and stop are constants (for [n, k] bounds:
// where every row agrees), Python slice semantics against the attr's dims.
Status ReadShapeFor(InferenceContext* c, const PartialTensorShape& expected, int output) {
  ShapeHandle bounds;
  TF_RETURN_IF_ERROR(c->WithRankAtMost(c->input(1), 2, &bounds));
  TF_RETURN_IF_ERROR(c->Merge(bounds, c->input(2), &bounds));
  const int rank = c->RankKnown(bounds) ? c->Rank(bounds) : -1;
  int64_t k = rank == 0 ? 1 : rank > 0 ? c->Value(c->Dim(bounds, rank - 1)) : -1;
  if (k < 0) {
    // How many axes the region bounds is not known: keep the attr's rank only.
    if (expected.unknown_rank()) return OutputShapeFor(c, expected, nullptr, output);
    std::vector<DimensionHandle> region(expected.dims(), c->UnknownDim());
    return OutputShapeFor(c, expected, &region, output);
  }
  const tensorflow::Tensor* start = c->input_tensor(1);
  const tensorflow::Tensor* stop = c->input_tensor(2);
  std::vector<DimensionHandle> region(k, c->UnknownDim());
  if (start != nullptr && stop != nullptr && !expected.unknown_rank() && k <= expected.dims()) {
    const auto lo = start->flat<int64_t>();
    const auto hi = stop->flat<int64_t>();
    const int64_t rows = k == 0 ? 0 : lo.size() / k;
    for (int64_t i = 0; i < k; ++i) {
      const int64_t n = expected.dim_size(i);
      int64_t size = -2;  // Not yet known; -1: the rows disagree or depend on n.
      for (int64_t r = 0; r < rows && size != -1; ++r) {
        int64_t a = lo(r * k + i), b = hi(r * k + i), got;
        if (a < 0 || b < 0) return tensorflow::errors::InvalidArgument("region bounds must be >= 0");
        if (n >= 0) {
          b = b < n ? b : n;
          got = a < b ? b - a : 0;
        } else {
          got = a >= b ? 0 : -1;  // Unknown dim: only an empty range is known.
        }
        size = size == -2 || size == got ? got : -1;
      }
      if (size >= 0) region[i] = c->MakeDim(size);
    }
  }
  return OutputShapeFor(c, expected, &region, output);
}

Status ReadShape(InferenceContext* c) {
  PartialTensorShape expected;
  TF_RETURN_IF_ERROR(c->GetAttr("shape", &expected));
  return ReadShapeFor(c, expected, 0);
}

// One output per key, each shaped like ReadNpy's from its own `shapes` entry.
Status NpzShape(InferenceContext* c) {
  std::vector<PartialTensorShape> shapes;
  TF_RETURN_IF_ERROR(c->GetAttr("shapes", &shapes));
  if (static_cast<int>(shapes.size()) != c->num_outputs()) {
    return tensorflow::errors::InvalidArgument("shapes has ", shapes.size(), " entries for ", c->num_outputs(),
                                               " keys");
  }
  for (int i = 0; i < c->num_outputs(); ++i) TF_RETURN_IF_ERROR(ReadShapeFor(c, shapes[i], i));
  return tensorflow::OkStatus();
}

}  // namespace

REGISTER_OP("TFNpy>DecodeNpy")
    .Input("contents: string")
    .Output("output: dtype")
    .Attr("dtype: type")
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
max_output_bytes: Largest array accepted from each element (per element, not
  for the whole batch; ResourceExhausted above it); -1 for no cap beyond the
  input's size.
)doc");

REGISTER_OP("TFNpy>ReadNpy")
    .Input("filename: string")
    .Input("start: int64")
    .Input("stop: int64")
    .Output("output: dtype")
    .Attr("dtype: type")
    .Attr("shape: shape = { unknown_rank: true }")
    .Attr("max_header_size: int = 10000")
    .Attr("max_output_bytes: int = 17179869184")
    .SetShapeFn(ReadShape)
    .Doc(R"doc(
Reads .npy files through TensorFlow's file systems into a tensor.

filename: A scalar path, or a vector of paths to files of equal dtype and shape.
start: Where the region starts: a scalar (axis 0), a vector of k bounds (the
  first k axes; empty for the whole array), or for a vector of n filenames an
  [n, k] matrix (one region per file, all of the same size).
stop: Where it ends, the same shape as start: one past the last index on each
  axis, clamped to the axis length (Python slice semantics; INT64_MAX for
  "to the end"); start >= stop selects nothing.
output: The region of the array (of each array, stacked, for a vector).
dtype: The element type the files must hold.
shape: The shape each whole array must have; unknown dims (-1) match any size.
max_header_size: Longest header accepted, in characters (numpy's default).
max_output_bytes: Largest region accepted from each file (the cap is per file,
  not for the whole batch), checked once the file is known to hold its data
  and before anything is allocated (ResourceExhausted above it); -1 for no cap.
)doc");

REGISTER_OP("TFNpy>ReadNpz")
    .Input("filename: string")
    .Input("start: int64")
    .Input("stop: int64")
    .Output("output: dtypes")
    .Attr("keys: list(string) >= 1")
    .Attr("dtypes: list(type) >= 1")
    .Attr("shapes: list(shape)")
    .Attr("max_header_size: int = 10000")
    .Attr("max_output_bytes: int = 17179869184")
    .Attr("verify_crc: bool = true")
    .SetShapeFn(NpzShape)
    .Doc(R"doc(
Reads arrays from .npz archives (zip files of .npy members, np.savez and
np.savez_compressed) through TensorFlow's file systems.

filename: A scalar path, or a vector of paths to archives whose members of
  each key share dtype and shape.
start: As ReadNpy's, applied to every key's array.
stop: As ReadNpy's.
output: One tensor per key: the array np.load(file)[key] gives (a region of
  it; for a vector of paths, stacked along a new axis 0).
keys: The members, as numpy names them ("x" for x.npy, "arr_0").
dtypes: The element type of each key's array.
shapes: The shape each key's whole array must have (unknown dims match any).
max_header_size: Longest .npy header accepted, in characters.
max_output_bytes: Largest region accepted from each member, checked before
  anything is allocated or inflated past the member's header.
verify_crc: Check the CRC-32 of every member read whole (DataLoss if it
  differs), as np.load does. False skips it, and only it.
)doc");

REGISTER_OP("TFNpy>DecodeNpz")
    .Input("contents: string")
    .Input("start: int64")
    .Input("stop: int64")
    .Output("output: dtypes")
    .Attr("keys: list(string) >= 1")
    .Attr("dtypes: list(type) >= 1")
    .Attr("shapes: list(shape)")
    .Attr("max_header_size: int = 10000")
    .Attr("max_output_bytes: int = -1")
    .Attr("verify_crc: bool = true")
    .SetShapeFn(NpzShape)
    .Doc(R"doc(
Decodes arrays from the bytes of .npz archives: ReadNpz on contents held in
a string tensor (a scalar, or a vector of archives).
)doc");

}  // namespace tfnpy

// ---------------------------------------------------------------------------
// Writing .npy (issue #16): EncodeNpy and WriteNpy. Kernels in encode_kernel.cc.

namespace tfnpy {
namespace {

// WriteNpy: a scalar filename takes any tensor; a vector of N filenames a
// tensor [N, ...].
Status WriteNpyShape(InferenceContext* c) {
  ShapeHandle names;
  TF_RETURN_IF_ERROR(c->WithRankAtMost(c->input(0), 1, &names));
  if (c->RankKnown(names) && c->Rank(names) == 1) {
    ShapeHandle tensor;
    TF_RETURN_IF_ERROR(c->WithRankAtLeast(c->input(1), 1, &tensor));
    DimensionHandle n;
    TF_RETURN_IF_ERROR(c->Merge(c->Dim(names, 0), c->Dim(tensor, 0), &n));
  }
  return tensorflow::OkStatus();
}

}  // namespace

REGISTER_OP("TFNpy>EncodeNpy")
    .Input("tensor: T")
    .Output("contents: string")
    .Attr("T: type")
    .SetShapeFn(tensorflow::shape_inference::ScalarShape)
    .Doc(R"doc(
Encodes a tensor as the bytes of a .npy file, exactly as np.save writes them.

tensor: The array (C order). Strings become numpy fixed-width bytes |S<n>
  (n: the longest element, at least 1; NUL-padded), bfloat16 becomes <V2 and
  the float8 types, int4 and uint4 <V1 (ml_dtypes' np.save), bools 0/1,
  everything else little-endian.
contents: A scalar string: the whole .npy file.
)doc");

REGISTER_OP("TFNpy>WriteNpy")
    .Input("filename: string")
    .Input("tensor: T")
    .Attr("T: type")
    .Attr("sync: bool = false")
    .SetIsStateful()
    .SetShapeFn(WriteNpyShape)
    .Doc(R"doc(
Writes tensors as .npy files through TensorFlow's file systems. Each file is
written to a temporary name in its directory, then renamed to its final name:
no partial file is ever left under the final name. Local paths follow
symbolic links and keep an existing file's permission bits; FIFOs and devices
are written to directly; a directory is refused.

filename: A scalar path (the whole tensor), or a vector of N paths, one file
  per tensor[i] (written in parallel).
tensor: What to write, as EncodeNpy encodes it; [N, ...] for N paths.
sync: Flush each file, then its folder, to storage before returning (fsync).
)doc");

}  // namespace tfnpy
