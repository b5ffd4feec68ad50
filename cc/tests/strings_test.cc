// Unit tests: S, U and V arrays (descr parsing, item sizes, the string
// elements of cc/npy/strings.h, code point checks, output sizes, V arrays
// read as bfloat16).
#include "tests/harness.h"

namespace tfnpy_test {
namespace {

// The code units of `cps` as U<n> bytes in the given byte order.
std::string Ucs4(const std::vector<uint32_t>& cps, size_t n, bool little) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t v = i < cps.size() ? cps[i] : 0;
    for (int b = 0; b < 4; ++b) {
      const int shift = little ? 8 * b : 8 * (3 - b);
      out += static_cast<char>((v >> shift) & 0xFF);
    }
  }
  return out;
}

struct Collect final : tfnpy::StringSink {
  std::vector<std::string> got;
  Status Put(uint64_t index, const char* data, size_t size) override {
    if (got.size() <= index) got.resize(index + 1);
    got[index].assign(data, size);
    return Status::Ok();
  }
};

// Reads a whole file (or a region) through the reader into strings.
Status Strings(const std::string& file, std::vector<std::string>* out,
               const tfnpy::Region& region = tfnpy::Region(), const Limits& limits = Limits()) {
  Buf b(file);
  tfnpy::MemorySource source(b.p.get(), b.n);
  tfnpy::NpyReader reader;
  tfnpy::Selection sel;
  TFNPY_RETURN_IF_ERROR(reader.Open(&source, limits));
  TFNPY_RETURN_IF_ERROR(tfnpy::CheckDtype(reader.header(), DType::kBytes));
  TFNPY_RETURN_IF_ERROR(reader.Select(region, &sel));
  std::vector<char> raw(sel.array.data_bytes + 1);
  TFNPY_RETURN_IF_ERROR(reader.ReadInto(sel, raw.data(), sel.array.data_bytes));
  Collect sink;
  TFNPY_RETURN_IF_ERROR(tfnpy::ForEachString(sel, raw.data(), sel.array.data_bytes, &sink));
  out->assign(sink.got.begin(), sink.got.end());
  out->resize(sel.array.num_elements);
  return Status::Ok();
}

}  // namespace

