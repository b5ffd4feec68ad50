// CRC-32 as zip and zlib define it (reflected polynomial 0xEDB88320, the
// value inverted before and after), fast enough that checking a stored .npz
// member costs little beside reading it.
#ifndef TFNPY_CC_NPY_CRC32_H_
#define TFNPY_CC_NPY_CRC32_H_

#include <cstddef>
#include <cstdint>

namespace tfnpy {

// The CRC-32 of n bytes, continuing `crc` (0 to start): zlib's crc32(crc,
// data, n). On x86-64 processors with carry-less multiply (PCLMULQDQ) the
// bulk of the bytes is folded 64 at a time with it (128, in 256-bit
// registers, where the CPU has VPCLMULQDQ and AVX2), then 16 at a time, and
// reduced to 32 bits with a Barrett step; zlib's crc32 computes the last
// n mod 16 bytes, and everything on other processors and below 64 bytes.
uint32_t Crc32(uint32_t crc, const void* data, size_t n);

// zlib's crc32 alone, for tests that compare the two.
uint32_t Crc32Zlib(uint32_t crc, const void* data, size_t n);

// True when Crc32 folds with PCLMULQDQ on this machine.
bool Crc32Folds();

}  // namespace tfnpy

#endif  // TFNPY_CC_NPY_CRC32_H_
