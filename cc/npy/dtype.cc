// The dtype table as data, and numpy's spellings of the dtypes (descr
// strings, names, type characters and type numbers), LP64 Linux meanings.
#include "npy/dtype.h"

namespace tfnpy {
namespace {

constexpr DTypeInfo kTable[kNumDTypes] = {
#define TFNPY_DTYPE_INFO(e, name, kind, size, unit, code, number, tf) \
  {DType::e, name, kind, size, unit, code, number, 0, name},
    TFNPY_DTYPE_TABLE(TFNPY_DTYPE_INFO)
#undef TFNPY_DTYPE_INFO
#define TFNPY_FLEXIBLE_INFO(e, name, kind, char_size, unit, code, number, tensor, tf) \
  {DType::e, name, kind, 0, unit, code, number, char_size, tensor},
    TFNPY_FLEXIBLE_DTYPE_TABLE(TFNPY_FLEXIBLE_INFO)
#undef TFNPY_FLEXIBLE_INFO
#define TFNPY_VOID_INFO(e, name, size, unit, tf) {DType::e, name, 'V', size, unit, 0, 0, 0, name},
    TFNPY_VOID_DTYPE_TABLE(TFNPY_VOID_INFO)
#undef TFNPY_VOID_INFO
};
static_assert(kTable[kNumNumericDTypes].dtype == DType::kBytes, "enum order is table order");
static_assert(kTable[kNumDTypes - 1].dtype == DType::kUInt4, "enum order is table order");

// The numeric types: the only ones their names, codes and kind+size name.
constexpr const DTypeInfo* kNumericEnd = kTable + kNumNumericDTypes;

// Other names np.dtype accepts for the same types (no byte-order prefix
// allowed). The table's own names are accepted too.
struct Alias {
  const char* name;
  DType dtype;
};
constexpr Alias kAliases[] = {
    {"half", DType::kFloat16},       {"single", DType::kFloat32},
    {"double", DType::kFloat64},     {"float", DType::kFloat64},
    {"int", DType::kInt64},          {"complex", DType::kComplex128},
    {"byte", DType::kInt8},          {"ubyte", DType::kUInt8},
    {"short", DType::kInt16},        {"ushort", DType::kUInt16},
    {"intc", DType::kInt32},         {"uintc", DType::kUInt32},
    {"long", DType::kInt64},         {"ulong", DType::kUInt64},
    {"longlong", DType::kInt64},     {"ulonglong", DType::kUInt64},
    {"intp", DType::kInt64},         {"uintp", DType::kUInt64},
    {"csingle", DType::kComplex64},  {"cdouble", DType::kComplex128},
    {"int_", DType::kInt64},         {"uint", DType::kUInt64},
    {"bool_", DType::kBool},
};
// Other type characters and numbers of the same types: long long and intp
// are int64 here; NPY_LONGLONG/NPY_ULONGLONG are type numbers 9 and 10.
constexpr Alias kCodeAliases[] = {
    {"q", DType::kInt64},  {"p", DType::kInt64},  {"n", DType::kInt64},
    {"Q", DType::kUInt64}, {"P", DType::kUInt64}, {"N", DType::kUInt64},
    {"\x09", DType::kInt64}, {"\x0a", DType::kUInt64},
};
// Names of the flexible types (no size: S0, U0, V0, as np.dtype("bytes")).
constexpr Alias kFlexibleNames[] = {
    {"bytes", DType::kBytes}, {"bytes_", DType::kBytes}, {"str", DType::kStr},
    {"str_", DType::kStr},    {"void", DType::kVoid},    {"void_", DType::kVoid},
};
// Names numpy accepts that have no tensor type.
constexpr const char* kUnsupportedNames[] = {
    "object", "longdouble", "clongdouble", "datetime64", "timedelta64",
    "object_", "float128", "complex256",
};

bool Equals(const char* name, const char* s, size_t n) {
  return std::strlen(name) == n && std::memcmp(name, s, n) == 0;
}

// A type character or number: '?', 'd', '\x0c'.
bool CodeToDType(char c, DType* d) {
  for (const DTypeInfo* t = kTable; t != kNumericEnd; ++t) {
    if (t->code == c || t->number == static_cast<unsigned char>(c)) {
      *d = t->dtype;
      return true;
    }
  }
  for (const Alias& a : kCodeAliases) {
    if (a.name[0] == c) {
      *d = a.dtype;
      return true;
    }
  }
  return false;
}

// A flexible type's letter (numpy's 'a' is S) or type number.
bool FlexibleCode(char c, DType* d) {
  const unsigned char u = static_cast<unsigned char>(c);
  for (const DTypeInfo* t = kNumericEnd; t != kTable + kNumDTypes; ++t) {
    if (t->char_size != 0 && (t->code == c || t->number == u)) {
      *d = t->dtype;
      return true;
    }
  }
  if (c == 'a') {
    *d = DType::kBytes;
    return true;
  }
  return false;
}

// Single characters np.dtype accepts for types tensors cannot hold: long
// double, object, datetimes, StringDType, and the matching type numbers.
bool UnsupportedCode(char c) {
  switch (c) {
    case 'g': case 'G': case 'O': case 'c': case 'M': case 'm': case 'T':
      return true;
    default: {
      const unsigned char u = static_cast<unsigned char>(c);
      return u == 13 || u == 16 || (u >= 17 && u <= 22);
    }
  }
}

// Decimal digits, at most 10 of them (leading zeros allowed, as numpy's).
bool Digits(const char* s, size_t n, uint64_t* value) {
  if (n == 0 || n > 10) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
  }
  *value = v;
  return true;
}

// Kind letter + byte count: "f8", "i4", "b1", "c16"; flexible: letter +
// character count, "S3", "U5", "V2".
DescrResult KindSizeToDType(char kind, const char* digits, size_t n, DType* d,
                            uint64_t* itemsize) {
  DType flexible;
  if (FlexibleCode(kind, &flexible)) {
    uint64_t count = 0;
    if (!Digits(digits, n, &count)) return DescrResult::kInvalid;
    const uint64_t bytes = count * Info(flexible).char_size;
    if (bytes > kMaxItemSize) return DescrResult::kInvalid;  // np.dtype refuses it too.
    *d = flexible;
    *itemsize = bytes;
    return DescrResult::kOk;
  }
  if (n == 0 || n > 3) return DescrResult::kInvalid;
  uint64_t size = 0;
  if (!Digits(digits, n, &size)) return DescrResult::kInvalid;
  for (const DTypeInfo* t = kTable; t != kNumericEnd; ++t) {
    if (t->kind == kind && t->size == size) {
      *d = t->dtype;
      *itemsize = size;
      return DescrResult::kOk;
    }
  }
  switch (kind) {
    case 'f':  // long double
      return size == 12 || size == 16 ? DescrResult::kUnsupported
                                      : DescrResult::kInvalid;
    case 'c':  // complex long double
      return size == 24 || size == 32 ? DescrResult::kUnsupported
                                      : DescrResult::kInvalid;
    // Datetimes, objects: valid, not tensors.
    case 'M': case 'm': case 'O':
      return DescrResult::kUnsupported;
    default:
      return DescrResult::kInvalid;
  }
}

}  // namespace