TEST(FlexibleDescrs) {
  struct Case {
    const char* descr;
    DType dtype;
    uint64_t itemsize;
    bool swap_on_little;  // The data's byte order differs from a little-endian host's.
  };
  const Case cases[] = {
      {"<U5", DType::kStr, 20, false},    {">U5", DType::kStr, 20, true},
      {"=U3", DType::kStr, 12, false},    {"|U3", DType::kStr, 12, false},
      {"U1", DType::kStr, 4, false},      {"|S3", DType::kBytes, 3, false},
      {"S3", DType::kBytes, 3, false},    {">S3", DType::kBytes, 3, false},
      {"a5", DType::kBytes, 5, false},    {"|a5", DType::kBytes, 5, false},
      {"S05", DType::kBytes, 5, false},   {"|V2", DType::kVoid, 2, false},
      {"V2", DType::kVoid, 2, false},     {"<V2", DType::kVoid, 2, false},
      {">V2", DType::kVoid, 2, true},     {"|V16", DType::kVoid, 16, false},
      {"S2147483647", DType::kBytes, 2147483647, false},
      {"<U536870911", DType::kStr, 2147483644, false},
      // Unsized: S0 (np.dtype("S")), read in empty arrays.
      {"U", DType::kStr, 0, false},       {"S", DType::kBytes, 0, false},
      {"S0", DType::kBytes, 0, false},    {"bytes", DType::kBytes, 0, false},
      {"str", DType::kStr, 0, false},     {"void", DType::kVoid, 0, false},
      {"\\x12", DType::kBytes, 0, false}, {"\\x13", DType::kStr, 0, false},
  };
  for (const Case& c : cases) {
    SCOPE(std::string("descr ") + c.descr);
    Header h;
    if (!CHECK_OK(Parse(Npy(Dict(c.descr, false, "(0,)")), &h))) continue;
    CHECK_EQ(h.dtype, c.dtype);
    CHECK_EQ(h.itemsize, c.itemsize);
    if (HostLittle()) CHECK_EQ(h.swap, c.swap_on_little);
    CHECK_EQ(h.data_bytes, uint64_t{0});
  }
  // Sizes np.dtype refuses, and what is no size at all.
  for (const char* descr : {"S2147483648", "<U536870912", "V2147483648", "S-1", "Sx", "U5x", "S12345678901"}) {
    SCOPE(std::string("descr ") + descr);
    Header h;
    CHECK_ERROR(Parse(Npy(Dict(descr, false, "(0,)")), &h), Code::kBadDescr, "is not a valid dtype");
  }
  // Elements of 0 bytes cannot be bounded by the input: refused unless empty.
  Header h;
  CHECK_ERROR(Parse(Npy(Dict("|S0", false, "(3,)")), &h), Code::kUnsupportedDtype, "items of 0 bytes");
  CHECK_ERROR(Parse(Npy(Dict("<U", false, "(1000000000000,)")), &h), Code::kUnsupportedDtype, "(1000000000000,)");
  // Item size times elements overflows int64.
  CHECK_ERROR(Parse(Npy(Dict("<U536870911", false, "(4611686018427387904,)")), &h), Code::kSizeOverflow,
              "overflows int64 bytes");
  // Data present: a U3 file needs 12 bytes per element.
  CHECK_ERROR(Parse(Npy(Dict("<U3", false, "(2,)"), std::string(23, 'x')), &h), Code::kDataTruncated,
              "needs 24 bytes");
  if (CHECK_OK(Parse(Npy(Dict("<U3", false, "(2,)"), std::string(24, '\0')), &h))) {
    CHECK_EQ(tfnpy::DescribeDtype(h), std::string("<U3 (str)"));
  }
}

TEST(DescrsOfFlexibleTypes) {
  CHECK_EQ(tfnpy::DTypeDescr(DType::kBytes, 3), std::string("|S3"));
  CHECK_EQ(tfnpy::DTypeDescr(DType::kStr, 20), std::string("<U5"));
  CHECK_EQ(tfnpy::DTypeDescr(DType::kVoid, 2), std::string("|V2"));
  CHECK_EQ(tfnpy::DTypeDescr(DType::kBFloat16), std::string("|V2"));
  CHECK_EQ(tfnpy::DTypeDescr(DType::kFloat32), std::string("<f4"));
}

