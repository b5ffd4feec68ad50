// libFuzzer target, the encoder: a dtype and up to 4 dims from the first
// bytes, the rest as data; encode, then the reader must give the same shape
// and the same elements back (bools as 0/1).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "npy/npy_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const tfnpy::DType dtype = static_cast<tfnpy::DType>(data[0] % tfnpy::kNumDTypes);
  const int ndims = data[1] % 5;
  if (size < 2u + ndims) return 0;
  int64_t dims[4];
  for (int k = 0; k < ndims; ++k) dims[k] = data[2 + k] % 8;
  const uint8_t* src = data + 2 + ndims;
  tfnpy::EncodePlan plan;
  if (!tfnpy::PlanEncode(tfnpy::FormatOf(dtype), dims, ndims, &plan).ok()) __builtin_trap();
  std::vector<uint8_t> in(src, src + size - 2 - ndims);
  in.resize(plan.data_bytes);  // Zero-filled where the input runs out.
  std::vector<uint8_t> file(plan.total_size);
  if (!tfnpy::EncodeInto(plan, in.data(), in.size(), file.data(), file.size()).ok()) __builtin_trap();
  tfnpy::MemorySource source(file.data(), file.size());
  tfnpy::NpyReader reader;
  tfnpy::Selection sel;
  if (!reader.Open(&source, tfnpy::Limits()).ok() || !reader.Select(tfnpy::Region(), &sel).ok()) __builtin_trap();
  const tfnpy::Header& h = reader.header();
  if (h.dtype != dtype || h.ndims != ndims || h.data_offset % 64 != 0) __builtin_trap();
  for (int k = 0; k < ndims; ++k) if (h.dims[k] != dims[k]) __builtin_trap();
  std::vector<uint8_t> out(sel.array.data_bytes);
  if (!reader.ReadInto(sel, out.data(), out.size()).ok()) __builtin_trap();
  if (dtype == tfnpy::DType::kBool) for (uint8_t& b : in) b = b != 0;
  if (out != in) __builtin_trap();
  return 0;
}
