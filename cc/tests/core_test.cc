// Unit tests of the framework-free .npy core, with no test framework: each
// TEST is a function; CHECK records a failure and carries on. Prints
// "N passed, N failed" and exits non-zero on any failure. Built and run under
// ASan + UBSan by tests/test_cc_core.py.
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "npy/npy_format.h"

namespace {

int g_failures = 0;
std::vector<std::pair<const char*, std::function<void()>>>& Registry() {
  static std::vector<std::pair<const char*, std::function<void()>>> tests;
  return tests;
}
struct Register {
  Register(const char* name, std::function<void()> fn) {
    Registry().emplace_back(name, std::move(fn));
  }
};

#define TEST(name)                                \
  void name();                                    \
  const Register register_##name(#name, name);    \
  void name()

#define CHECK(cond)                                                     \
  do {                                                                  \
    if (!(cond)) {                                                      \
      ++g_failures;                                                     \
      std::printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
    }                                                                   \
  } while (0)

#define CHECK_OK(expr)                                                  \
  do {                                                                  \
    const tfnpy::Status s_ = (expr);                                    \
    if (!s_.ok()) {                                                     \
      ++g_failures;                                                     \
      std::printf("  %s:%d: %s: %s\n", __FILE__, __LINE__, #expr,       \
                  s_.message().c_str());                                \
    }                                                                   \
  } while (0)

using tfnpy::Code;
using tfnpy::DType;
using tfnpy::Header;
using tfnpy::Limits;
using tfnpy::Status;

// A .npy file: preamble for `version`, the header text padded to 64 bytes
// with a final newline, then `data`.
std::string Npy(const std::string& dict, const std::string& data,
                int version = 1) {
  const size_t pre = version == 1 ? 10 : 12;
  std::string text = dict;
  while ((pre + text.size() + 1) % 64 != 0) text += ' ';
  text += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(version);
  out += '\0';
  const size_t n = text.size();
  out += static_cast<char>(n & 0xff);
  out += static_cast<char>((n >> 8) & 0xff);
  if (version != 1) {
    out += static_cast<char>((n >> 16) & 0xff);
    out += static_cast<char>((n >> 24) & 0xff);
  }
  return out + text + data;
}

std::string Dict(const std::string& descr, bool fortran,
                 const std::string& shape) {
  return "{'descr': '" + descr + "', 'fortran_order': " +
         (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
}

Status Parse(const std::string& file, Header* h, Limits limits = Limits()) {
  return tfnpy::ParseNpy(file.data(), file.size(), limits, h);
}

// Parses and decodes; returns the status, fills `out` on success.
Status Decode(const std::string& file, std::vector<unsigned char>* out,
              Header* h) {
  Status s = Parse(file, h);
  if (!s.ok()) return s;
  out->assign(h->data_bytes, 0xAA);
  return tfnpy::DecodeData(*h, file.data() + h->data_offset,
                           file.size() - h->data_offset, out->data(),
                           out->size());
}

bool Contains(const Status& s, const std::string& needle) {
  const bool found = s.message().find(needle) != std::string::npos;
  if (!found) std::printf("  message was: %s\n", s.message().c_str());
  return found;
}

template <typename T>
std::string Bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

std::string Reverse(std::string s, size_t unit) {
  for (size_t i = 0; i + unit <= s.size(); i += unit) {
    for (size_t a = i, b = i + unit - 1; a < b; ++a, --b) std::swap(s[a], s[b]);
  }
  return s;
}

TEST(ParsesNumpysOwnHeader) {
  std::vector<double> v(12);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.5 * i;
  Header h;
  std::vector<unsigned char> out;
  CHECK_OK(Decode(Npy(Dict("<f8", false, "(3, 4)"), Bytes(v)), &out, &h));
  CHECK(h.dtype == DType::kFloat64);
  CHECK(h.ndims == 2 && h.dims[0] == 3 && h.dims[1] == 4);
  CHECK(h.num_elements == 12 && h.data_bytes == 96 && h.data_offset % 64 == 0);
  CHECK(!h.swap && !h.fortran_order);
  CHECK(Bytes(v) == std::string(out.begin(), out.end()));
}

TEST(EveryDtypeAndByteOrder) {
  struct Case {
    const char* kind;
    size_t size;
    DType dtype;
  } cases[] = {
      {"b", 1, DType::kBool},      {"i", 1, DType::kInt8},
      {"i", 2, DType::kInt16},     {"i", 4, DType::kInt32},
      {"i", 8, DType::kInt64},     {"u", 1, DType::kUInt8},
      {"u", 2, DType::kUInt16},    {"u", 4, DType::kUInt32},
      {"u", 8, DType::kUInt64},    {"f", 2, DType::kFloat16},
      {"f", 4, DType::kFloat32},   {"f", 8, DType::kFloat64},
      {"c", 8, DType::kComplex64}, {"c", 16, DType::kComplex128},
  };
  for (const Case& c : cases) {
    for (const char* order : {"<", ">", "|", "=", ""}) {
      const std::string descr = order + std::string(c.kind) + std::to_string(c.size);
      std::string native;
      for (size_t i = 0; i < 5 * c.size; ++i) {
        native += static_cast<char>(c.dtype == DType::kBool ? i % 2 : i * 7 + 1);
      }
      const bool big = std::string(order) == ">";
      const size_t unit = c.kind[0] == 'c' ? c.size / 2 : c.size;
      const std::string stored = big ? Reverse(native, unit) : native;
      Header h;
      std::vector<unsigned char> out;
      CHECK_OK(Decode(Npy(Dict(descr, false, "(5,)"), stored), &out, &h));
      CHECK(h.dtype == c.dtype);
      CHECK(tfnpy::ItemSize(h.dtype) == c.size);
      CHECK(h.swap == (big && c.size > 1));
      CHECK(std::string(out.begin(), out.end()) == native);
    }
  }
}

TEST(BoolBytesAreNormalised) {
  Header h;
  std::vector<unsigned char> out;
  CHECK_OK(Decode(Npy(Dict("|b1", false, "(4,)"), std::string("\x00\x01\x02\xff", 4)),
                  &out, &h));
  CHECK(out == std::vector<unsigned char>({0, 1, 1, 1}));
}

// Fortran-order data of `dims` holds element (i0, i1, ...) at
// i0 + d0 * (i1 + d1 * ...); the output must be C order.
void CheckTranspose(const std::vector<int64_t>& dims, const char* descr,
                    size_t itemsize) {
  size_t n = 1;
  std::string shape = "(";
  for (int64_t d : dims) {
    n *= static_cast<size_t>(d);
    shape += std::to_string(d) + ", ";
  }
  shape += ")";
  // Element i's bytes spell out i, so every element is distinct.
  std::string stored(n * itemsize, '\0');
  for (size_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < itemsize; ++k) {
      stored[i * itemsize + k] = static_cast<char>((i >> (8 * (k % 4))) + k);
    }
  }
  Header h;
  std::vector<unsigned char> out;
  CHECK_OK(Decode(Npy(Dict(descr, true, shape), stored), &out, &h));
  CHECK(h.fortran_order);
  std::vector<size_t> idx(dims.size(), 0);
  bool ok = true;
  for (size_t c = 0; c < n; ++c) {
    size_t f = 0, stride = 1;
    for (size_t k = 0; k < dims.size(); ++k) {
      f += idx[k] * stride;
      stride *= static_cast<size_t>(dims[k]);
    }
    ok = ok && std::memcmp(out.data() + c * itemsize, stored.data() + f * itemsize,
                           itemsize) == 0;
    for (size_t k = dims.size(); k-- > 0;) {
      if (++idx[k] < static_cast<size_t>(dims[k])) break;
      idx[k] = 0;
    }
  }
  CHECK(ok);
}

TEST(FortranOrderBecomesCOrder) {
  CheckTranspose({3, 4}, "<f8", 8);
  CheckTranspose({33, 17}, "<i2", 2);
  CheckTranspose({2, 3, 4, 5}, "<f4", 4);
  CheckTranspose({7, 1, 9}, "|u1", 1);
  CheckTranspose({1, 5, 1}, "<c16", 16);
  CheckTranspose({40, 3, 2, 1, 19}, "<i8", 8);
}

TEST(FortranBigEndianSwapsAfterTranspose) {
  // (2, 3) float32 big-endian, Fortran: column-major then byte-swapped.
  std::vector<float> c = {1, 2, 3, 4, 5, 6};  // C order
  std::vector<float> f = {1, 4, 2, 5, 3, 6};  // Fortran order
  Header h;
  std::vector<unsigned char> out;
  CHECK_OK(Decode(Npy(Dict(">f4", true, "(2, 3)"), Reverse(Bytes(f), 4)), &out, &h));
  CHECK(std::string(out.begin(), out.end()) == Bytes(c));
}

TEST(ShapesScalarEmptyAndMany) {
  Header h;
  std::vector<unsigned char> out;
  CHECK_OK(Decode(Npy(Dict("<f8", false, "()"), std::string(8, '\1')), &out, &h));
  CHECK(h.ndims == 0 && h.num_elements == 1 && h.data_bytes == 8);
  CHECK_OK(Decode(Npy(Dict("<f8", false, "(0,)"), ""), &out, &h));
  CHECK(h.ndims == 1 && h.num_elements == 0);
  CHECK_OK(Decode(Npy(Dict("<i4", true, "(3, 0, 2)"), ""), &out, &h));
  CHECK(h.ndims == 3 && h.dims[1] == 0 && h.data_bytes == 0);
  std::string shape = "(";
  for (int i = 0; i < 64; ++i) shape += "1,";
  shape += ")";
  CHECK_OK(Decode(Npy(Dict("<f4", false, shape), std::string(4, '\0')), &out, &h));
  CHECK(h.ndims == 64);
}

TEST(HeaderVersions) {
  const std::string data(16, '\x11');
  for (int version : {1, 2, 3}) {
    Header h;
    CHECK_OK(Parse(Npy(Dict("<i8", false, "(2,)"), data, version), &h));
    CHECK(h.preamble.major == version);
    CHECK(h.data_offset % 64 == 0);
  }
  // Version 3.0 headers are UTF-8: non-ASCII text is fine inside a comment.
  Header h;
  CHECK_OK(Parse(Npy(Dict("<i8", false, "(2,)") + "  # caf\xc3\xa9", data, 3), &h));
}

TEST(HeaderSpellings) {
  const std::string data(24, '\0');
  const char* dicts[] = {
      "{'shape': (3,), 'descr': '<f8', 'fortran_order': False}",
      "{\"descr\":\"<f8\",\"fortran_order\":False,\"shape\":(3,)}",
      "{'descr':'<f8','fortran_order':False,'shape':(3,),}",
      "{ 'descr' : u'<f8' , 'fortran_order' : False , 'shape' : ( 3 , ) }",
      "{'descr': '<' 'f8', 'fortran_order': False, 'shape': ((3,)),}",
      "{'descr': '''<f8''', 'fortran_order': False, 'shape': (0x3,)}  # note",
      "{'descr': 'float64', 'fortran_order': False, 'shape': (3L,)}",
      "{'descr': 'd', 'fortran_order': False, 'shape': (+3,)}",
      "{'descr': '\\x3cf8', 'fortran_order': False, 'shape': (3,)}",
  };
  for (const char* d : dicts) {
    Header h;
    Status s = Parse(Npy(d, data), &h);
    if (!s.ok()) std::printf("  %s -> %s\n", d, s.message().c_str());
    CHECK(s.ok() && h.dtype == DType::kFloat64 && h.ndims == 1 && h.dims[0] == 3);
  }
  // numpy reads "(3)" as the int 3 and refuses it as a shape.
  Header h;
  Status s = Parse(Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3)}", data), &h);
  CHECK(s.code() == Code::kBadShape);
  // The Python 2 long suffix is only filtered from v1/v2 headers.
  s = Parse(Npy(Dict("<f8", false, "(3L,)"), data, 3), &h);
  CHECK(s.code() == Code::kHeaderSyntax);
}