TEST(TensorTypesFromTheTables) {
  // Written by hand: the numeric types, then string (S and U), then
  // ml_dtypes' types (harness.h's kVoidDTypes). Void has no tensor type.
  std::vector<std::string> want = {"bool",    "int8",    "int16",   "int32",     "int64",      "uint8",
                                   "uint16",  "uint32",  "uint64",  "float16",   "float32",    "float64",
                                   "complex64", "complex128", "string"};
  for (const VoidDTypeCase& v : kVoidDTypes) want.push_back(v.name);
  DType types[tfnpy::kNumDTypes];
  const int n = tfnpy::TensorDTypes(types);
  CHECK_EQ(n, static_cast<int>(want.size()));
  std::string list;
  for (int i = 0; i < n && i < static_cast<int>(want.size()); ++i) {
    CHECK_EQ(std::string(tfnpy::Info(types[i]).tensor), want[i]);
    list += (i == 0 ? "" : ", ") + want[i];
  }
  CHECK_EQ(tfnpy::TensorTypeList(), list);
  CHECK(list.find("string, bfloat16, float8_e4m3fn, float8_e4m3fnuz, float8_e4m3b11fnuz, float8_e5m2fnuz, "
                  "int4, uint4") != std::string::npos);
  // The void-stored rows: name, item size, V descr, one of them each.
  CHECK_EQ(static_cast<int>(sizeof(kVoidDTypes) / sizeof(kVoidDTypes[0])),
           tfnpy::kNumDTypes - tfnpy::kNumNumericDTypes - 3);
  for (const VoidDTypeCase& v : kVoidDTypes) {
    SCOPE(v.name);
    CHECK_EQ(std::string(tfnpy::DTypeName(v.dtype)), std::string(v.name));
    CHECK_EQ(static_cast<int>(tfnpy::ItemSize(v.dtype)), v.size);
    CHECK(tfnpy::IsVoidStored(v.dtype));
    CHECK_EQ(tfnpy::DTypeDescr(v.dtype), "|V" + std::to_string(v.size));
    CHECK_EQ(tfnpy::FormatOf(v.dtype).descr, "<V" + std::to_string(v.size));
  }
  CHECK(tfnpy::Info(DType::kVoid).tensor == nullptr);
  // The flexible rows: kind, character size, swap unit, type code and number.
  CHECK_EQ(tfnpy::Info(DType::kBytes).kind, 'S');
  CHECK_EQ(static_cast<int>(tfnpy::Info(DType::kBytes).char_size), 1);
  CHECK_EQ(static_cast<int>(tfnpy::Info(DType::kStr).char_size), 4);
  CHECK_EQ(static_cast<int>(tfnpy::Info(DType::kStr).swap_unit), 4);
  CHECK_EQ(static_cast<int>(tfnpy::Info(DType::kStr).number), 19);
  CHECK_EQ(static_cast<int>(tfnpy::Info(DType::kBFloat16).size), 2);
  CHECK(tfnpy::IsVoidStored(DType::kBFloat16) && !tfnpy::IsVoidStored(DType::kVoid));
  CHECK(tfnpy::IsString(DType::kStr) && tfnpy::IsString(DType::kBytes) && !tfnpy::IsString(DType::kVoid));
}

TEST(BytesElementsAsNumpyGivesThem) {
  // Trailing NULs stripped, embedded NULs kept, all-NUL items empty.
  const std::string data = std::string("ab\0c\0", 5) + std::string("\0\0\0\0\0", 5) + "hello" +
                           std::string("\0xy\0\0", 5);
  std::vector<std::string> got;
  if (CHECK_OK(Strings(Npy(Dict("|S5", false, "(2, 2)"), data), &got))) {
    CHECK_EQ(got.size(), size_t{4});
    CHECK_EQ(got[0], std::string("ab\0c", 4));
    CHECK_EQ(got[1], std::string());
    CHECK_EQ(got[2], std::string("hello"));
    CHECK_EQ(got[3], std::string("\0xy", 3));
  }
  // Fortran order: C-order elements (the transpose of odd item sizes).
  const std::string f = std::string("a\0\0", 3) + "bbb" + std::string("cc\0", 3) + std::string("d\0\0", 3) + "eee" + std::string("f\0\0", 3);
  if (CHECK_OK(Strings(Npy(Dict("|S3", true, "(2, 3)"), f), &got))) {
    const char* want[] = {"a", "cc", "eee", "bbb", "d", "f"};
    for (int i = 0; i < 6; ++i) CHECK_EQ(got[i], std::string(want[i]));
  }
  // A region reads only its rows.
  if (CHECK_OK(Strings(Npy(Dict("|S3", true, "(2, 3)"), f), &got, tfnpy::Region::Rows(1, 2)))) {
    CHECK_EQ(got.size(), size_t{3});
    CHECK_EQ(got[0], std::string("bbb"));
    CHECK_EQ(got[2], std::string("f"));
  }
  // A 0-d array is one element.
  if (CHECK_OK(Strings(Npy(Dict("|S2", false, "()"), std::string("z\0", 2)), &got))) {
    CHECK_EQ(got.size(), size_t{1});
    CHECK_EQ(got[0], std::string("z"));
  }
}

