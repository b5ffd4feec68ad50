// libFuzzer target: ParseNpy + DecodeData into an exact-size buffer, then a
// row range of the same input.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "npy/npy_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tfnpy::Limits limits;
  limits.max_output_bytes = 1 << 24;  // Keep allocations small while fuzzing.
  tfnpy::Header h;
  if (!tfnpy::ParseNpy(data, size, limits, &h).ok()) return 0;
  std::vector<uint8_t> out(h.data_bytes);
  tfnpy::Status s = tfnpy::DecodeData(h, data + h.data_offset, size - h.data_offset,
                                      out.data(), out.size());
  if (!s.ok()) __builtin_trap();  // Parsed input must decode.
  const int64_t start = size > 0 ? data[0] % 8 : 0, stop = start + (size % 5);
  tfnpy::Header rows;
  if (tfnpy::SliceRows(h, start, stop, &rows).ok()) {
    if (rows.data_offset + rows.data_bytes > size) __builtin_trap();
    std::vector<uint8_t> part(rows.data_bytes);
    s = tfnpy::DecodeData(rows, data + rows.data_offset, size - rows.data_offset,
                          part.data(), part.size());
    if (!s.ok()) __builtin_trap();
  }
  return 0;
}
