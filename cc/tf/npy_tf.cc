#include "tf/npy_tf.h"

#include <vector>

#include "tensorflow/core/platform/errors.h"

namespace tfnpy {

namespace tf = ::tensorflow;

tf::Status ToTfStatus(const Status& status, const std::string& context) {
  if (status.ok()) return tf::OkStatus();
  if (status.code() == Code::kTooLarge) {
    return tf::errors::ResourceExhausted(context, status.message());
  }
  return tf::errors::InvalidArgument(context, status.message());
}

tf::Status FromTfType(tf::DataType type, DType* out) {
  switch (type) {
    case tf::DT_BOOL: *out = DType::kBool; break;
    case tf::DT_INT8: *out = DType::kInt8; break;
    case tf::DT_INT16: *out = DType::kInt16; break;
    case tf::DT_INT32: *out = DType::kInt32; break;
    case tf::DT_INT64: *out = DType::kInt64; break;
    case tf::DT_UINT8: *out = DType::kUInt8; break;
    case tf::DT_UINT16: *out = DType::kUInt16; break;
    case tf::DT_UINT32: *out = DType::kUInt32; break;
    case tf::DT_UINT64: *out = DType::kUInt64; break;
    case tf::DT_HALF: *out = DType::kFloat16; break;
    case tf::DT_FLOAT: *out = DType::kFloat32; break;
    case tf::DT_DOUBLE: *out = DType::kFloat64; break;
    case tf::DT_COMPLEX64: *out = DType::kComplex64; break;
    case tf::DT_COMPLEX128: *out = DType::kComplex128; break;
    default:
      return tf::errors::InvalidArgument("dtype ", tf::DataTypeString(type),
                                         " cannot be read from a .npy file");
  }
  return tf::OkStatus();
}

tf::Status ReadKernelAttrs(tf::OpKernelConstruction* ctx, DType* dtype,
                           tf::PartialTensorShape* expected, Limits* limits) {
  tf::DataType type;
  TF_RETURN_IF_ERROR(ctx->GetAttr("dtype", &type));
  TF_RETURN_IF_ERROR(FromTfType(type, dtype));
  TF_RETURN_IF_ERROR(ctx->GetAttr("shape", expected));
  int64_t max_header = 0, max_output = 0;
  TF_RETURN_IF_ERROR(ctx->GetAttr("max_header_size", &max_header));
  TF_RETURN_IF_ERROR(ctx->GetAttr("max_output_bytes", &max_output));
  if (max_header < 0) {
    return tf::errors::InvalidArgument("max_header_size must be >= 0, got ",
                                       max_header);
  }
  limits->max_header_size = static_cast<uint64_t>(max_header);
  limits->max_output_bytes =
      max_output < 0 ? UINT64_MAX : static_cast<uint64_t>(max_output);
  return tf::OkStatus();
}

std::string PartialShapeString(const tf::PartialTensorShape& shape) {
  if (shape.unknown_rank()) return "<unknown>";
  std::vector<int64_t> dims(shape.dims());
  for (int i = 0; i < shape.dims(); ++i) dims[i] = shape.dim_size(i);
  return ShapeString(dims.data(), shape.dims());
}

tf::Status CheckHeader(const Header& header, DType expected_dtype,
                       const tf::PartialTensorShape& expected,
                       const std::string& context, tf::TensorShape* shape) {
  if (header.dtype != expected_dtype) {
    return tf::errors::InvalidArgument(context, "file holds ",
                                       DescribeDtype(header), ", expected ",
                                       DTypeName(expected_dtype));
  }
  bool compatible = expected.unknown_rank() || expected.dims() == header.ndims;
  for (int i = 0; compatible && !expected.unknown_rank() && i < header.ndims;
       ++i) {
    compatible = expected.dim_size(i) < 0 ||
                 expected.dim_size(i) == header.dims[i];
  }
  if (!compatible) {
    return tf::errors::InvalidArgument(
        context, "file has shape ", ShapeString(header.dims, header.ndims),
        ", expected ", PartialShapeString(expected));
  }
  tf::TensorShape out;
  for (int i = 0; i < header.ndims; ++i) {
    TF_RETURN_IF_ERROR(out.AddDimWithStatus(header.dims[i]));
  }
  *shape = std::move(out);
  return tf::OkStatus();
}

}  // namespace tfnpy