const DTypeInfo& Info(DType dtype) { return kTable[static_cast<int>(dtype)]; }

std::string DTypeDescr(DType dtype, uint64_t itemsize) {
  const DTypeInfo& t = Info(dtype);
  if (t.char_size != 0) {
    return std::string(1, t.char_size == 1 ? '|' : '<') + t.kind +
           std::to_string(itemsize / t.char_size);
  }
  if (t.kind == 'V') return "|V" + std::to_string(t.size);  // ml_dtypes' types
  return std::string(1, t.size == 1 ? '|' : '<') + t.kind +
         std::to_string(t.size);
}

int TensorDTypes(DType out[kNumDTypes]) {
  int n = 0;
  for (const DTypeInfo& t : kTable) {
    if (t.tensor == nullptr) continue;
    bool seen = false;
    for (int i = 0; i < n; ++i) seen = seen || std::strcmp(Info(out[i]).tensor, t.tensor) == 0;
    if (!seen) out[n++] = t.dtype;
  }
  return n;
}

DescrResult ParseDescr(const char* s, size_t n, DType* dtype, uint64_t* itemsize, bool* swap) {
  if (n == 0) return DescrResult::kInvalid;
  // Names carry no byte-order prefix: "<f8", as numpy writes descrs, skips them.
  const bool prefixed = s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=';
  if (!prefixed) {
    for (const DTypeInfo* t = kTable; t != kNumericEnd; ++t) {
      if (Equals(t->name, s, n)) {
        *dtype = t->dtype;
        *itemsize = t->size;
        *swap = false;
        return DescrResult::kOk;
      }
    }
    for (const Alias& a : kAliases) {
      if (Equals(a.name, s, n)) {
        *dtype = a.dtype;
        *itemsize = ItemSize(a.dtype);
        *swap = false;
        return DescrResult::kOk;
      }
    }
    for (const Alias& a : kFlexibleNames) {
      if (Equals(a.name, s, n)) {
        *dtype = a.dtype;
        *itemsize = 0;
        *swap = false;
        return DescrResult::kOk;
      }
    }
    for (const char* name : kUnsupportedNames) {
      if (Equals(name, s, n)) return DescrResult::kUnsupported;
    }
  }
  char order = '=';
  if (prefixed) {
    order = s[0];
    ++s;
    --n;
  }
  if (n == 0) return DescrResult::kInvalid;
  DescrResult r;
  if (n == 1 && CodeToDType(s[0], dtype)) {
    *itemsize = ItemSize(*dtype);
    r = DescrResult::kOk;
  } else if (n == 1 && FlexibleCode(s[0], dtype)) {
    *itemsize = 0;  // "S", "U", "V": no size, as np.dtype("S") (S0).
    r = DescrResult::kOk;
  } else if (n == 1 && UnsupportedCode(s[0])) {
    return DescrResult::kUnsupported;
  } else if (n >= 2 && (s[0] == 'M' || s[0] == 'm') && s[1] == '8') {
    return DescrResult::kUnsupported;  // datetime64/timedelta64 with a unit
  } else {
    r = KindSizeToDType(s[0], s + 1, n - 1, dtype, itemsize);
  }
  if (r != DescrResult::kOk) return r;
  const bool file_little = order == '<' ||
                           ((order == '=' || order == '|') && HostIsLittleEndian());
  // Bytes have no byte order; U's code units and V's ml_dtypes values do.
  *swap = *dtype != DType::kBytes && *itemsize > 1 && file_little != HostIsLittleEndian();
  return DescrResult::kOk;
}

}  // namespace tfnpy
