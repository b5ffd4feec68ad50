// libFuzzer target: ParseHeader alone, with limits taken from the input.
#include <cstddef>
#include <cstdint>

#include "npy/npy_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tfnpy::Limits limits;
  if (size > 0) limits.max_header_size = 100 + 400u * (data[size - 1] % 64);
  tfnpy::Header header;
  tfnpy::Status s = tfnpy::ParseHeader(data, size, limits, &header);
  if (s.ok() && header.data_offset > size) __builtin_trap();
  return 0;
}
