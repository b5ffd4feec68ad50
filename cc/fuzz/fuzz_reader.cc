// libFuzzer target, the file path (ReadNpy's): NpyReader over a source that
// is hostile as 3 bytes near the input's end say (reads cut short, a read that
// fails, a file that shrinks after some reads), with a batch's arena or not, a
// region from its last bytes, and one of the core's allocations made to fail
// as another byte says. Whatever happens, no crash or overrun; a failed
// allocation is kOutOfMemory; a read that succeeds gives exactly what the
// honest in-memory read gives. Empty inputs and sources that return nothing
// are errors. The same for ReadNpy's one-read path (PredictedNpy) for the
// array the header declares, or another dtype as a byte near the end says: a
// file it claims reads as the honest general read.
#include <cstring>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "npy/npy_format.h"

namespace {

class Hostile : public tfnpy::ByteSource {
 public:
  Hostile(const uint8_t* data, size_t size, uint8_t a, uint8_t b, uint8_t c)
      : data_(data), size_(size), chunk_(a == 0 ? SIZE_MAX : a * 64u), fail_at_(b % 8 == 7 ? b / 8 % 4 : -1),
        shrink_after_(c % 4 == 3 ? c / 4 % 4 : -1), shrink_to_(c * 31u % (size + 1)) {}
  tfnpy::Status Read(uint64_t offset, size_t n, char* dst, size_t* got) override {
    const int k = reads_++;
    *got = 0;
    if (k == fail_at_) return tfnpy::Status(tfnpy::Code::kReadFailed, "injected");
    if (shrink_after_ >= 0 && k >= shrink_after_ && size_ > shrink_to_) size_ = shrink_to_;
    if (offset >= size_) return tfnpy::Status::Ok();
    size_t have = size_ - static_cast<size_t>(offset);
    if (have > chunk_) have = chunk_;
    *got = n < have ? n : have;
    std::memcpy(dst, data_ + offset, *got);
    return tfnpy::Status::Ok();
  }

 private:
  const uint8_t* data_;
  size_t size_, chunk_;
  int fail_at_, shrink_after_;
  size_t shrink_to_;
  int reads_ = 0;
};

void CheckPredicted(const uint8_t* data, size_t size, const tfnpy::Limits& limits) {
  tfnpy::Header h;
  if (!tfnpy::ParseHeader(data, size, limits, &h).ok()) return;
  tfnpy::DType types[tfnpy::kNumDTypes];
  const uint8_t pick = data[size - 8];
  const tfnpy::DType want = pick < 128 ? types[pick % tfnpy::TensorDTypes(types)] : h.dtype;
  tfnpy::PredictedNpy predicted;
  if (!predicted.Init(want, h.dims, h.ndims, limits)) return;
  Hostile source(data, size, data[size - 5], data[size - 6], data[size - 7]);
  std::vector<uint8_t> got(predicted.array().data_bytes);
  if (!predicted.Read(&source, got.data())) return;
  tfnpy::MemorySource honest(data, size);
  tfnpy::NpyReader ref;
  tfnpy::Selection sel;
  if (!ref.Open(&honest, limits).ok() || !tfnpy::CheckDtype(ref.header(), want).ok() ||
      !ref.Select(tfnpy::Region(), &sel).ok()) {
    __builtin_trap();
  }
  tfnpy::ReadAs(want, &sel.array);
  std::vector<uint8_t> expected(sel.array.data_bytes);
  if (sel.array.dtype != predicted.array().dtype || expected.size() != got.size() ||
      !ref.ReadInto(sel, expected.data(), expected.size()).ok() || expected != got) {
    __builtin_trap();
  }
}

// Open, Select (a region from the input's last bytes), ReadInto.
tfnpy::Status Read(tfnpy::ByteSource* source, tfnpy::Arena* arena, const uint8_t* data, size_t size,
                   std::vector<uint8_t>* out) {
  tfnpy::Limits limits;
  limits.max_output_bytes = 1 << 24;
  tfnpy::NpyReader reader;
  TFNPY_RETURN_IF_ERROR(reader.Open(source, limits, arena));
  tfnpy::Selection sel;
  TFNPY_RETURN_IF_ERROR(reader.Select(tfnpy_fuzz::RegionFrom(data, size, reader.header().ndims), &sel));
  out->assign(sel.array.data_bytes, 0);
  return reader.ReadInto(sel, out->data(), out->size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The whole input is the file (so the seed corpus of .npy files serves);
  // bytes near its end also choose the hostility, the arena, the failing
  // allocation and the region (none for inputs shorter than 8 bytes).
  const uint8_t knob = size >= 8 ? data[size - 8] : 0;
  Hostile source(data, size, size >= 8 ? data[size - 5] : 0, size >= 8 ? data[size - 6] : 0,
                 size >= 8 ? data[size - 7] : 0);
  if (size >= 8) {
    tfnpy::Limits limits;
    limits.max_output_bytes = 1 << 24;
    CheckPredicted(data, size, limits);
  }
  tfnpy::Arena arena;
  std::vector<uint8_t> got;
  bool failed = false;
  const tfnpy::Status s = tfnpy_fuzz::WithFailedAllocation((knob & 0x80) ? knob & 0x1f : -1, &failed, [&] {
    return Read(&source, (knob & 0x40) ? &arena : nullptr, data, size, &got);
  });
  tfnpy_fuzz::Silent silent(size);
  std::vector<uint8_t> none;
  if (Read(&silent, &arena, data, size, &none).ok()) __builtin_trap();  // Nothing read: no array.
  if (!s.ok()) return 0;
  // The honest read of the same bytes must succeed with the same result.
  tfnpy::MemorySource honest(data, size);
  std::vector<uint8_t> want;
  if (!Read(&honest, nullptr, data, size, &want).ok() || want != got) __builtin_trap();
  return 0;
}
