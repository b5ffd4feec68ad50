#include "npy/text.h"

namespace tfnpy {

std::string Quote(const char* p, size_t n) {
  std::string out;
  const size_t limit = n < kQuoteLimit ? n : kQuoteLimit;
  for (size_t i = 0; i < limit; ++i) {
    const unsigned char c = static_cast<unsigned char>(p[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (limit < n) out += "...";
  return out;
}


bool ValidUtf8(const unsigned char* s, size_t n, size_t* bad_at,
               uint64_t* code_points) {
  uint64_t cps = 0;
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      *bad_at = i;
      return false;
    }
    if (n - i < len) {
      *bad_at = i;
      return false;
    }
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) {
        *bad_at = i;
        return false;
      }
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    const bool overlong = (len == 2 && cp < 0x80) ||
                          (len == 3 && cp < 0x800) ||
                          (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      *bad_at = i;
      return false;
    }
    i += len;
    ++cps;
  }
  *code_points = cps;
  return true;
}

std::string ShapeString(const int64_t* dims, int ndims) {
  std::string out = "(";
  for (int i = 0; i < ndims; ++i) {
    if (i > 0) out += ", ";
    out += dims[i] < 0 ? std::string("None") : std::to_string(dims[i]);
  }
  if (ndims == 1) out += ",";
  out += ")";
  return out;
}

}  // namespace tfnpy
