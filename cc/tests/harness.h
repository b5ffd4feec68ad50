// The core's unit-test harness: registration, checks that report and go
// on, and builders of .npy bytes and reference layouts. No framework to
// install: every test file includes this, test_main.cc runs them all.
//
// Every input is copied into a heap buffer of exactly its size before the
// core sees it, so AddressSanitizer catches a read one byte past the end.
#ifndef TFNPY_CC_TESTS_HARNESS_H_
#define TFNPY_CC_TESTS_HARNESS_H_

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "npy/npy_format.h"

namespace tfnpy_test {

using tfnpy::Code;
using tfnpy::DType;
using tfnpy::Header;
using tfnpy::Limits;
using tfnpy::Status;

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
inline std::vector<TestCase>& Registry() {
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

inline int g_failed_checks = 0;  // In the running test.
// What a loop is testing right now, printed with each failure.
inline std::vector<std::string> g_scope;

struct Scope {
  explicit Scope(std::string what) { g_scope.push_back(std::move(what)); }
  ~Scope() { g_scope.pop_back(); }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;
};
#define SCOPE_CAT2(a, b) a##b
#define SCOPE_CAT(a, b) SCOPE_CAT2(a, b)
#define SCOPE(what) const Scope SCOPE_CAT(scope_, __LINE__)(what)

inline void Fail(const char* file, int line, const std::string& what) {
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

inline std::string Str(const std::string& s) { return "\"" + s + "\""; }
inline std::string Str(bool b) { return b ? "true" : "false"; }
inline std::string Str(Code c) { return tfnpy::CodeName(c); }
inline std::string Str(DType d) { return tfnpy::DTypeName(d); }
template <typename T>
inline std::string Str(T v) {
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
inline bool CheckOkImpl(const Status& s, const char* expr, const char* file,
                 int line) {
  if (s.ok()) return true;
  Fail(file, line,
       std::string(expr) + " -> " + tfnpy::CodeName(s.code()) + ": " +
           s.message());
  return false;
}
#define CHECK_OK(expr) CheckOkImpl((expr), #expr, __FILE__, __LINE__)

// CHECK that evaluates to the condition, so callers can stop early.
inline bool CheckTrueImpl(bool cond, const char* expr, const char* file, int line) {
  if (!cond) Fail(file, line, std::string("CHECK_TRUE(") + expr + ") failed");
  return cond;
}
#define CHECK_TRUE(cond) CheckTrueImpl((cond), #cond, __FILE__, __LINE__)

inline void CheckErrorImpl(const Status& s, Code code, const std::string& substr,
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

inline bool HostLittle() {
  const uint16_t one = 1;
  unsigned char b;
  std::memcpy(&b, &one, 1);
  return b == 1;
}

// The bytes of a file with the given version and header text, exactly as
// given (no padding, no newline).
inline std::string RawNpy(int major, int minor, const std::string& header,
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

inline size_t PreambleSize(int major) { return major == 1 ? 10 : 12; }

// As numpy writes it: the dict, spaces up to a multiple of `align` bytes
// (counting the preamble), then '\n'.
inline std::string Npy(const std::string& dict, const std::string& data = "",
                int major = 1, size_t align = 64) {
  std::string text = dict;
  while ((PreambleSize(major) + text.size() + 1) % align != 0) text += ' ';
  text += '\n';
  return RawNpy(major, 0, text, data);
}

inline std::string ShapeText(const std::vector<int64_t>& dims) {
  std::string s = "(";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims[i]);
  }
  if (dims.size() == 1) s += ",";
  return s + ")";
}

inline std::string Dict(const std::string& descr, bool fortran,
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

inline Status Parse(const std::string& file, Header* h, const Limits& limits = Limits()) {
  Buf b(file);
  return tfnpy::ParseNpy(b.p.get(), b.n, limits, h);
}
inline Status ParseHdr(const std::string& file, Header* h,
                const Limits& limits = Limits()) {
  Buf b(file);
  return tfnpy::ParseHeader(b.p.get(), b.n, limits, h);
}

// Parses and decodes a whole file into `out` (exactly data_bytes long).
inline Status Load(const std::string& file, Header* h, std::vector<unsigned char>* out,
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
inline constexpr DTypeCase kDTypes[] = {
    {DType::kBool, 'b', 1},       {DType::kInt8, 'i', 1},
    {DType::kInt16, 'i', 2},      {DType::kInt32, 'i', 4},
    {DType::kInt64, 'i', 8},      {DType::kUInt8, 'u', 1},
    {DType::kUInt16, 'u', 2},     {DType::kUInt32, 'u', 4},
    {DType::kUInt64, 'u', 8},     {DType::kFloat16, 'f', 2},
    {DType::kFloat32, 'f', 4},    {DType::kFloat64, 'f', 8},
    {DType::kComplex64, 'c', 8},  {DType::kComplex128, 'c', 16},
};
static_assert(sizeof(kDTypes) / sizeof(kDTypes[0]) == tfnpy::kNumNumericDTypes,
              "every dtype is tested");

// ml_dtypes' types, as np.save stores them (dtype.str of the ml_dtypes
// array: "<V2", "<V1"), written by hand; strings_test checks the core's
// table against it.
struct VoidDTypeCase {
  DType dtype;
  const char* name;  // ml_dtypes' and TensorFlow's
  int size;          // bytes: the n of V<n>
};
inline constexpr VoidDTypeCase kVoidDTypes[] = {
    {DType::kBFloat16, "bfloat16", 2},
    {DType::kFloat8E4M3FN, "float8_e4m3fn", 1},
    {DType::kFloat8E4M3FNUZ, "float8_e4m3fnuz", 1},
    {DType::kFloat8E4M3B11FNUZ, "float8_e4m3b11fnuz", 1},
    {DType::kFloat8E5M2FNUZ, "float8_e5m2fnuz", 1},
    {DType::kInt4, "int4", 1},
    {DType::kUInt4, "uint4", 1},
};

inline bool IsComplex(DType d) {
  return d == DType::kComplex64 || d == DType::kComplex128;
}

// The native bytes of element `c` (its C-order index): distinct bytes within
// an element and from one element to the next, so a wrong swap or a wrong
// transpose shows. Bools are 0/1.
inline void NativeElem(const DTypeCase& t, uint64_t c, unsigned char* out) {
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
inline void SwapElem(const DTypeCase& t, unsigned char* e) {
  const int unit = IsComplex(t.dtype) ? t.size / 2 : t.size;
  for (int u = 0; u < t.size; u += unit) {
    for (int i = 0, j = unit - 1; i < j; ++i, --j) {
      const unsigned char tmp = e[u + i];
      e[u + i] = e[u + j];
      e[u + j] = tmp;
    }
  }
}

inline uint64_t Product(const std::vector<int64_t>& dims) {
  uint64_t n = 1;
  for (int64_t d : dims) n *= static_cast<uint64_t>(d);
  return n;
}

// Where the element with C-order index `c` sits in Fortran-order storage:
// unravel c with C strides, ravel with Fortran strides.
inline uint64_t FortranOffset(const std::vector<int64_t>& dims, uint64_t c) {
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
inline std::string FileData(const DTypeCase& t, const std::vector<int64_t>& dims,
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
inline void CheckPattern(const DTypeCase& t, const std::vector<unsigned char>& out,
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

inline const std::vector<std::vector<int64_t>>& Shapes() {
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

// ---------------------------------------------------------------------------
// Byte sources for the reader.

// A file held in a string but read like a file (no View), and hostile on
// request: reads cut short, failing, or a file that shrinks after some reads.
class FileLike : public tfnpy::ByteSource {
 public:
  explicit FileLike(std::string bytes) : bytes_(std::move(bytes)) {}
  size_t max_chunk = SIZE_MAX;    // Never return more than this per read.
  int fail_at = -1;               // Read number that fails (0-based).
  int shrink_after = -1;          // After this many reads the file is...
  size_t shrink_to = 0;           // ...this long.
  bool know_size = true;          // Whether Size() answers.
  int reads = 0;                  // Reads so far.
  uint64_t bytes_read = 0;        // Bytes returned so far.

  Status Read(uint64_t offset, size_t n, char* dst, size_t* got) override {
    const int k = reads++;
    *got = 0;
    if (k == fail_at) return Status(Code::kReadFailed, "injected read failure");
    if (shrink_after >= 0 && k >= shrink_after && bytes_.size() > shrink_to) {
      bytes_.resize(shrink_to);
    }
    if (offset >= bytes_.size()) return Status::Ok();
    size_t have = bytes_.size() - static_cast<size_t>(offset);
    if (have > max_chunk) have = max_chunk;
    *got = n < have ? n : have;
    // Into the reader's own buffer: ASan sees any overrun of it.
    std::memcpy(dst, bytes_.data() + offset, *got);
    bytes_read += *got;
    return Status::Ok();
  }
  bool Size(uint64_t* size) override {
    *size = bytes_.size();
    return know_size;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

// Open + Select(region) + ReadInto through `source`, into `out`.
inline Status ReadRegion(tfnpy::ByteSource* source, const tfnpy::Region& region,
                         std::vector<unsigned char>* out, tfnpy::Selection* sel,
                         const Limits& limits = Limits(), const void* fill = nullptr) {
  tfnpy::NpyReader reader;
  TFNPY_RETURN_IF_ERROR(reader.Open(source, limits));
  TFNPY_RETURN_IF_ERROR(reader.Select(region, sel));
  out->assign(sel->array.data_bytes, 0xAB);
  return reader.ReadInto(*sel, out->data(), out->size(), fill);
}

// A source whose reads return nothing, whatever size it gives.
class Silent : public tfnpy::ByteSource {
 public:
  explicit Silent(uint64_t size = 0) : size_(size) {}
  Status Read(uint64_t, size_t, char*, size_t* got) override {
    *got = 0;
    return Status::Ok();
  }
  bool Size(uint64_t* size) override {
    *size = size_;
    return true;
  }

 private:
  uint64_t size_;
};

// Runs `read` (which fills *out) with the core's k-th allocation made to
// fail, for k = 0, 1, ... until a run needs no more: every run that met a
// failed allocation gives kOutOfMemory naming a size, never a crash, a leak
// or another error; the first that met none gives what the unhindered run
// gives. Returns how many allocations the read takes.
template <typename F>
int EveryAllocationFails(F read) {
  std::vector<unsigned char> want;
  tfnpy::FailAllocationsAfter(-1);
  const Status base = read(&want);
  for (int k = 0; k < 1000; ++k) {
    tfnpy::FailAllocationsAfter(k);
    std::vector<unsigned char> got;
    const Status s = read(&got);
    const bool failed = tfnpy::AllocationFailed();
    tfnpy::FailAllocationsAfter(-1);
    if (failed) {
      SCOPE("allocation " + std::to_string(k) + " failing");
      CHECK_ERROR(s, Code::kOutOfMemory, "out of memory: cannot allocate ");
      continue;
    }
    CHECK_EQ(Str(s.code()), Str(base.code()));
    CHECK_EQ(s.message(), base.message());
    CHECK(got == want);
    return k;
  }
  Fail(__FILE__, __LINE__, "more than 1000 allocations");
  return -1;
}

}  // namespace tfnpy_test

#endif  // TFNPY_CC_TESTS_HARNESS_H_
