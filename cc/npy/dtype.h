// The element types a .npy file can hold that tensors can represent: one
// table of their facts, and numpy's ways of spelling them.
#ifndef TFNPY_CC_NPY_DTYPE_H_
#define TFNPY_CC_NPY_DTYPE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace tfnpy {

// Every fact about a dtype, written once. Everything else (the DType enum,
// item sizes, descr strings, the TensorFlow op's type list and type mapping,
// Python's list of supported dtypes) is derived from this table; tests check
// their own tables against it. Columns:
//   enum, numpy name, kind letter, item size, byte-swap unit,
//   struct-style type character, numpy type number, TensorFlow DataType
#define TFNPY_DTYPE_TABLE(X)                                      \
  X(kBool, "bool", 'b', 1, 1, '?', 0, DT_BOOL)                    \
  X(kInt8, "int8", 'i', 1, 1, 'b', 1, DT_INT8)                    \
  X(kInt16, "int16", 'i', 2, 2, 'h', 3, DT_INT16)                 \
  X(kInt32, "int32", 'i', 4, 4, 'i', 5, DT_INT32)                 \
  X(kInt64, "int64", 'i', 8, 8, 'l', 7, DT_INT64)                 \
  X(kUInt8, "uint8", 'u', 1, 1, 'B', 2, DT_UINT8)                 \
  X(kUInt16, "uint16", 'u', 2, 2, 'H', 4, DT_UINT16)              \
  X(kUInt32, "uint32", 'u', 4, 4, 'I', 6, DT_UINT32)              \
  X(kUInt64, "uint64", 'u', 8, 8, 'L', 8, DT_UINT64)              \
  X(kFloat16, "float16", 'f', 2, 2, 'e', 23, DT_HALF)             \
  X(kFloat32, "float32", 'f', 4, 4, 'f', 11, DT_FLOAT)            \
  X(kFloat64, "float64", 'f', 8, 8, 'd', 12, DT_DOUBLE)           \
  X(kComplex64, "complex64", 'c', 8, 4, 'F', 14, DT_COMPLEX64)    \
  X(kComplex128, "complex128", 'c', 16, 8, 'D', 15, DT_COMPLEX128)

enum class DType : uint8_t {
#define TFNPY_DTYPE_ENUM(e, ...) e,
  TFNPY_DTYPE_TABLE(TFNPY_DTYPE_ENUM)
#undef TFNPY_DTYPE_ENUM
};
#define TFNPY_DTYPE_COUNT(...) +1
constexpr int kNumDTypes = 0 TFNPY_DTYPE_TABLE(TFNPY_DTYPE_COUNT);
#undef TFNPY_DTYPE_COUNT

struct DTypeInfo {
  DType dtype;
  const char* name;   // numpy's name: "float64".
  char kind;          // numpy's kind letter: 'f'.
  uint8_t size;       // Bytes per element (complex64: 8).
  uint8_t swap_unit;  // Bytes reversed by a byte swap (complex: each half).
  char code;          // Type character: 'd'.
  uint8_t number;     // numpy type number (NPY_DOUBLE = 12).
};

// The table as data, in enum order.
const DTypeInfo& Info(DType dtype);
inline size_t ItemSize(DType dtype) { return Info(dtype).size; }
inline const char* DTypeName(DType dtype) { return Info(dtype).name; }
// The little-endian descr of the type: "<f8", "|b1" (one-byte types: '|').
std::string DTypeDescr(DType dtype);

inline bool HostIsLittleEndian() {
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
  return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
#else
  const uint16_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
#endif
}

enum class DescrResult { kOk, kInvalid, kUnsupported };

// Reads a numpy descr string as np.dtype(str) would: "<f8", "f8", "=f8",
// "d", "float64", "\x0c" (a type number)... Sets *dtype and *swap (the data's
// byte order differs from this machine's) on kOk; kUnsupported for valid
// numpy types tensors cannot hold (object, str, void, long double...).
DescrResult ParseDescr(const char* s, size_t n, DType* dtype, bool* swap);

}  // namespace tfnpy

#endif  // TFNPY_CC_NPY_DTYPE_H_
