// Unit tests: Copy, byte swap, bool normalisation and Fortran -> C order (cc/npy/convert.h).
#include "tests/harness.h"

namespace tfnpy_test {

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

TEST(ErrorBadArgument) {
  const std::string file = Npy(Dict("<i4", false, "(2, 3)"), std::string(24, '\0'));
  Header h;
  if (!CHECK_OK(Parse(file, &h))) return;
  std::vector<unsigned char> src(24), dst(25);
  CHECK_ERROR(tfnpy::DecodeData(h, src.data(), 24, dst.data(), 25), Code::kBadArgument, "output buffer");
  CHECK_ERROR(tfnpy::DecodeData(h, src.data(), 24, dst.data(), 23), Code::kBadArgument, "output buffer");
  CHECK_ERROR(tfnpy::DecodeData(h, src.data(), 24, dst.data(), 0), Code::kBadArgument, "output buffer");
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

}  // namespace tfnpy_test
