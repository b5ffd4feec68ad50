// Data conversion for the .npy format: copy, byte swap, bool normalisation and
// Fortran-to-C transposition into a caller's buffer. See convert.h.
#include "npy/convert.h"

#include <cstring>

#include "npy/text.h"

namespace tfnpy {
namespace {

template <typename T>
T ByteSwap(T v);
template <>
uint16_t ByteSwap(uint16_t v) { return __builtin_bswap16(v); }
template <>
uint32_t ByteSwap(uint32_t v) { return __builtin_bswap32(v); }
template <>
uint64_t ByteSwap(uint64_t v) { return __builtin_bswap64(v); }

// Swaps `count` units of sizeof(T) bytes. Reads each unit before writing the
// same position, so src == dst works.
template <typename T>
inline void SwapUnits(const unsigned char* src, unsigned char* dst,
                      uint64_t count) {
  for (uint64_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));
    v = ByteSwap(v);
    std::memcpy(dst + i * sizeof(T), &v, sizeof(T));
  }
}

// Baseline x86-64 has no byte shuffle, so the swap loops vectorise poorly;
// with GCC on x86-64 Linux we also compile an AVX2 version (vpshufb) and
// the loader picks it on CPUs that have it. Elsewhere: one portable version.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
#define TFNPY_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TFNPY_CLONES
#endif

TFNPY_CLONES void Swap2(const unsigned char* src, unsigned char* dst,
                        uint64_t n) {
  SwapUnits<uint16_t>(src, dst, n);
}
TFNPY_CLONES void Swap4(const unsigned char* src, unsigned char* dst,
                        uint64_t n) {
  SwapUnits<uint32_t>(src, dst, n);
}
TFNPY_CLONES void Swap8(const unsigned char* src, unsigned char* dst,
                        uint64_t n) {
  SwapUnits<uint64_t>(src, dst, n);
}

// Byte-swaps every element; a complex number swaps each half on its own.
void SwapCopy(const Header& h, const unsigned char* src, unsigned char* dst) {
  const size_t unit = Info(h.dtype).swap_unit;
  const uint64_t count = h.num_elements * (h.itemsize / unit);
  switch (unit) {
    case 2: Swap2(src, dst, count); break;
    case 4: Swap4(src, dst, count); break;
    case 8: Swap8(src, dst, count); break;
    default:
      if (src != dst) std::memcpy(dst, src, h.data_bytes);
  }
}

// numpy stores bools as bytes and reads any nonzero byte as True; a C++ bool
// holding anything but 0 or 1 is undefined behaviour, so write exactly 0/1.
void NormaliseBools(const unsigned char* src, unsigned char* dst, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) dst[i] = src[i] != 0;
}

template <size_t N>
struct Elem {
  unsigned char b[N];
};

// Any other item size (S and U arrays): one memcpy of `size` bytes.
struct AnyElem {
  size_t size;
  void Copy(unsigned char* d, int64_t di, const unsigned char* s, int64_t si) const {
    std::memcpy(d + static_cast<uint64_t>(di) * size, s + static_cast<uint64_t>(si) * size, size);
  }
};
template <size_t N>
struct FixedElem {
  void Copy(unsigned char* d, int64_t di, const unsigned char* s, int64_t si) const {
    reinterpret_cast<Elem<N>*>(d)[di] = reinterpret_cast<const Elem<N>*>(s)[si];
  }
};

// Tiles of kTile x kTile elements keep both the strided reads and the
// sequential writes of a transpose in cache.
constexpr int64_t kTile = 16;

