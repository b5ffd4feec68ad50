// S and U array elements as byte strings. See strings.h.
#include "npy/strings.h"

#include <cstring>
#include <memory>
#include <string>

#include "npy/memory.h"
#include "npy/text.h"

namespace tfnpy {
namespace {

std::string Hex(uint32_t v) {
  static const char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (int shift = 28; shift >= 0; shift -= 4) {
    if (!out.empty() || (v >> shift) != 0 || shift < 16) out += kDigits[(v >> shift) & 15];
  }
  return "0x" + out;
}

// "(1, 2)": the element's index in the whole array (C order of the
// selection, plus the selection's origin).
std::string Position(const Selection& sel, uint64_t flat) {
  const Header& a = sel.array;
  int64_t idx[kMaxDims];
  for (int k = a.ndims - 1; k >= 0; --k) {
    const uint64_t d = static_cast<uint64_t>(a.dims[k]);
    idx[k] = static_cast<int64_t>(flat % d) + sel.lo[k];
    flat /= d;
  }
  return ShapeString(idx, a.ndims);
}

}  // namespace

size_t EncodeUtf8(uint32_t cp, char* out) {
  unsigned char* o = reinterpret_cast<unsigned char*>(out);
  if (cp < 0x80) {
    o[0] = static_cast<unsigned char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    o[0] = static_cast<unsigned char>(0xC0 | (cp >> 6));
    o[1] = static_cast<unsigned char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = static_cast<unsigned char>(0xE0 | (cp >> 12));
    o[1] = static_cast<unsigned char>(0x80 | ((cp >> 6) & 0x3F));
    o[2] = static_cast<unsigned char>(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = static_cast<unsigned char>(0xF0 | (cp >> 18));
  o[1] = static_cast<unsigned char>(0x80 | ((cp >> 12) & 0x3F));
  o[2] = static_cast<unsigned char>(0x80 | ((cp >> 6) & 0x3F));
  o[3] = static_cast<unsigned char>(0x80 | (cp & 0x3F));
  return 4;
}

Status ForEachString(const Selection& sel, const char* data, size_t size, StringSink* sink) {
  const Header& a = sel.array;
  if (!IsString(a.dtype)) {
    return Status(Code::kBadArgument,
                  "strings read from " + DescribeDtype(a) + ", which is not an S or U array");
  }
  if (size < a.data_bytes) {
    return Status(Code::kBadArgument, "string data is " + std::to_string(size) +
                                          " bytes, the array needs " + std::to_string(a.data_bytes));
  }
  const uint64_t item = a.itemsize;
  const uint64_t n = a.num_elements;
  if (a.dtype == DType::kBytes) {
    for (uint64_t i = 0; i < n; ++i) {
      const char* p = data + i * item;
      size_t len = static_cast<size_t>(item);
      while (len > 0 && p[len - 1] == '\0') --len;
      TFNPY_RETURN_IF_ERROR(sink->Put(i, p, len));
    }
    return Status::Ok();
  }
  // U: native-order uint32 code units.
  const uint64_t chars = item / 4;
  if (n == 0) return Status::Ok();  // No element: no buffer (an empty array may declare any width).
  std::unique_ptr<char[]> utf8;
  TFNPY_RETURN_IF_ERROR(AllocateBytes(MaxUtf8Bytes(item), "one element's UTF-8", &utf8));
  for (uint64_t i = 0; i < n; ++i) {
    const char* p = data + i * item;
    uint64_t len = chars;
    uint32_t cp = 0;
    while (len > 0) {
      std::memcpy(&cp, p + (len - 1) * 4, 4);
      if (cp != 0) break;
      --len;
    }
    size_t out = 0;
    for (uint64_t c = 0; c < len; ++c) {
      std::memcpy(&cp, p + c * 4, 4);
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return Status(Code::kBadString,
                      "element " + Position(sel, i) + " of " + DescribeDtype(a) + " holds " + Hex(cp) +
                          " at character " + std::to_string(c) + ", which is not a Unicode code point (" +
                          (cp > 0x10FFFF ? "above U+10FFFF" : "a surrogate, D800-DFFF") +
                          "): it has no UTF-8 form");
      }
      out += EncodeUtf8(cp, utf8.get() + out);
    }
    TFNPY_RETURN_IF_ERROR(sink->Put(i, utf8.get(), out));
  }
  return Status::Ok();
}

}  // namespace tfnpy