TEST(UnicodeElementsAsUtf8BothByteOrders) {
  // ASCII, Latin-1, CJK, an emoji (4 UTF-8 bytes), an embedded NUL, all-NUL.
  const std::vector<std::vector<uint32_t>> items = {
      {'h', 0xE9, 'l'}, {0x65E5, 0x672C}, {0x1F600, 0, 'x'}, {}, {0x10FFFF}, {0xFFFF, 0xE000}};
  const char* const want[] = {"h\xC3\xA9l", "\xE6\x97\xA5\xE6\x9C\xAC", "\xF0\x9F\x98\x80\0x", "",
                              "\xF4\x8F\xBF\xBF", "\xEF\xBF\xBF\xEE\x80\x80"};
  const size_t want_len[] = {4, 6, 6, 0, 4, 6};
  for (bool little : {true, false}) {
    SCOPE(little ? "<U4" : ">U4");
    std::string data;
    for (const auto& cps : items) data += Ucs4(cps, 4, little);
    std::vector<std::string> got;
    if (!CHECK_OK(Strings(Npy(Dict(little ? "<U4" : ">U4", false, "(3, 2)"), data), &got))) continue;
    for (size_t i = 0; i < items.size(); ++i) {
      SCOPE("element " + std::to_string(i));
      CHECK_EQ(got[i], std::string(want[i], want_len[i]));
    }
  }
  char buf[4];
  CHECK_EQ(tfnpy::EncodeUtf8(0x7F, buf), size_t{1});
  CHECK_EQ(tfnpy::EncodeUtf8(0x80, buf), size_t{2});
  CHECK_EQ(tfnpy::EncodeUtf8(0x7FF, buf), size_t{2});
  CHECK_EQ(tfnpy::EncodeUtf8(0x800, buf), size_t{3});
  CHECK_EQ(tfnpy::EncodeUtf8(0x10000, buf), size_t{4});
}

TEST(InvalidCodePointsNameTheElement) {
  struct Case {
    uint32_t value;
    const char* hex;
    const char* why;
  };
  const Case cases[] = {{0x110000, "0x110000", "above U+10FFFF"},
                        {0xFFFFFFFF, "0xFFFFFFFF", "above U+10FFFF"},
                        {0xD800, "0xD800", "surrogate"},
                        {0xDFFF, "0xDFFF", "surrogate"}};
  for (const Case& c : cases) {
    SCOPE(c.hex);
    for (bool little : {true, false}) {
      // Element (1, 2) of a (2, 3) array, character 1.
      std::string data;
      for (int i = 0; i < 6; ++i) data += Ucs4(i == 5 ? std::vector<uint32_t>{'a', c.value} : std::vector<uint32_t>{'a'}, 2, little);
      const std::string file = Npy(Dict(little ? "<U2" : ">U2", false, "(2, 3)"), data);
      std::vector<std::string> got;
      const Status s = Strings(file, &got);
      CHECK_ERROR(s, Code::kBadString, "element (1, 2) of ");
      CHECK_ERROR(s, Code::kBadString, std::string("holds ") + c.hex + " at character 1");
      CHECK_ERROR(s, Code::kBadString, c.why);
      // In a region: the index in the whole array.
      tfnpy::Region r;
      r.rank = 2;
      r.start[0] = 1; r.stop[0] = 2; r.start[1] = 1; r.stop[1] = 3;
      CHECK_ERROR(Strings(file, &got, r), Code::kBadString, "element (1, 2) of ");
      // A region without the element reads.
      r.stop[1] = 2;
      CHECK_OK(Strings(file, &got, r));
      // Past the trailing NULs nothing is checked: there is nothing there.
    }
  }
  // A NUL before an invalid value is embedded: the value is checked.
  std::vector<std::string> got;
  CHECK_ERROR(Strings(Npy(Dict("<U3", false, "(1,)"), Ucs4({0, 0xD800}, 3, true)), &got), Code::kBadString,
              "element (0,) of <U3 (str) holds 0xD800 at character 1");
}