// Reverses all axes: the Fortran-order data of logical shape dims[0..n) is the
// C-order data of the reversed shape, and the output is C order of dims.
// Axis 0 has source stride 1; the last axis has destination stride 1. We tile
// over that pair and walk the axes between with an odometer.
template <typename Copier>
void TransposeFToC(const unsigned char* src, unsigned char* dst,
                   const int64_t* dims, int n, Copier e) {
  int64_t fstride[kMaxDims], cstride[kMaxDims], idx[kMaxDims];
  fstride[0] = 1;
  for (int k = 1; k < n; ++k) fstride[k] = fstride[k - 1] * dims[k - 1];
  cstride[n - 1] = 1;
  for (int k = n - 2; k >= 0; --k) cstride[k] = cstride[k + 1] * dims[k + 1];
  for (int k = 0; k < n; ++k) idx[k] = 0;
  const int64_t rows = dims[0], cols = dims[n - 1];
  const int64_t src_col = fstride[n - 1], dst_row = cstride[0];
  while (true) {
    int64_t sbase = 0, dbase = 0;
    for (int k = 1; k < n - 1; ++k) {
      sbase += idx[k] * fstride[k];
      dbase += idx[k] * cstride[k];
    }
    for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
      const int64_t r1 = r0 + kTile < rows ? r0 + kTile : rows;
      for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
        const int64_t c1 = c0 + kTile < cols ? c0 + kTile : cols;
        for (int64_t r = r0; r < r1; ++r) {
          const int64_t out = dbase + r * dst_row;
          const int64_t in = sbase + r;
          for (int64_t c = c0; c < c1; ++c) e.Copy(dst, out + c, src, in + c * src_col);
        }
      }
    }
    // Next index of the middle axes 1..n-2 (none when n == 2).
    int k = n - 2;
    for (; k >= 1; --k) {
      if (++idx[k] < dims[k]) break;
      idx[k] = 0;
    }
    if (k < 1) return;
  }
}

void Transpose(const Header& h, const unsigned char* src, unsigned char* dst) {
  // Axes of length 1 do not change the layout; drop them.
  int64_t dims[kMaxDims];
  int n = 0;
  for (int k = 0; k < h.ndims; ++k) {
    if (h.dims[k] != 1) dims[n++] = h.dims[k];
  }
  if (n <= 1) {
    std::memcpy(dst, src, h.data_bytes);
    return;
  }
  switch (h.itemsize) {
    case 1: TransposeFToC(src, dst, dims, n, FixedElem<1>()); break;
    case 2: TransposeFToC(src, dst, dims, n, FixedElem<2>()); break;
    case 4: TransposeFToC(src, dst, dims, n, FixedElem<4>()); break;
    case 8: TransposeFToC(src, dst, dims, n, FixedElem<8>()); break;
    case 16: TransposeFToC(src, dst, dims, n, FixedElem<16>()); break;
    default: TransposeFToC(src, dst, dims, n, AnyElem{static_cast<size_t>(h.itemsize)}); break;
  }
}

}  // namespace

bool CanDecodeInPlace(const Header& h) {
  if (!h.fortran_order || h.num_elements == 0) return true;
  int long_axes = 0;
  for (int k = 0; k < h.ndims; ++k) long_axes += h.dims[k] > 1;
  return long_axes <= 1;
}

Status DecodeData(const Header& header, const void* src, size_t src_size,
                  void* dst, size_t dst_size) {
  if (dst_size != header.data_bytes) {
    return Status(Code::kBadArgument,
                  "output buffer is " + std::to_string(dst_size) +
                      " bytes, the array needs " +
                      std::to_string(header.data_bytes));
  }
  if (src_size < header.data_bytes) {
    return Status(Code::kDataTruncated,
                  "data truncated: shape " +
                      ShapeString(header.dims, header.ndims) + " of " +
                      DescribeDtype(header) + " needs " +
                      std::to_string(header.data_bytes) + " bytes, input has " +
                      std::to_string(src_size));
  }
  if (header.data_bytes == 0) return Status::Ok();
  const unsigned char* in = static_cast<const unsigned char*>(src);
  unsigned char* out = static_cast<unsigned char*>(dst);
  const bool is_bool = header.dtype == DType::kBool;
  if (!CanDecodeInPlace(header)) {
    if (src == dst) {
      return Status(Code::kBadArgument,
                    "cannot reorder Fortran-order data in place");
    }
    Transpose(header, in, out);
    in = out;  // Fix up byte order and bools in place.
  }
  if (header.swap) {
    SwapCopy(header, in, out);
  } else if (is_bool) {
    NormaliseBools(in, out, header.num_elements);
  } else if (in != out) {
    std::memcpy(out, in, header.data_bytes);
  }
  return Status::Ok();
}

}  // namespace tfnpy