struct ErrorCase {
  const char* name;
  std::string file;
  Code code;
  const char* message;
};

TEST(OneErrorPerCode) {
  const std::string ok_data(8, '\0');
  std::string big_header = Npy(Dict("<f8", false, "(1,)") + std::string(20000, ' '), ok_data);
  std::string v3_bad = Npy(Dict("<f8", false, "(1,)"), ok_data, 3);
  v3_bad[20] = '\xff';
  std::string many_dims = "(";
  for (int i = 0; i < 65; ++i) many_dims += "1,";
  many_dims += ")";
  const ErrorCase cases[] = {
      {"empty", "", Code::kTruncated, "too short for the .npy preamble"},
      {"short", std::string("\x93NUM", 4), Code::kTruncated, "too short"},
      {"magic", "PK\x03\x04 not numpy", Code::kBadMagic, "bad magic"},
      {"version", std::string("\x93NUMPY\x04\x00\x10\x00", 10), Code::kBadVersion,
       "unsupported format version 4.0; expected 1.0, 2.0 or 3.0"},
      {"header size", big_header, Code::kHeaderTooLarge, "exceeds max_header_size"},
      {"header past end", std::string("\x93NUMPY\x01\x00\xff\x00{}", 12),
       Code::kHeaderTruncated, "runs past the end of the input"},
      {"utf8", v3_bad, Code::kHeaderEncoding, "not valid UTF-8"},
      {"not a dict", Npy("[1, 2]", ok_data), Code::kHeaderSyntax, "header is not a dict literal"},
      {"unterminated", Npy("{'descr': '<f8", ok_data), Code::kHeaderSyntax, "newline inside a string"},
      {"unclosed", Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,", ok_data),
       Code::kHeaderSyntax, "unexpected end of header"},
      {"nesting", Npy("{'descr': " + std::string(100, '[') + std::string(100, ']') + "}", ok_data),
       Code::kHeaderSyntax, "nesting too deep"},
      {"missing", Npy("{'descr': '<f8', 'fortran_order': False}", ok_data), Code::kHeaderKeys,
       "missing key 'shape'"},
      {"extra", Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'foo': 1}", ok_data),
       Code::kHeaderKeys, "unexpected key 'foo'"},
      {"duplicate", Npy("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}", ok_data),
       Code::kHeaderKeys, "duplicate key 'descr'"},
      {"descr", Npy(Dict("<x9", false, "(1,)"), ok_data), Code::kBadDescr, "is not a valid dtype"},
      {"object", Npy(Dict("|O", false, "(1,)"), ok_data), Code::kUnsupportedDtype, "unsupported descr '|O'"},
      {"structured", Npy("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,)}", ok_data),
       Code::kUnsupportedDtype, "unsupported descr [('a', '<i4')]"},
      {"longdouble", Npy(Dict("<f16", false, "(1,)"), ok_data), Code::kUnsupportedDtype, "unsupported descr"},
      {"fortran", Npy("{'descr': '<f8', 'fortran_order': 1, 'shape': (1,)}", ok_data),
       Code::kBadFortranOrder, "fortran_order is not a bool"},
      {"shape list", Npy("{'descr': '<f8', 'fortran_order': False, 'shape': [1]}", ok_data),
       Code::kBadShape, "shape is not a tuple of ints"},
      {"negative", Npy(Dict("<f8", false, "(-1,)"), ok_data), Code::kBadShape, "negative dimension"},
      {"dims", Npy(Dict("<f8", false, many_dims), ok_data), Code::kTooManyDims, "dimensions; at most 64"},
      {"int64", Npy(Dict("<f8", false, "(99999999999999999999,)"), ok_data), Code::kSizeOverflow, "overflows"},
      {"product", Npy(Dict("<f8", false, "(4294967296, 4294967296)"), ok_data), Code::kSizeOverflow, "overflows"},
      {"bytes", Npy(Dict("<f8", false, "(2305843009213693952,)"), ok_data), Code::kSizeOverflow, "overflows"},
      {"data", Npy(Dict("<f8", false, "(1099511627776,)"), ok_data), Code::kDataTruncated, "data truncated"},
  };
  for (const ErrorCase& c : cases) {
    Header h;
    Status s = Parse(c.file, &h);
    if (s.code() != c.code) {
      std::printf("  %s: got %s (%s)\n", c.name, tfnpy::CodeName(s.code()), s.message().c_str());
    }
    CHECK(s.code() == c.code);
    CHECK(Contains(s, c.message));
  }
}

