// Unit tests: The dtype table and numpy's spellings of the dtypes (cc/npy/dtype.h).
#include "tests/harness.h"

namespace tfnpy_test {

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

TEST(TableMatchesTheTestsOwnTable) {
  // The tests' table (harness.h) is written by hand from numpy's docs; the
  // core's is cc/npy/dtype.h. They must agree entry by entry, in order.
  CHECK_EQ(static_cast<int>(sizeof(kDTypes) / sizeof(kDTypes[0])), tfnpy::kNumNumericDTypes);
  for (int i = 0; i < tfnpy::kNumNumericDTypes; ++i) {
    const tfnpy::DTypeInfo& info = tfnpy::Info(static_cast<DType>(i));
    SCOPE(info.name);
    CHECK_EQ(info.dtype, kDTypes[i].dtype);
    CHECK_EQ(info.kind, kDTypes[i].kind);
    CHECK_EQ(static_cast<int>(info.size), kDTypes[i].size);
    CHECK_EQ(static_cast<int>(info.swap_unit), IsComplex(info.dtype) ? kDTypes[i].size / 2 : kDTypes[i].size);
    // The type character and number name the same type.
    Header h;
    const std::string code(1, info.code);
    if (CHECK_OK(Parse(Npy(Dict(code, false, "()"), std::string(16, '\0')), &h))) CHECK_EQ(h.dtype, info.dtype);
    const std::string number = "\\x" + std::string(1, "0123456789abcdef"[info.number >> 4]) +
                               std::string(1, "0123456789abcdef"[info.number & 15]);
    if (CHECK_OK(Parse(Npy("{'descr': '" + number + "', 'fortran_order': False, 'shape': ()}", std::string(16, '\0')), &h))) {
      CHECK_EQ(h.dtype, info.dtype);
    }
  }
}

}  // namespace tfnpy_test