TEST(StringOutputBytesCountTheDataAndOneStringEach) {
  Header h;
  if (!CHECK_OK(Parse(Npy(Dict("|S4", false, "(3,)"), std::string(12, 'a')), &h))) return;
  CHECK_EQ(tfnpy::OutputBytes(h), uint64_t{12 + 3 * tfnpy::kStringObjectBytes});
  Limits limits;
  limits.max_output_bytes = 12 + 3 * tfnpy::kStringObjectBytes;
  CHECK_OK(tfnpy::CheckOutputSize(h, limits));
  limits.max_output_bytes -= 1;
  CHECK_ERROR(tfnpy::CheckOutputSize(h, limits), Code::kTooLarge, "84 bytes (12 of data, 24 per string)");
  // Through the reader, on the selected region.
  std::vector<std::string> got;
  limits.max_output_bytes = 4 + tfnpy::kStringObjectBytes;
  CHECK_OK(Strings(Npy(Dict("|S4", false, "(3,)"), std::string(12, 'a')), &got, tfnpy::Region::Rows(1, 2), limits));
  CHECK_ERROR(Strings(Npy(Dict("|S4", false, "(3,)"), std::string(12, 'a')), &got, tfnpy::Region::Rows(1, 3), limits),
              Code::kTooLarge, "max_output_bytes");
  // Numbers: their bytes.
  if (CHECK_OK(Parse(Npy(Dict("<f4", false, "(3,)"), std::string(12, 'a')), &h))) {
    CHECK_EQ(tfnpy::OutputBytes(h), uint64_t{12});
  }
}

TEST(DtypeMatchingAndMessages) {
  struct Case {
    const char* descr;
    DType want;
    const char* error;  // nullptr: reads.
  };
  const Case cases[] = {
      {"|S3", DType::kBytes, nullptr},
      {"<U3", DType::kBytes, nullptr},
      {">U3", DType::kStr, nullptr},
      {"|V2", DType::kBFloat16, nullptr},
      {"<V2", DType::kBFloat16, nullptr},
      {"|S3", DType::kFloat32, "file holds |S3 (bytes), expected float32"},
      {"<U5", DType::kInt64, "file holds <U5 (str), expected int64"},
      {"<f4", DType::kBytes, "file holds <f4 (float32), expected string"},
      {"<u2", DType::kBFloat16, "file holds <u2 (uint16), expected bfloat16"},
      {"|V1", DType::kBFloat16, "file holds |V1 (void), expected bfloat16 (bfloat16 is stored as V2; a V1 array "
                                "is what np.save writes for ml_dtypes.float8_e4m3fn, ml_dtypes.float8_e4m3fnuz, "},
      {"<V1", DType::kFloat8E4M3FN, nullptr},
      {"|V1", DType::kInt4, nullptr},
      {">V1", DType::kUInt4, nullptr},
      {"<V2", DType::kFloat8E4M3FN, "file holds <V2 (void), expected float8_e4m3fn (float8_e4m3fn is stored as V1; "
                                    "a V2 array is what np.save writes for ml_dtypes.bfloat16)"},
      {"|V4", DType::kInt4, "file holds |V4 (void), expected int4 (int4 is stored as V1)"},
      {"<u1", DType::kFloat8E4M3FN, "file holds <u1 (uint8), expected float8_e4m3fn"},
      {"|V1", DType::kUInt8, "expected uint8 (a V1 array is what np.save writes for ml_dtypes.float8_e4m3fn, "
                             "ml_dtypes.float8_e4m3fnuz, ml_dtypes.float8_e4m3b11fnuz, ml_dtypes.float8_e5m2fnuz, "
                             "ml_dtypes.int4, ml_dtypes.uint4: read it as the one it holds, e.g. "
                             "dtype=ml_dtypes.float8_e4m3fn)"},
      {"|V2", DType::kFloat16, "expected float16 (a V2 array is what np.save writes for ml_dtypes.bfloat16: "
                               "read it with dtype=tf.bfloat16)"},
      {"|V4", DType::kBytes, "expected string (raw bytes: only V1 and V2 arrays read, as ml_dtypes' types)"},
  };
  for (const Case& c : cases) {
    SCOPE(std::string(c.descr) + " as " + tfnpy::DTypeName(c.want));
    Header h;
    if (!CHECK_OK(Parse(Npy(Dict(c.descr, false, "(0,)")), &h))) continue;
    const Status s = tfnpy::CheckDtype(h, c.want);
    if (c.error == nullptr) {
      CHECK_OK(s);
    } else {
      CHECK_ERROR(s, Code::kBadArgument, c.error);
    }
  }
}

