// The encoder (encode.h): np.save's header bytes, the v1 -> v2 switch, data
// round trips through the reader for every dtype, strings, bfloat16, errors.
#include <string>
#include <string_view>
#include <vector>

#include "tests/harness.h"

namespace tfnpy_test {
namespace {

using tfnpy::ElementFormat;
using tfnpy::EncodePlan;

Status Plan(const ElementFormat& f, const std::vector<int64_t>& dims, EncodePlan* plan) {
  return tfnpy::PlanEncode(f, dims.data(), static_cast<int>(dims.size()), plan);
}

std::string Encode(DType d, const std::vector<int64_t>& dims, const std::string& data) {
  EncodePlan plan;
  if (!CHECK_OK(Plan(tfnpy::FormatOf(d), dims, &plan))) return "";
  std::string out(plan.total_size, '\xAB');
  CHECK_OK(tfnpy::EncodeInto(plan, data.data(), data.size(), &out[0], out.size()));
  return out;
}

// The native-order pattern array of FileData, as a caller holds it.
std::string NativeData(const DTypeCase& t, const std::vector<int64_t>& dims) {
  return FileData(t, dims, HostLittle(), false);
}

// What np.save writes, copied from numpy 2.x output (byte for byte).
TEST(EncodeHeaderEqualsNumpyForFixedCases) {
  struct Case {
    DType dtype;
    std::vector<int64_t> dims;
    std::string dict;  // Without the padding.
  };
  const Case cases[] = {
      {DType::kFloat32, {}, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }"},
      {DType::kInt64, {5}, "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }"},
      {DType::kFloat32, {2, 3}, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"},
      {DType::kBool, {3, 0, 2}, "{'descr': '|b1', 'fortran_order': False, 'shape': (3, 0, 2), }"},
      {DType::kComplex128, {1000000, 0},
       "{'descr': '<c16', 'fortran_order': False, 'shape': (1000000, 0), }"},
  };
  for (const Case& c : cases) {
    SCOPE(c.dict);
    EncodePlan plan;
    if (!CHECK_OK(Plan(tfnpy::FormatOf(c.dtype), c.dims, &plan))) continue;
    std::string want = std::string("\x93NUMPY\x01\x00v\x00", 10) + c.dict;
    want.append(127 - want.size(), ' ');
    want += '\n';
    CHECK_EQ(plan.header, want);
    CHECK_EQ(plan.major, 1);
    CHECK_EQ(plan.total_size, plan.header.size() + plan.data_bytes);
  }
}

// Where the text would end exactly on a 64-byte boundary, numpy pads with
// 64 spaces (never none): (1,)*15 of <f4 gives a 192-byte header.
TEST(EncodeHeaderPadsAFullBlockOnABoundary) {
  EncodePlan plan;
  CHECK_OK(Plan(tfnpy::FormatOf(DType::kFloat32), std::vector<int64_t>(15, 1), &plan));
  CHECK_EQ(plan.header.size(), size_t{192});
  CHECK(plan.header.size() >= 65 &&
        plan.header.compare(plan.header.size() - 65, 65, std::string(64, ' ') + "\n") == 0);
}

// Every dtype x shape: a header the parser reads back as written, aligned,
// with numpy's growth spaces after the dict.
TEST(EncodeHeaderParsesBackForEveryDtypeAndShape) {
  std::vector<std::vector<int64_t>> shapes = Shapes();
  shapes.push_back(std::vector<int64_t>(64, 1));
  shapes.push_back({int64_t{1} << 40, 0});
  std::vector<int64_t> mixed(64, 1);
  mixed[0] = 100000000000000000;  // 18 digits: 3 growth spaces.
  mixed[5] = 0;
  shapes.push_back(mixed);
  for (const DTypeCase& t : kDTypes) {
    for (const auto& dims : shapes) {
      SCOPE(Str(t.dtype) + " " + ShapeText(dims));
      EncodePlan plan;
      if (!CHECK_OK(Plan(tfnpy::FormatOf(t.dtype), dims, &plan))) continue;
      CHECK_EQ(plan.header.size() % 64, size_t{0});
      CHECK_EQ(plan.header.back(), '\n');
      const std::string dict = Dict(tfnpy::DTypeDescr(t.dtype), false, ShapeText(dims));
      CHECK_EQ(plan.header.compare(10, dict.size(), dict), 0);
      if (!dims.empty()) {
        const size_t growth = 21 - std::to_string(dims[0]).size();
        CHECK_EQ(plan.header.find_first_not_of(' ', 10 + dict.size()), plan.header.size() - 1);
        CHECK(plan.header.size() - 1 - (10 + dict.size()) >= growth + 1);
      }
      Header h;
      Limits limits;
      if (!CHECK_OK(ParseHdr(plan.header, &h, limits))) continue;
      CHECK_EQ(h.dtype, t.dtype);
      CHECK_EQ(h.fortran_order, false);
      CHECK_EQ(h.ndims, static_cast<int>(dims.size()));
      for (int k = 0; k < h.ndims; ++k) CHECK_EQ(h.dims[k], dims[k]);
      CHECK_EQ(h.data_offset, plan.header.size());
      CHECK_EQ(h.data_bytes, plan.data_bytes);
      CHECK_EQ(h.num_elements, plan.num_elements);
    }
  }
}

// numpy's switch: version 1.0 while the header length fits in 16 bits.
// A dict of 65524 characters is the longest that does (a 65536-byte
// header); one more gives version 2.0 and 65600 bytes (numpy's own
// _wrap_header gives the same sizes).
TEST(EncodeSwitchesToVersion2WhenTheHeaderOutgrows16Bits) {
  const std::string base = "{'descr': '', 'fortran_order': False, 'shape': (), }";
  for (size_t extra = 0; extra < 2; ++extra) {
    SCOPE("dict of " + std::to_string(65524 + extra) + " characters");
    ElementFormat f;
    f.descr = std::string(65524 + extra - base.size(), 'V');
    f.item_size = 1;
    EncodePlan plan;
    if (!CHECK_OK(Plan(f, {}, &plan))) continue;
    CHECK_EQ(plan.major, extra == 0 ? 1 : 2);
    CHECK_EQ(plan.header.size(), size_t{extra == 0 ? 65536u : 65600u});
    CHECK_EQ(static_cast<int>(static_cast<unsigned char>(plan.header[6])), plan.major);
    tfnpy::Preamble pre;
    Limits limits;
    limits.max_header_size = 1 << 20;
    if (!CHECK_OK(tfnpy::ParsePreamble(plan.header.data(), plan.header.size(), limits, &pre))) continue;
    CHECK_EQ(pre.data_offset, plan.header.size());
    CHECK_EQ(plan.header.compare(extra == 0 ? 10 : 12, 12, "{'descr': 'V"), 0);
    CHECK_EQ(plan.header.back(), '\n');
  }
}

// Every table dtype x shape: encode, then ParseNpy + DecodeData and
// NpyReader give the same elements; the data is the little-endian file data.
TEST(EncodeRoundTripsThroughTheReaderForEveryDtype) {
  for (const DTypeCase& t : kDTypes) {
    for (const auto& dims : Shapes()) {
      SCOPE(Str(t.dtype) + " " + ShapeText(dims));
      const std::string file = Encode(t.dtype, dims, NativeData(t, dims));
      if (file.empty()) continue;
      Header h;
      std::vector<unsigned char> out;
      if (!CHECK_OK(Load(file, &h, &out))) continue;
      CheckPattern(t, out, Product(dims));
      CHECK_EQ(file.substr(h.data_offset), FileData(t, dims, /*file_little=*/true, false));
      tfnpy::MemorySource source(file.data(), file.size());
      tfnpy::Selection sel;
      std::vector<unsigned char> read;
      if (!CHECK_OK(ReadRegion(&source, tfnpy::Region(), &read, &sel))) continue;
      CHECK(read == out);
    }
  }
}

TEST(EncodeWritesBoolsAsZeroOrOne) {
  const std::string data("\x00\x01\x02\xff", 4);
  const std::string file = Encode(DType::kBool, {4}, data);
  CHECK_EQ(file.substr(file.size() - 4), std::string("\x00\x01\x01\x01", 4));
}

TEST(EncodeStringsPadsToTheLongestWithNuls) {
  const std::vector<std::string_view> elems = {"ab", "", std::string_view("a\0b", 3), "\xff"};
  CHECK_EQ(tfnpy::StringWidth(elems.data(), elems.size()), uint64_t{3});
  ElementFormat f;
  CHECK_OK(tfnpy::BytesFormat(3, &f));
  CHECK_EQ(f.descr, std::string("|S3"));
  EncodePlan plan;
  if (!CHECK_OK(Plan(f, {2, 2}, &plan))) return;
  std::string out(plan.total_size, '\xAB');
  if (!CHECK_OK(tfnpy::EncodeStringsInto(plan, elems.data(), elems.size(), &out[0], out.size()))) return;
  const std::string dict = Dict("|S3", false, "(2, 2)");
  CHECK_EQ(out.compare(10, dict.size(), dict), 0);
  CHECK_EQ(out.substr(plan.header.size()), std::string("ab\0\0\0\0a\0b\xff\0\0", 12));
  // And reads it back as numpy does: trailing NULs stripped, embedded kept.
  Header h;
  if (!CHECK_OK(ParseHdr(plan.header, &h))) return;
  CHECK(h.dtype == DType::kBytes);
  CHECK_EQ(h.itemsize, uint64_t{3});
}

TEST(EncodeStringsOfNothingAreS1) {
  const std::vector<std::string_view> empty = {"", ""};
  CHECK_EQ(tfnpy::StringWidth(empty.data(), empty.size()), uint64_t{1});
  CHECK_EQ(tfnpy::StringWidth(nullptr, 0), uint64_t{1});
  ElementFormat f;
  CHECK_OK(tfnpy::BytesFormat(1, &f));
  EncodePlan plan;
  if (!CHECK_OK(Plan(f, {0}, &plan))) return;
  CHECK_EQ(plan.data_bytes, uint64_t{0});
  std::string out(plan.total_size, '\xAB');
  CHECK_OK(tfnpy::EncodeStringsInto(plan, nullptr, 0, &out[0], out.size()));
  CHECK_EQ(out, plan.header);
}

TEST(EncodeBFloat16IsLittleEndianV2) {
  EncodePlan plan;
  if (!CHECK_OK(Plan(tfnpy::FormatOf(DType::kBFloat16), {2}, &plan))) return;
  const uint16_t values[2] = {0x3FC0, 0xC000};  // 1.5, -2.0
  std::string out(plan.total_size, '\0');
  if (!CHECK_OK(tfnpy::EncodeInto(plan, values, sizeof(values), &out[0], out.size()))) return;
  const std::string dict = Dict("<V2", false, "(2,)");
  CHECK_EQ(out.compare(10, dict.size(), dict), 0);
  CHECK_EQ(out.substr(plan.header.size()), std::string("\xC0\x3F\x00\xC0", 4));
}

TEST(EncodeOneByteMlDtypesAreV1) {
  for (const VoidDTypeCase& v : kVoidDTypes) {
    if (v.size != 1) continue;
    SCOPE(v.name);
    EncodePlan plan;
    if (!CHECK_OK(Plan(tfnpy::FormatOf(v.dtype), {3}, &plan))) continue;
    const unsigned char values[3] = {0x00, 0x80, 0xff};
    std::string out(plan.total_size, '\0');
    if (!CHECK_OK(tfnpy::EncodeInto(plan, values, sizeof(values), &out[0], out.size()))) continue;
    const std::string dict = Dict("<V1", false, "(3,)");
    CHECK_EQ(out.compare(10, dict.size(), dict), 0);
    CHECK_EQ(out.substr(plan.header.size()), std::string("\x00\x80\xff", 3));
  }
}

TEST(EncodeRefusesBadShapesAndOverflowingSizes) {
  EncodePlan plan;
  const ElementFormat f8 = tfnpy::FormatOf(DType::kFloat64);
  CHECK_ERROR(Plan(f8, {3, -1}, &plan), Code::kBadShape, "negative dimension -1 at axis 1");
  CHECK_ERROR(Plan(f8, std::vector<int64_t>(65, 1), &plan), Code::kTooManyDims,
              "array has 65 dimensions; .npy files hold at most 64");
  CHECK_ERROR(tfnpy::PlanEncode(f8, nullptr, -1, &plan), Code::kTooManyDims, "-1 dimensions");
  CHECK_ERROR(Plan(f8, {INT64_MAX, 2}, &plan), Code::kSizeOverflow, "overflows int64 elements");
  CHECK_ERROR(Plan(f8, {0, int64_t{1} << 62, int64_t{1} << 62}, &plan), Code::kSizeOverflow,
              "overflows int64 elements");
  CHECK_ERROR(Plan(f8, {int64_t{1} << 61}, &plan), Code::kSizeOverflow,
              "shape (2305843009213693952,) of <f8 overflows int64 bytes");
  // Data that fits in int64, a file (header + data) that does not.
  CHECK_ERROR(Plan(f8, {INT64_MAX / 8}, &plan), Code::kSizeOverflow, "gives a file of more than");
  CHECK_ERROR(Plan(tfnpy::FormatOf(DType::kUInt8), {INT64_MAX}, &plan), Code::kSizeOverflow,
              "gives a file of more than");
  ElementFormat s;
  CHECK_ERROR(tfnpy::BytesFormat(0, &s), Code::kBadArgument, "string width 0");
  CHECK_OK(tfnpy::BytesFormat(uint64_t{1} << 40, &s));
  CHECK_ERROR(Plan(s, {int64_t{1} << 30}, &plan), Code::kSizeOverflow, "overflows int64 bytes");
}

TEST(EncodeRefusesDescrsThatAreNotSafeLiterals) {
  EncodePlan plan;
  for (const std::string& d : {std::string(""), std::string("<f'4"), std::string("a\\b"),
                               std::string("<f4\n"), std::string("\x80S1"), std::string("<f\0", 3),
                               std::string(tfnpy::kMaxEncodeDescr + 1, 'V')}) {
    SCOPE(tfnpy::Quote(d.data(), d.size() < 20 ? d.size() : 20));
    ElementFormat f;
    f.descr = d;
    f.item_size = 1;
    CHECK_ERROR(Plan(f, {1}, &plan), Code::kBadDescr, "cannot be written");
  }
  ElementFormat zero;
  zero.descr = "|V0";
  CHECK_ERROR(Plan(zero, {1}, &plan), Code::kBadArgument, "item size of descr '|V0' is 0");
}

TEST(EncodeChecksTheCallersBuffers) {
  EncodePlan plan;
  if (!CHECK_OK(Plan(tfnpy::FormatOf(DType::kInt32), {3}, &plan))) return;
  std::string out(plan.total_size, '\0');
  const int32_t data[3] = {1, 2, 3};
  CHECK_ERROR(tfnpy::EncodeInto(plan, data, 8, &out[0], out.size()), Code::kBadArgument,
              "data is 8 bytes, expected 12 (3 elements of <i4)");
  CHECK_ERROR(tfnpy::EncodeInto(plan, data, 12, &out[0], out.size() - 1), Code::kBadArgument,
              "output buffer is 139 bytes, expected 140");
  const std::string_view one[1] = {"x"};
  CHECK_ERROR(tfnpy::EncodeStringsInto(plan, one, 1, &out[0], out.size()), Code::kBadArgument,
              "not a strings plan");
  ElementFormat s;
  CHECK_OK(tfnpy::BytesFormat(2, &s));
  if (!CHECK_OK(Plan(s, {2}, &plan))) return;
  out.assign(plan.total_size, '\0');
  const std::string_view elems[2] = {"ab", "abc"};
  CHECK_ERROR(tfnpy::EncodeStringsInto(plan, elems, 1, &out[0], out.size()), Code::kBadArgument,
              "1 strings given, the shape holds 2");
  CHECK_ERROR(tfnpy::EncodeStringsInto(plan, elems, 2, &out[0], out.size()), Code::kBadArgument,
              "string element 1 is 3 bytes, longer than the width 2 of |S2");
  CHECK_ERROR(tfnpy::EncodeInto(plan, data, 4, &out[0], out.size()), Code::kBadArgument,
              "is written with EncodeStringsInto");
}

}  // namespace
}  // namespace tfnpy_test
