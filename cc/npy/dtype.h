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
// Python's list of supported dtypes) is derived from these three tables;
// tests check their own tables against them.
//
// Numeric types, each with a descr of its own. Columns:
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

// Flexible types: the descr gives the item size ("S5", "<U3", "V2"), a
// number of characters of `char size` bytes each. Columns:
//   enum, numpy name, kind letter, char size (U: one UCS-4 code unit),
//   byte-swap unit, type character, numpy type number, the tensor type's
//   name (nullptr: no tensor type of its own), TensorFlow DataType
#define TFNPY_FLEXIBLE_DTYPE_TABLE(X)                             \
  X(kBytes, "bytes", 'S', 1, 1, 'S', 18, "string", DT_STRING)     \
  X(kStr, "str", 'U', 4, 4, 'U', 19, "string", DT_STRING)         \
  X(kVoid, "void", 'V', 1, 1, 'V', 20, nullptr, DT_INVALID)

// Tensor types numpy has no descr for: ml_dtypes' types, which np.save
// writes as raw bytes, their dtype.str: '<V2' for bfloat16 (the byte order of
// the machine that wrote it), '<V1' for the float8 types, int4 and uint4 (one
// byte per element). A V<item size> file reads as one of them when the caller
// asks for it. (float8_e5m2 is left out: ml_dtypes gives it the descr '<f1',
// which np.load refuses.) The ops' dtype attrs are plain `type`s, checked by
// the kernels against this table, since an op's type list cannot name
// "float8_e4m3fn" (TensorFlow's op-def parser stops at the '_'). Columns:
//   enum, name (ml_dtypes' and TensorFlow's), item size, byte-swap unit,
//   TensorFlow DataType as its types.proto number (DT_BFLOAT16 = 14,
//   DT_FLOAT8_E4M3FN = 25, ...): TensorFlow 2.16 has no FNUZ float8 types, so
//   a name would not compile there; a number it does not know is left out of
//   the ops' types at run time (tf::DataType_IsValid).
#define TFNPY_VOID_DTYPE_TABLE(X)                          \
  X(kBFloat16, "bfloat16", 2, 2, 14)                       \
  X(kFloat8E4M3FN, "float8_e4m3fn", 1, 1, 25)              \
  X(kFloat8E4M3FNUZ, "float8_e4m3fnuz", 1, 1, 26)          \
  X(kFloat8E4M3B11FNUZ, "float8_e4m3b11fnuz", 1, 1, 27)    \
  X(kFloat8E5M2FNUZ, "float8_e5m2fnuz", 1, 1, 28)          \
  X(kInt4, "int4", 1, 1, 29)                               \
  X(kUInt4, "uint4", 1, 1, 30)

enum class DType : uint8_t {
#define TFNPY_DTYPE_ENUM(e, ...) e,
  TFNPY_DTYPE_TABLE(TFNPY_DTYPE_ENUM)
  TFNPY_FLEXIBLE_DTYPE_TABLE(TFNPY_DTYPE_ENUM)
  TFNPY_VOID_DTYPE_TABLE(TFNPY_DTYPE_ENUM)
#undef TFNPY_DTYPE_ENUM
};
#define TFNPY_DTYPE_COUNT(...) +1
// The numeric types: enum values [0, kNumNumericDTypes).
constexpr int kNumNumericDTypes = 0 TFNPY_DTYPE_TABLE(TFNPY_DTYPE_COUNT);
// Then the flexible ones, then the ml_dtypes ones: all of them.
constexpr int kNumDTypes = kNumNumericDTypes TFNPY_FLEXIBLE_DTYPE_TABLE(TFNPY_DTYPE_COUNT)
    TFNPY_VOID_DTYPE_TABLE(TFNPY_DTYPE_COUNT);
#undef TFNPY_DTYPE_COUNT

struct DTypeInfo {
  DType dtype;
  const char* name;   // numpy's name: "float64" ("bytes", "str", "bfloat16").
  char kind;          // numpy's kind letter: 'f' ('V' for ml_dtypes' types).
  uint8_t size;       // Bytes per element (complex64: 8); 0 for flexible types.
  uint8_t swap_unit;  // Bytes reversed by a byte swap (complex: each half).
  char code;          // Type character: 'd' (0: none).
  uint8_t number;     // numpy type number (NPY_DOUBLE = 12; 0 with no code).
  uint8_t char_size;  // Flexible types: bytes per character; else 0.
  const char* tensor; // The tensor type's name, as tf.as_dtype takes it
                      // ("float64", "string"); nullptr for void.
};

// The tables as data, in enum order.
const DTypeInfo& Info(DType dtype);
// Bytes per element of a fixed-size type (0 for a flexible one: the
// header's itemsize gives it).
inline size_t ItemSize(DType dtype) { return Info(dtype).size; }
inline const char* DTypeName(DType dtype) { return Info(dtype).name; }
inline bool IsFlexible(DType dtype) { return Info(dtype).char_size != 0; }
// S and U arrays: read into string tensors.
inline bool IsString(DType dtype) { return dtype == DType::kBytes || dtype == DType::kStr; }
// ml_dtypes' types, held in files as V<item size>.
inline bool IsVoidStored(DType dtype) {
  return static_cast<int>(dtype) > static_cast<int>(DType::kVoid);
}
// The little-endian descr of the type: "<f8", "|b1" (one-byte types: '|');
// for a flexible type, of `itemsize` bytes: "|S3", "<U5" (itemsize 20), "|V2".
std::string DTypeDescr(DType dtype, uint64_t itemsize = 0);
// The tensor types a file can be read as, each once, in table order:
// the numeric types, string, then ml_dtypes' (their Info(d).tensor names).
int TensorDTypes(DType out[kNumDTypes]);

// numpy's largest item size, INT_MAX bytes: "S2147483647" and "U536870911"
// are the longest flexible types np.dtype accepts.
constexpr uint64_t kMaxItemSize = 2147483647;

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
// "d", "float64", "\x0c" (a type number), "|S3", "<U5", "a5" (numpy's old
// alias of S), "V2", "bytes" (S0)... Sets *dtype, *itemsize (bytes per
// element) and *swap (the data's byte order differs from this machine's) on
// kOk; kUnsupported for valid numpy types tensors cannot hold (object, long
// double, datetimes...). V has no byte order for numpy; its '<' or '>' is
// kept in *swap for an ml_dtypes type read from it ('|' and '=': this
// machine's order, as np.save wrote the bytes).
DescrResult ParseDescr(const char* s, size_t n, DType* dtype, uint64_t* itemsize, bool* swap);

}  // namespace tfnpy

#endif  // TFNPY_CC_NPY_DTYPE_H_
