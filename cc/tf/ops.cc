// Op registrations for tfnpy. Kernels live in *_kernel.cc.
#include <cstdint>
#include <vector>

#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "npy/region.h"
#include "tf/npy_tf.h"

namespace tfnpy {
namespace {

using ::tensorflow::PartialTensorShape;
using ::tensorflow::Status;
using ::tensorflow::shape_inference::DimensionHandle;
using ::tensorflow::shape_inference::InferenceContext;
using ::tensorflow::shape_inference::ShapeHandle;

// The outputs after the arrays: row_shapes, status and message (Batch's).
Status BatchOutputs(InferenceContext* c, int first, int ranks) {
  bool ragged = false;
  std::string on_error;
  TF_RETURN_IF_ERROR(c->GetAttr("ragged", &ragged));
  TF_RETURN_IF_ERROR(c->GetAttr("on_error", &on_error));
  ShapeHandle input;
  TF_RETURN_IF_ERROR(c->WithRankAtMost(c->input(0), 1, &input));
  DimensionHandle n = !c->RankKnown(input) ? c->UnknownDim() : c->Rank(input) == 0 ? c->MakeDim(1) : c->Dim(input, 0);
  c->set_output(first, ragged ? c->Matrix(n, ranks < 0 ? c->UnknownDim() : c->MakeDim(ranks)) : c->Matrix(0, 0));
  const DimensionHandle m = on_error == "report" ? n : c->MakeDim(0);
  c->set_output(first + 1, c->Vector(m));
  c->set_output(first + 2, c->Vector(m));
  return tensorflow::OkStatus();
}

// Output = input's batch dim (if it is a vector) + the array's shape, whose
// first `region_rank` dims are replaced by `region` when given; a ragged
// batch's flat values are a vector.
Status OutputShapeFor(InferenceContext* c, const PartialTensorShape& expected,
                      const std::vector<DimensionHandle>* region, int output) {
  ShapeHandle input;
  TF_RETURN_IF_ERROR(c->WithRankAtMost(c->input(0), 1, &input));
  bool ragged = false;
  TF_RETURN_IF_ERROR(c->GetAttr("ragged", &ragged));
  if (ragged) {
    c->set_output(output, c->Vector(c->UnknownDim()));
    return tensorflow::OkStatus();
  }
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

int Rank(const PartialTensorShape& shape) { return shape.unknown_rank() ? -1 : shape.dims(); }

Status DecodeShape(InferenceContext* c) {
  PartialTensorShape expected;
  TF_RETURN_IF_ERROR(c->GetAttr("shape", &expected));
  TF_RETURN_IF_ERROR(OutputShapeFor(c, expected, nullptr, 0));
  return BatchOutputs(c, 1, Rank(expected));
}

// The region's dims where start and stop are constants (for [n, k] bounds:
// where every row agrees), as the kernel computes them (RegionExtent) from
// the attr's dims.
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
  std::string policy_name;
  TF_RETURN_IF_ERROR(c->GetAttr("out_of_bounds", &policy_name));
  OutOfBounds policy = OutOfBounds::kClamp;
  ParseOutOfBounds(policy_name.data(), policy_name.size(), &policy);
  const tensorflow::Tensor* start = c->input_tensor(1);
  const tensorflow::Tensor* stop = c->input_tensor(2);
  std::vector<DimensionHandle> region(k, c->UnknownDim());
  // Fractions of each axis are known only with the dims: left to the kernel.
  const bool indices = start != nullptr && start->dtype() == tensorflow::DT_INT64;
  if (indices && stop != nullptr && !expected.unknown_rank() && k <= expected.dims()) {
    const auto lo = start->flat<int64_t>();
    const auto hi = stop->flat<int64_t>();
    const int64_t rows = k == 0 ? 0 : lo.size() / k;
    for (int64_t i = 0; i < k; ++i) {
      int64_t size = -2;  // Not yet known; -1: the rows disagree or depend on a dim.
      for (int64_t r = 0; r < rows && size != -1; ++r) {
        const int64_t got = RegionExtent(policy, false, lo(r * k + i), hi(r * k + i), expected.dim_size(i));
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
  TF_RETURN_IF_ERROR(ReadShapeFor(c, expected, 0));
  return BatchOutputs(c, 1, Rank(expected));
}

// One output per key, each shaped like ReadNpy's from its own `shapes` entry.
Status NpzShape(InferenceContext* c) {
  std::vector<PartialTensorShape> shapes;
  TF_RETURN_IF_ERROR(c->GetAttr("shapes", &shapes));
  const int nk = static_cast<int>(shapes.size());
  if (nk + 3 != c->num_outputs()) {
    return tensorflow::errors::InvalidArgument("shapes has ", shapes.size(), " entries for ", c->num_outputs() - 3,
                                               " keys");
  }
  int ranks = 0;
  for (int i = 0; i < nk; ++i) {
    TF_RETURN_IF_ERROR(ReadShapeFor(c, shapes[i], i));
    ranks = ranks < 0 || shapes[i].unknown_rank() ? -1 : ranks + shapes[i].dims();
  }
  return BatchOutputs(c, nk, ranks);
}

}  // namespace

// The attrs and outputs every reading op shares: how a batch comes back.
#define TFNPY_BATCH_OUTPUTS                                   \
  Output("row_shapes: int64")                                 \
      .Output("status: int32")                                \
      .Output("message: string")                              \
      .Attr("ragged: bool = false")                           \
      .Attr("on_error: {'raise', 'report'} = 'raise'")

// What the batch attrs and outputs do, for each op's doc.
#define TFNPY_BATCH_DOC                                                          \
  "row_shapes: With ragged, each array's shape (one row per file; ReadNpz: "    \
  "the keys' shapes side by side); else empty.\n"                               \
  "status: With on_error='report', each file's error code (0: read); else "     \
  "empty.\n"                                                                    \
  "message: With on_error='report', each file's error message; else empty.\n"  \
  "ragged: Lay the arrays out one after another in a flat output (their "       \
  "shapes may differ) instead of stacking them.\n"                              \
  "on_error: 'raise' fails the call with the first file's error (the "          \
  "lowest-numbered); 'report' reads the other files and gives each error in "   \
  "status and message, a failed file's row zero.\n"

// The region attrs and inputs ReadNpy and ReadNpz share, and their doc.
#define TFNPY_REGION_ATTRS                                    \
  Attr("Tbound: {int64, float64} = DT_INT64")                 \
      .Attr("out_of_bounds: {'clamp', 'error', 'pad'} = 'clamp'")

#define TFNPY_REGION_DOC                                                                   \
  "start: Where the region starts: a scalar (axis 0), a vector of k bounds (the first "   \
  "k axes; empty for the whole array), or for a vector of n filenames an [n, k] matrix " \
  "(one region per file). int64: indices, a negative one counted from the end of its "    \
  "axis (Python's slices); float64: fractions of each axis (DALI's rel_roi_start).\n"     \
  "stop: Where it ends, the same shape and type as start: one past the last index on "    \
  "each axis (INT64_MAX: to the end).\n"                                                  \
  "out_of_bounds: Bounds outside an axis: 'clamp' them (Python's slicing: start >= "      \
  "stop selects nothing), raise an 'error' naming the file, the bound and the shape, or " \
  "'pad' the region to its requested size with fill_value.\n"

REGISTER_OP("TFNpy>DecodeNpy")
    .Input("contents: string")
    .Output("output: dtype")
    .TFNPY_BATCH_OUTPUTS
    .Attr("dtype: type")
    .Attr("shape: shape = { unknown_rank: true }")
    .Attr("max_header_size: int = 10000")
    .Attr("max_output_bytes: int = -1")
    .SetShapeFn(DecodeShape)
    .Doc(R"doc(
Decodes the bytes of .npy files into a tensor.

contents: A scalar (one file) or vector (a batch of files) of complete .npy
  file contents.
output: The array, C order and native byte order; for a vector input, the
  arrays stacked along a new axis 0 (ragged: one after another, flat).
dtype: The element type the files must hold.
shape: The shape each array must have; unknown dims (-1) match any size.
max_header_size: Longest header accepted, in characters (numpy's default).
max_output_bytes: Largest array accepted from each element (per element, not
  for the whole batch; ResourceExhausted above it); -1 for no cap beyond the
  input's size.
)doc" TFNPY_BATCH_DOC);

REGISTER_OP("TFNpy>ReadNpy")
    .Input("filename: string")
    .Input("start: Tbound")
    .Input("stop: Tbound")
    .Input("fill_value: dtype")
    .Output("output: dtype")
    .TFNPY_BATCH_OUTPUTS
    .Attr("dtype: type")
    .Attr("shape: shape = { unknown_rank: true }")
    .TFNPY_REGION_ATTRS
    .Attr("max_header_size: int = 10000")
    .Attr("max_output_bytes: int = 17179869184")
    .SetShapeFn(ReadShape)
    .Doc(R"doc(
Reads .npy files through TensorFlow's file systems into a tensor.

filename: A scalar path, or a vector of paths.
fill_value: A scalar: what out_of_bounds='pad' puts outside the array.
output: The region of the array (of each array, stacked, for a vector; ragged:
  one after another, flat).
dtype: The element type the files must hold.
shape: The shape each whole array must have; unknown dims (-1) match any size.
max_header_size: Longest header accepted, in characters (numpy's default).
max_output_bytes: Largest region accepted from each file (the cap is per file,
  not for the whole batch), checked once the file is known to hold its data
  and before anything is allocated (ResourceExhausted above it); -1 for no cap.
)doc" TFNPY_REGION_DOC TFNPY_BATCH_DOC);

REGISTER_OP("TFNpy>ReadNpz")
    .Input("filename: string")
    .Input("start: Tbound")
    .Input("stop: Tbound")
    .Input("fill_value: dtypes")
    .Output("output: dtypes")
    .TFNPY_BATCH_OUTPUTS
    .Attr("keys: list(string) >= 1")
    .Attr("dtypes: list(type) >= 1")
    .Attr("shapes: list(shape)")
    .TFNPY_REGION_ATTRS
    .Attr("max_header_size: int = 10000")
    .Attr("max_output_bytes: int = 17179869184")
    .Attr("verify_crc: bool = true")
    .SetShapeFn(NpzShape)
    .Doc(R"doc(
Reads arrays from .npz archives (zip files of .npy members, np.savez and
np.savez_compressed) through TensorFlow's file systems.

filename: A scalar path, or a vector of paths.
fill_value: One scalar per key: what out_of_bounds='pad' puts outside its array.
output: One tensor per key: the array np.load(file)[key] gives (a region of
  it; for a vector of paths, stacked along a new axis 0, or ragged).
keys: The members, as numpy names them ("x" for x.npy, "arr_0").
dtypes: The element type of each key's array.
shapes: The shape each key's whole array must have (unknown dims match any).
max_header_size: Longest .npy header accepted, in characters.
max_output_bytes: Largest region accepted from each member, checked before
  anything is allocated or inflated past the member's header.
verify_crc: Check the CRC-32 of every member read whole (DataLoss if it
  differs), as np.load does. False skips it, and only it.
)doc" TFNPY_REGION_DOC TFNPY_BATCH_DOC);

REGISTER_OP("TFNpy>DecodeNpz")
    .Input("contents: string")
    .Input("start: Tbound")
    .Input("stop: Tbound")
    .Input("fill_value: dtypes")
    .Output("output: dtypes")
    .TFNPY_BATCH_OUTPUTS
    .Attr("keys: list(string) >= 1")
    .Attr("dtypes: list(type) >= 1")
    .Attr("shapes: list(shape)")
    .TFNPY_REGION_ATTRS
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

// ---------------------------------------------------------------------------
// Per-element errors for tfnpy.data (status_kernel.cc).

namespace tfnpy {

REGISTER_OP("TFNpy>CheckStatus")
    .Input("code: int32")
    .Input("message: string")
    .Input("values: T")
    .Output("output: T")
    .Attr("T: list(type) >= 0")
    .SetShapeFn([](InferenceContext* c) {
      for (int i = 2; i < c->num_inputs(); ++i) c->set_output(i - 2, c->input(i));
      return tensorflow::OkStatus();
    })
    .Doc(R"doc(
Passes values through unless code is not 0 (OK): then fails with message and
that error code. One element's error from a batch read with on_error='report'.
)doc");

REGISTER_OP("TFNpy>LogSkipped")
    .Input("messages: string")
    .Output("count: int64")
    .SetIsStateful()
    .SetShapeFn(tensorflow::shape_inference::ScalarShape)
    .Doc(R"doc(
Writes each message to stderr the first time this process sees it, as a
file skipped by tfnpy.data's on_error='skip', and counts them.

messages: The skipped files' error messages (each names the file, and the
  CSV file and line it came from).
count: Files skipped by this process so far (each time they are skipped).
)doc");

REGISTER_OP("TFNpy>RowsDataset")
    .Input("input_dataset: variant")
    .Output("handle: variant")
    .Attr("output_types: list(type) >= 1")
    .Attr("output_shapes: list(shape) >= 1")
    .Attr("components: list(int)")
    .Attr("shapes_from: list(int)")
    .Attr("shape_columns: list(int)")
    .Attr("status: int")
    .Attr("sources: list(string)")
    .Attr("skip: bool = false")
    .SetDoNotOptimize()  // As tf.data's own dataset ops: never constant-folded.
    .SetShapeFn(tensorflow::shape_inference::ScalarShape)
    .Doc(R"doc(
The rows of a dataset of blocks read with on_error='report', one row per
element. A row whose file failed is that row's error (its code kept), or
with skip is left out and logged; a ragged read's row is a tensor of its shape.

input_dataset: Blocks: their components, the row_shapes of ragged reads, then
  code, message, line and source (one per row).
components: For each output component, the input component it comes from.
shapes_from: For each output component: -1, a row of a stacked component; or
  the input component with its rows' shapes (a ragged read's values).
shape_columns: For a ragged component, its first column in those shapes.
status: The input component of the codes; message, line and source follow.
sources: The CSV files the source indices name, for messages.
skip: Leave failed rows out (each logged once per process) instead of
  failing them.
)doc");

}  // namespace tfnpy
