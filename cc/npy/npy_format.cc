// Header parsing and validation for the .npy format. See npy_format.h.
//
// The header is a Python dict literal, which numpy reads with
// ast.literal_eval. We accept the part of Python's literal syntax that a
// valid header can use (strings with any quotes/prefixes/escapes and implicit
// concatenation, ints in any base with underscores and an optional sign,
// True/False, tuples, lists, nested parentheses, comments) and nothing is
// evaluated. The parser allocates nothing on the success path and recurses at
// most kMaxNesting levels, so hostile headers cost bounded time and stack.
#include "npy/npy_format.h"

#include <cstring>

namespace tfnpy {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
constexpr int kMaxNesting = 32;
// Characters of header text quoted in an error message.
constexpr size_t kQuoteLimit = 120;

bool HostIsLittleEndian() {
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
  return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
#else
  const uint16_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
#endif
}

// Printable, escaped, length-capped rendering of untrusted bytes.
std::string Quote(const char* p, size_t n) {
  std::string out;
  const size_t limit = n < kQuoteLimit ? n : kQuoteLimit;
  for (size_t i = 0; i < limit; ++i) {
    const unsigned char c = static_cast<unsigned char>(p[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (limit < n) out += "...";
  return out;
}

// Overflow-checked a * b for values that must stay within int64.
bool MulInt64(uint64_t a, uint64_t b, uint64_t* out) {
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  if (a != 0 && b > kMax / a) return false;
  *out = a * b;
  return true;
}

struct DTypeInfo {
  DType dtype;
  const char* name;
  const char* descr;
  uint8_t size;
};

constexpr DTypeInfo kDTypes[kNumDTypes] = {
    {DType::kBool, "bool", "|b1", 1},
    {DType::kInt8, "int8", "|i1", 1},
    {DType::kInt16, "int16", "<i2", 2},
    {DType::kInt32, "int32", "<i4", 4},
    {DType::kInt64, "int64", "<i8", 8},
    {DType::kUInt8, "uint8", "|u1", 1},
    {DType::kUInt16, "uint16", "<u2", 2},
    {DType::kUInt32, "uint32", "<u4", 4},
    {DType::kUInt64, "uint64", "<u8", 8},
    {DType::kFloat16, "float16", "<f2", 2},
    {DType::kFloat32, "float32", "<f4", 4},
    {DType::kFloat64, "float64", "<f8", 8},
    {DType::kComplex64, "complex64", "<c8", 8},
    {DType::kComplex128, "complex128", "<c16", 16},
};

const DTypeInfo& Info(DType d) { return kDTypes[static_cast<int>(d)]; }

// ----------------------------------------------------------------------------
// descr strings, as np.dtype(str) reads them.

enum class DescrResult { kOk, kInvalid, kUnsupported };

// numpy's type names (no byte-order prefix allowed), LP64 Linux meanings.
struct NamedType {
  const char* name;
  DType dtype;
};
constexpr NamedType kNames[] = {
    {"bool", DType::kBool},          {"int8", DType::kInt8},
    {"int16", DType::kInt16},        {"int32", DType::kInt32},
    {"int64", DType::kInt64},        {"uint8", DType::kUInt8},
    {"uint16", DType::kUInt16},      {"uint32", DType::kUInt32},
    {"uint64", DType::kUInt64},      {"float16", DType::kFloat16},
    {"float32", DType::kFloat32},    {"float64", DType::kFloat64},
    {"complex64", DType::kComplex64}, {"complex128", DType::kComplex128},
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
// Names numpy accepts that have no tensor type.
constexpr const char* kUnsupportedNames[] = {
    "object", "str", "bytes", "void", "longdouble", "clongdouble",
    "datetime64", "timedelta64", "bytes_", "str_", "object_", "void_",
    "float128", "complex256",
};

// Single-character type codes (struct-module style), LP64 Linux.
bool CodeToDType(char c, DType* d) {
  switch (c) {
    case '?': *d = DType::kBool; return true;
    case 'b': *d = DType::kInt8; return true;
    case 'B': *d = DType::kUInt8; return true;
    case 'h': *d = DType::kInt16; return true;
    case 'H': *d = DType::kUInt16; return true;
    case 'i': *d = DType::kInt32; return true;
    case 'I': *d = DType::kUInt32; return true;
    case 'l': case 'q': case 'p': *d = DType::kInt64; return true;
    case 'L': case 'Q': case 'P': *d = DType::kUInt64; return true;
    case 'e': *d = DType::kFloat16; return true;
    case 'f': *d = DType::kFloat32; return true;
    case 'd': *d = DType::kFloat64; return true;
    case 'F': *d = DType::kComplex64; return true;
    case 'D': *d = DType::kComplex128; return true;
    case 'n': *d = DType::kInt64; return true;
    case 'N': *d = DType::kUInt64; return true;
    default: break;
  }
  // np.dtype also takes numpy's type numbers (the NPY_TYPES enum) as
  // characters '\x00'..'\x17'; the ones with a tensor type are these.
  switch (static_cast<unsigned char>(c)) {
    case 0: *d = DType::kBool; return true;
    case 1: *d = DType::kInt8; return true;
    case 2: *d = DType::kUInt8; return true;
    case 3: *d = DType::kInt16; return true;
    case 4: *d = DType::kUInt16; return true;
    case 5: *d = DType::kInt32; return true;
    case 6: *d = DType::kUInt32; return true;
    case 7: case 9: *d = DType::kInt64; return true;
    case 8: case 10: *d = DType::kUInt64; return true;
    case 11: *d = DType::kFloat32; return true;
    case 12: *d = DType::kFloat64; return true;
    case 14: *d = DType::kComplex64; return true;
    case 15: *d = DType::kComplex128; return true;
    case 23: *d = DType::kFloat16; return true;
    default: return false;
  }
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
  switch (kind) {
    case 'b':
      if (size == 1) { *d = DType::kBool; return DescrResult::kOk; }
      return DescrResult::kInvalid;
    case 'i':
    case 'u': {
      const bool u = kind == 'u';
      switch (size) {
        case 1: *d = u ? DType::kUInt8 : DType::kInt8; return DescrResult::kOk;
        case 2: *d = u ? DType::kUInt16 : DType::kInt16; return DescrResult::kOk;
        case 4: *d = u ? DType::kUInt32 : DType::kInt32; return DescrResult::kOk;
        case 8: *d = u ? DType::kUInt64 : DType::kInt64; return DescrResult::kOk;
        default: return DescrResult::kInvalid;
      }
    }
    case 'f':
      switch (size) {
        case 2: *d = DType::kFloat16; return DescrResult::kOk;
        case 4: *d = DType::kFloat32; return DescrResult::kOk;
        case 8: *d = DType::kFloat64; return DescrResult::kOk;
        case 12: case 16: return DescrResult::kUnsupported;  // long double
        default: return DescrResult::kInvalid;
      }
    case 'c':
      switch (size) {
        case 8: *d = DType::kComplex64; return DescrResult::kOk;
        case 16: *d = DType::kComplex128; return DescrResult::kOk;
        case 24: case 32: return DescrResult::kUnsupported;
        default: return DescrResult::kInvalid;
      }
    // Strings, unicode, raw bytes, datetimes, objects: valid, not tensors.
    case 'S': case 'U': case 'V': case 'a': case 'M': case 'm': case 'O':
      return DescrResult::kUnsupported;
    default:
      return DescrResult::kInvalid;
  }
}

// Reads a numpy descr string; sets *dtype and *swap on success.
DescrResult ParseDescr(const char* s, size_t n, DType* dtype, bool* swap) {
  if (n == 0) return DescrResult::kInvalid;
  for (const NamedType& t : kNames) {
    if (std::strlen(t.name) == n && std::memcmp(t.name, s, n) == 0) {
      *dtype = t.dtype;
      *swap = false;
      return DescrResult::kOk;
    }
  }
  for (const char* name : kUnsupportedNames) {
    if (std::strlen(name) == n && std::memcmp(name, s, n) == 0) {
      return DescrResult::kUnsupported;
    }
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

// ----------------------------------------------------------------------------
// The dict literal.

enum class Kind { kString, kInt, kBool, kTuple, kOther };

struct Value {
  Kind kind = Kind::kOther;
  const char* begin = nullptr;  // Source text of the value, for messages.
  const char* end = nullptr;
  // kString: decoded text (truncated to the buffer); `bytes` if b'...'.
  char text[32] = {};
  size_t text_len = 0;
  bool text_truncated = false;
  bool bytes = false;
  // kInt / kBool: the value, and whether it fits in int64.
  int64_t number = 0;
  bool number_overflow = false;
  // kTuple: how many elements.
  int count = 0;
};

// Where a tuple's integer elements go (the shape).
struct DimSink {
  int64_t* dims;
  int capacity;
  int n = 0;
  bool non_int = false;   // An element is not an int.
  bool overflow = false;  // An element does not fit in int64.
};

class Parser {
 public:
  Parser(const char* begin, const char* end, bool allow_long_suffix)
      : begin_(begin), p_(begin), end_(end), allow_long_(allow_long_suffix) {}

  Status Error(const char* what) const {
    return Status(Code::kHeaderSyntax,
                  std::string("header is not a dict literal: ") + what +
                      " at offset " + std::to_string(p_ - begin_) + " in '" +
                      Quote(begin_, static_cast<size_t>(end_ - begin_)) + "'");
  }

  void SkipSpace() {
    while (p_ < end_) {
      const char c = *p_;
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        ++p_;
      } else if (c == '#') {
        while (p_ < end_ && *p_ != '\n') ++p_;
      } else if (c == '\\' && p_ + 1 < end_ && p_[1] == '\n') {
        p_ += 2;  // Explicit line continuation.
      } else {
        return;
      }
    }
  }

  bool AtEnd() {
    SkipSpace();
    return p_ == end_;
  }

  bool Consume(char c) {
    SkipSpace();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }

  Status ParseValue(Value* v, DimSink* sink, int depth);

 private:
  static bool IsIdent(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
  }
  bool StartsString() const;
  Status ParseString(Value* v);
  Status ParseOneString(Value* v, bool* is_bytes);
  template <typename Put>
  Status Escape(char e, Put put);
  Status ParseNumber(Value* v);
  Status ParseSequence(char close, Value* v, DimSink* sink, int depth);
  Status ParseDict(Value* v, int depth);

  const char* begin_;
  const char* p_;
  const char* end_;
  bool allow_long_;
};

bool Parser::StartsString() const {
  // Python 3 string prefixes: u, r, b, br, rb in any case (f-strings are not
  // literals).
  char prefix[2] = {0, 0};
  int n = 0;
  const char* q = p_;
  for (; q < end_ && n < 2; ++q, ++n) {
    const char c = static_cast<char>(*q | 0x20);  // ASCII lower case
    if (*q == '\'' || *q == '"') break;
    if (c != 'u' && c != 'r' && c != 'b') return false;
    prefix[n] = c;
  }
  if (q >= end_ || (*q != '\'' && *q != '"')) return false;
  if (n == 2) {
    return (prefix[0] == 'b' && prefix[1] == 'r') ||
           (prefix[0] == 'r' && prefix[1] == 'b');
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Python's escapes after a backslash (p_ is past `e`). Code points beyond
// ASCII are written as UTF-8; they never match a key or dtype anyway.
template <typename Put>
Status Parser::Escape(char e, Put put) {
  auto put_code_point = [&put](uint32_t cp) {
    if (cp < 0x80) {
      put(static_cast<char>(cp));
    } else if (cp < 0x800) {
      put(static_cast<char>(0xc0 | (cp >> 6)));
      put(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      put(static_cast<char>(0xe0 | (cp >> 12)));
      put(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      put(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      put(static_cast<char>(0xf0 | (cp >> 18)));
      put(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      put(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      put(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  };
  auto hex = [this](int digits, uint32_t* out) {
    uint32_t v = 0;
    for (int i = 0; i < digits; ++i) {
      if (p_ >= end_ || HexValue(*p_) < 0) return false;
      v = v * 16 + static_cast<uint32_t>(HexValue(*p_++));
    }
    *out = v;
    return true;
  };
  uint32_t cp = 0;
  switch (e) {
    case '\n': return Status::Ok();
    case 'n': put('\n'); return Status::Ok();
    case 't': put('\t'); return Status::Ok();
    case 'r': put('\r'); return Status::Ok();
    case 'a': put('\a'); return Status::Ok();
    case 'b': put('\b'); return Status::Ok();
    case 'f': put('\f'); return Status::Ok();
    case 'v': put('\v'); return Status::Ok();
    case '\\': case '\'': case '"': put(e); return Status::Ok();
    case 'x':
      if (!hex(2, &cp)) return Error("truncated \\x escape");
      put_code_point(cp);
      return Status::Ok();
    case 'u': case 'U':
      if (!hex(e == 'u' ? 4 : 8, &cp) || cp > 0x10ffff) {
        return Error("bad unicode escape");
      }
      put_code_point(cp);
      return Status::Ok();
    default:
      break;
  }
  if (e >= '0' && e <= '7') {
    cp = static_cast<uint32_t>(e - '0');
    for (int i = 0; i < 2 && p_ < end_ && *p_ >= '0' && *p_ <= '7'; ++i) {
      cp = cp * 8 + static_cast<uint32_t>(*p_++ - '0');
    }
    put_code_point(cp);
    return Status::Ok();
  }
  // Unknown escapes stay as written, as in Python.
  put('\\');
  put(e);
  return Status::Ok();
}

Status Parser::ParseOneString(Value* v, bool* is_bytes) {
  bool raw = false;
  *is_bytes = false;
  while (p_ < end_ && *p_ != '\'' && *p_ != '"') {
    const char c = *p_++;
    if (c == 'r' || c == 'R') raw = true;
    if (c == 'b' || c == 'B') *is_bytes = true;
  }
  if (p_ >= end_) return Error("unterminated string");
  const char quote = *p_;
  const bool triple = end_ - p_ >= 3 && p_[1] == quote && p_[2] == quote;
  p_ += triple ? 3 : 1;
  auto put = [v](char c) {
    if (v->text_len < sizeof(v->text)) {
      v->text[v->text_len++] = c;
    } else {
      v->text_truncated = true;
    }
  };
  while (true) {
    if (p_ >= end_) return Error("unterminated string");
    const char c = *p_;
    if (c == quote) {
      if (!triple) {
        ++p_;
        return Status::Ok();
      }
      if (end_ - p_ >= 3 && p_[1] == quote && p_[2] == quote) {
        p_ += 3;
        return Status::Ok();
      }
    }
    if (c == '\n' && !triple) return Error("newline inside a string");
    if (c == '\\' && p_ + 1 < end_) {
      const char e = p_[1];
      p_ += 2;
      if (raw) {
        put('\\');
        put(e);
        continue;
      }
      Status es = Escape(e, put);
      if (!es.ok()) return es;
      continue;
    }
    put(c);
    ++p_;
  }
}

Status Parser::ParseString(Value* v) {
  v->kind = Kind::kString;
  bool first = true;
  // Adjacent literals concatenate, as in Python ('<' 'f8' == '<f8').
  do {
    bool is_bytes;
    Status s = ParseOneString(v, &is_bytes);
    if (!s.ok()) return s;
    if (!first && is_bytes != v->bytes) {
      return Error("cannot mix bytes and str literals");
    }
    v->bytes = is_bytes;
    first = false;
    SkipSpace();
  } while (p_ < end_ && StartsString());
  return Status::Ok();
}

Status Parser::ParseNumber(Value* v) {
  v->kind = Kind::kInt;
  bool negative = false;
  if (*p_ == '+' || *p_ == '-') {
    negative = *p_ == '-';
    ++p_;
    SkipSpace();
  }
  if (p_ >= end_ || *p_ < '0' || *p_ > '9') return Error("expected a number");
  unsigned base = 10;
  if (*p_ == '0' && p_ + 1 < end_) {
    const char x = p_[1];
    if (x == 'x' || x == 'X') base = 16;
    if (x == 'o' || x == 'O') base = 8;
    if (x == 'b' || x == 'B') base = 2;
    if (base != 10) p_ += 2;
  }
  const char* digits = p_;
  uint64_t value = 0;
  bool overflow = false;
  bool leading_zero = base == 10 && *p_ == '0';
  bool nonzero = false;
  bool last_underscore = base != 10;  // "0x_1" is valid, "1__0" is not.
  int ndigits = 0;
  for (; p_ < end_; ++p_) {
    const char c = *p_;
    if (c == '_') {
      if (last_underscore && p_ != digits) return Error("bad underscore in number");
      last_underscore = true;
      continue;
    }
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<unsigned>(c - 'A' + 10);
    } else {
      break;
    }
    if (d >= base) break;
    last_underscore = false;
    ++ndigits;
    if (d != 0) nonzero = true;
    if (value > (UINT64_MAX - d) / base) overflow = true;
    value = value * base + d;
  }
  if (ndigits == 0 || last_underscore) return Error("malformed number");
  if (leading_zero && nonzero) return Error("leading zeros in a decimal number");
  if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E' || *p_ == 'j' ||
                    *p_ == 'J')) {
    // A float or complex literal: valid Python, but never an int.
    while (p_ < end_ && (IsIdent(*p_) || *p_ == '.' || *p_ == '+' ||
                         *p_ == '-')) {
      ++p_;
    }
    v->kind = Kind::kOther;
    return Status::Ok();
  }
  if (p_ < end_ && IsIdent(*p_)) {
    // Python 2 wrote longs as 10L; numpy strips that suffix for v1/v2 only.
    if (*p_ == 'L' && allow_long_ && (p_ + 1 >= end_ || !IsIdent(p_[1]))) {
      ++p_;
    } else {
      return Error("malformed number");
    }
  }
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  if (overflow || value > kMax + (negative ? 1 : 0)) {
    v->number_overflow = true;
  } else if (negative) {
    v->number = value == kMax + 1 ? INT64_MIN : -static_cast<int64_t>(value);
  } else {
    v->number = static_cast<int64_t>(value);
  }
  return Status::Ok();
}

Status Parser::ParseSequence(char close, Value* v, DimSink* sink, int depth) {
  // p_ is just past the opening bracket.
  bool comma = false;
  int count = 0;
  Value first;
  int64_t inner_dims[kMaxDims];
  DimSink inner{inner_dims, kMaxDims};
  while (true) {
    if (Consume(close)) break;
    if (count > 0 && !comma) return Error("expected ',' between elements");
    Value elem;
    // "((3, 4))" is the tuple (3, 4): collect the first element's own ints
    // in case the parentheses turn out to be grouping, not a tuple.
    DimSink* elem_sink = nullptr;
    if (count == 0 && sink != nullptr && close == ')') {
      inner = DimSink{inner_dims, kMaxDims};
      elem_sink = &inner;
    }
    Status s = ParseValue(&elem, elem_sink, depth + 1);
    if (!s.ok()) return s;
    if (count == 0) first = elem;
    if (sink != nullptr) {
      // numpy's header check lets bools through (isinstance(True, int)),
      // but building the array then fails: refuse them here.
      if (elem.kind != Kind::kInt) {
        sink->non_int = true;
      } else if (elem.number_overflow) {
        sink->overflow = true;
      } else if (sink->n < sink->capacity) {
        sink->dims[sink->n] = elem.number;
      }
      ++sink->n;  // Counts past capacity so the caller can report it.
    }
    ++count;
    comma = Consume(',');
    if (!comma) {
      SkipSpace();
      if (p_ >= end_ || *p_ != close) {
        return Error(p_ >= end_ ? "unterminated sequence"
                                : "expected ',' or a closing bracket");
      }
    }
  }
  if (close == ')' && count == 1 && !comma) {
    // "(x)" is x in parentheses, not a tuple.
    const char* b = v->begin;
    *v = first;
    v->begin = b;
    if (sink != nullptr) {
      if (first.kind == Kind::kTuple) {
        const int n = inner.n < sink->capacity ? inner.n : sink->capacity;
        std::memcpy(sink->dims, inner.dims, sizeof(int64_t) * n);
        sink->n = inner.n;
        sink->non_int = inner.non_int;
        sink->overflow = inner.overflow;
      } else {
        sink->n = 0;
        sink->non_int = true;  // Not a tuple at all.
      }
    }
    return Status::Ok();
  }
  v->kind = close == ')' ? Kind::kTuple : Kind::kOther;
  v->count = count;
  return Status::Ok();
}

Status Parser::ParseDict(Value* v, int depth) {
  // A nested dict (only ever skipped: it is never a valid value here).
  bool comma = true;
  while (!Consume('}')) {
    if (!comma) return Error("expected ',' or '}'");
    Value key, value;
    Status s = ParseValue(&key, nullptr, depth + 1);
    if (!s.ok()) return s;
    if (!Consume(':')) return Error("expected ':' after a key");
    s = ParseValue(&value, nullptr, depth + 1);
    if (!s.ok()) return s;
    comma = Consume(',');
  }
  v->kind = Kind::kOther;
  return Status::Ok();
}

Status Parser::ParseValue(Value* v, DimSink* sink, int depth) {
  if (depth > kMaxNesting) return Error("nesting too deep");
  SkipSpace();
  if (p_ >= end_) return Error("unexpected end of header");
  v->begin = p_;
  Status s;
  const char c = *p_;
  if (StartsString()) {
    s = ParseString(v);
  } else if ((c >= '0' && c <= '9') || c == '-' || c == '+') {
    s = ParseNumber(v);
  } else if (c == '(' || c == '[') {
    ++p_;
    s = ParseSequence(c == '(' ? ')' : ']', v, sink, depth);
  } else if (c == '{') {
    ++p_;
    s = ParseDict(v, depth);
  } else if (IsIdent(c)) {
    const char* w = p_;
    while (p_ < end_ && IsIdent(*p_)) ++p_;
    const size_t n = static_cast<size_t>(p_ - w);
    if (n == 4 && std::memcmp(w, "True", 4) == 0) {
      v->kind = Kind::kBool;
      v->number = 1;
    } else if (n == 5 && std::memcmp(w, "False", 5) == 0) {
      v->kind = Kind::kBool;
      v->number = 0;
    } else if (n == 4 && std::memcmp(w, "None", 4) == 0) {
      v->kind = Kind::kOther;
    } else {
      return Error("unexpected name (literal_eval allows only literals)");
    }
  } else {
    return Error("unexpected character");
  }
  if (!s.ok()) return s;
  if (sink != nullptr && v->kind != Kind::kTuple) sink->non_int = true;
  v->end = p_;
  return Status::Ok();
}

bool ValidUtf8(const unsigned char* s, size_t n, size_t* bad_at,
               uint64_t* code_points) {
  uint64_t cps = 0;
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      *bad_at = i;
      return false;
    }
    if (n - i < len) {
      *bad_at = i;
      return false;
    }
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) {
        *bad_at = i;
        return false;
      }
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    const bool overlong = (len == 2 && cp < 0x80) ||
                          (len == 3 && cp < 0x800) ||
                          (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      *bad_at = i;
      return false;
    }
    i += len;
    ++cps;
  }
  *code_points = cps;
  return true;
}

std::string ValueText(const Value& v) {
  return Quote(v.begin, static_cast<size_t>(v.end - v.begin));
}

}  // namespace

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kTruncated: return "truncated";
    case Code::kBadMagic: return "bad_magic";
    case Code::kBadVersion: return "bad_version";
    case Code::kHeaderTooLarge: return "header_too_large";
    case Code::kHeaderTruncated: return "header_truncated";
    case Code::kHeaderEncoding: return "header_encoding";
    case Code::kHeaderSyntax: return "header_syntax";
    case Code::kHeaderKeys: return "header_keys";
    case Code::kBadDescr: return "bad_descr";
    case Code::kUnsupportedDtype: return "unsupported_dtype";
    case Code::kBadFortranOrder: return "bad_fortran_order";
    case Code::kBadShape: return "bad_shape";
    case Code::kTooManyDims: return "too_many_dims";
    case Code::kSizeOverflow: return "size_overflow";
    case Code::kDataTruncated: return "data_truncated";
    case Code::kTooLarge: return "too_large";
    case Code::kBadArgument: return "bad_argument";
  }
  return "unknown";
}

size_t ItemSize(DType dtype) { return Info(dtype).size; }
const char* DTypeName(DType dtype) { return Info(dtype).name; }
const char* DTypeDescr(DType dtype) { return Info(dtype).descr; }

std::string ShapeString(const int64_t* dims, int ndims) {
  std::string out = "(";
  for (int i = 0; i < ndims; ++i) {
    if (i > 0) out += ", ";
    out += dims[i] < 0 ? std::string("None") : std::to_string(dims[i]);
  }
  if (ndims == 1) out += ",";
  out += ")";
  return out;
}

std::string DescribeDtype(const Header& header) {
  return std::string(header.descr) + " (" + DTypeName(header.dtype) + ")";
}

Status ParsePreamble(const void* data, size_t size, const Limits& limits,
                     Preamble* out) {
  const unsigned char* b = static_cast<const unsigned char*>(data);
  if (size < kMagicSize || std::memcmp(b, kMagic, kMagicSize) != 0) {
    if (size < kMagicSize && std::memcmp(b, kMagic, size) == 0) {
      return Status(Code::kTruncated,
                    "input is " + std::to_string(size) +
                        " bytes, too short for the .npy preamble (needs at "
                        "least 10)");
    }
    const size_t n = size < kMagicSize ? size : kMagicSize;
    return Status(Code::kBadMagic,
                  "bad magic: expected '\\x93NUMPY', found '" +
                      Quote(reinterpret_cast<const char*>(b), n) +
                      "'; not a .npy file");
  }
  if (size < 8) {
    return Status(Code::kTruncated,
                  "input is " + std::to_string(size) +
                      " bytes, too short for the .npy preamble (needs at "
                      "least 10)");
  }
  const uint8_t major = b[6], minor = b[7];
  if (minor != 0 || major < 1 || major > 3) {
    return Status(Code::kBadVersion,
                  "unsupported format version " + std::to_string(major) + "." +
                      std::to_string(minor) +
                      "; expected 1.0, 2.0 or 3.0");
  }
  const size_t preamble = major == 1 ? 10 : 12;
  if (size < preamble) {
    return Status(Code::kTruncated,
                  "input is " + std::to_string(size) +
                      " bytes, too short for the .npy preamble (needs " +
                      std::to_string(preamble) + " for version " +
                      std::to_string(major) + ".0)");
  }
  uint64_t len = 0;
  if (major == 1) {
    len = static_cast<uint64_t>(b[8]) | static_cast<uint64_t>(b[9]) << 8;
  } else {
    len = static_cast<uint64_t>(b[8]) | static_cast<uint64_t>(b[9]) << 8 |
          static_cast<uint64_t>(b[10]) << 16 |
          static_cast<uint64_t>(b[11]) << 24;
  }
  // numpy compares the decoded length; UTF-8 needs at most 4 bytes a
  // character, so a longer v3 header can never pass the check below.
  const uint64_t byte_cap = major == 3 && limits.max_header_size <= UINT64_MAX / 4
                                ? limits.max_header_size * 4
                                : limits.max_header_size;
  if (len > byte_cap) {
    return Status(Code::kHeaderTooLarge,
                  "header length " + std::to_string(len) +
                      " exceeds max_header_size " +
                      std::to_string(limits.max_header_size) +
                      " (numpy's limit against header-parsing denial of "
                      "service; raise it only for trusted files)");
  }
  out->major = major;
  out->minor = minor;
  out->header_len = len;
  out->data_offset = preamble + len;
  return Status::Ok();
}

Status ParseHeader(const void* data, size_t size, const Limits& limits,
                   Header* out) {
  Status s = ParsePreamble(data, size, limits, &out->preamble);
  if (!s.ok()) return s;
  const Preamble& pre = out->preamble;
  if (pre.data_offset > size) {
    return Status(Code::kHeaderTruncated,
                  "header length " + std::to_string(pre.header_len) +
                      " runs past the end of the input: the header needs " +
                      std::to_string(pre.data_offset) + " bytes, input has " +
                      std::to_string(size));
  }
  const char* text = static_cast<const char*>(data) +
                     (pre.data_offset - pre.header_len);
  const size_t text_len = static_cast<size_t>(pre.header_len);
  if (pre.major == 3) {
    size_t bad_at = 0;
    uint64_t cps = 0;
    if (!ValidUtf8(reinterpret_cast<const unsigned char*>(text), text_len,
                   &bad_at, &cps)) {
      return Status(Code::kHeaderEncoding,
                    "version 3.0 header is not valid UTF-8 (at header byte " +
                        std::to_string(bad_at) + ")");
    }
    if (cps > limits.max_header_size) {
      return Status(Code::kHeaderTooLarge,
                    "header length " + std::to_string(cps) +
                        " characters exceeds max_header_size " +
                        std::to_string(limits.max_header_size));
    }
  }

  if (std::memchr(text, 0, text_len) != nullptr) {
    // Python refuses source text with NUL bytes, so np.load does too.
    return Status(Code::kHeaderSyntax,
                  "header is not a dict literal: it contains a NUL byte at "
                  "offset " +
                      std::to_string(static_cast<const char*>(
                                         std::memchr(text, 0, text_len)) -
                                     text));
  }
  Parser parser(text, text + text_len, /*allow_long_suffix=*/pre.major <= 2);
  if (!parser.Consume('{')) {
    // Distinguish "valid literal, not a dict" from "not a literal at all".
    Value v;
    Status vs = parser.ParseValue(&v, nullptr, 0);
    if (vs.ok() && parser.AtEnd()) {
      return Status(Code::kHeaderSyntax,
                    "header is not a dict literal: found '" + ValueText(v) +
                        "'");
    }
    return parser.Error("expected '{'");
  }
  enum { kDescr, kFortran, kShape, kNumKeys };
  static const char* const kKeyNames[kNumKeys] = {"descr", "fortran_order",
                                                  "shape"};
  Value values[kNumKeys];
  bool seen[kNumKeys] = {false, false, false};
  DimSink sink{out->dims, kMaxDims};
  bool comma = true;
  while (!parser.Consume('}')) {
    if (!comma) return parser.Error("expected ',' or '}'");
    Value key;
    s = parser.ParseValue(&key, nullptr, 1);
    if (!s.ok()) return s;
    int which = -1;
    if (key.kind == Kind::kString && !key.bytes && !key.text_truncated) {
      for (int k = 0; k < kNumKeys; ++k) {
        if (std::strlen(kKeyNames[k]) == key.text_len &&
            std::memcmp(kKeyNames[k], key.text, key.text_len) == 0) {
          which = k;
        }
      }
    }
    if (!parser.Consume(':')) return parser.Error("expected ':' after a key");
    if (which < 0) {
      // Parse the rest first so a syntax error is reported as such.
      Value ignored;
      s = parser.ParseValue(&ignored, nullptr, 1);
      if (!s.ok()) return s;
      return Status(Code::kHeaderKeys,
                    "unexpected key " + ValueText(key) +
                        "; a .npy header has exactly 'descr', "
                        "'fortran_order' and 'shape'");
    }
    if (seen[which]) {
      return Status(Code::kHeaderKeys,
                    std::string("duplicate key '") + kKeyNames[which] +
                        "' (refused: the header is ambiguous)");
    }
    seen[which] = true;
    if (which == kShape) sink = DimSink{out->dims, kMaxDims};
    s = parser.ParseValue(&values[which], which == kShape ? &sink : nullptr, 1);
    if (!s.ok()) return s;
    comma = parser.Consume(',');
  }
  if (!parser.AtEnd()) return parser.Error("unexpected text after the dict");
  for (int k = 0; k < kNumKeys; ++k) {
    if (!seen[k]) {
      return Status(Code::kHeaderKeys,
                    std::string("missing key '") + kKeyNames[k] + "'");
    }
  }

  // descr
  const Value& descr = values[kDescr];
  const std::string descr_text = ValueText(descr);
  if (descr.kind != Kind::kString) {
    if (descr.kind == Kind::kTuple || *descr.begin == '[') {
      return Status(Code::kUnsupportedDtype,
                    "unsupported descr " + descr_text +
                        ": structured and subarray dtypes cannot be decoded "
                        "into a tensor");
    }
    return Status(Code::kBadDescr,
                  "descr " + descr_text + " is not a valid dtype");
  }
  std::memset(out->descr, 0, sizeof(out->descr));
  std::memcpy(out->descr, descr.text,
              descr.text_len < sizeof(out->descr) - 1 ? descr.text_len
                                                      : sizeof(out->descr) - 1);
  DescrResult dr = DescrResult::kInvalid;
  if (!descr.bytes && !descr.text_truncated) {
    dr = ParseDescr(descr.text, descr.text_len, &out->dtype, &out->swap);
  }
  if (dr == DescrResult::kUnsupported) {
    return Status(Code::kUnsupportedDtype,
                  "unsupported descr " + descr_text +
                      ": only bool, int8-int64, uint8-uint64, float16, "
                      "float32, float64, complex64 and complex128 can be "
                      "decoded (object arrays are never unpickled)");
  }
  if (dr != DescrResult::kOk) {
    return Status(Code::kBadDescr,
                  "descr " + descr_text + " is not a valid dtype");
  }

  // fortran_order
  if (values[kFortran].kind != Kind::kBool) {
    return Status(Code::kBadFortranOrder,
                  "fortran_order is not a bool: " + ValueText(values[kFortran]));
  }
  out->fortran_order = values[kFortran].number != 0;

  // shape
  const Value& shape = values[kShape];
  if (shape.kind != Kind::kTuple || sink.non_int) {
    return Status(Code::kBadShape,
                  "shape is not a tuple of ints: " + ValueText(shape));
  }
  if (sink.n > kMaxDims) {
    return Status(Code::kTooManyDims,
                  "shape has " + std::to_string(sink.n) +
                      " dimensions; at most " + std::to_string(kMaxDims) +
                      " are supported");
  }
  if (sink.overflow) {
    return Status(Code::kSizeOverflow,
                  "shape " + ValueText(shape) + " overflows int64");
  }
  out->ndims = sink.n;
  for (int i = 0; i < out->ndims; ++i) {
    if (out->dims[i] < 0) {
      return Status(Code::kBadShape,
                    "negative dimension " + std::to_string(out->dims[i]) +
                        " in shape " + ValueText(shape));
    }
  }
  // Element count and bytes, overflow-checked. Zero-size dims do not hide an
  // overflow of the others: (0, 2**62, 2**62) is refused too.
  uint64_t nonzero = 1;
  bool any_zero = false;
  for (int i = 0; i < out->ndims; ++i) {
    if (out->dims[i] == 0) {
      any_zero = true;
    } else if (!MulInt64(nonzero, static_cast<uint64_t>(out->dims[i]),
                         &nonzero)) {
      return Status(Code::kSizeOverflow,
                    "shape " + ShapeString(out->dims, out->ndims) +
                        " overflows int64 elements");
    }
  }
  uint64_t bytes = 0;
  if (!MulInt64(nonzero, ItemSize(out->dtype), &bytes)) {
    return Status(Code::kSizeOverflow,
                  "shape " + ShapeString(out->dims, out->ndims) + " of " +
                      DescribeDtype(*out) + " overflows int64 bytes");
  }
  out->num_elements = any_zero ? 0 : nonzero;
  out->data_bytes = any_zero ? 0 : bytes;
  out->data_offset = pre.data_offset;
  return CheckOutputSize(*out, limits);
}

Status CheckOutputSize(const Header& header, const Limits& limits) {
  if (header.data_bytes <= limits.max_output_bytes) return Status::Ok();
  return Status(Code::kTooLarge,
                "array " + ShapeString(header.dims, header.ndims) + " of " +
                    DescribeDtype(header) + " is " +
                    std::to_string(header.data_bytes) +
                    " bytes, which exceeds max_output_bytes " +
                    std::to_string(limits.max_output_bytes));
}

Status CheckDataSize(const Header& header, uint64_t input_size) {
  const uint64_t have =
      input_size > header.data_offset ? input_size - header.data_offset : 0;
  if (have < header.data_bytes) {
    return Status(Code::kDataTruncated,
                  "data truncated: shape " +
                      ShapeString(header.dims, header.ndims) + " of " +
                      DescribeDtype(header) + " needs " +
                      std::to_string(header.data_bytes) +
                      " bytes after the header, input has " +
                      std::to_string(have));
  }
  return Status::Ok();
}

Status ParseNpy(const void* data, size_t size, const Limits& limits,
                Header* out) {
  Status s = ParseHeader(data, size, limits, out);
  if (!s.ok()) return s;
  return CheckDataSize(*out, size);
}

Status SliceRows(const Header& header, int64_t start, int64_t stop,
                 Header* out) {
  if (header.ndims == 0) {
    return Status(Code::kBadArgument,
                  "cannot select rows of a scalar (shape ())");
  }
  if (start < 0 || stop < 0) {
    return Status(Code::kBadArgument,
                  "row range [" + std::to_string(start) + ", " +
                      std::to_string(stop) +
                      ") has a negative bound; start and stop must be >= 0");
  }
  uint64_t row_elems = 1;
  for (int i = 1; i < header.ndims; ++i) {
    // Cannot overflow: the header's total (or its nonzero part) was checked.
    row_elems *= static_cast<uint64_t>(header.dims[i]);
  }
  if (header.fortran_order && header.ndims > 1 && row_elems > 1 &&
      header.dims[0] > 1) {
    return Status(Code::kBadArgument,
                  "cannot read a row range of a Fortran-order array of shape " +
                      ShapeString(header.dims, header.ndims) +
                      ": its rows are not contiguous in the file");
  }
  const int64_t rows = header.dims[0];
  if (stop > rows) stop = rows;
  if (start > stop) start = stop;
  *out = header;
  out->dims[0] = stop - start;
  const uint64_t row_bytes = row_elems * ItemSize(header.dtype);
  const bool empty = header.num_elements == 0;
  out->num_elements =
      empty ? 0 : static_cast<uint64_t>(stop - start) * row_elems;
  out->data_bytes = out->num_elements * ItemSize(header.dtype);
  out->data_offset =
      header.data_offset + (empty ? 0 : static_cast<uint64_t>(start) * row_bytes);
  return Status::Ok();
}

}  // namespace tfnpy