TEST(LimitsAreConfigurable) {
  const std::string file = Npy(Dict("<f8", false, "(1000,)"), std::string(8000, '\0'));
  Header h;
  Limits small;
  small.max_output_bytes = 7999;
  Status s = Parse(file, &h, small);
  CHECK(s.code() == Code::kTooLarge && Contains(s, "exceeds max_output_bytes 7999"));
  small.max_output_bytes = 8000;
  CHECK_OK(Parse(file, &h, small));
  Limits header;
  header.max_header_size = 20;
  CHECK(Parse(file, &h, header).code() == Code::kHeaderTooLarge);
}

TEST(EveryTruncatedPrefixFailsCleanly) {
  std::vector<float> v(30, 1.5f);
  const std::string file = Npy(Dict(">f4", true, "(5, 6)"), Bytes(v));
  for (size_t n = 0; n < file.size(); ++n) {
    const std::string prefix = file.substr(0, n);
    Header h;
    Status s = Parse(prefix, &h);
    CHECK(!s.ok());
  }
}

TEST(DecodeChecksBuffers) {
  const std::string file = Npy(Dict("<i4", false, "(4,)"), std::string(16, '\1'));
  Header h;
  CHECK_OK(Parse(file, &h));
  std::vector<char> out(15);
  CHECK(tfnpy::DecodeData(h, file.data() + h.data_offset, 16, out.data(), 15).code() ==
        Code::kBadArgument);
  out.resize(16);
  CHECK(tfnpy::DecodeData(h, file.data() + h.data_offset, 15, out.data(), 16).code() ==
        Code::kDataTruncated);
}

