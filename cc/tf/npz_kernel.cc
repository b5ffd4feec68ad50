// ReadNpz and DecodeNpz: arrays from .npz archives, one output per key.
// Glue only: the archive is ZipArchive's (cc/npy/zip.h), each member a byte
// source that NpyReader reads as ReadNpy reads a file; the batch path is
// batch.h's. One archive open and one central-directory parse per element,
// whatever the number of keys.
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "npy/zip.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tf/batch.h"
#include "tf/npy_tf.h"
#include "tf/remote.h"

namespace tfnpy {
namespace {

namespace tf = ::tensorflow;
using tf::OpInputList;

// Archives of a batch held open between validation and reading, at most (as
// ReadNpy): past this count an archive is closed and opened again to be read.
constexpr int kMaxHeldOpen = 64;

// User-provided constructors, so that elements and members (a Header and a
// Selection each, some KiB) are not zero-filled first, as ReadNpy's.
struct Member {
  Member() {}
  ZipMember member;
  NpyReader reader;
  Selection sel;
};

struct Element {
  Element() {}
  FileSource file;  // ReadNpz only.
  std::unique_ptr<MemorySource> memory;  // DecodeNpz only.
  ZipArchive zip;
  absl::InlinedVector<Member, 1> members;  // One per key.
};

template <bool kFromFile>
class NpzOp : public tf::OpKernel {
 public:
  explicit NpzOp(tf::OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("keys", &keys_));
    std::vector<tf::DataType> types;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("dtypes", &types));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("shapes", &shapes_));
    OP_REQUIRES(ctx, types.size() == keys_.size() && shapes_.size() == keys_.size(),
                tf::errors::InvalidArgument(op_, keys_.size(), " keys but ", types.size(), " dtypes and ",
                                            shapes_.size(), " shapes; give one of each per key"));
    dtypes_.resize(types.size());
    for (size_t k = 0; k < types.size(); ++k) OP_REQUIRES_OK(ctx, FromTfType(types[k], &dtypes_[k], OpContext(ctx)));
    OP_REQUIRES_OK(ctx, ReadLimitAttrs(ctx, &limits_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("verify_crc", &verify_crc_));
    OP_REQUIRES_OK(ctx, ReadOutOfBounds(ctx, &policy_));
    OP_REQUIRES_OK(ctx, ReadBatchMode(ctx, &mode_));
  }

