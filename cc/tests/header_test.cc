// Unit tests: Preamble and header parsing and validation (cc/npy/header.h): one test per error code.
#include "tests/harness.h"

namespace tfnpy_test {

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
  for (const char* descr : {"|S0", "<U0", "|V0", "S", "U", "|O", "<f16", "<M8[ns]", "<m8", "object", "<c32", "g"}) {
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
  // ParseHeader leaves the cap to the caller, who applies it to what it reads.
  if (CHECK_OK(ParseHdr(file.substr(0, 128), &h, limits))) {
    CHECK_ERROR(tfnpy::CheckOutputSize(h, limits), Code::kTooLarge, "exceeds max_output_bytes 31");
  }
  limits.max_output_bytes = 32;
  CHECK_OK(Parse(file, &h, limits));
  // A content problem comes first: a header claiming a huge array with no
  // data behind it is truncated, whatever the cap.
  limits.max_output_bytes = 1 << 20;
  CHECK_ERROR(Parse(Npy(Dict("<f8", false, "(1000000,)"), ""), &h, limits), Code::kDataTruncated,
              "needs 8000000 bytes after the header, input has 0");
}

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


}  // namespace tfnpy_test
