// Unit tests of the framework-free .npy core (cc/npy/npy_format.h), with a
// tiny harness of their own: no test framework to install.
//
//   g++ -std=c++17 -O1 -g -fsanitize=address,undefined
//     -fno-sanitize-recover=all -Icc cc/npy/npy_format.cc cc/npy/npy_convert.cc
//     cc/tests/npy_format_test.cc -o /tmp/npy_format_test && /tmp/npy_format_test
//
// An optional argument runs only the tests whose name contains it. Every
// input is copied into a heap buffer of exactly its size before the core sees
// it, so AddressSanitizer catches a read one byte past the end. The last line
// printed is "N passed, N failed" (tests, not checks); the exit status is
// non-zero on any failure. tests/test_core_cpp.py builds and runs this.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "npy/npy_format.h"

namespace {

using tfnpy::Code;
using tfnpy::DType;
using tfnpy::Header;
using tfnpy::Limits;
using tfnpy::Status;

// ---------------------------------------------------------------------------
// Harness.

struct TestCase {
  const char* name;
  void (*fn)();
};
std::vector<TestCase>& Registry() {
  static std::vector<TestCase> tests;
  return tests;
}
struct Registrar {
  Registrar(const char* name, void (*fn)()) { Registry().push_back({name, fn}); }
};

#define TEST(name)                                   \
  void name();                                       \
  const Registrar registrar_##name(#name, &name);    \
  void name()

int g_failed_checks = 0;  // In the running test.
// What a loop is testing right now, printed with each failure.
std::vector<std::string> g_scope;

struct Scope {
  explicit Scope(std::string what) { g_scope.push_back(std::move(what)); }
  ~Scope() { g_scope.pop_back(); }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;
};
#define SCOPE_CAT2(a, b) a##b
#define SCOPE_CAT(a, b) SCOPE_CAT2(a, b)
#define SCOPE(what) const Scope SCOPE_CAT(scope_, __LINE__)(what)

void Fail(const char* file, int line, const std::string& what) {
  ++g_failed_checks;
  if (g_failed_checks > 25) return;  // Enough to see the pattern.
  std::printf("  %s:%d: %s", file, line, what.c_str());
  if (!g_scope.empty()) {
    std::printf("  [");
    for (size_t i = 0; i < g_scope.size(); ++i) {
      std::printf("%s%s", i ? ", " : "", g_scope[i].c_str());
    }
    std::printf("]");
  }
  std::printf("\n");
}

std::string Str(const std::string& s) { return "\"" + s + "\""; }
std::string Str(bool b) { return b ? "true" : "false"; }
std::string Str(Code c) { return tfnpy::CodeName(c); }
std::string Str(DType d) { return tfnpy::DTypeName(d); }
template <typename T>
std::string Str(T v) {
  return std::to_string(v);
}

#define CHECK(cond)                                               \
  do {                                                            \
    if (!(cond)) Fail(__FILE__, __LINE__, "CHECK(" #cond ") failed"); \
  } while (0)

#define CHECK_EQ(a, b)                                                  \
  do {                                                                  \
    const auto& a_ = (a);                                               \
    const auto& b_ = (b);                                               \
    if (!(a_ == b_)) {                                                  \
      Fail(__FILE__, __LINE__,                                          \
           "CHECK_EQ(" #a ", " #b "): " + Str(a_) + " != " + Str(b_));  \
    }                                                                   \
  } while (0)

// Evaluates to whether the status was OK, so callers can stop early.
bool CheckOkImpl(const Status& s, const char* expr, const char* file,
                 int line) {
  if (s.ok()) return true;
  Fail(file, line,
       std::string(expr) + " -> " + tfnpy::CodeName(s.code()) + ": " +
           s.message());
  return false;
}
#define CHECK_OK(expr) CheckOkImpl((expr), #expr, __FILE__, __LINE__)

void CheckErrorImpl(const Status& s, Code code, const std::string& substr,
                    const char* expr, const char* file, int line) {
  if (s.code() != code) {
    Fail(file, line,
         std::string(expr) + " -> " + tfnpy::CodeName(s.code()) + " (\"" +
             s.message() + "\"), expected " + tfnpy::CodeName(code));
  } else if (s.message().find(substr) == std::string::npos) {
    Fail(file, line,
         std::string(expr) + ": message \"" + s.message() +
             "\" does not contain \"" + substr + "\"");
  } else if (s.message().empty()) {
    Fail(file, line, std::string(expr) + ": empty error message");
  }
}
#define CHECK_ERROR(expr, code, substr) \
  CheckErrorImpl((expr), (code), (substr), #expr, __FILE__, __LINE__)

// ---------------------------------------------------------------------------
// Building .npy files.

bool HostLittle() {
  const uint16_t one = 1;
  unsigned char b;
  std::memcpy(&b, &one, 1);
  return b == 1;
}

// The bytes of a file with the given version and header text, exactly as
// given (no padding, no newline).
std::string RawNpy(int major, int minor, const std::string& header,
                   const std::string& data = "") {
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += static_cast<char>(minor);
  const size_t n = header.size();
  out += static_cast<char>(n & 0xff);
  out += static_cast<char>((n >> 8) & 0xff);
  if (major != 1) {
    out += static_cast<char>((n >> 16) & 0xff);
    out += static_cast<char>((n >> 24) & 0xff);
  }
  return out + header + data;
}

size_t PreambleSize(int major) { return major == 1 ? 10 : 12; }

// As numpy writes it: the dict, spaces up to a multiple of `align` bytes
// (counting the preamble), then '\n'.
std::string Npy(const std::string& dict, const std::string& data = "",
                int major = 1, size_t align = 64) {
  std::string text = dict;
  while ((PreambleSize(major) + text.size() + 1) % align != 0) text += ' ';
  text += '\n';
  return RawNpy(major, 0, text, data);
}

std::string ShapeText(const std::vector<int64_t>& dims) {
  std::string s = "(";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims[i]);
  }
  if (dims.size() == 1) s += ",";
  return s + ")";
}

std::string Dict(const std::string& descr, bool fortran,
                 const std::string& shape) {
  return "{'descr': '" + descr + "', 'fortran_order': " +
         (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
}

// An exact-size heap copy: reading past the end is an ASan error.
struct Buf {
  explicit Buf(const std::string& s)
      : n(s.size()), p(new unsigned char[s.size() ? s.size() : 1]) {
    if (n) std::memcpy(p.get(), s.data(), n);
  }
  Buf(const std::string& s, size_t prefix)
      : n(prefix), p(new unsigned char[prefix ? prefix : 1]) {
    if (n) std::memcpy(p.get(), s.data(), n);
  }
  size_t n;
  std::unique_ptr<unsigned char[]> p;
};

Status Parse(const std::string& file, Header* h, const Limits& limits = Limits()) {
  Buf b(file);
  return tfnpy::ParseNpy(b.p.get(), b.n, limits, h);
}
Status ParseHdr(const std::string& file, Header* h,
                const Limits& limits = Limits()) {
  Buf b(file);
  return tfnpy::ParseHeader(b.p.get(), b.n, limits, h);
}

// Parses and decodes a whole file into `out` (exactly data_bytes long).
Status Load(const std::string& file, Header* h, std::vector<unsigned char>* out,
            const Limits& limits = Limits()) {
  Buf b(file);
  Status s = tfnpy::ParseNpy(b.p.get(), b.n, limits, h);
  if (!s.ok()) return s;
  out->assign(h->data_bytes, 0xAB);
  Buf src(file.substr(h->data_offset));
  return tfnpy::DecodeData(*h, src.p.get(), src.n, out->data(), out->size());
}

// ---------------------------------------------------------------------------
// Element patterns and reference layouts.

struct DTypeCase {
  DType dtype;
  char kind;  // numpy kind letter
  int size;   // bytes
};
constexpr DTypeCase kDTypes[] = {
    {DType::kBool, 'b', 1},       {DType::kInt8, 'i', 1},
    {DType::kInt16, 'i', 2},      {DType::kInt32, 'i', 4},
    {DType::kInt64, 'i', 8},      {DType::kUInt8, 'u', 1},
    {DType::kUInt16, 'u', 2},     {DType::kUInt32, 'u', 4},
    {DType::kUInt64, 'u', 8},     {DType::kFloat16, 'f', 2},
    {DType::kFloat32, 'f', 4},    {DType::kFloat64, 'f', 8},
    {DType::kComplex64, 'c', 8},  {DType::kComplex128, 'c', 16},
};
static_assert(sizeof(kDTypes) / sizeof(kDTypes[0]) == tfnpy::kNumDTypes,
              "every dtype is tested");

bool IsComplex(DType d) {
  return d == DType::kComplex64 || d == DType::kComplex128;
}

// The native bytes of element `c` (its C-order index): distinct bytes within
// an element and from one element to the next, so a wrong swap or a wrong
// transpose shows. Bools are 0/1.
void NativeElem(const DTypeCase& t, uint64_t c, unsigned char* out) {
  if (t.dtype == DType::kBool) {
    out[0] = static_cast<unsigned char>((c * 7 + 3) % 5 < 2);
    return;
  }
  for (int k = 0; k < t.size; ++k) {
    uint64_t x = (c + 1) * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(k) * 0xBF58476D1CE4E5B9ull;
    x ^= x >> 31;
    out[k] = static_cast<unsigned char>(x >> 17);
  }
}

// Reverses each swap unit (each half of a complex) of one element.
void SwapElem(const DTypeCase& t, unsigned char* e) {
  const int unit = IsComplex(t.dtype) ? t.size / 2 : t.size;
  for (int u = 0; u < t.size; u += unit) {
    for (int i = 0, j = unit - 1; i < j; ++i, --j) {
      const unsigned char tmp = e[u + i];
      e[u + i] = e[u + j];
      e[u + j] = tmp;
    }
  }
}

uint64_t Product(const std::vector<int64_t>& dims) {
  uint64_t n = 1;
  for (int64_t d : dims) n *= static_cast<uint64_t>(d);
  return n;
}

// Where the element with C-order index `c` sits in Fortran-order storage:
// unravel c with C strides, ravel with Fortran strides.
uint64_t FortranOffset(const std::vector<int64_t>& dims, uint64_t c) {
  const size_t n = dims.size();
  std::vector<uint64_t> idx(n);
  for (size_t k = n; k-- > 0;) {
    idx[k] = c % static_cast<uint64_t>(dims[k]);
    c /= static_cast<uint64_t>(dims[k]);
  }
  uint64_t off = 0, stride = 1;
  for (size_t k = 0; k < n; ++k) {
    off += idx[k] * stride;
    stride *= static_cast<uint64_t>(dims[k]);
  }
  return off;
}

// The file data for the pattern array of shape `dims`, stored with the given
// byte order and memory order.
std::string FileData(const DTypeCase& t, const std::vector<int64_t>& dims,
                     bool file_little, bool fortran) {
  const uint64_t n = Product(dims);
  std::string data(n * static_cast<uint64_t>(t.size), '\0');
  unsigned char e[16];
  for (uint64_t c = 0; c < n; ++c) {
    NativeElem(t, c, e);
    if (file_little != HostLittle()) SwapElem(t, e);
    const uint64_t pos = fortran ? FortranOffset(dims, c) : c;
    std::memcpy(&data[pos * static_cast<uint64_t>(t.size)], e,
                static_cast<size_t>(t.size));
  }
  return data;
}

// Checks a decoded buffer against the pattern, element by element.
void CheckPattern(const DTypeCase& t, const std::vector<unsigned char>& out,
                  uint64_t n, uint64_t first = 0) {
  CHECK_EQ(out.size(), n * static_cast<uint64_t>(t.size));
  if (out.size() != n * static_cast<uint64_t>(t.size)) return;
  unsigned char e[16];
  int bad = 0;
  for (uint64_t c = 0; c < n; ++c) {
    NativeElem(t, first + c, e);
    if (std::memcmp(out.data() + c * static_cast<uint64_t>(t.size), e,
                    static_cast<size_t>(t.size)) != 0) {
      if (++bad <= 3) Fail(__FILE__, __LINE__, "element " + std::to_string(c) + " differs");
    }
  }
}

const std::vector<std::vector<int64_t>>& Shapes() {
  static const std::vector<std::vector<int64_t>> shapes = {
      {},           {0},          {3, 0, 2},       {1},
      {7},          {3, 4},       {4, 3},          {1, 5},
      {5, 1},       {17, 33},     {2, 3, 4},       {3, 1, 4},
      {2, 3, 4, 5}, {2, 1, 3, 1, 2}, {2, 2, 2, 2, 2, 2}, {0, 3},
  };
  return shapes;
}

// ---------------------------------------------------------------------------
// dtypes, byte orders, memory orders, shapes.

TEST(EveryDtypeByteOrderMemoryOrderAndShape) {
  const char* orders[] = {"<", ">", "|", "=", ""};
  for (const DTypeCase& t : kDTypes) {
    for (const char* order : orders) {
      const bool file_little =
          order[0] == '<' || (order[0] != '>' && HostLittle());
      const std::string descr =
          std::string(order) + t.kind + std::to_string(t.size);
      for (bool fortran : {false, true}) {
        for (const auto& dims : Shapes()) {
          SCOPE("descr " + descr + (fortran ? " F " : " C ") + ShapeText(dims));
          const std::string file =
              Npy(Dict(descr, fortran, ShapeText(dims)),
                  FileData(t, dims, file_little, fortran));
          Header h;
          std::vector<unsigned char> out;
          if (!CHECK_OK(Load(file, &h, &out))) continue;
          CHECK_EQ(h.dtype, t.dtype);
          CHECK_EQ(h.swap, t.size > 1 && file_little != HostLittle());
          CHECK_EQ(h.fortran_order, fortran);
          CHECK_EQ(h.ndims, static_cast<int>(dims.size()));
          for (size_t k = 0; k < dims.size(); ++k) CHECK_EQ(h.dims[k], dims[k]);
          CHECK_EQ(h.num_elements, Product(dims));
          CHECK_EQ(h.data_bytes, Product(dims) * static_cast<uint64_t>(t.size));
          CHECK_EQ(h.data_offset, static_cast<uint64_t>(file.size()) - h.data_bytes);
          CHECK_EQ(h.data_offset % 64, 0u);
          CHECK_EQ(h.preamble.data_offset, h.data_offset);
          CHECK_EQ(std::string(h.descr), descr);
          CheckPattern(t, out, Product(dims));
        }
      }
    }
  }
}

TEST(DtypeNamesAndCodes) {
  struct Case {
    const char* descr;
    DType dtype;
  };
  const Case cases[] = {
      {"float64", DType::kFloat64}, {"float32", DType::kFloat32},
      {"bool", DType::kBool},       {"uint16", DType::kUInt16},
      {"complex64", DType::kComplex64},
      {"d", DType::kFloat64},       {"<d", DType::kFloat64},
      {"f", DType::kFloat32},       {"e", DType::kFloat16},
      {"?", DType::kBool},          {"b", DType::kInt8},
      {"B", DType::kUInt8},         {">h", DType::kInt16},
      {"<I", DType::kUInt32},       {"q", DType::kInt64},
      {"Q", DType::kUInt64},        {"F", DType::kComplex64},
      {"D", DType::kComplex128},    {"<b1", DType::kBool},
      {">i1", DType::kInt8},        {"|u1", DType::kUInt8},
  };
  for (const Case& c : cases) {
    SCOPE(std::string("descr ") + c.descr);
    Header h;
    if (!CHECK_OK(Parse(Npy(Dict(c.descr, false, "(1,)"), std::string(16, '\0')), &h))) continue;
    CHECK_EQ(h.dtype, c.dtype);
    CHECK_EQ(std::string(h.descr), std::string(c.descr));
  }
}

TEST(TypeCodesAndTypeNumbers) {
  // Single-character codes and numpy's type numbers ('\x00'..'\x17' as a
  // one-character string), as np.dtype reads them on LP64 Linux.
  struct Case {
    const char* escaped;  // as written in the header
    int want;             // a DType, or -1 for kUnsupportedDtype, -2 for kBadDescr
  };
  const Case cases[] = {
      {"h", int(DType::kInt16)},     {"H", int(DType::kUInt16)},   {"i", int(DType::kInt32)},
      {"I", int(DType::kUInt32)},    {"l", int(DType::kInt64)},    {"L", int(DType::kUInt64)},
      {"q", int(DType::kInt64)},     {"Q", int(DType::kUInt64)},   {"p", int(DType::kInt64)},
      {"P", int(DType::kUInt64)},    {"n", int(DType::kInt64)},    {"N", int(DType::kUInt64)},
      {"e", int(DType::kFloat16)},   {"f", int(DType::kFloat32)},  {"d", int(DType::kFloat64)},
      {"F", int(DType::kComplex64)}, {"D", int(DType::kComplex128)}, {"?", int(DType::kBool)},
      {"b", int(DType::kInt8)},      {"B", int(DType::kUInt8)},
      {"g", -1}, {"G", -1}, {"O", -1}, {"S", -1}, {"U", -1}, {"V", -1}, {"c", -1}, {"M", -1}, {"m", -1},
      {"\\x00", int(DType::kBool)},    {"\\x01", int(DType::kInt8)},     {"\\x02", int(DType::kUInt8)},
      {"\\x03", int(DType::kInt16)},   {"\\x04", int(DType::kUInt16)},   {"\\x05", int(DType::kInt32)},
      {"\\x06", int(DType::kUInt32)},  {"\\x07", int(DType::kInt64)},    {"\\x08", int(DType::kUInt64)},
      {"\\x09", int(DType::kInt64)},   {"\\x0a", int(DType::kUInt64)},   {"\\x0b", int(DType::kFloat32)},
      {"\\x0c", int(DType::kFloat64)}, {"\\x0d", -1},                    {"\\x0e", int(DType::kComplex64)},
      {"\\x0f", int(DType::kComplex128)}, {"\\x10", -1}, {"\\x11", -1}, {"\\x12", -1}, {"\\x13", -1},
      {"\\x14", -1}, {"\\x15", -1}, {"\\x16", -1}, {"\\x17", int(DType::kFloat16)},
      {"\\x18", -2}, {"\\x7f", -2}, {"x", -2}, {"Z", -2},
  };
  for (const Case& c : cases) {
    SCOPE(std::string("descr '") + c.escaped + "'");
    Header h;
    const Status s = Parse(Npy(std::string("{'descr': '") + c.escaped + "', 'fortran_order': False, 'shape': (1,)}",
                               std::string(16, '\0')), &h);
    if (c.want >= 0) {
      if (CHECK_OK(s)) CHECK_EQ(h.dtype, static_cast<DType>(c.want));
    } else {
      CHECK_ERROR(s, c.want == -1 ? Code::kUnsupportedDtype : Code::kBadDescr, "descr");
    }
  }
}

TEST(StringLiteralSyntax) {
  // How the descr may be spelled as a Python string literal (checked
  // against np.load); all of these mean '<f8'.
  const char* same[] = {
      "'\\x3cf8'", "'\\74f8'", "'\\074f8'", "'\\u003cf8'", "'\\U0000003cf8'", "r'<f8'", "R'<f8'",
      "u'<f8'", "U'<f8'", "'''<f8'''", "\"\"\"<f8\"\"\"", "'<' 'f8'", "\"<\" 'f8'", "'<' '' \"f\" '''8'''",
      "'<f\\\n8'", "'<f8' # comment\n",
  };
  for (const char* literal : same) {
    SCOPE(std::string("descr ") + literal);
    Header h;
    if (CHECK_OK(Parse(Npy(std::string("{'descr': ") + literal + ", 'fortran_order': False, 'shape': (1,)}",
                           std::string(8, '\0')), &h))) {
      CHECK_EQ(h.dtype, DType::kFloat64);
      CHECK_EQ(h.swap, !HostLittle());
    }
  }
  // Valid literals that are not a dtype, and invalid literals.
  struct Bad {
    const char* literal;
    Code code;
  };
  const Bad bad[] = {
      {"'\\<f8'", Code::kBadDescr},  // unknown escapes stay as written
      {"'\\t<f8'", Code::kBadDescr},
      {"'<f8\\n'", Code::kBadDescr},
      {"'\\u00e9'", Code::kBadDescr},
      {"'\\777'", Code::kBadDescr},
      {"'\\u4e2d'", Code::kBadDescr},
      {"'\\U0001F600'", Code::kBadDescr},
      {"'\\r\\a\\b\\f\\v'", Code::kBadDescr},
      {"r'<f\\x38'", Code::kBadDescr},  // raw: the backslash stays
      {"''", Code::kBadDescr},
      {"b'<f8'", Code::kBadDescr},
      {"Rb'<f8'", Code::kBadDescr},
      {"br'<f8'", Code::kBadDescr},
      {"'<f8                                        '", Code::kBadDescr},  // over 32 bytes
      {"{'a': 1, 'b': (2, [3])}", Code::kBadDescr},
      {"'\\x3'", Code::kHeaderSyntax},
      {"'\\U00110000'", Code::kHeaderSyntax},
      {"'\\u12'", Code::kHeaderSyntax},
      {"'<f8' b''", Code::kHeaderSyntax},
      {"ur'<f8'", Code::kHeaderSyntax},
      {"'''<f8''", Code::kHeaderSyntax},
      {"'<f8", Code::kHeaderSyntax},
      {"'<f\n8'", Code::kHeaderSyntax},
      {"'\\'<f8'", Code::kBadDescr},  // the string "'<f8"
  };
  for (const Bad& b : bad) {
    SCOPE(std::string("descr ") + b.literal);
    Header h;
    const Status s = Parse(Npy(std::string("{'descr': ") + b.literal + ", 'fortran_order': False, 'shape': (1,)}",
                               std::string(8, '\0')), &h);
    CHECK_EQ(s.code(), b.code);
  }
  // Keys are matched after decoding too; an over-long key is just unknown.
  Header h;
  CHECK_OK(Parse(Npy("{'\\x64escr': '<f8', u'fortran_order': False, r'''shape''': (1,)}", std::string(8, '\0')), &h));
  CHECK_ERROR(Parse(Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'a_key_longer_than_thirty_two_bytes': 1}",
                        std::string(8, '\0')), &h),
              Code::kHeaderKeys, "unexpected key 'a_key_longer_than_thirty_two_bytes'");
}

TEST(FortranTransposeByHand) {
  // np.asfortranarray(np.arange(6, dtype='<i4').reshape(2, 3)) stores
  // 0 3 1 4 2 5; loading gives C order 0 1 2 3 4 5.
  const int32_t fdata[] = {0, 3, 1, 4, 2, 5};
  std::string data(reinterpret_cast<const char*>(fdata), sizeof(fdata));
  if (!HostLittle()) return;  // The literal above is little-endian.
  Header h;
  std::vector<unsigned char> out;
  if (!CHECK_OK(Load(Npy(Dict("<i4", true, "(2, 3)"), data), &h, &out))) return;
  int32_t got[6];
  std::memcpy(got, out.data(), sizeof(got));
  for (int i = 0; i < 6; ++i) CHECK_EQ(got[i], i);
  CHECK(!tfnpy::CanDecodeInPlace(h));

  // (2, 3, 2) in Fortran order: element [i][j][k] at i + 2*j + 6*k.
  int16_t f3[12];
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 2; ++k) f3[i + 2 * j + 6 * k] = static_cast<int16_t>(100 * i + 10 * j + k);
  data.assign(reinterpret_cast<const char*>(f3), sizeof(f3));
  if (!CHECK_OK(Load(Npy(Dict("<i2", true, "(2, 3, 2)"), data), &h, &out))) return;
  int16_t c3[12];
  std::memcpy(c3, out.data(), sizeof(c3));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 2; ++k) CHECK_EQ(c3[i * 6 + j * 2 + k], 100 * i + 10 * j + k);
}

