// RowsDataset: the rows of a dataset of read blocks, one element each, for
// tfnpy.data's unbatched pipelines. Like tf.data's unbatch, plus what a
// block of files read with on_error="report" needs, natively (no function
// runs per row): a row whose file failed is that row's error, its code kept
// (or, with skip, left out and logged once per process), and an array read
// ragged comes out as a tensor of its own shape.
//
// Each input element holds, in this order: the blocks' components (arrays
// stacked along axis 0, or a ragged read's flat values), the row_shapes of
// the ragged reads, then code (int32 [n]), message (string [n]), line
// (int64 [n]) and source (int32 [n]: an index into the `sources` attr).
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "tensorflow/core/framework/dataset.h"
#include "tensorflow/core/framework/partial_tensor_shape.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/platform/errors.h"
#include "tensorflow/core/util/batch_util.h"
#include "tf/npy_tf.h"
#include "tf/status_log.h"

namespace tfnpy {
namespace {

namespace tf = ::tensorflow;
namespace data = ::tensorflow::data;

// Where output component j comes from: input component `from`, a row of it
// (shapes < 0), or a ragged read's values with each row's shape in columns
// [column, column + rank) of input component `shapes`.
struct Source {
  int from = 0;
  int shapes = -1;
  int column = 0;
};

// The op's attrs, read once by the kernel and copied into each dataset
// (a dataset may outlive the kernel that made it).
struct Spec {
  tf::DataTypeVector types_;
  std::vector<tf::PartialTensorShape> shapes_;
  std::vector<Source> plan_;
  int status_ = 0;
  std::vector<std::string> sources_;
  bool skip_ = false;
};

class RowsDatasetOp : public data::UnaryDatasetOpKernel {
 public:
  explicit RowsDatasetOp(tf::OpKernelConstruction* ctx) : UnaryDatasetOpKernel(ctx) {
    std::vector<int> from, shapes, columns;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("output_types", &spec_.types_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("output_shapes", &spec_.shapes_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("components", &from));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("shapes_from", &shapes));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("shape_columns", &columns));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("status", &spec_.status_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("sources", &spec_.sources_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("skip", &spec_.skip_));
    const size_t n = spec_.types_.size();
    OP_REQUIRES(ctx, from.size() == n && shapes.size() == n && columns.size() == n && spec_.shapes_.size() == n,
                tf::errors::InvalidArgument("RowsDataset: components, shapes_from, shape_columns and output_types "
                                            "must have one entry per output component"));
    for (size_t j = 0; j < n; ++j) spec_.plan_.push_back(Source{from[j], shapes[j], columns[j]});
  }

  void MakeDataset(tf::OpKernelContext* ctx, data::DatasetBase* input, data::DatasetBase** output) override;

 private:
  class Dataset;
  Spec spec_;
};

class RowsDatasetOp::Dataset : public data::DatasetBase {
 public:
  Dataset(tf::OpKernelContext* ctx, const data::DatasetBase* input, const Spec& spec)
      : DatasetBase(data::DatasetContext(ctx)), input_(input), op_(spec) {
    input_->Ref();
  }
  ~Dataset() override { input_->Unref(); }

  std::unique_ptr<data::IteratorBase> MakeIteratorInternal(const std::string& prefix) const override {
    return std::make_unique<Iterator>(Iterator::Params{this, prefix + "::Rows"});
  }
  const tf::DataTypeVector& output_dtypes() const override { return op_.types_; }
  const std::vector<tf::PartialTensorShape>& output_shapes() const override { return op_.shapes_; }
  std::string DebugString() const override { return "RowsDatasetOp::Dataset"; }
  int64_t CardinalityInternal(data::CardinalityOptions) const override { return data::kUnknownCardinality; }
  tf::Status InputDatasets(std::vector<const DatasetBase*>* inputs) const override {
    inputs->push_back(input_);
    return tf::OkStatus();
  }
  tf::Status CheckExternalState() const override { return input_->CheckExternalState(); }

