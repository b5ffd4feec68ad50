#include "npy/crc32.h"

#include <zlib.h>

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
// (Intel, 2009): fold to one 16-byte lane, reduce it to 32 bits with a
// Barrett step; zlib's crc32 takes only the last n mod 16 bytes.
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
// Each is the reflected x^(d+32) mod P (low) and x^(d-32) mod P (high),
// shifted left by one, for a distance of d bits.
constexpr uint64_t kFold1024Lo = 0x1e88ef372, kFold1024Hi = 0x14a7fe880;
constexpr uint64_t kFold512Lo = 0x154442bd4, kFold512Hi = 0x1c6e41596;
constexpr uint64_t kFold256Lo = 0x0f1da05aa, kFold256Hi = 0x15a546366;
constexpr uint64_t kFold128Lo = 0x1751997d0, kFold128Hi = 0x0ccaa009e;
// The final reduction's: x^64 mod P (reflected, as above), and for Barrett's
// step P itself (33 bits, reflected) and floor(x^64 / P) (reflected).
constexpr uint64_t kReduce64 = 0x163cd6124;
constexpr uint64_t kBarrettP = 0x1db710641, kBarrettMu = 0x1f7011641;

__attribute__((target("pclmul,sse2"))) inline __m128i Fold(__m128i x, __m128i k, __m128i next) {
  const __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
  const __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

// The CRC of a folded lane x followed by n more bytes: those are folded in
// 16 at a time, then the lane is reduced to 32 bits (a fold of its low half
// onto its high half, a fold of 32 bits, and a Barrett reduction, as in the
// Gopal et al. paper); zlib's crc32 takes the last n < 16 bytes, if any. The
// lane holds the message from a zero CRC register (the start value went into
// the first lane), so the register it leaves is the CRC before zlib's final
// inversion.
__attribute__((target("pclmul,sse2"))) uint32_t Finish(__m128i x, const unsigned char* p, size_t n) {
  const __m128i k128 = _mm_set_epi64x(static_cast<long long>(kFold128Hi), static_cast<long long>(kFold128Lo));
  for (; n >= 16; p += 16, n -= 16) x = Fold(x, k128, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  const __m128i low32 = _mm_set_epi32(0, 0, 0, -1);
  // 128 to 64 bits (times x^32): the low half times x^64 mod P onto the high half.
  x = _mm_xor_si128(_mm_clmulepi64_si128(x, k128, 0x10), _mm_srli_si128(x, 8));
  // 64 to 32: the low 32 bits times x^64 mod P onto the rest.
  x = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x, low32), _mm_cvtsi64_si128(kReduce64), 0x00),
                    _mm_srli_si128(x, 4));
  // Barrett: the quotient by P from its reciprocal, then the remainder.
  const __m128i barrett = _mm_set_epi64x(static_cast<long long>(kBarrettMu), static_cast<long long>(kBarrettP));
  __m128i q = _mm_and_si128(_mm_clmulepi64_si128(_mm_and_si128(x, low32), barrett, 0x10), low32);
  q = _mm_clmulepi64_si128(q, barrett, 0x00);
  const uint32_t crc = ~static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(_mm_xor_si128(q, x), 4)));
  return n == 0 ? crc : Crc32Zlib(crc, p, n);
}

// n >= 64. Folds four lanes, 64 bytes a step, then into one lane.
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
  return Finish(x3, p, n);
}

// The same with 256-bit carry-less multiplies (VPCLMULQDQ): eight lanes of 16
// bytes in four registers, 128 bytes a step. n >= 128.
__attribute__((target("avx2,vpclmulqdq,pclmul"))) inline __m256i Fold256(__m256i x, __m256i k, __m256i next) {
  const __m256i lo = _mm256_clmulepi64_epi128(x, k, 0x00);
  const __m256i hi = _mm256_clmulepi64_epi128(x, k, 0x11);
  return _mm256_xor_si256(_mm256_xor_si256(lo, hi), next);
}

__attribute__((target("avx2,vpclmulqdq,pclmul"))) inline __m256i Load256(const unsigned char* q) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
}

// A folding constant pair in both 128-bit halves.
__attribute__((target("avx2,vpclmulqdq,pclmul"))) inline __m256i Both(uint64_t lo, uint64_t hi) {
  return _mm256_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo), static_cast<long long>(hi),
                           static_cast<long long>(lo));
}

__attribute__((target("avx2,vpclmulqdq,pclmul"))) uint32_t FoldCrcWide(uint32_t crc, const unsigned char* p,
                                                                        size_t n) {
  __m256i x0 = _mm256_xor_si256(Load256(p), _mm256_set_epi64x(0, 0, 0, static_cast<long long>(~crc & 0xffffffffu)));
  __m256i x1 = Load256(p + 32), x2 = Load256(p + 64), x3 = Load256(p + 96);
  p += 128;
  n -= 128;
  const __m256i k1024 = Both(kFold1024Lo, kFold1024Hi);
  while (n >= 128) {
    x0 = Fold256(x0, k1024, Load256(p));
    x1 = Fold256(x1, k1024, Load256(p + 32));
    x2 = Fold256(x2, k1024, Load256(p + 64));
    x3 = Fold256(x3, k1024, Load256(p + 96));
    p += 128;
    n -= 128;
  }
  // Eight lanes to four (each onto the one 4 lanes on), to two, to one.
  const __m256i k512 = Both(kFold512Lo, kFold512Hi);
  x2 = Fold256(x0, k512, x2);
  x3 = Fold256(x1, k512, x3);
  x3 = Fold256(x2, Both(kFold256Lo, kFold256Hi), x3);
  const __m128i k128 = _mm_set_epi64x(static_cast<long long>(kFold128Hi), static_cast<long long>(kFold128Lo));
  return Finish(Fold(_mm256_castsi256_si128(x3), k128, _mm256_extracti128_si256(x3, 1)), p, n);
}

bool HasWide() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("vpclmulqdq");
  return has;
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
  if (n >= 256 && HasWide()) return FoldCrcWide(crc, static_cast<const unsigned char*>(data), n);
  return FoldCrc(crc, static_cast<const unsigned char*>(data), n);
}
#else
bool Crc32Folds() { return false; }
uint32_t Crc32(uint32_t crc, const void* data, size_t n) { return Crc32Zlib(crc, data, n); }
#endif

}  // namespace tfnpy