TEST(LargeFortranTransposeCrossesTiles) {
  // Bigger than the core's 16x16 transpose tiles in both directions, with a
  // middle axis, in every element size. {40, 3, 2, 1, 19}: two middle axes
  // for the odometer and a unit axis the core drops, with both end axes
  // crossing tiles.
  const std::vector<std::vector<int64_t>> shapes = {
      {37, 45}, {33, 17}, {33, 2, 19}, {1, 40, 1, 17}, {40, 3, 2, 1, 19}};
  for (const DTypeCase& t : kDTypes) {
    for (const auto& dims : shapes) {
      SCOPE(std::string(tfnpy::DTypeName(t.dtype)) + " " + ShapeText(dims));
      const std::string descr = std::string(">") + t.kind + std::to_string(t.size);
      Header h;
      std::vector<unsigned char> out;
      if (!CHECK_OK(Load(Npy(Dict(descr, true, ShapeText(dims)), FileData(t, dims, false, true)), &h, &out))) continue;
      CheckPattern(t, out, Product(dims));
    }
  }
}

// Big-endian bytes of a float / double.
std::string BigEndian(const void* v, size_t n) {
  std::string s(static_cast<const char*>(v), n);
  if (HostLittle()) std::string(s.rbegin(), s.rend()).swap(s);
  return s;
}