 protected:
  tf::Status AsGraphDefInternal(data::SerializationContext* ctx, DatasetGraphDefBuilder* b,
                                tf::Node** output) const override {
    tf::Node* input = nullptr;
    TF_RETURN_IF_ERROR(b->AddInputDataset(ctx, input_, &input));
    std::vector<int> from, shapes, columns;
    for (const Source& s : op_.plan_) {
      from.push_back(s.from);
      shapes.push_back(s.shapes);
      columns.push_back(s.column);
    }
    tf::AttrValue a_from, a_shapes, a_columns, a_status, a_sources, a_skip;
    b->BuildAttrValue(from, &a_from);
    b->BuildAttrValue(shapes, &a_shapes);
    b->BuildAttrValue(columns, &a_columns);
    b->BuildAttrValue(op_.status_, &a_status);
    b->BuildAttrValue(op_.sources_, &a_sources);
    b->BuildAttrValue(op_.skip_, &a_skip);
    return b->AddDataset(this, {input},
                         {{"components", a_from},
                          {"shapes_from", a_shapes},
                          {"shape_columns", a_columns},
                          {"status", a_status},
                          {"sources", a_sources},
                          {"skip", a_skip}},
                         output);
  }

 private:
  class Iterator : public data::DatasetIterator<Dataset> {
   public:
    explicit Iterator(const Params& params) : DatasetIterator<Dataset>(params) {}

    bool SymbolicCheckpointCompatible() const override { return true; }

    tf::Status Initialize(data::IteratorContext* ctx) override {
      return dataset()->input_->MakeIterator(ctx, this, prefix(), &input_impl_);
    }

    tf::Status GetNextInternal(data::IteratorContext* ctx, std::vector<tf::Tensor>* out, bool* end) override {
      tf::mutex_lock l(mu_);
      const Spec& op = dataset()->op_;
      *end = false;
      while (true) {
        if (input_impl_ == nullptr) {
          *end = true;
          return tf::OkStatus();
        }
        if (index_ < size_) {
          const int64_t i = index_++;
          const int32_t code = block_[op.status_].vec<int32_t>()(i);
          if (code != 0) {
            const std::string text = Located(i);
            if (!op.skip_) return tf::Status(ToCode(code), text);
            LogSkipped(text);
            continue;
          }
          return Row(ctx, i, out);
        }
        block_.clear();
        index_ = size_ = 0;
        bool block_end = false;
        TF_RETURN_IF_ERROR(input_impl_->GetNext(ctx, &block_, &block_end));
        if (block_end) {
          input_impl_.reset();
          continue;
        }
        TF_RETURN_IF_ERROR(Prepare());
      }
    }

   protected:
    std::shared_ptr<data::model::Node> CreateNode(data::IteratorContext*,
                                                  data::model::Node::Args args) const override {
      return data::model::MakeUnknownRatioNode(std::move(args));
    }

    tf::Status SaveInternal(data::SerializationContext* ctx, data::IteratorStateWriter* writer) override {
      tf::mutex_lock l(mu_);
      TF_RETURN_IF_ERROR(writer->WriteScalar(full_name("input_empty"), static_cast<int64_t>(!input_impl_)));
      if (input_impl_) TF_RETURN_IF_ERROR(SaveInput(ctx, writer, input_impl_));
      TF_RETURN_IF_ERROR(writer->WriteScalar(full_name("index"), index_));
      TF_RETURN_IF_ERROR(writer->WriteScalar(full_name("size"), size_));
      TF_RETURN_IF_ERROR(writer->WriteScalar(full_name("components"), static_cast<int64_t>(block_.size())));
      for (size_t c = 0; index_ < size_ && c < block_.size(); ++c) {
        TF_RETURN_IF_ERROR(writer->WriteTensor(full_name("block[" + std::to_string(c) + "]"), block_[c]));
      }
      return tf::OkStatus();
    }

    tf::Status RestoreInternal(data::IteratorContext* ctx, data::IteratorStateReader* reader) override {
      tf::mutex_lock l(mu_);
      int64_t input_empty = 0, components = 0;
      TF_RETURN_IF_ERROR(reader->ReadScalar(full_name("input_empty"), &input_empty));
      if (input_empty) {
        input_impl_.reset();
      } else {
        TF_RETURN_IF_ERROR(RestoreInput(ctx, reader, input_impl_));
      }
      TF_RETURN_IF_ERROR(reader->ReadScalar(full_name("index"), &index_));
      TF_RETURN_IF_ERROR(reader->ReadScalar(full_name("size"), &size_));
      TF_RETURN_IF_ERROR(reader->ReadScalar(full_name("components"), &components));
      block_.assign(index_ < size_ ? components : 0, tf::Tensor());
      for (size_t c = 0; c < block_.size(); ++c) {
        TF_RETURN_IF_ERROR(reader->ReadTensor(ctx->flr(), full_name("block[" + std::to_string(c) + "]"), &block_[c]));
      }
      if (index_ < size_) {
        const int64_t index = index_;
        TF_RETURN_IF_ERROR(Prepare());
        index_ = index;
      }
      return tf::OkStatus();
    }

