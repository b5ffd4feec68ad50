#include "npy/crc32.h"

#include <zlib.h>

#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TFNPY_CRC32_FOLD 1
#include <immintrin.h>
#endif

namespace tfnpy {

// Why not a library: zlib (the one inflate library the .npz reader uses, and
// the one TensorFlow exports) computes CRC-32 a byte-table at a time, about
// 1.8 GB/s here: slower than reading a page-cached file, so a stored member
// would cost twice its .npy twin. libdeflate's is fast but would be a second
// compression library for one function. The folding below is the method of
// Gopal et al., "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ"
// (Intel, 2009), without its final Barrett step: folding only shortens the
// message to 16 bytes with the same remainder, and zlib finishes from there.
// Tests compare it with zlib's on every length up to 4 KiB and every
// alignment; the .npz fuzz target does the same on its inputs.

uint32_t Crc32Zlib(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const Bytef*>(data);
  while (n > 0) {
    const uInt k = n > (1u << 30) ? (1u << 30) : static_cast<uInt>(n);
    crc = static_cast<uint32_t>(::crc32(crc, p, k));
    p += k;
    n -= k;
  }
  return crc;
}

#ifdef TFNPY_CRC32_FOLD
namespace {

// x^e mod P for the reflected polynomial, each as its 33-bit reflected form:
// low lane folds a 128-bit lane's low half over `distance` bits, high lane its
// high half. Over 512 bits (four lanes at a time), then over 128 (one lane).
constexpr uint64_t kFold512Lo = 0x154442bd4, kFold512Hi = 0x1c6e41596;
constexpr uint64_t kFold128Lo = 0x1751997d0, kFold128Hi = 0x0ccaa009e;

__attribute__((target("pclmul,sse2"))) inline __m128i Fold(__m128i x, __m128i k, __m128i next) {
  const __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
  const __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

// n >= 64. Folds all but the last n % 64 bytes into 16 whose CRC, followed
// by those bytes, is the CRC of the whole.
__attribute__((target("pclmul,sse2"))) uint32_t FoldCrc(uint32_t crc, const unsigned char* p, size_t n) {
  auto load = [](const unsigned char* q) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)); };
  __m128i x0 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(~crc)));
  __m128i x1 = load(p + 16), x2 = load(p + 32), x3 = load(p + 48);
  p += 64;
  n -= 64;
  const __m128i k512 = _mm_set_epi64x(static_cast<long long>(kFold512Hi), static_cast<long long>(kFold512Lo));
  while (n >= 64) {
    x0 = Fold(x0, k512, load(p));
    x1 = Fold(x1, k512, load(p + 16));
    x2 = Fold(x2, k512, load(p + 32));
    x3 = Fold(x3, k512, load(p + 48));
    p += 64;
    n -= 64;
  }
  const __m128i k128 = _mm_set_epi64x(static_cast<long long>(kFold128Hi), static_cast<long long>(kFold128Lo));
  x1 = Fold(x0, k128, x1);
  x2 = Fold(x1, k128, x2);
  x3 = Fold(x2, k128, x3);
  // The CRC register is zero now (its start value went into the first
  // lane): zlib's crc32 with 0xffffffff starts from a zero register too.
  unsigned char rest[16 + 64];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(rest), x3);
  std::memcpy(rest + 16, p, n);
  return Crc32Zlib(0xffffffffu, rest, 16 + n);
}

bool HasPclmul() {
  static const bool has = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
  return has;
}

}  // namespace

bool Crc32Folds() { return HasPclmul(); }

uint32_t Crc32(uint32_t crc, const void* data, size_t n) {
  // FoldCrc needs 64 bytes.
  if (n < 64 || !HasPclmul()) return Crc32Zlib(crc, data, n);
  return FoldCrc(crc, static_cast<const unsigned char*>(data), n);
}
#else
bool Crc32Folds() { return false; }
uint32_t Crc32(uint32_t crc, const void* data, size_t n) { return Crc32Zlib(crc, data, n); }
#endif

}  // namespace tfnpy
