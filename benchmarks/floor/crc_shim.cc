// floor.c's CRC-32 (--crc): tfnpy's own, the one ReadNpz checks stored
// members with, behind a C name.
#include <cstddef>

#include "npy/crc32.h"

extern "C" unsigned floor_crc32(unsigned crc, const void* data, size_t n) { return tfnpy::Crc32(crc, data, n); }