   private:
    static absl::StatusCode ToCode(int32_t code) {
      return code > 0 && code <= static_cast<int32_t>(absl::StatusCode::kUnauthenticated)
                 ? static_cast<absl::StatusCode>(code)
                 : absl::StatusCode::kUnknown;
    }

    // "paths.csv:7: ReadNpy: 'x.npy': ...": row i's error with its CSV file and line.
    std::string Located(int64_t i) const {
      const Spec& op = dataset()->op_;
      const int32_t source = block_[op.status_ + 3].vec<int32_t>()(i);
      const std::string csv = source >= 0 && static_cast<size_t>(source) < op.sources_.size()
                                  ? op.sources_[source]
                                  : "<csv " + std::to_string(source) + ">";
      return csv + ":" + std::to_string(block_[op.status_ + 2].vec<int64_t>()(i)) + ": " +
             std::string(block_[op.status_ + 1].vec<tf::tstring>()(i));
    }

    // Checks a new block (it comes from tfnpy's own map function, but a bad
    // one must be an error, never a read out of bounds) and finds where
    // each ragged row starts.
    tf::Status Prepare() {
      const Spec& op = dataset()->op_;
      const int64_t components = static_cast<int64_t>(block_.size());
      if (op.status_ < 0 || op.status_ + 3 >= components) {
        return tf::errors::InvalidArgument("RowsDataset: a block of ", components,
                                           " components has no code, message, line and source at ", op.status_);
      }
      const int64_t n = block_[op.status_].NumElements();
      for (int k = 0; k < 4; ++k) {
        const tf::Tensor& t = block_[op.status_ + k];
        if (t.dims() != 1 || t.dim_size(0) != n) {
          return tf::errors::InvalidArgument("RowsDataset: status component ", k, " has shape ",
                                             t.shape().DebugString(), ", expected [", n, "]");
        }
      }
      starts_.assign(op.plan_.size(), {});
      for (size_t j = 0; j < op.plan_.size(); ++j) {
        const Source& s = op.plan_[j];
        if (s.from < 0 || s.from >= components || s.shapes >= components) {
          return tf::errors::InvalidArgument("RowsDataset: component ", j, " comes from a component the block lacks");
        }
        const tf::Tensor& t = block_[s.from];
        if (t.dtype() != op.types_[j]) {
          return tf::errors::InvalidArgument("RowsDataset: component ", j, " is ", tf::DataTypeString(t.dtype()),
                                             ", expected ", tf::DataTypeString(op.types_[j]));
        }
        if (s.shapes < 0) {
          if (t.dims() == 0 || t.dim_size(0) != n) {
            return tf::errors::InvalidArgument("RowsDataset: component ", j, " has shape ", t.shape().DebugString(),
                                               ", expected ", n, " rows");
          }
          continue;
        }
        // A ragged read's values: each row's count is the product of its dims.
        const tf::Tensor& dims = block_[s.shapes];
        const int rank = op.shapes_[j].dims();
        if (dims.dims() != 2 || dims.dtype() != tf::DT_INT64 || dims.dim_size(0) != n ||
            s.column < 0 || s.column + rank > dims.dim_size(1) || t.dims() != 1) {
          return tf::errors::InvalidArgument("RowsDataset: component ", j, ": row shapes ",
                                             dims.shape().DebugString(), " do not fit values ", t.shape().DebugString());
        }
        const auto m = dims.matrix<int64_t>();
        std::vector<int64_t>& at = starts_[j];
        TF_RETURN_IF_ERROR(ToTfStatus(Growing(static_cast<uint64_t>(n + 1) * sizeof(int64_t), "a block's row starts",
                                              [&] { at.resize(n + 1); }),
                                      "RowsDataset: "));
        uint64_t total = 0;
        for (int64_t i = 0; i < n; ++i) {
          at[i] = static_cast<int64_t>(total);
          uint64_t count = 1;
          for (int a = 0; a < rank; ++a) {
            const int64_t d = m(i, s.column + a);
            if (d < 0 || !MulWithin(count, static_cast<uint64_t>(d), &count)) {
              return tf::errors::InvalidArgument("RowsDataset: component ", j, ": row ", i, " has a bad shape");
            }
          }
          total += count;
          if (total > static_cast<uint64_t>(t.NumElements())) {
            return tf::errors::InvalidArgument("RowsDataset: component ", j, ": the rows hold more than its ",
                                               t.NumElements(), " values");
          }
        }
        at[n] = static_cast<int64_t>(total);
      }
      size_ = n;
      return tf::OkStatus();
    }