TEST(ComplexSwapsEachHalf) {
  const float re = 1.5f, im = -2.25f;
  Header h;
  std::vector<unsigned char> out;
  if (CHECK_OK(Load(Npy(Dict(">c8", false, "()"), BigEndian(&re, 4) + BigEndian(&im, 4)), &h, &out))) {
    float got[2];
    std::memcpy(got, out.data(), 8);
    CHECK_EQ(got[0], re);
    CHECK_EQ(got[1], im);
  }
  const double dre = 3.0, dim = -1e300;
  if (CHECK_OK(Load(Npy(Dict(">c16", false, "(1,)"), BigEndian(&dre, 8) + BigEndian(&dim, 8)), &h, &out))) {
    double got[2];
    std::memcpy(got, out.data(), 16);
    CHECK_EQ(got[0], dre);
    CHECK_EQ(got[1], dim);
  }
  // A whole-element swap would exchange and scramble the halves.
  const double one = 1.0, two = 2.0;
  if (CHECK_OK(Load(Npy(Dict(">c16", true, "(2, 1)"),
                        BigEndian(&one, 8) + BigEndian(&two, 8) + BigEndian(&two, 8) + BigEndian(&one, 8)),
                    &h, &out))) {
    double got[4];
    std::memcpy(got, out.data(), 32);
    CHECK_EQ(got[0], 1.0);
    CHECK_EQ(got[1], 2.0);
    CHECK_EQ(got[2], 2.0);
    CHECK_EQ(got[3], 1.0);
  }
  // float16 1.0 is 0x3c00.
  if (CHECK_OK(Load(Npy(Dict(">f2", false, "(1,)"), std::string("\x3c\x00", 2)), &h, &out))) {
    uint16_t half;
    std::memcpy(&half, out.data(), 2);
    CHECK_EQ(half, 0x3c00);
  }
}

