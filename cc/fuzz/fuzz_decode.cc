// libFuzzer target, in-memory decoding: ParseNpy + DecodeData into a buffer
// of exactly data_bytes (ASan catches any write past it) against a naive
// reference, the same decode in place where allowed, then NpyReader over the
// bytes, whole and a region with bounds taken from the input's last bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "npy/npy_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tfnpy::Limits limits;
  limits.max_output_bytes = 1 << 24;  // Keep allocations small while fuzzing.
  tfnpy::Header h;
  if (!tfnpy::ParseNpy(data, size, limits, &h).ok()) return 0;
  const uint8_t* src = data + h.data_offset;
  const size_t src_size = size - h.data_offset;
  std::vector<uint8_t> out(h.data_bytes);
  if (!tfnpy::DecodeData(h, src, src_size, out.data(), out.size()).ok()) __builtin_trap();
  // A naive reference for small arrays: C-order element c is file element
  // c (or its Fortran-order position), each swap unit reversed, bools 0/1.
  const size_t item = h.itemsize;
  // Each swap unit reversed: a complex half, a U code unit; S and V bytes never.
  const size_t unit = tfnpy::Info(h.dtype).swap_unit;
  const bool swap = h.swap && unit > 1;
  int64_t fstride[tfnpy::kMaxDims];
  for (int k = 0; k < h.ndims; ++k) fstride[k] = k == 0 ? 1 : fstride[k - 1] * h.dims[k - 1];
  for (uint64_t c = 0; c < h.num_elements && h.num_elements <= 4096; ++c) {
    uint64_t pos = c;
    if (h.fortran_order) {
      pos = 0;
      for (int k = h.ndims - 1, rest = static_cast<int>(c); k >= 0; rest /= static_cast<int>(h.dims[k]), --k) {
        pos += static_cast<uint64_t>(rest % h.dims[k] * fstride[k]);
      }
    }
    for (size_t b = 0; b < item; ++b) {
      const size_t from = swap ? b / unit * unit + (unit - 1 - b % unit) : b;
      uint8_t want = src[pos * item + from];
      if (h.dtype == tfnpy::DType::kBool) want = want != 0;
      if (out[c * item + b] != want) __builtin_trap();
    }
  }
  std::vector<uint8_t> in_place(src, src + h.data_bytes);
  const bool ok = tfnpy::DecodeData(h, in_place.data(), in_place.size(), in_place.data(), in_place.size()).ok();
  if (ok != tfnpy::CanDecodeInPlace(h) || (ok && in_place != out)) __builtin_trap();

  // The reader (DecodeNpy's and tfnpy.loads' path) gives the same bytes, and a
  // region of them equals the same box picked out of the whole decode.
  tfnpy::MemorySource source(data, size);
  tfnpy::NpyReader reader;
  tfnpy::Selection sel;
  if (!reader.Open(&source, limits).ok() || !reader.Select(tfnpy::Region(), &sel).ok()) __builtin_trap();
  std::vector<uint8_t> whole(sel.array.data_bytes);
  if (!reader.ReadInto(sel, whole.data(), whole.size()).ok() || whole != out) __builtin_trap();
  // Regions with negative bounds and every out-of-bounds policy: what Select
  // refuses is what the reference refuses (or larger than the cap).
  const tfnpy::Region region = tfnpy_fuzz::RegionFrom(data, size, h.ndims);
  bool refused = false;
  const tfnpy::Status selected = reader.Select(region, &sel);
  std::vector<uint8_t> want;
  const std::vector<uint8_t> fill = tfnpy_fuzz::Fill(h.itemsize);
  if (selected.ok() || selected.code() == tfnpy::Code::kBadArgument) {
    want = tfnpy_fuzz::ExpectedRegion(h, region, out, fill, &refused);
    if (selected.ok() == refused) __builtin_trap();
  }
  if (!selected.ok()) return 0;
  std::vector<uint8_t> part(sel.array.data_bytes);
  if (!reader.ReadInto(sel, part.data(), part.size(), fill.data()).ok()) __builtin_trap();
  if (part != want) __builtin_trap();
  tfnpy_fuzz::CheckStrings(sel, part);
  // A V2 array read as bfloat16 (ReadAs): its bytes, swapped if '>V2'.
  if (h.dtype == tfnpy::DType::kVoid && h.itemsize == 2 && !sel.padded &&
      tfnpy::CheckDtype(reader.header(), tfnpy::DType::kBFloat16).ok()) {
    tfnpy::ReadAs(tfnpy::DType::kBFloat16, &sel.array);
    std::vector<uint8_t> bf(sel.array.data_bytes);
    if (!reader.ReadInto(sel, bf.data(), bf.size()).ok()) __builtin_trap();
    for (size_t i = 0; i + 1 < bf.size(); i += 2) {
      if ((h.swap ? bf[i + 1] : bf[i]) != part[i] || (h.swap ? bf[i] : bf[i + 1]) != part[i + 1]) __builtin_trap();
    }
  }
  return 0;
}