TEST(VoidReadAsBFloat16KeepsItsByteOrder) {
  for (const char* descr : {"<V2", ">V2", "|V2"}) {
    SCOPE(descr);
    const bool big = descr[0] == '>';
    // 1.5 and -2 as bfloat16: 0x3FC0, 0xC000.
    const std::string data = big ? std::string("\x3F\xC0\xC0\x00", 4) : std::string("\xC0\x3F\x00\xC0", 4);
    Buf b(Npy(Dict(descr, false, "(2,)"), data));
    tfnpy::MemorySource source(b.p.get(), b.n);
    tfnpy::NpyReader reader;
    tfnpy::Selection sel;
    if (!CHECK_OK(reader.Open(&source, Limits()))) continue;
    CHECK_OK(tfnpy::CheckDtype(reader.header(), DType::kBFloat16));
    CHECK_OK(reader.Select(tfnpy::Region(), &sel));
    tfnpy::ReadAs(DType::kBFloat16, &sel.array);
    CHECK_EQ(sel.array.dtype, DType::kBFloat16);
    uint16_t out[2] = {0, 0};
    if (CHECK_OK(reader.ReadInto(sel, out, 4)) && HostLittle()) {
      CHECK_EQ(out[0], uint16_t{0x3FC0});
      CHECK_EQ(out[1], uint16_t{0xC000});
    }
    // Read as void (tfnpy.loads): the bytes as stored.
    CHECK_OK(reader.Select(tfnpy::Region(), &sel));
    unsigned char raw[4];
    if (CHECK_OK(reader.ReadInto(sel, raw, 4))) CHECK(std::memcmp(raw, data.data(), 4) == 0);
  }
}

TEST(VoidReadAsEachOneByteTypeIsTheBytes) {
  // Every V1 type of the table: the file's bytes, whichever byte order its
  // descr names (one byte has none).
  const std::string data("\x00\x7f\x80\xff\x38", 5);
  for (const VoidDTypeCase& v : kVoidDTypes) {
    if (v.size != 1) continue;
    for (const char* descr : {"<V1", ">V1", "|V1"}) {
      SCOPE(std::string(v.name) + " from " + descr);
      Buf b(Npy(Dict(descr, false, "(5,)"), data));
      tfnpy::MemorySource source(b.p.get(), b.n);
      tfnpy::NpyReader reader;
      tfnpy::Selection sel;
      if (!CHECK_OK(reader.Open(&source, Limits()))) continue;
      CHECK_OK(tfnpy::CheckDtype(reader.header(), v.dtype));
      CHECK_OK(reader.Select(tfnpy::Region(), &sel));
      tfnpy::ReadAs(v.dtype, &sel.array);
      CHECK_EQ(sel.array.dtype, v.dtype);
      unsigned char out[5];
      if (CHECK_OK(reader.ReadInto(sel, out, 5))) CHECK(std::memcmp(out, data.data(), 5) == 0);
    }
  }
}

TEST(ForEachStringRefusesWhatItCannotRead) {
  Header h;
  if (!CHECK_OK(Parse(Npy(Dict("<f4", false, "(1,)"), std::string(4, '\0')), &h))) return;
  tfnpy::Selection sel;
  CHECK_OK(tfnpy::Select(h, tfnpy::Region(), &sel));
  Collect sink;
  CHECK_ERROR(tfnpy::ForEachString(sel, "abcd", 4, &sink), Code::kBadArgument, "not an S or U array");
  if (!CHECK_OK(Parse(Npy(Dict("|S4", false, "(2,)"), std::string(8, 'a')), &h))) return;
  CHECK_OK(tfnpy::Select(h, tfnpy::Region(), &sel));
  CHECK_ERROR(tfnpy::ForEachString(sel, "abcdefg", 7, &sink), Code::kBadArgument, "needs 8");
}

}  // namespace tfnpy_test