TEST(BoolBytesAreNormalised) {
  const std::string bytes("\x00\x01\x02\xff\x80\x00", 6);
  const unsigned char want[] = {0, 1, 1, 1, 1, 0};
  for (const char* descr : {"|b1", "<b1", ">b1", "b1", "?", "bool"}) {
    SCOPE(descr);
    Header h;
    std::vector<unsigned char> out;
    if (!CHECK_OK(Load(Npy(Dict(descr, false, "(6,)"), bytes), &h, &out))) continue;
    CHECK_EQ(h.dtype, DType::kBool);
    CHECK_EQ(h.swap, false);
    for (int i = 0; i < 6; ++i) CHECK_EQ(static_cast<int>(out[i]), static_cast<int>(want[i]));
  }
  // Fortran order: transposed and normalised. Storage [[2,0,7],[0,9,0]] by
  // columns is 2 0 0 9 7 0.
  Header h;
  std::vector<unsigned char> out;
  if (CHECK_OK(Load(Npy(Dict("|b1", true, "(2, 3)"), std::string("\x02\x00\x00\x09\x07\x00", 6)), &h, &out))) {
    const unsigned char fwant[] = {1, 0, 1, 0, 1, 0};
    for (int i = 0; i < 6; ++i) CHECK_EQ(static_cast<int>(out[i]), static_cast<int>(fwant[i]));
  }
  // In place.
  if (CHECK_OK(Parse(Npy(Dict("|b1", false, "(6,)"), bytes), &h))) {
    std::vector<unsigned char> buf(bytes.begin(), bytes.end());
    if (CHECK_OK(tfnpy::DecodeData(h, buf.data(), buf.size(), buf.data(), buf.size()))) {
      for (int i = 0; i < 6; ++i) CHECK_EQ(static_cast<int>(buf[i]), static_cast<int>(want[i]));
    }
  }
}

// ---------------------------------------------------------------------------
// Header versions and spellings.

TEST(HeaderVersions) {
  const DTypeCase& t = kDTypes[11];  // float64
  const std::vector<int64_t> dims = {3, 2};
  const std::string data = FileData(t, dims, true, false);
  for (int major : {1, 2, 3}) {
    SCOPE("version " + std::to_string(major));
    const std::string file = Npy(Dict("<f8", false, "(3, 2)"), data, major);
    Header h;
    std::vector<unsigned char> out;
    if (!CHECK_OK(Load(file, &h, &out))) continue;
    CHECK_EQ(static_cast<int>(h.preamble.major), major);
    CHECK_EQ(static_cast<int>(h.preamble.minor), 0);
    CHECK_EQ(h.preamble.header_len + PreambleSize(major), h.data_offset);
    CHECK_EQ(h.data_offset, 128u);
    CheckPattern(t, out, 6);
  }
  // Version 2.0 exists for headers of 64 KiB or more: its length is a u32.
  std::string big = Dict("<f8", false, "(3, 2)");
  big += std::string(70000, ' ');
  const std::string file2 = Npy(big, data, 2);
  Header h;
  CHECK_ERROR(Parse(file2, &h), Code::kHeaderTooLarge, "exceeds max_header_size");
  Limits roomy;
  roomy.max_header_size = 100000;
  std::vector<unsigned char> out;
  if (CHECK_OK(Load(file2, &h, &out, roomy))) {
    CHECK(h.preamble.header_len > 65535);
    CHECK_EQ(h.data_offset % 64, 0u);
    CheckPattern(t, out, 6);
  }
  // Version 1.0 stores the length in two bytes, little-endian: 0x0176 here.
  std::string text = Dict("<f8", false, "(3, 2)");
  text += std::string(0x176 - text.size() - 1, ' ') + "\n";
  const std::string file1 = RawNpy(1, 0, text, data);
  CHECK_EQ(static_cast<int>(static_cast<unsigned char>(file1[8])), 0x76);
  CHECK_EQ(static_cast<int>(static_cast<unsigned char>(file1[9])), 0x01);
  if (CHECK_OK(Parse(file1, &h))) CHECK_EQ(h.data_offset, 10u + 0x176);
}