TEST(InPlaceSwap) {
  std::vector<uint32_t> v = {0x01020304, 0xa0b0c0d0};
  std::string file = Npy(Dict(">u4", false, "(2,)"), Reverse(Bytes(v), 4));
  Header h;
  CHECK_OK(Parse(file, &h));
  CHECK(tfnpy::CanDecodeInPlace(h));
  char* data = &file[h.data_offset];
  CHECK_OK(tfnpy::DecodeData(h, data, 8, data, 8));
  CHECK(std::string(data, 8) == Bytes(v));
  Header f;
  CHECK_OK(Parse(Npy(Dict("<u4", true, "(2, 2)"), std::string(16, '\0')), &f));
  CHECK(!tfnpy::CanDecodeInPlace(f));
}

TEST(SliceRowsSemantics) {
  std::vector<int16_t> v(20);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int16_t>(i);
  const std::string file = Npy(Dict("<i2", false, "(10, 2)"), Bytes(v));
  Header h, r;
  CHECK_OK(Parse(file, &h));
  CHECK_OK(tfnpy::SliceRows(h, 3, 5, &r));
  CHECK(r.dims[0] == 2 && r.dims[1] == 2 && r.data_bytes == 8);
  CHECK(r.data_offset == h.data_offset + 12);
  CHECK_OK(tfnpy::SliceRows(h, 8, 100, &r));
  CHECK(r.dims[0] == 2);
  CHECK_OK(tfnpy::SliceRows(h, 50, 60, &r));
  CHECK(r.dims[0] == 0 && r.data_bytes == 0);
  CHECK_OK(tfnpy::SliceRows(h, 5, 2, &r));
  CHECK(r.dims[0] == 0);
  CHECK(tfnpy::SliceRows(h, -1, 2, &r).code() == Code::kBadArgument);
  Header scalar, fortran;
  CHECK_OK(Parse(Npy(Dict("<i2", false, "()"), "ab"), &scalar));
  CHECK(tfnpy::SliceRows(scalar, 0, 1, &r).code() == Code::kBadArgument);
  CHECK_OK(Parse(Npy(Dict("<i2", true, "(10, 2)"), Bytes(v)), &fortran));
  Status s = tfnpy::SliceRows(fortran, 0, 1, &r);
  CHECK(s.code() == Code::kBadArgument && Contains(s, "Fortran-order"));
}

TEST(Preamble) {
  tfnpy::Preamble p;
  Limits big;
  big.max_header_size = 100000;
  const std::string v2("\x93NUMPY\x02\x00\x00\x00\x01\x00", 12);
  CHECK_OK(tfnpy::ParsePreamble(v2.data(), v2.size(), big, &p));
  CHECK(p.major == 2 && p.header_len == 65536 && p.data_offset == 65548);
  // Header length is unsigned: 0xffff in v1 is 65535, not -1.
  const std::string v1("\x93NUMPY\x01\x00\xff\xff", 10);
  CHECK_OK(tfnpy::ParsePreamble(v1.data(), v1.size(), big, &p));
  CHECK(p.header_len == 65535);
}

}  // namespace

int main() {
  int passed = 0, failed = 0;
  for (auto& [name, fn] : Registry()) {
    const int before = g_failures;
    fn();
    const bool ok = g_failures == before;
    std::printf("%s %s\n", ok ? "PASS" : "FAIL", name);
    (ok ? passed : failed) += 1;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
