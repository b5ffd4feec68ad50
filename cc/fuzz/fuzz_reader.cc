// libFuzzer target, the file path (ReadNpy's): NpyReader over a source that
// is hostile as 3 bytes near the input's end say (reads cut short, a read that
// fails, a file that shrinks after some reads), a region from its last bytes.
// Whatever happens, no crash or overrun; a read that succeeds gives exactly
// what the honest in-memory read gives. The same for ReadNpy's one-read path
// (PredictedNpy) for the array the header declares, or another dtype as a
// byte near the end says: a file it claims reads as the honest general read.
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The whole input is the file (so the seed corpus of .npy files serves);
  // bytes near its end also choose the hostility and the region.
  if (size < 8) return 0;
  const uint8_t* file = data;
  const size_t file_size = size;
  tfnpy::Limits limits;
  limits.max_output_bytes = 1 << 24;
  CheckPredicted(data, size, limits);
  Hostile source(file, file_size, data[size - 5], data[size - 6], data[size - 7]);
  tfnpy::NpyReader reader;
  if (!reader.Open(&source, limits).ok()) return 0;
  tfnpy::Selection sel;
  if (!reader.Select(tfnpy_fuzz::RegionFrom(data, size, reader.header().ndims), &sel).ok()) return 0;
  std::vector<uint8_t> got(sel.array.data_bytes);
  if (!reader.ReadInto(sel, got.data(), got.size()).ok()) return 0;
  // The honest read of the same bytes must succeed with the same result.
  tfnpy::MemorySource honest(file, file_size);
  tfnpy::NpyReader ref;
  tfnpy::Selection ref_sel;
  if (!ref.Open(&honest, limits).ok() || !ref.Select(tfnpy_fuzz::RegionFrom(data, size, ref.header().ndims), &ref_sel).ok()) {
    __builtin_trap();
  }
  std::vector<uint8_t> want(ref_sel.array.data_bytes);
  if (!ref.ReadInto(ref_sel, want.data(), want.size()).ok() || want != got) __builtin_trap();
  return 0;
}