TEST(HeaderText8BitAndUtf8) {
  const std::string data(8, '\0');
  Header h;
  // v1/v2 headers are latin-1: any byte is a character (here in a comment).
  CHECK_OK(Parse(Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} # caf\xe9", data, 1), &h));
  CHECK_OK(Parse(Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} # caf\xe9", data, 2), &h));
  // v3 headers are UTF-8.
  CHECK_OK(Parse(Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} # caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80", data, 3), &h));
  CHECK_ERROR(Parse(Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} # caf\xe9", data, 3), &h),
              Code::kHeaderEncoding, "not valid UTF-8");
  // Overlong encoding, a surrogate, a truncated sequence, beyond U+10FFFF.
  for (const char* bad : {"\xc0\xaf", "\xed\xa0\x80", "\xe4\xb8", "\xf4\x90\x80\x80", "\x80", "\xc3\x41"}) {
    SCOPE("utf-8 " + std::to_string(std::strlen(bad)) + " bytes");
    CHECK_ERROR(Parse(Npy(std::string("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} # ") + bad, data, 3), &h),
                Code::kHeaderEncoding, "not valid UTF-8");
  }
  // max_header_size counts characters of the decoded v3 header, as numpy.
  std::string text = "{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} #";
  for (int i = 0; i < 20; ++i) text += "\xe4\xb8\xad";  // 3 bytes, 1 character each
  text += "\n";
  const uint64_t chars = text.size() - 40;
  Limits limits;
  limits.max_header_size = chars;
  CHECK_OK(Parse(RawNpy(3, 0, text, data), &h, limits));
  limits.max_header_size = chars - 1;
  CHECK_ERROR(Parse(RawNpy(3, 0, text, data), &h, limits), Code::kHeaderTooLarge, "exceeds max_header_size");
}

TEST(HeaderSpellings) {
  struct Case {
    const char* text;
    std::vector<int64_t> dims;
    int major;
  };
  const std::vector<Case> cases = {
      // numpy's own.
      {"{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }", {2, 3}, 1},
      // Every key order.
      {"{'descr': '<i2', 'shape': (2, 3), 'fortran_order': False}", {2, 3}, 1},
      {"{'fortran_order': False, 'descr': '<i2', 'shape': (2, 3)}", {2, 3}, 1},
      {"{'fortran_order': False, 'shape': (2, 3), 'descr': '<i2'}", {2, 3}, 1},
      {"{'shape': (2, 3), 'descr': '<i2', 'fortran_order': False}", {2, 3}, 1},
      {"{'shape': (2, 3), 'fortran_order': False, 'descr': '<i2'}", {2, 3}, 1},
      // No spaces, no trailing comma, double quotes, whitespace and newlines.
      {"{'descr':'<i2','fortran_order':False,'shape':(2,3)}", {2, 3}, 1},
      {"{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3)}", {2, 3}, 1},
      {"{\"descr\": \"<i2\", \"fortran_order\": False, \"shape\": (2, 3)}", {2, 3}, 1},
      {"  {\t'descr' :\n'<i2' ,\r\n'fortran_order':False,'shape':( 2 ,\n3 , ) }  ", {2, 3}, 1},
      {"{'descr': u'<i2', 'fortran_order': False, 'shape': (2, 3)}", {2, 3}, 1},
      {"{'descr': '<' 'i2', 'fortran_order': False, 'shape': (2, 3)}", {2, 3}, 1},
      // Trailing comma in the shape, Python 2 longs (v1/v2 only).
      {"{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3,), }", {2, 3}, 1},
      {"{'descr': '<i2', 'fortran_order': False, 'shape': (2L, 3L), }", {2, 3}, 1},
      {"{'descr': '<i2', 'fortran_order': False, 'shape': (2L, 3L), }", {2, 3}, 2},
      {"{'descr': '<i2', 'fortran_order': False, 'shape': (6L,), }", {6}, 1},
      // (3,) is a tuple; redundant parentheses around a tuple are grouping.
      {"{'descr': '<i2', 'fortran_order': False, 'shape': (6,), }", {6}, 1},
      {"{'descr': '<i2', 'fortran_order': False, 'shape': ((2, 3)), }", {2, 3}, 1},
      {"{'descr': '<i2', 'fortran_order': False, 'shape': (((6,))), }", {6}, 1},
      {"{'descr': '<i2', 'fortran_order': False, 'shape': ((6),), }", {6}, 1},
      {"{'descr': '<i2', 'fortran_order': False, 'shape': ((((2)), (3))), }", {2, 3}, 1},
      // Other int spellings Python accepts.
      {"{'descr': '<i2', 'fortran_order': False, 'shape': (0x2, 0o3), }", {2, 3}, 1},
      {"{'descr': '<i2', 'fortran_order': False, 'shape': (0b10, +3), }", {2, 3}, 1},
      {"{'descr': '<i2', 'fortran_order': False, 'shape': (0xaB, 0X_1), }", {171, 1}, 1},
      {"{'descr': '<i2', 'fortran_order': False, 'shape': (6_0, ), }", {60}, 1},
      {"{'descr': '<i2', 'fortran_order': False, 'shape': (0, ), }", {0}, 1},
      // Comments, no newline at the end.
      {"{'descr': '<i2', # the dtype\n 'fortran_order': False, 'shape': (2, 3)} # end", {2, 3}, 1},
  };
  for (const Case& c : cases) {
    SCOPE(std::string("v") + std::to_string(c.major) + " " + c.text);
    const std::string data(Product(c.dims) * 2, '\x01');
    Header h;
    if (!CHECK_OK(Parse(Npy(c.text, data, c.major), &h))) continue;
    CHECK_EQ(h.dtype, DType::kInt16);
    CHECK_EQ(h.fortran_order, false);
    CHECK_EQ(h.ndims, static_cast<int>(c.dims.size()));
    for (size_t k = 0; k < c.dims.size(); ++k) CHECK_EQ(h.dims[k], c.dims[k]);
  }
  Header h;
  // Without the final newline, and with old numpy's 16-byte alignment.
  const std::string dict = Dict("<i2", false, "(2, 3)");
  CHECK_OK(Parse(RawNpy(1, 0, dict, std::string(12, '\0')), &h));
  const std::string file16 = Npy(dict, std::string(12, '\0'), 1, 16);
  if (CHECK_OK(Parse(file16, &h))) {
    CHECK_EQ(h.data_offset % 16, 0u);
    CHECK(h.data_offset % 64 != 0);
  }
  // Python 2 longs are not Python 3 syntax: refused in v3, as numpy.
  CHECK_ERROR(Parse(Npy("{'descr': '<i2', 'fortran_order': False, 'shape': (2L, 3L), }", std::string(12, '\0'), 3), &h),
              Code::kHeaderSyntax, "header is not a dict literal");
  // Only an upper-case L directly after the number.
  CHECK_ERROR(Parse(Npy("{'descr': '<i2', 'fortran_order': False, 'shape': (2l, 3), }", std::string(12, '\0')), &h),
              Code::kHeaderSyntax, "header is not a dict literal");
  // (3) and ((3)) are the int 3, not a tuple; a list is not a tuple either.
  for (const char* shape : {"(3)", "((3))", "[3]", "3", "None", "(3, 'a')", "(3, True)", "(3, 1.0)", "(3, (1,))"}) {
    SCOPE(std::string("shape ") + shape);
    CHECK_ERROR(Parse(Npy(Dict("<i2", false, shape), std::string(64, '\0')), &h), Code::kBadShape,
                "shape is not a tuple of ints");
  }
}

// ---------------------------------------------------------------------------
// One test per error code, with the message checked.

TEST(ErrorTruncated) {
  Header h;
  for (const std::string& s : {std::string(), std::string("\x93"), std::string("\x93NUMP"),
                               std::string("\x93NUMPY"), std::string("\x93NUMPY\x01\x00\x46", 9),
                               std::string("\x93NUMPY\x02\x00\x46\x00\x00", 11)}) {
    SCOPE(std::to_string(s.size()) + " bytes");
    CHECK_ERROR(Parse(s, &h), Code::kTruncated, "too short for the .npy preamble");
  }
}

TEST(ErrorBadMagic) {
  Header h;
  CHECK_ERROR(Parse(std::string("\x93NUMPX\x01\x00\x10\x00{}", 12), &h), Code::kBadMagic, "bad magic");
  CHECK_ERROR(Parse("PK\x03\x04 this is a zip", &h), Code::kBadMagic, "bad magic");
  CHECK_ERROR(Parse("x", &h), Code::kBadMagic, "bad magic");
  CHECK_ERROR(Parse(std::string("\x93numpy\x01\x00\x10\x00", 10), &h), Code::kBadMagic, "bad magic");
}

TEST(ErrorBadVersion) {
  Header h;
  const std::string dict = Dict("<f8", false, "()");
  CHECK_ERROR(Parse(RawNpy(4, 0, dict), &h), Code::kBadVersion,
              "unsupported format version 4.0; expected 1.0, 2.0 or 3.0");
  CHECK_ERROR(Parse(RawNpy(0, 0, dict), &h), Code::kBadVersion, "unsupported format version 0.0");
  CHECK_ERROR(Parse(RawNpy(1, 1, dict), &h), Code::kBadVersion, "unsupported format version 1.1");
  CHECK_ERROR(Parse(RawNpy(255, 255, dict), &h), Code::kBadVersion, "unsupported format version 255.255");
}

TEST(ErrorHeaderTooLarge) {
  const std::string file = Npy(Dict("<f8", false, "()"), std::string(8, '\0'));  // header_len 118
  Header h;
  Limits limits;
  limits.max_header_size = 117;
  CHECK_ERROR(Parse(file, &h, limits), Code::kHeaderTooLarge, "exceeds max_header_size");
  limits.max_header_size = 118;
  CHECK_OK(Parse(file, &h, limits));
  // Checked from the length field alone, before the header is read.
  std::string huge = RawNpy(2, 0, "");
  huge[8] = huge[9] = huge[10] = huge[11] = '\xff';
  CHECK_ERROR(Parse(huge, &h), Code::kHeaderTooLarge, "exceeds max_header_size");
  tfnpy::Preamble pre;
  CHECK_ERROR(tfnpy::ParsePreamble(huge.data(), huge.size(), Limits(), &pre), Code::kHeaderTooLarge,
              "exceeds max_header_size");
  // The default is numpy's 10000.
  CHECK_EQ(Limits().max_header_size, 10000u);
  CHECK_OK(Parse(Npy(Dict("<f8", false, "()") + std::string(9880, ' '), std::string(8, '\0')), &h));
  CHECK_ERROR(Parse(Npy(Dict("<f8", false, "()") + std::string(9950, ' '), std::string(8, '\0')), &h),
              Code::kHeaderTooLarge, "exceeds max_header_size");
}

TEST(ErrorHeaderTruncated) {
  const std::string file = Npy(Dict("<f8", false, "()"), std::string(8, '\0'));
  Header h;
  CHECK_ERROR(Parse(file.substr(0, 60), &h), Code::kHeaderTruncated, "runs past the end of the input");
  CHECK_ERROR(Parse(file.substr(0, 10), &h), Code::kHeaderTruncated, "runs past the end of the input");
  CHECK_ERROR(Parse(std::string("\x93NUMPY\x01\x00\xff\x00{'descr'", 17), &h), Code::kHeaderTruncated,
              "runs past the end of the input");
  // The header alone is enough for ParseHeader.
  CHECK_OK(ParseHdr(file.substr(0, 128), &h));
}

TEST(ErrorHeaderEncoding) {
  Header h;
  CHECK_ERROR(Parse(Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), '\xff': 1}", std::string(8, '\0'), 3), &h),
              Code::kHeaderEncoding, "not valid UTF-8");
}

TEST(ErrorHeaderSyntax) {
  const std::vector<std::string> bad = {
      "",
      "   ",
      "{",
      "}",
      "{'descr': '<f8', 'fortran_order': False, 'shape': ()",
      "{'descr': '<f8' 'fortran_order': False, 'shape': ()}",
      "{'descr': '<f8', 'fortran_order': False, 'shape': ()}}",
      "{'descr': '<f8', 'fortran_order': False, 'shape': ()} x",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (,)}",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (1,,)}",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (1 2)}",
      "{'descr': '<f8', 'fortran_order': false, 'shape': ()}",
      "{'descr': '<f8, 'fortran_order': False, 'shape': ()}",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (01,)}",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (1__0,)}",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2**3,)}",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (1,)",
      std::string("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)}\x00", 56),
      std::string("{'descr': '<f8', 'fortran_order': False, 'shape': (1\x00,)}", 56),
      "{'descr': '<f8', 'fortran_order': False 'shape': (1,)}",
      "{'descr' '<f8', 'fortran_order': False, 'shape': (1,)}",
      "{'descr': f'<f8', 'fortran_order': False, 'shape': (1,)}",
      "['descr', '<f8']",
      "dict(descr='<f8', fortran_order=False, shape=())",
      std::string(200, '(') + std::string(200, ')'),
  };
  for (const std::string& text : bad) {
    SCOPE(text.substr(0, 70));
    Header h;
    CHECK_ERROR(Parse(Npy(text, std::string(8, '\0')), &h), Code::kHeaderSyntax, "header is not a dict literal");
  }
  // Deep nesting is bounded, not a stack overflow.
  Limits roomy;
  roomy.max_header_size = 1 << 22;
  Header h;
  const std::string deep = "{'descr': '<f8', 'fortran_order': False, 'shape': " + std::string(1 << 20, '(') + "}";
  CHECK_ERROR(Parse(Npy(deep, "", 2), &h, roomy), Code::kHeaderSyntax, "nesting too deep");
  const std::string deep_list = "{'descr': " + std::string(100000, '[') + "}";
  CHECK_ERROR(Parse(Npy(deep_list, "", 2), &h, roomy), Code::kHeaderSyntax, "nesting too deep");
  // Balanced but deep: refused by depth, not by a missing bracket.
  const std::string balanced = "{'descr': " + std::string(100, '[') + std::string(100, ']') +
                               ", 'fortran_order': False, 'shape': ()}";
  CHECK_ERROR(Parse(Npy(balanced, std::string(8, '\0')), &h), Code::kHeaderSyntax, "nesting too deep");
  // The message says what is wrong and where (offset into the header text).
  const std::string unterminated = Npy("{'descr': '<f8", std::string(8, '\0'));  // Npy pads, then '\n'.
  const size_t newline_at = unterminated.size() - 8 - 10 - 1;  // The header's final byte.
  CHECK_ERROR(Parse(unterminated, &h), Code::kHeaderSyntax,
              "newline inside a string at offset " + std::to_string(newline_at));
  CHECK_ERROR(Parse(Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,", std::string(8, '\0')), &h),
              Code::kHeaderSyntax, "unexpected end of header");
  CHECK_ERROR(Parse(Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} x", std::string(8, '\0')), &h),
              Code::kHeaderSyntax, "unexpected text after the dict");
  CHECK_ERROR(Parse(Npy("[1, 2]", std::string(8, '\0')), &h), Code::kHeaderSyntax,
              "header is not a dict literal: found '[1, 2]'");
}

