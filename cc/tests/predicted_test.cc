// Unit tests: PredictedNpy (cc/npy/predicted.h), the one-read path for the
// file np.save writes: which files it claims, that what it reads is what
// NpyReader reads, and that it leaves every other file to NpyReader.
#include "tests/harness.h"

namespace tfnpy_test {

using tfnpy::NpyReader;
using tfnpy::PredictedNpy;
using tfnpy::ReadPiece;
using tfnpy::Region;
using tfnpy::Selection;

namespace {

// np.save's file for the pattern array of `t` and `dims`: PlanEncode's
// header (encode_test holds it to numpy's bytes) and the little-endian data.
std::string SavedFile(const DTypeCase& t, const std::vector<int64_t>& dims) {
  tfnpy::EncodePlan plan;
  if (!tfnpy::PlanEncode(tfnpy::FormatOf(t.dtype), dims.data(), static_cast<int>(dims.size()), &plan).ok()) {
    return "";
  }
  return plan.header + FileData(t, dims, true, false);
}

// A FileLike that counts scatter reads: one request each.
class Scattering : public FileLike {
 public:
  using FileLike::FileLike;
  int scattered = 0;
  Status ReadScattered(uint64_t offset, const ReadPiece* pieces, int count, size_t* got) override {
    ++scattered;
    return FileLike::ReadScattered(offset, pieces, count, got);
  }
};

// What NpyReader makes of `file` read as `want` with the whole array
// selected: its status, and the bytes when it succeeds.
Status GeneralRead(const std::string& file, DType want, std::vector<unsigned char>* out,
                   const Limits& limits = Limits()) {
  FileLike source(file);
  NpyReader reader;
  TFNPY_RETURN_IF_ERROR(reader.Open(&source, limits));
  TFNPY_RETURN_IF_ERROR(tfnpy::CheckDtype(reader.header(), want));
  Selection sel;
  TFNPY_RETURN_IF_ERROR(reader.Select(Region(), &sel));
  tfnpy::ReadAs(want, &sel.array);
  out->assign(sel.array.data_bytes, 0xCD);
  return reader.ReadInto(sel, out->data(), out->size());
}

// Read's verdict on `file`; *out holds what it read when it claims it.
bool PredictedRead(const PredictedNpy& p, const std::string& file, std::vector<unsigned char>* out) {
  FileLike source(file);
  out->assign(p.array().data_bytes, 0xAB);
  return p.Read(&source, out->data());
}

}  // namespace

TEST(PredictedReadsWhatNpySaveWrites) {
  for (const DTypeCase& t : kDTypes) {
    for (const auto& dims : Shapes()) {
      SCOPE(std::string(tfnpy::DTypeName(t.dtype)) + " " + ShapeText(dims));
      PredictedNpy p;
      if (!CHECK_TRUE(p.Init(t.dtype, dims.data(), static_cast<int>(dims.size()), Limits()))) continue;
      CHECK(p.usable());
      CHECK_EQ(p.array().dtype, t.dtype);
      CHECK_EQ(p.array().ndims, static_cast<int>(dims.size()));
      CHECK_EQ(p.array().data_bytes, Product(dims) * t.size);
      const std::string file = SavedFile(t, dims);
      CHECK(file.compare(0, p.header().size(), p.header()) == 0);
      Scattering source(file);
      std::vector<unsigned char> got(p.array().data_bytes, 0xAB);
      if (!CHECK_TRUE(p.Read(&source, got.data()))) continue;
      CHECK_EQ(source.scattered, 1);  // Header and data in one request.
      CheckPattern(t, got, Product(dims));
      std::vector<unsigned char> want;
      if (CHECK_OK(GeneralRead(file, t.dtype, &want))) CHECK(got == want);
    }
  }
}

TEST(PredictedReadsMlDtypesAsNpySaveStoresThem) {
  for (const VoidDTypeCase& v : kVoidDTypes) {
    SCOPE(v.name);
    const std::vector<int64_t> dims = {3, 5};
    PredictedNpy p;
    if (!CHECK_TRUE(p.Init(v.dtype, dims.data(), 2, Limits()))) continue;
    CHECK_EQ(p.array().dtype, v.dtype);  // Read as the ml_dtypes type, as ReadAs gives.
    std::string data(15 * v.size, '\0');
    for (size_t k = 0; k < data.size(); ++k) data[k] = static_cast<char>(k * 7 + 1);
    const std::string file = Npy(Dict("<V" + std::to_string(v.size), false, "(3, 5)"), data);
    CHECK(file.compare(0, p.header().size(), p.header()) == 0);
    std::vector<unsigned char> got, want;
    if (CHECK_TRUE(PredictedRead(p, file, &got)) && CHECK_OK(GeneralRead(file, v.dtype, &want))) CHECK(got == want);
  }
}

TEST(PredictedBoolsAreZeroOrOne) {
  // np.save writes 0/1; any other nonzero byte reads as True, as np.load does.
  const std::vector<int64_t> dims = {4};
  PredictedNpy p;
  if (!CHECK_TRUE(p.Init(DType::kBool, dims.data(), 1, Limits()))) return;
  const std::string file = p.header() + std::string("\x00\x02\xff\x01", 4);
  std::vector<unsigned char> got, want;
  if (CHECK_TRUE(PredictedRead(p, file, &got)) && CHECK_OK(GeneralRead(file, DType::kBool, &want))) {
    CHECK(got == want);
    CHECK(got == std::vector<unsigned char>({0, 1, 1, 1}));
  }
}

TEST(PredictedLargeArraysInTwoReads) {
  // 100x100 float64 (80 KB): the header and the data that fills the first
  // read, then the rest straight into place.
  const DTypeCase& f8 = kDTypes[11];
  const std::vector<int64_t> dims = {100, 100};
  PredictedNpy p;
  if (!CHECK_TRUE(p.Init(f8.dtype, dims.data(), 2, Limits()))) return;
  const std::string file = SavedFile(f8, dims);
  Scattering source(file);
  std::vector<unsigned char> got(80000);
  if (CHECK_TRUE(p.Read(&source, got.data()))) {
    CheckPattern(f8, got, 10000);
    CHECK_EQ(source.scattered, 1);
    CHECK_EQ(source.bytes_read, static_cast<uint64_t>(file.size()));
    CHECK_EQ(source.reads, 3);  // The scatter read's two pieces (FileLike reads them in turn), the rest.
  }
  // A file that shrinks between the two reads is not claimed.
  Scattering shrinking(file);
  shrinking.shrink_after = 2;
  shrinking.shrink_to = file.size() - 1;
  CHECK(!p.Read(&shrinking, got.data()));
}

TEST(PredictedLeavesOtherFilesToNpyReader) {
  const DTypeCase& f8 = kDTypes[11];
  const std::vector<int64_t> dims = {10, 10};
  PredictedNpy p;
  if (!CHECK_TRUE(p.Init(f8.dtype, dims.data(), 2, Limits()))) return;
  const std::string little = FileData(f8, dims, true, false);
  const std::string saved = SavedFile(f8, dims);
  struct Case {
    const char* what;
    std::string file;
    Code general;  // NpyReader's verdict, read as float64.
  };
  std::string bad_padding = Npy(Dict("<f8", false, "(10, 10)"), little, 1, 16);
  const Case cases[] = {
      // numpy before 1.14 aligned the data to 16 bytes: a valid file, another header.
      {"16-byte alignment", bad_padding, Code::kOk},
      {"version 2.0", Npy(Dict("<f8", false, "(10, 10)"), little, 2), Code::kOk},
      {"keys in another order",
       Npy("{'fortran_order': False, 'descr': '<f8', 'shape': (10, 10)}", little), Code::kOk},
      {"big-endian", Npy(Dict(">f8", false, "(10, 10)"), FileData(f8, dims, false, false)), Code::kOk},
      {"Fortran order", Npy(Dict("<f8", true, "(10, 10)"), FileData(f8, dims, true, true)), Code::kOk},
      {"another shape", SavedFile(f8, {5, 20}), Code::kOk},  // The kernel's shape check refuses it.
      {"another dtype", SavedFile(kDTypes[10], {10, 20}), Code::kBadArgument},
      {"data cut short", saved.substr(0, saved.size() - 1), Code::kDataTruncated},
      {"header cut short", saved.substr(0, 100), Code::kHeaderTruncated},
      {"empty", "", Code::kTruncated},
      {"not .npy", std::string(1000, 'x'), Code::kBadMagic},
  };
  for (const Case& c : cases) {
    SCOPE(c.what);
    std::vector<unsigned char> got, want;
    CHECK(!PredictedRead(p, c.file, &got));
    const Status s = GeneralRead(c.file, f8.dtype, &want);
    CHECK_EQ(s.code(), c.general);
    if (s.ok()) CheckPattern(f8, want, 100);
  }
  // Bytes after the array are ignored, as np.load and NpyReader do.
  std::vector<unsigned char> got;
  if (CHECK_TRUE(PredictedRead(p, saved + "trailing", &got))) CheckPattern(f8, got, 100);
  // A read that fails is left to NpyReader, which reports it.
  FileLike failing(saved);
  failing.fail_at = 0;
  CHECK(!p.Read(&failing, got.data()));
}

TEST(PredictionsTheGeneralPathWouldRefuseAreNotMade) {
  const std::vector<int64_t> dims = {10, 10};
  PredictedNpy p;
  // Strings are read into string tensors by NpyReader.
  CHECK(!p.Init(DType::kBytes, dims.data(), 2, Limits()));
  CHECK(!p.usable());
  CHECK(!p.Read(nullptr, nullptr));
  // A header longer than max_header_size is an error of the general path.
  Limits short_headers;
  short_headers.max_header_size = 100;
  CHECK(!p.Init(DType::kFloat64, dims.data(), 2, short_headers));
  short_headers.max_header_size = 118;  // np.save's header here: 128 bytes, 118 of text.
  CHECK(p.Init(DType::kFloat64, dims.data(), 2, short_headers));
  // So is an array above max_output_bytes.
  Limits small_output;
  small_output.max_output_bytes = 799;
  CHECK(!p.Init(DType::kFloat64, dims.data(), 2, small_output));
  small_output.max_output_bytes = 800;
  CHECK(p.Init(DType::kFloat64, dims.data(), 2, small_output));
  // Shapes np.save cannot write.
  const std::vector<int64_t> negative = {3, -1};
  CHECK(!p.Init(DType::kFloat64, negative.data(), 2, Limits()));
  const std::vector<int64_t> many(65, 1);
  CHECK(!p.Init(DType::kFloat64, many.data(), 65, Limits()));
  const std::vector<int64_t> huge = {int64_t{1} << 40, int64_t{1} << 40};
  CHECK(!p.Init(DType::kFloat64, huge.data(), 2, Limits()));
}

}  // namespace tfnpy_test
