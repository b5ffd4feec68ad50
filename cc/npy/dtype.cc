// The dtype table as data, and numpy's spellings of the dtypes (descr
// strings, names, type characters and type numbers), LP64 Linux meanings.
#include "npy/dtype.h"

namespace tfnpy {
namespace {

constexpr DTypeInfo kTable[kNumDTypes] = {
#define TFNPY_DTYPE_INFO(e, name, kind, size, unit, code, number, tf) \
  {DType::e, name, kind, size, unit, code, number},
    TFNPY_DTYPE_TABLE(TFNPY_DTYPE_INFO)
#undef TFNPY_DTYPE_INFO
};

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
// Names numpy accepts that have no tensor type.
constexpr const char* kUnsupportedNames[] = {
    "object", "str", "bytes", "void", "longdouble", "clongdouble",
    "datetime64", "timedelta64", "bytes_", "str_", "object_", "void_",
    "float128", "complex256",
};

bool Equals(const char* name, const char* s, size_t n) {
  return std::strlen(name) == n && std::memcmp(name, s, n) == 0;
}

// A type character or number: '?', 'd', '\x0c'.
bool CodeToDType(char c, DType* d) {
  for (const DTypeInfo& t : kTable) {
    if (t.code == c || t.number == static_cast<unsigned char>(c)) {
      *d = t.dtype;
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

// Single characters np.dtype accepts for types tensors cannot hold: long
// double, object, bytes, str, void, datetimes, StringDType, and the matching
// type numbers.
bool UnsupportedCode(char c) {
  switch (c) {
    case 'g': case 'G': case 'O': case 'S': case 'a': case 'c': case 'U':
    case 'V': case 'M': case 'm': case 'T':
      return true;
    default: {
      const unsigned char u = static_cast<unsigned char>(c);
      return u == 13 || u == 16 || (u >= 17 && u <= 22);
    }
  }
}

// Kind letter + byte count: "f8", "i4", "b1", "c16".
DescrResult KindSizeToDType(char kind, const char* digits, size_t n,
                            DType* d) {
  if (n == 0 || n > 3) return DescrResult::kInvalid;
  unsigned size = 0;
  for (size_t i = 0; i < n; ++i) {
    if (digits[i] < '0' || digits[i] > '9') return DescrResult::kInvalid;
    size = size * 10 + static_cast<unsigned>(digits[i] - '0');
  }
  for (const DTypeInfo& t : kTable) {
    if (t.kind == kind && t.size == size) {
      *d = t.dtype;
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
    // Strings, unicode, raw bytes, datetimes, objects: valid, not tensors.
    case 'S': case 'U': case 'V': case 'a': case 'M': case 'm': case 'O':
      return DescrResult::kUnsupported;
    default:
      return DescrResult::kInvalid;
  }
}

}  // namespace

const DTypeInfo& Info(DType dtype) { return kTable[static_cast<int>(dtype)]; }

std::string DTypeDescr(DType dtype) {
  const DTypeInfo& t = Info(dtype);
  return std::string(1, t.size == 1 ? '|' : '<') + t.kind +
         std::to_string(t.size);
}

DescrResult ParseDescr(const char* s, size_t n, DType* dtype, bool* swap) {
  if (n == 0) return DescrResult::kInvalid;
  // Names carry no byte-order prefix: "<f8", as numpy writes descrs, skips them.
  const bool prefixed = s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=';
  for (const DTypeInfo& t : kTable) {
    if (prefixed) break;
    if (Equals(t.name, s, n)) {
      *dtype = t.dtype;
      *swap = false;
      return DescrResult::kOk;
    }
  }
  for (const Alias& a : kAliases) {
    if (prefixed) break;
    if (Equals(a.name, s, n)) {
      *dtype = a.dtype;
      *swap = false;
      return DescrResult::kOk;
    }
  }
  for (const char* name : kUnsupportedNames) {
    if (prefixed) break;
    if (Equals(name, s, n)) return DescrResult::kUnsupported;
  }
  char order = '=';
  if (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=') {
    order = s[0];
    ++s;
    --n;
  }
  if (n == 0) return DescrResult::kInvalid;
  DescrResult r;
  if (n == 1 && CodeToDType(s[0], dtype)) {
    r = DescrResult::kOk;
  } else if (n == 1 && UnsupportedCode(s[0])) {
    return DescrResult::kUnsupported;
  } else if (n >= 2 && (s[0] == 'M' || s[0] == 'm') && s[1] == '8') {
    return DescrResult::kUnsupported;  // datetime64/timedelta64 with a unit
  } else {
    r = KindSizeToDType(s[0], s + 1, n - 1, dtype);
  }
  if (r != DescrResult::kOk) return r;
  const bool file_little = order == '<' ||
                           ((order == '=' || order == '|') && HostIsLittleEndian());
  *swap = ItemSize(*dtype) > 1 && file_little != HostIsLittleEndian();
  return DescrResult::kOk;
}

}  // namespace tfnpy