  void Compute(tf::OpKernelContext* ctx) override {
    const tf::Tensor& input = ctx->input(0);
    OP_REQUIRES(ctx, input.dims() <= 1,
                tf::errors::InvalidArgument(op_, (kFromFile ? "filename" : "contents"),
                                            " must be a scalar or a vector, got shape ",
                                            input.shape().DebugString()));
    const auto names = input.flat<tf::tstring>();
    const int64_t n = names.size();
    const bool batched = input.dims() == 1;
    RegionInputs regions;
    OP_REQUIRES_OK(ctx, regions.Init(op_, ctx->input(1), ctx->input(2), batched, n, policy_));
    OpInputList fills;
    OP_REQUIRES_OK(ctx, ctx->input_list("fill_value", &fills));
    tf::Env* env = ctx->env();
    std::atomic<int> held_open{0};
    const size_t nk = keys_.size();
    // One file-system lookup for the batch, as ReadNpy's.
    tf::FileSystem* fs = nullptr;
    absl::string_view scheme;
    if (kFromFile && n > 1 && env->GetFileSystemForFile(names(0), &fs).ok()) scheme = Scheme(names(0));
    const auto file_system = [&](int64_t i) {
      return fs != nullptr && Scheme(names(i)) == scheme ? fs : nullptr;
    };

    Arena arena;  // What small archives' first reads keep, until the end of Compute.
    // Each element is made (validation) and destroyed (after its read) by a
    // pool thread: done here, one after another, making and destroying
    // 10,000 small archives' elements took 1.5-3 ms of a 50 ms call.
    std::optional<absl::InlinedVector<std::optional<Element>, 1>> storage;
    OP_REQUIRES_OK(ctx, MakeChecked(&storage, n, op_));
    auto& elements = *storage;
    Batch batch(ctx, mode_, batched, n, op_, static_cast<int>(nk), kFromFile && RemoteBatch(input));
    auto validate = [&](int64_t i) -> tf::Status {
      Element& e = elements[i].emplace();
      TF_RETURN_IF_ERROR(OpenArchive(env, file_system(i), names(i), i, batched, &e, &arena));
      e.members.resize(nk);
      bool complete = e.zip.complete();
      for (size_t k = 0; k < nk; ++k) {
        Member& m = e.members[k];
        TF_RETURN_IF_ERROR(OpenMember(&e, k, i, batched));
        const int at = static_cast<int>(k);
        TF_RETURN_IF_ERROR(Convert(e, m.reader.Open(&m.member, limits_), i, batched, at));
        TF_RETURN_IF_ERROR(
            Convert(e, SelectChecked(m.reader, &regions, i, dtypes_[k], shapes_[k], &m.sel), i, batched, at));
      }
      if (nk > 1) TF_RETURN_IF_ERROR(Convert(e, CheckTotal(e), i, batched, kNoMember));
      if (kFromFile && (complete || held_open.fetch_add(1) >= kMaxHeldOpen)) e.file.Close();
      return tf::OkStatus();
    };
    OP_REQUIRES_OK(ctx, batch.Run(100000, [&](int64_t i) {
      tf::Status s = validate(i);
      if (!s.ok()) elements[i].reset();
      return s;
    }));

    std::vector<tf::Tensor*> outputs(nk);
    uint64_t total = 0;
    for (size_t k = 0; k < nk; ++k) {
      ArraysSpec spec;
      spec.output = static_cast<int>(k);
      spec.element = [&](int64_t i) -> const Header* {
        return elements[i] && !batch.failed(i) ? &elements[i]->members[k].sel.array : nullptr;
      };
      spec.describe = [&](int64_t i) {
        return (kFromFile ? "'" + std::string(names(i)) + "' " : std::string()) + "member '" + keys_[k] +
               "' (element " + std::to_string(i) + ")";
      };
      spec.empty_shape = [&](tf::TensorShape* shape) {
        return regions.EmptyShape(op_ + "key '" + keys_[k] + "': ", shapes_[k], shape);
      };
      spec.expected = shapes_[k];
      OP_REQUIRES_OK(ctx, batch.Allocate(spec, &outputs[k]));
      total += outputs[k]->TotalBytes();
    }
    if (total == 0 && !AnyWhole(elements)) {
      OP_REQUIRES_OK(ctx, batch.Finish());
      return;
    }

    OP_REQUIRES_OK(ctx, batch.Run(static_cast<int64_t>(total / std::max<int64_t>(n, 1)) + 100000,
                                  [&](int64_t i) -> tf::Status {
      Element& e = *elements[i];
      tf::Status s = Read(env, file_system(i), names(i), i, batched, &e, batch, outputs, fills);
      elements[i].reset();
      return s;
    }));
    OP_REQUIRES_OK(ctx, batch.Finish());
  }

 private:
  static bool AnyWhole(const absl::InlinedVector<std::optional<Element>, 1>& elements) {
    for (const std::optional<Element>& e : elements) {
      if (!e) continue;
      for (const Member& m : e->members) {
        if (m.sel.whole) return true;
      }
    }
    return false;
  }

  // Reads element i's members into their outputs (opening the archive again
  // if it was closed after validation: its members must not have changed).
  tf::Status Read(tf::Env* env, tf::FileSystem* fs, const tf::tstring& name, int64_t i, bool batched, Element* e,
                  const Batch& batch, const std::vector<tf::Tensor*>& outputs, const OpInputList& fills) const {
    const size_t nk = keys_.size();
    if (kFromFile && !e->zip.complete() && !e->file.is_open()) {
      TF_RETURN_IF_ERROR(OpenArchive(env, fs, name, i, batched, e));
      for (size_t k = 0; k < nk; ++k) {
        Member& m = e->members[k];
        const ZipEntry before = m.member.entry();
        TF_RETURN_IF_ERROR(OpenMember(e, k, i, batched));
        const ZipEntry& now = m.member.entry();
        if (now.crc != before.crc || now.size != before.size || now.header_offset != before.header_offset) {
          return tf::errors::DataLoss(Context(*e, i, batched), MemberContext(k), "archive changed while being read");
        }
        TF_RETURN_IF_ERROR(Convert(*e, m.reader.Reattach(&m.member), i, batched, static_cast<int>(k)));
      }
    }
    for (size_t k = 0; k < nk; ++k) {
      Member& m = e->members[k];
      const int at = static_cast<int>(k);
      if (outputs[k]->NumElements() > 0) {
        TF_RETURN_IF_ERROR(
            Convert(*e, ReadElement(&m.reader, m.sel, outputs[k], batch.Start(at, i), &fills[k]), i, batched, at));
      }
      // A whole read checks the member's CRC-32 (reading any bytes left)
      // and a deflated member's end.
      if (m.sel.whole) TF_RETURN_IF_ERROR(Convert(*e, m.member.Verify(), i, batched, at));
    }
    return tf::OkStatus();
  }