TEST(ErrorHeaderKeys) {
  Header h;
  const std::string data(8, '\0');
  CHECK_ERROR(Parse(Npy("{'descr': '<f8', 'fortran_order': False}", data), &h), Code::kHeaderKeys,
              "missing key 'shape'");
  CHECK_ERROR(Parse(Npy("{'shape': (), 'fortran_order': False}", data), &h), Code::kHeaderKeys,
              "missing key 'descr'");
  CHECK_ERROR(Parse(Npy("{'descr': '<f8', 'shape': ()}", data), &h), Code::kHeaderKeys,
              "missing key 'fortran_order'");
  CHECK_ERROR(Parse(Npy("{}", data), &h), Code::kHeaderKeys, "missing key");
  CHECK_ERROR(Parse(Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), 'foo': 1}", data), &h),
              Code::kHeaderKeys, "unexpected key 'foo'");
  CHECK_ERROR(Parse(Npy("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': ()}", data), &h),
              Code::kHeaderKeys, "duplicate key 'descr'");
  CHECK_ERROR(Parse(Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), \"shape\": ()}", data), &h),
              Code::kHeaderKeys, "duplicate key 'shape'");
  // Keys are str: bytes and ints are other keys.
  CHECK_ERROR(Parse(Npy("{b'descr': '<f8', 'fortran_order': False, 'shape': ()}", data), &h), Code::kHeaderKeys,
              "unexpected key");
  CHECK_ERROR(Parse(Npy("{1: '<f8', 'fortran_order': False, 'shape': ()}", data), &h), Code::kHeaderKeys,
              "unexpected key");
  CHECK_ERROR(Parse(Npy("{'Descr': '<f8', 'fortran_order': False, 'shape': ()}", data), &h), Code::kHeaderKeys,
              "unexpected key");
}

TEST(ErrorBadDescr) {
  for (const char* descr : {"<f3", "<i3", "<b2", "f8<", "<", "", "xyz", "<q8", "float65", ">>f8", "<f8 "}) {
    SCOPE(std::string("descr ") + descr);
    Header h;
    CHECK_ERROR(Parse(Npy(Dict(descr, false, "()"), std::string(16, '\0')), &h), Code::kBadDescr,
                "is not a valid dtype");
  }
  Header h;
  for (const char* value : {"8", "None", "True", "b'<f8'", "{}"}) {
    SCOPE(std::string("descr value ") + value);
    CHECK_ERROR(Parse(Npy(std::string("{'descr': ") + value + ", 'fortran_order': False, 'shape': ()}",
                          std::string(16, '\0')), &h),
                Code::kBadDescr, "is not a valid dtype");
  }
}

TEST(ErrorUnsupportedDtype) {
  for (const char* descr : {"<U3", "|O", "<f16", "|S5", "|V8", "<M8[ns]", "<m8", "object", "<c32", "g"}) {
    SCOPE(std::string("descr ") + descr);
    Header h;
    Status s = Parse(Npy(Dict(descr, false, "(1,)"), std::string(64, '\0')), &h);
    CHECK_ERROR(s, Code::kUnsupportedDtype, "unsupported descr");
    CHECK_ERROR(s, Code::kUnsupportedDtype, descr);  // Names the descr.
  }
  Header h;
  CHECK_ERROR(Parse(Npy("{'descr': [('a', '<i4'), ('b', '<f8')], 'fortran_order': False, 'shape': (1,)}",
                        std::string(12, '\0')), &h),
              Code::kUnsupportedDtype, "unsupported descr");
  // The message quotes the descr value as written: a string with its quotes,
  // a structured descr as its list.
  CHECK_ERROR(Parse(Npy(Dict("|O", false, "(1,)"), std::string(8, '\0')), &h), Code::kUnsupportedDtype,
              "unsupported descr '|O'");
  CHECK_ERROR(Parse(Npy("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,)}", std::string(4, '\0')), &h),
              Code::kUnsupportedDtype, "unsupported descr [('a', '<i4')]");
}

TEST(ErrorBadFortranOrder) {
  for (const char* value : {"1", "0", "None", "'True'", "(True,)"}) {
    SCOPE(std::string("fortran_order ") + value);
    Header h;
    CHECK_ERROR(Parse(Npy(std::string("{'descr': '<f8', 'fortran_order': ") + value + ", 'shape': ()}",
                          std::string(8, '\0')), &h),
                Code::kBadFortranOrder, "fortran_order is not a bool");
  }
}

TEST(ErrorBadShape) {
  Header h;
  CHECK_ERROR(Parse(Npy(Dict("<f8", false, "(3, 'a')"), std::string(64, '\0')), &h), Code::kBadShape,
              "shape is not a tuple of ints");
  CHECK_ERROR(Parse(Npy(Dict("<f8", false, "(-1,)"), ""), &h), Code::kBadShape, "negative dimension");
  CHECK_ERROR(Parse(Npy(Dict("<f8", false, "(2, -3)"), ""), &h), Code::kBadShape, "negative dimension");
  CHECK_ERROR(Parse(Npy(Dict("<f8", false, "(0, -1)"), ""), &h), Code::kBadShape, "negative dimension");
  CHECK_ERROR(Parse(Npy(Dict("<f8", false, "(-9223372036854775808,)"), ""), &h), Code::kBadShape,
              "negative dimension");
}

TEST(ErrorTooManyDims) {
  auto ones = [](int n) {
    std::string s = "(";
    for (int i = 0; i < n; ++i) s += "1, ";
    return s + ")";
  };
  Header h;
  std::vector<unsigned char> out;
  if (CHECK_OK(Load(Npy(Dict("<f8", false, ones(64)), std::string(8, '\x01')), &h, &out))) {
    CHECK_EQ(h.ndims, 64);
    CHECK_EQ(h.num_elements, 1u);
  }
  // With Fortran order too (all axes of length 1).
  CHECK_OK(Load(Npy(Dict("<f8", true, ones(64)), std::string(8, '\x01')), &h, &out));
  CHECK_ERROR(Parse(Npy(Dict("<f8", false, ones(65)), std::string(8, '\0')), &h), Code::kTooManyDims,
              "dimensions; at most 64");
  CHECK_ERROR(Parse(Npy(Dict("<f8", false, ones(1000)), std::string(8, '\0'), 2), &h), Code::kTooManyDims,
              "dimensions; at most 64");
}

TEST(ErrorSizeOverflow) {
  const char* shapes[] = {
      "(9223372036854775808,)",              // > INT64_MAX itself
      "(99999999999999999999999999999,)",    // > UINT64_MAX
      "(4611686018427387904, 2)",            // 2**63 elements
      "(4294967296, 4294967296)",
      "(0, 4611686018427387904, 4611686018427387904)",  // zeros do not hide it
  };
  for (const char* shape : shapes) {
    SCOPE(std::string("shape ") + shape);
    Header h;
    CHECK_ERROR(Parse(Npy(Dict("|u1", false, shape), ""), &h), Code::kSizeOverflow, "overflows");
  }
  Header h;
  // 2**61 float64s are 2**64 bytes.
  CHECK_ERROR(Parse(Npy(Dict("<f8", false, "(2305843009213693952,)"), ""), &h), Code::kSizeOverflow, "overflows");
  // As numpy: an empty array whose other dims overflow in bytes is refused.
  CHECK_ERROR(Parse(Npy(Dict("<f8", false, "(0, 4611686018427387904)"), ""), &h), Code::kSizeOverflow,
              "overflows");
  // Just fits: INT64_MAX one-byte elements (then the data is missing).
  CHECK_OK(ParseHdr(Npy(Dict("|u1", false, "(9223372036854775807,)"), ""), &h));
  CHECK_EQ(h.data_bytes, static_cast<uint64_t>(INT64_MAX));
  CHECK_ERROR(Parse(Npy(Dict("|u1", false, "(9223372036854775807,)"), ""), &h), Code::kDataTruncated,
              "data truncated");
  CHECK_OK(ParseHdr(Npy(Dict("<f8", false, "(0, 1152921504606846975)"), ""), &h));
  CHECK_EQ(h.data_bytes, 0u);
  CHECK_EQ(h.num_elements, 0u);
}

TEST(ErrorDataTruncated) {
  const std::string file = Npy(Dict("<i4", false, "(3,)"), std::string(12, '\0'));
  Header h;
  CHECK_OK(Parse(file, &h));
  CHECK_ERROR(Parse(file.substr(0, file.size() - 1), &h), Code::kDataTruncated, "data truncated");
  CHECK_ERROR(Parse(file.substr(0, 128), &h), Code::kDataTruncated, "data truncated");
  CHECK_ERROR(tfnpy::CheckDataSize(h, file.size() - 1), Code::kDataTruncated, "data truncated");
  CHECK_ERROR(tfnpy::CheckDataSize(h, 0), Code::kDataTruncated, "data truncated");
  CHECK_OK(tfnpy::CheckDataSize(h, file.size()));
  CHECK_OK(tfnpy::CheckDataSize(h, file.size() + 1000));  // Trailing bytes are ignored.
  std::vector<unsigned char> src(11), dst(12);
  CHECK_ERROR(tfnpy::DecodeData(h, src.data(), src.size(), dst.data(), dst.size()), Code::kDataTruncated,
              "data truncated");
  // Trailing bytes after the array are allowed, as np.load.
  std::vector<unsigned char> out;
  CHECK_OK(Load(file + "trailing junk", &h, &out));
}

