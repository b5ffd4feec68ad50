// libFuzzer target: ParseHeader alone, with small limits taken from the
// input's last two bytes. On success the header must be self-consistent.
#include <cstddef>
#include <cstdint>

#include "npy/npy_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tfnpy::Limits limits;
  if (size >= 2) {  // A zero byte keeps the default (seeds often end in one).
    if (data[size - 1] != 0) limits.max_header_size = 32u * data[size - 1];  // 32..8160
    if (data[size - 2] != 0) limits.max_output_bytes = uint64_t{1} << (data[size - 2] % 64);
  }
  tfnpy::Header h;
  if (!tfnpy::ParseHeader(data, size, limits, &h).ok()) return 0;
  // Element count and bytes, recomputed with overflow checks: the nonzero
  // dims times the item size must fit in int64, as the core promises.
  uint64_t nonzero = 1, bytes = 0;
  bool empty = false;
  if (h.ndims < 0 || h.ndims > tfnpy::kMaxDims) __builtin_trap();
  for (int i = 0; i < h.ndims; ++i) {
    if (h.dims[i] < 0) __builtin_trap();
    if (h.dims[i] == 0) empty = true;
    else if (__builtin_mul_overflow(nonzero, static_cast<uint64_t>(h.dims[i]), &nonzero)) __builtin_trap();
  }
  if (__builtin_mul_overflow(nonzero, h.itemsize, &bytes) ||
      bytes > static_cast<uint64_t>(INT64_MAX) || h.num_elements != (empty ? 0 : nonzero) ||
      h.data_bytes != (empty ? 0 : bytes) || h.data_offset > size || h.data_offset != h.preamble.data_offset ||
      tfnpy::CheckOutputSize(h, limits).ok() != (tfnpy::OutputBytes(h) <= limits.max_output_bytes) ||
      tfnpy::CheckDataSize(h, size).ok() != (size - h.data_offset >= h.data_bytes)) {
    __builtin_trap();
  }
  // Strings cost their data and one tstring each (saturating); numbers their bytes.
  uint64_t objects = 0, want = h.data_bytes;
  if (tfnpy::IsString(h.dtype)) {
    want = __builtin_mul_overflow(h.num_elements, tfnpy::kStringObjectBytes, &objects) ||
                   __builtin_add_overflow(h.data_bytes, objects, &want)
               ? UINT64_MAX
               : want;
  }
  if (tfnpy::OutputBytes(h) != want) __builtin_trap();
  if (tfnpy::ShapeString(h.dims, h.ndims).empty() || tfnpy::DescribeDtype(h).empty()) __builtin_trap();
  return 0;
}
