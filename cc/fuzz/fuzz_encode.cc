// libFuzzer target, the encoder: a type and up to 4 dims from the first
// bytes, the rest as data; encode, then the reader must give the same shape
// and the same elements back: numbers (bools as 0/1), ml_dtypes' types (read
// back as raw V<n>), and strings (|S<n>, trailing NULs stripped on reading).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "npy/npy_format.h"

namespace {

class Collect final : public tfnpy::StringSink {
 public:
  tfnpy::Status Put(uint64_t, const char* data, size_t size) override {
    got.emplace_back(data, size);
    return tfnpy::Status::Ok();
  }
  std::vector<std::string> got;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const tfnpy::DType dtype = static_cast<tfnpy::DType>(data[0] % tfnpy::kNumDTypes);
  const bool strings = tfnpy::IsFlexible(dtype);  // S, U, V: written as |S<n> strings
  const int ndims = data[1] % 5;
  if (size < 2u + ndims) return 0;
  int64_t dims[4];
  uint64_t count = 1;
  for (int k = 0; k < ndims; ++k) count *= static_cast<uint64_t>(dims[k] = data[2 + k] % 8);
  const uint8_t* src = data + 2 + ndims;
  const size_t left = size - 2 - ndims;
  // Strings: element i is the input's bytes [i*w, (i+1)*w) with trailing NULs
  // dropped (as np.load gives them back), w from the first data byte.
  std::vector<std::string_view> elems;
  tfnpy::ElementFormat format = tfnpy::FormatOf(dtype);
  if (strings) {
    const size_t w = left > 0 ? src[0] % 6 : 0;
    for (uint64_t i = 0; i < count; ++i) {
      const size_t at = 1 + i * w < left ? 1 + i * w : left;
      size_t n = at + w <= left ? w : left - at;
      while (n > 0 && src[at + n - 1] == 0) --n;
      elems.emplace_back(reinterpret_cast<const char*>(src) + at, n);
    }
    if (!tfnpy::BytesFormat(tfnpy::StringWidth(elems.data(), elems.size()), &format).ok()) __builtin_trap();
  }
  tfnpy::EncodePlan plan;
  if (!tfnpy::PlanEncode(format, dims, ndims, &plan).ok()) __builtin_trap();
  std::vector<uint8_t> in(src, src + left);
  in.resize(plan.data_bytes);  // Zero-filled where the input runs out.
  std::vector<uint8_t> file(plan.total_size);
  const tfnpy::Status s = strings ? tfnpy::EncodeStringsInto(plan, elems.data(), elems.size(), file.data(), file.size())
                                  : tfnpy::EncodeInto(plan, in.data(), in.size(), file.data(), file.size());
  if (!s.ok()) __builtin_trap();
  tfnpy::MemorySource source(file.data(), file.size());
  tfnpy::NpyReader reader;
  tfnpy::Selection sel;
  if (!reader.Open(&source, tfnpy::Limits()).ok() || !reader.Select(tfnpy::Region(), &sel).ok()) __builtin_trap();
  const tfnpy::Header& h = reader.header();
  const tfnpy::DType want = strings ? tfnpy::DType::kBytes : tfnpy::IsVoidStored(dtype) ? tfnpy::DType::kVoid : dtype;
  if (h.dtype != want || h.ndims != ndims || h.data_offset % 64 != 0) __builtin_trap();
  for (int k = 0; k < ndims; ++k) if (h.dims[k] != dims[k]) __builtin_trap();
  std::vector<uint8_t> out(sel.array.data_bytes);
  if (!reader.ReadInto(sel, reinterpret_cast<char*>(out.data()), out.size()).ok()) __builtin_trap();
  if (strings) {
    Collect c;
    if (!tfnpy::ForEachString(sel, reinterpret_cast<const char*>(out.data()), out.size(), &c).ok()) __builtin_trap();
    if (c.got.size() != elems.size()) __builtin_trap();
    for (size_t i = 0; i < elems.size(); ++i) if (c.got[i] != elems[i]) __builtin_trap();
    return 0;
  }
  if (dtype == tfnpy::DType::kBool) for (uint8_t& b : in) b = b != 0;
  if (out != in) __builtin_trap();
  return 0;
}