TEST(ErrorTooLarge) {
  const std::string file = Npy(Dict("<f8", false, "(4,)"), std::string(32, '\0'));
  Header h;
  Limits limits;
  limits.max_output_bytes = 31;
  // The message names the array's size and the limit.
  CHECK_ERROR(Parse(file, &h, limits), Code::kTooLarge, "is 32 bytes, which exceeds max_output_bytes 31");
  CHECK_ERROR(ParseHdr(file.substr(0, 128), &h, limits), Code::kTooLarge, "exceeds max_output_bytes 31");
  limits.max_output_bytes = 32;
  CHECK_OK(Parse(file, &h, limits));
  // Checked before the data: a header claiming a huge array fails on size.
  limits.max_output_bytes = 1 << 20;
  CHECK_ERROR(Parse(Npy(Dict("<f8", false, "(1000000,)"), ""), &h, limits), Code::kTooLarge,
              "exceeds max_output_bytes");
  // CheckOutputSize on a row slice of a header parsed under a larger limit.
  if (CHECK_OK(Parse(file, &h))) {
    Header rows;
    if (CHECK_OK(tfnpy::SliceRows(h, 1, 3, &rows))) {
      limits.max_output_bytes = 15;
      CHECK_ERROR(tfnpy::CheckOutputSize(rows, limits), Code::kTooLarge, "exceeds max_output_bytes");
      limits.max_output_bytes = 16;
      CHECK_OK(tfnpy::CheckOutputSize(rows, limits));
    }
  }
}

TEST(ErrorBadArgument) {
  const std::string file = Npy(Dict("<i4", false, "(2, 3)"), std::string(24, '\0'));
  Header h;
  if (!CHECK_OK(Parse(file, &h))) return;
  std::vector<unsigned char> src(24), dst(25);
  CHECK_ERROR(tfnpy::DecodeData(h, src.data(), 24, dst.data(), 25), Code::kBadArgument, "output buffer");
  CHECK_ERROR(tfnpy::DecodeData(h, src.data(), 24, dst.data(), 23), Code::kBadArgument, "output buffer");
  CHECK_ERROR(tfnpy::DecodeData(h, src.data(), 24, dst.data(), 0), Code::kBadArgument, "output buffer");
  Header rows;
  CHECK_ERROR(tfnpy::SliceRows(h, -1, 2, &rows), Code::kBadArgument, "negative");
  CHECK_ERROR(tfnpy::SliceRows(h, 0, -2, &rows), Code::kBadArgument, "negative");
}

TEST(CodeNamesAreDistinct) {
  std::vector<std::string> names;
  for (int c = 0; c <= static_cast<int>(Code::kBadArgument); ++c) {
    const std::string name = tfnpy::CodeName(static_cast<Code>(c));
    SCOPE("code " + std::to_string(c));
    CHECK(name != "unknown" && !name.empty());
    for (const std::string& other : names) CHECK(other != name);
    names.push_back(name);
  }
  CHECK_EQ(std::string(tfnpy::CodeName(Code::kOk)), std::string("ok"));
  CHECK_EQ(std::string(tfnpy::CodeName(Code::kBadMagic)), std::string("bad_magic"));
  Status ok;
  CHECK(ok.ok());
  CHECK(Status::Ok().ok());
  CHECK_EQ(Status(Code::kBadShape, "x").code(), Code::kBadShape);
}

// ---------------------------------------------------------------------------
// Truncation, slicing, in-place decoding.

TEST(EveryTruncatedPrefixFailsCleanly) {
  const std::vector<std::string> files = {
      Npy(Dict("<f8", false, "(3, 2)"), std::string(48, '\x11'), 1),
      Npy(Dict(">c8", true, "(2, 2)"), std::string(32, '\x22'), 2),
      Npy(Dict("|b1", false, "(5,)"), std::string(5, '\x02'), 3),
      Npy(Dict("<i2", false, "()"), std::string(2, '\x7f'), 1),
      Npy(Dict("<u4", false, "(7, 0)"), "", 1),
      Npy(Dict("<f8", false, "(3,)"), std::string(24, '\0'), 1, 16),
  };
  for (size_t f = 0; f < files.size(); ++f) {
    const std::string& file = files[f];
    Header full;
    if (!CHECK_OK(Parse(file, &full))) continue;
    const size_t pre = PreambleSize(full.preamble.major);
    for (size_t n = 0; n < file.size(); ++n) {
      SCOPE("file " + std::to_string(f) + " prefix " + std::to_string(n));
      Buf b(file, n);
      Header h;
      const Status s = tfnpy::ParseNpy(b.p.get(), b.n, Limits(), &h);
      if (n < pre) {
        CHECK_ERROR(s, Code::kTruncated, "too short for the .npy preamble");
      } else if (n < full.data_offset) {
        CHECK_ERROR(s, Code::kHeaderTruncated, "runs past the end of the input");
      } else if (n < full.data_offset + full.data_bytes) {
        CHECK_ERROR(s, Code::kDataTruncated, "data truncated");
      } else {
        CHECK_OK(s);  // An empty array needs no data bytes.
      }
      // ParseHeader needs only the header; ParsePreamble only the preamble.
      const Status hs = tfnpy::ParseHeader(b.p.get(), b.n, Limits(), &h);
      CHECK_EQ(hs.ok(), n >= full.data_offset);
      tfnpy::Preamble p;
      const Status ps = tfnpy::ParsePreamble(b.p.get(), b.n, Limits(), &p);
      CHECK_EQ(ps.ok(), n >= pre);
      if (ps.ok()) CHECK_EQ(p.data_offset, full.data_offset);
    }
  }
}

TEST(ParsePreambleAndParseHeaderAlone) {
  const std::string file = Npy(Dict("<f8", false, "(3,)"), std::string(24, '\0'), 2);
  tfnpy::Preamble p;
  if (CHECK_OK(tfnpy::ParsePreamble(file.data(), tfnpy::kMaxPreambleSize, Limits(), &p))) {
    CHECK_EQ(static_cast<int>(p.major), 2);
    CHECK_EQ(p.header_len, 116u);
    CHECK_EQ(p.data_offset, 128u);
  }
  Header h;
  if (CHECK_OK(ParseHdr(file.substr(0, 128), &h))) {
    CHECK_EQ(h.data_bytes, 24u);
    CHECK_ERROR(tfnpy::CheckDataSize(h, 128), Code::kDataTruncated, "data truncated");
    CHECK_ERROR(tfnpy::CheckDataSize(h, 151), Code::kDataTruncated, "data truncated");
    CHECK_OK(tfnpy::CheckDataSize(h, 152));
  }
  // The length field is unsigned little-endian: four bytes in v2 (00 00 01 00
  // is 65536), two in v1 (ff ff is 65535, not -1). The preamble alone is
  // enough; the header need not be present.
  Limits roomy;
  roomy.max_header_size = 100000;
  const std::string v2("\x93NUMPY\x02\x00\x00\x00\x01\x00", 12);
  if (CHECK_OK(tfnpy::ParsePreamble(v2.data(), v2.size(), roomy, &p))) {
    CHECK_EQ(static_cast<int>(p.major), 2);
    CHECK_EQ(p.header_len, 65536u);
    CHECK_EQ(p.data_offset, 65548u);
  }
  const std::string v1("\x93NUMPY\x01\x00\xff\xff", 10);
  if (CHECK_OK(tfnpy::ParsePreamble(v1.data(), v1.size(), roomy, &p))) {
    CHECK_EQ(static_cast<int>(p.major), 1);
    CHECK_EQ(p.header_len, 65535u);
    CHECK_EQ(p.data_offset, 65545u);
  }
  CHECK_ERROR(tfnpy::ParsePreamble(v1.data(), v1.size(), Limits(), &p), Code::kHeaderTooLarge,
              "header length 65535 exceeds max_header_size 10000");
}