  tf::Status OpenArchive(tf::Env* env, tf::FileSystem* fs, const tf::tstring& name, int64_t i, bool batched,
                         Element* e, Arena* arena = nullptr) const {
    ByteSource* source;
    if (kFromFile) {
      e->file.set_op(file_op_);
      TF_RETURN_IF_ERROR(e->file.Open(env, name, fs));
      source = &e->file;
    } else {
      e->memory.reset(new MemorySource(name.data(), name.size()));
      source = e->memory.get();
    }
    TF_RETURN_IF_ERROR(Convert(*e, e->zip.Open(source, arena), i, batched, kNoMember));
    if (kFromFile && e->zip.complete()) e->file.Close();
    return tf::OkStatus();
  }

  tf::Status OpenMember(Element* e, size_t k, int64_t i, bool batched) const {
    const ZipEntry* entry = nullptr;
    TF_RETURN_IF_ERROR(Convert(*e, e->zip.Find(keys_[k], &entry), i, batched, kNoMember));
    return Convert(*e, e->zip.OpenMember(*entry, &e->members[k].member, verify_crc_), i, batched, kNoMember);
  }

  std::string MemberContext(size_t k) const { return "member '" + keys_[k] + "': "; }

  // max_output_bytes caps what one archive's members select in all, as it
  // caps one file of ReadNpy (each member was checked alone by Select).
  Status CheckTotal(const Element& e) const {
    uint64_t left = limits_.max_output_bytes;
    bool over = false;
    for (const Member& m : e.members) {
      const uint64_t bytes = OutputBytes(m.sel.array);
      over = over || bytes > left;
      if (!over) left -= bytes;
    }
    if (!over) return Status::Ok();
    std::string each;
    for (size_t k = 0; k < e.members.size(); ++k) {
      each += (k ? ", '" : "'") + keys_[k] + "': " + std::to_string(OutputBytes(e.members[k].sel.array));
    }
    return Status(Code::kTooLarge, "the members read select more than max_output_bytes " +
                                       std::to_string(limits_.max_output_bytes) + " in all (" + each +
                                       " bytes); the cap applies to each archive");
  }

  std::string Context(const Element& e, int64_t i, bool batched) const {
    if (kFromFile) return e.file.Context();
    return batched ? op_ + "element " + std::to_string(i) + ": " : op_;
  }

  // `k`: the key the status is about (its name goes into the message), or kNoMember.
  static constexpr int kNoMember = -1;
  tf::Status Convert(const Element& e, const Status& s, int64_t i, bool batched, int k) const {
    if (s.ok()) return tf::OkStatus();
    const std::string at = k == kNoMember ? std::string() : MemberContext(static_cast<size_t>(k));
    if (kFromFile) return e.file.Convert(s, at);
    return ToTfStatus(s, Context(e, i, batched) + at);
  }

  const std::string op_ = kFromFile ? "ReadNpz: " : "DecodeNpz: ";
  const std::string file_op_ = op_.substr(0, op_.size() - 2);  // "ReadNpz", for FileSource's messages.
  std::vector<std::string> keys_;
  std::vector<DType> dtypes_;
  std::vector<tf::PartialTensorShape> shapes_;
  Limits limits_;
  bool verify_crc_ = true;
  OutOfBounds policy_;
  BatchMode mode_;
};

REGISTER_KERNEL_BUILDER(Name("TFNpy>ReadNpz").Device(tf::DEVICE_CPU), NpzOp<true>);
REGISTER_KERNEL_BUILDER(Name("TFNpy>DecodeNpz").Device(tf::DEVICE_CPU), NpzOp<false>);

}  // namespace
}  // namespace tfnpy
