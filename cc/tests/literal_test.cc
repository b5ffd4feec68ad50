// Unit tests: The Python-literal parser headers are read with (cc/npy/literal.h), through ParseHeader.
#include "tests/harness.h"

namespace tfnpy_test {

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

}  // namespace tfnpy_test