// Loads `file`, slices rows [start, stop) and decodes the slice from the file.
void CheckSlice(const std::string& file, const DTypeCase& t, int64_t start,
                int64_t stop, int64_t want_rows) {
  SCOPE("rows [" + std::to_string(start) + ", " + std::to_string(stop) + ")");
  Header h;
  std::vector<unsigned char> all;
  if (!CHECK_OK(Load(file, &h, &all))) return;
  Header rows;
  if (!CHECK_OK(tfnpy::SliceRows(h, start, stop, &rows))) return;
  CHECK_EQ(rows.ndims, h.ndims);
  CHECK_EQ(rows.dims[0], want_rows);
  for (int k = 1; k < h.ndims; ++k) CHECK_EQ(rows.dims[k], h.dims[k]);
  uint64_t row_elems = 1;
  for (int k = 1; k < h.ndims; ++k) row_elems *= static_cast<uint64_t>(h.dims[k]);
  CHECK_EQ(rows.num_elements, static_cast<uint64_t>(want_rows) * row_elems);
  CHECK_EQ(rows.data_bytes, rows.num_elements * static_cast<uint64_t>(t.size));
  CHECK_EQ(rows.dtype, h.dtype);
  CHECK_EQ(rows.swap, h.swap);
  CHECK(rows.data_offset >= h.data_offset);
  CHECK(rows.data_offset + rows.data_bytes <= h.data_offset + h.data_bytes);
  if (rows.num_elements > 0) {
    const int64_t first = start < h.dims[0] ? start : h.dims[0];
    CHECK_EQ(rows.data_offset,
             h.data_offset + static_cast<uint64_t>(first) * row_elems * static_cast<uint64_t>(t.size));
  }
  std::vector<unsigned char> part(rows.data_bytes, 0xCD);
  Buf src(file.substr(rows.data_offset));
  if (!CHECK_OK(tfnpy::DecodeData(rows, src.p.get(), src.n, part.data(), part.size()))) return;
  // The slice is exactly those rows of the whole array.
  const size_t off = rows.num_elements ? static_cast<size_t>(start) * row_elems * static_cast<size_t>(t.size) : 0;
  CHECK(off + part.size() <= all.size());
  if (!part.empty() && off + part.size() <= all.size()) {
    CHECK(std::memcmp(part.data(), all.data() + off, part.size()) == 0);
  }
}

TEST(SliceRowsSemantics) {
  const DTypeCase& i4 = kDTypes[3];
  for (const char* order : {"<", ">"}) {
    SCOPE(order);
    const std::string descr = std::string(order) + "i4";
    const std::string file =
        Npy(Dict(descr, false, "(5, 3)"), FileData(i4, {5, 3}, order[0] == '<', false));
    CheckSlice(file, i4, 0, 5, 5);
    CheckSlice(file, i4, 1, 3, 2);
    CheckSlice(file, i4, 4, 5, 1);
    CheckSlice(file, i4, 3, 100, 2);                 // stop clamped
    CheckSlice(file, i4, 0, INT64_MAX, 5);           // no overflow
    CheckSlice(file, i4, 2, 2, 0);                   // empty
    CheckSlice(file, i4, 4, 2, 0);                   // start > stop: empty
    CheckSlice(file, i4, 7, 9, 0);                   // past the end: empty
    CheckSlice(file, i4, INT64_MAX, INT64_MAX, 0);
  }
  // 1-D, 3-D, zero-size rows and zero rows.
  const DTypeCase& c16 = kDTypes[13];
  CheckSlice(Npy(Dict(">c16", false, "(6,)"), FileData(c16, {6}, false, false)), c16, 2, 5, 3);
  CheckSlice(Npy(Dict(">c16", false, "(4, 2, 3)"), FileData(c16, {4, 2, 3}, false, false)), c16, 1, 3, 2);
  CheckSlice(Npy(Dict("<c16", false, "(4, 0)"), ""), c16, 1, 3, 2);
  CheckSlice(Npy(Dict("<c16", false, "(0, 4)"), ""), c16, 1, 3, 0);
  // Fortran order whose rows are contiguous: 1-D, one column, one row.
  const DTypeCase& u2 = kDTypes[6];
  CheckSlice(Npy(Dict(">u2", true, "(6,)"), FileData(u2, {6}, false, true)), u2, 1, 4, 3);
  CheckSlice(Npy(Dict(">u2", true, "(6, 1)"), FileData(u2, {6, 1}, false, true)), u2, 1, 4, 3);
  CheckSlice(Npy(Dict(">u2", true, "(6, 1, 1)"), FileData(u2, {6, 1, 1}, false, true)), u2, 5, 9, 1);
  CheckSlice(Npy(Dict(">u2", true, "(1, 6)"), FileData(u2, {1, 6}, false, true)), u2, 0, 1, 1);
  // Refused: scalars, negative bounds, Fortran rows that are not contiguous.
  Header h, rows;
  if (CHECK_OK(Parse(Npy(Dict("<f8", false, "()"), std::string(8, '\0')), &h))) {
    CHECK_ERROR(tfnpy::SliceRows(h, 0, 1, &rows), Code::kBadArgument, "scalar");
  }
  if (CHECK_OK(Parse(Npy(Dict("<f8", true, "(3, 4)"), std::string(96, '\0')), &h))) {
    CHECK_ERROR(tfnpy::SliceRows(h, 0, 1, &rows), Code::kBadArgument, "Fortran");
  }
  if (CHECK_OK(Parse(Npy(Dict("<f8", false, "(3, 4)"), std::string(96, '\0')), &h))) {
    CHECK_ERROR(tfnpy::SliceRows(h, -1, 1, &rows), Code::kBadArgument, "negative");
  }
}

TEST(DecodeInPlace) {
  for (const DTypeCase& t : kDTypes) {
    for (const char* order : {"<", ">"}) {
      for (bool fortran : {false, true}) {
        for (const auto& dims : std::vector<std::vector<int64_t>>{{5}, {1, 4}, {3, 1}, {0, 3}, {2, 3}}) {
          const std::string descr = std::string(order) + t.kind + std::to_string(t.size);
          SCOPE(descr + (fortran ? " F " : " C ") + ShapeText(dims));
          const std::string file =
              Npy(Dict(descr, fortran, ShapeText(dims)), FileData(t, dims, order[0] == '<', fortran));
          Header h;
          if (!CHECK_OK(Parse(file, &h))) continue;
          std::vector<unsigned char> buf(file.begin() + static_cast<std::ptrdiff_t>(h.data_offset), file.end());
          const bool can = fortran ? Product(dims) == 0 || dims == std::vector<int64_t>{5} ||
                                         dims[0] == 1 || dims[1] == 1
                                   : true;
          CHECK_EQ(tfnpy::CanDecodeInPlace(h), can);
          const Status s = tfnpy::DecodeData(h, buf.data(), buf.size(), buf.data(), buf.size());
          if (can) {
            if (CHECK_OK(s)) CheckPattern(t, buf, Product(dims));
          } else {
            CHECK_ERROR(s, Code::kBadArgument, "in place");
          }
        }
      }
    }
  }
}

TEST(DecodeEmptyArrays) {
  for (const char* shape : {"(0,)", "(3, 0, 2)", "(0, 0)"}) {
    for (bool fortran : {false, true}) {
      SCOPE(std::string(shape) + (fortran ? " F" : " C"));
      Header h;
      if (!CHECK_OK(Parse(Npy(Dict(">f8", fortran, shape), ""), &h))) continue;
      CHECK_EQ(h.data_bytes, 0u);
      CHECK_EQ(h.num_elements, 0u);
      CHECK(tfnpy::CanDecodeInPlace(h));
      CHECK_OK(tfnpy::DecodeData(h, nullptr, 0, nullptr, 0));
      unsigned char one = 0;
      CHECK_ERROR(tfnpy::DecodeData(h, &one, 1, &one, 1), Code::kBadArgument, "output buffer");
    }
  }
  // A scalar has one element.
  Header h;
  if (CHECK_OK(Parse(Npy(Dict("<i8", false, "()"), std::string(8, '\0')), &h))) {
    CHECK_EQ(h.ndims, 0);
    CHECK_EQ(h.num_elements, 1u);
    CHECK_EQ(h.data_bytes, 8u);
  }
}

TEST(DescribingHelpers) {
  const int64_t d2[] = {10, 10};
  const int64_t d1[] = {3};
  CHECK_EQ(tfnpy::ShapeString(d2, 2), std::string("(10, 10)"));
  CHECK_EQ(tfnpy::ShapeString(d1, 1), std::string("(3,)"));
  CHECK_EQ(tfnpy::ShapeString(nullptr, 0), std::string("()"));
  for (const DTypeCase& t : kDTypes) {
    SCOPE(tfnpy::DTypeName(t.dtype));
    CHECK_EQ(tfnpy::ItemSize(t.dtype), static_cast<size_t>(t.size));
    // DTypeDescr is the little-endian descr and parses back to the type.
    const std::string descr = tfnpy::DTypeDescr(t.dtype);
    CHECK_EQ(descr.substr(1), std::string(1, t.kind) + std::to_string(t.size));
    CHECK(descr[0] == (t.size == 1 ? '|' : '<'));
    Header h;
    if (CHECK_OK(Parse(Npy(Dict(descr, false, "()"), std::string(16, '\0')), &h))) {
      CHECK_EQ(h.dtype, t.dtype);
    }
    // So does the name.
    if (CHECK_OK(Parse(Npy(Dict(tfnpy::DTypeName(t.dtype), false, "()"), std::string(16, '\0')), &h))) {
      CHECK_EQ(h.dtype, t.dtype);
    }
  }
  Header h;
  if (CHECK_OK(Parse(Npy(Dict("<f8", false, "()"), std::string(8, '\0')), &h))) {
    CHECK_EQ(tfnpy::DescribeDtype(h), std::string("<f8 (float64)"));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int passed = 0, failed = 0;
  for (const TestCase& t : Registry()) {
    if (filter && std::strstr(t.name, filter) == nullptr) continue;
    g_failed_checks = 0;
    t.fn();
    if (g_failed_checks == 0) {
      ++passed;
      std::printf("[ OK ] %s\n", t.name);
    } else {
      ++failed;
      std::printf("[FAIL] %s (%d failed checks)\n", t.name, g_failed_checks);
    }
    std::fflush(stdout);
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