    static bool MulWithin(uint64_t a, uint64_t b, uint64_t* out) {
      if (a != 0 && b > static_cast<uint64_t>(INT64_MAX) / a) return false;
      *out = a * b;
      return true;
    }

    // Appends a new tensor to *out: ResourceExhausted (with its size) when
    // its memory cannot be had, never a tensor without a buffer.
    static tf::Status Allocate(data::IteratorContext* ctx, tf::DataType type, const tf::TensorShape& shape,
                               std::vector<tf::Tensor>* out) {
      out->emplace_back(ctx->allocator({}), type, shape);
      if (out->back().IsInitialized()) return tf::OkStatus();
      out->pop_back();
      return tf::errors::ResourceExhausted("RowsDataset: cannot allocate a row of shape ", shape.DebugString(), " of ",
                                           tf::DataTypeString(type));
    }

    // Row i of the block: a slice of each stacked component, a tensor of
    // its own shape for each ragged one.
    tf::Status Row(data::IteratorContext* ctx, int64_t i, std::vector<tf::Tensor>* out) {
      const Spec& op = dataset()->op_;
      out->clear();
      out->reserve(op.plan_.size());
      for (size_t j = 0; j < op.plan_.size(); ++j) {
        const Source& s = op.plan_[j];
        tf::Tensor& t = block_[s.from];
        tf::TensorShape shape;
        if (s.shapes < 0) {
          shape = t.shape();
          shape.RemoveDim(0);
          TF_RETURN_IF_ERROR(Allocate(ctx, t.dtype(), shape, out));
          TF_RETURN_IF_ERROR(tf::batch_util::MaybeMoveSliceToElement(&t, &out->back(), i));
          continue;
        }
        const auto m = block_[s.shapes].matrix<int64_t>();
        for (int a = 0; a < op.shapes_[j].dims(); ++a) TF_RETURN_IF_ERROR(shape.AddDimWithStatus(m(i, s.column + a)));
        TF_RETURN_IF_ERROR(Allocate(ctx, t.dtype(), shape, out));
        tf::Tensor& row = out->back();
        const int64_t begin = starts_[j][i];
        const int64_t count = starts_[j][i + 1] - begin;
        if (t.dtype() == tf::DT_STRING) {
          const tf::tstring* from = t.flat<tf::tstring>().data() + begin;
          tf::tstring* to = row.flat<tf::tstring>().data();
          for (int64_t k = 0; k < count; ++k) {  // tstring's own copy leaves its malloc unchecked.
            TF_RETURN_IF_ERROR(ToTfStatus(SetString(&to[k], from[k].data(), from[k].size(), "a string element"),
                                          "RowsDataset: "));
          }
        } else if (count > 0) {
          const size_t item = tf::DataTypeSize(t.dtype());
          std::memcpy(row.data(), static_cast<const char*>(t.data()) + begin * item, count * item);
        }
      }
      return tf::OkStatus();
    }

    tf::mutex mu_;
    std::unique_ptr<data::IteratorBase> input_impl_ TF_GUARDED_BY(mu_);
    std::vector<tf::Tensor> block_ TF_GUARDED_BY(mu_);
    std::vector<std::vector<int64_t>> starts_ TF_GUARDED_BY(mu_);  // Per ragged component: n + 1 row starts.
    int64_t index_ TF_GUARDED_BY(mu_) = 0;
    int64_t size_ TF_GUARDED_BY(mu_) = 0;
  };

  const data::DatasetBase* const input_;
  const Spec op_;
};

void RowsDatasetOp::MakeDataset(tf::OpKernelContext* ctx, data::DatasetBase* input, data::DatasetBase** output) {
  *output = new Dataset(ctx, input, spec_);
}

REGISTER_KERNEL_BUILDER(Name("TFNpy>RowsDataset").Device(tf::DEVICE_CPU), RowsDatasetOp);

}  // namespace
}  // namespace tfnpy
