// Writing .npy files. See encode.h.
#include "npy/encode.h"

#include <cstring>

#include "npy/text.h"

namespace tfnpy {
namespace {

constexpr uint64_t kInt64Max = static_cast<uint64_t>(INT64_MAX);
// numpy's ARRAY_ALIGN and GROWTH_AXIS_MAX_DIGITS (numpy/lib/_format_impl.py).
constexpr size_t kAlign = 64;
constexpr size_t kGrowthDigits = 21;

bool MulInt64(uint64_t a, uint64_t b, uint64_t* out) {
  if (a != 0 && b > kInt64Max / a) return false;
  *out = a * b;
  return true;
}

void PutLittle(uint64_t v, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A descr goes between single quotes in a Python literal: no quote, no
// backslash, nothing a repr() would escape.
bool ValidDescr(const std::string& d) {
  if (d.empty() || d.size() > kMaxEncodeDescr) return false;
  for (char c : d) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e || c == '\'' || c == '\\') return false;
  }
  return true;
}

// The data of one element-run: copy, then byte-swap on a big-endian host or
// normalise bools.
void WriteData(const ElementFormat& f, uint64_t n, const char* src, char* dst) {
  const uint64_t bytes = n * f.item_size;
  if (f.normalize_bool) {
    for (uint64_t i = 0; i < bytes; ++i) dst[i] = src[i] != 0 ? 1 : 0;
    return;
  }
  if (bytes != 0) std::memcpy(dst, src, static_cast<size_t>(bytes));
  if (HostIsLittleEndian() || f.swap_unit <= 1) return;
  const uint64_t unit = f.swap_unit;
  for (uint64_t off = 0; off + unit <= bytes; off += unit) {
    for (uint64_t i = 0, j = unit - 1; i < j; ++i, --j) {
      const char t = dst[off + i];
      dst[off + i] = dst[off + j];
      dst[off + j] = t;
    }
  }
}

Status CheckBuffers(const EncodePlan& plan, size_t data_size, size_t dst_size) {
  if (data_size != plan.data_bytes) {
    return Status(Code::kBadArgument, "data is " + std::to_string(data_size) +
                                          " bytes, expected " + std::to_string(plan.data_bytes) +
                                          " (" + std::to_string(plan.num_elements) + " elements of " +
                                          plan.format.descr + ")");
  }
  if (dst_size != plan.total_size) {
    return Status(Code::kBadArgument, "output buffer is " + std::to_string(dst_size) +
                                          " bytes, expected " + std::to_string(plan.total_size));
  }
  return Status::Ok();
}

}  // namespace

ElementFormat FormatOf(DType dtype) {
  const DTypeInfo& info = Info(dtype);
  ElementFormat f;
  f.descr = IsVoidStored(dtype) ? "<V" + std::to_string(info.size) : DTypeDescr(dtype);
  f.item_size = info.size;
  f.swap_unit = info.swap_unit;
  f.normalize_bool = dtype == DType::kBool;
  return f;
}

Status BytesFormat(uint64_t width, ElementFormat* out) {
  if (width == 0 || width > kInt64Max) {
    return Status(Code::kBadArgument,
                  "string width " + std::to_string(width) + " is not in [1, 2**63)");
  }
  out->descr = DTypeDescr(DType::kBytes, width);
  out->item_size = width;
  out->swap_unit = 1;
  out->normalize_bool = false;
  out->strings = true;
  return Status::Ok();
}

uint64_t StringWidth(const std::string_view* elements, uint64_t n) {
  uint64_t width = 1;
  for (uint64_t i = 0; i < n; ++i) {
    if (elements[i].size() > width) width = elements[i].size();
  }
  return width;
}

Status PlanEncode(const ElementFormat& format, const int64_t* dims, int ndims,
                  EncodePlan* out) {
  if (ndims < 0 || ndims > kMaxDims) {
    return Status(Code::kTooManyDims, "array has " + std::to_string(ndims) +
                                          " dimensions; .npy files hold at most " +
                                          std::to_string(kMaxDims));
  }
  for (int i = 0; i < ndims; ++i) {
    if (dims[i] < 0) {
      return Status(Code::kBadShape, "negative dimension " + std::to_string(dims[i]) +
                                         " at axis " + std::to_string(i));
    }
  }
  if (!ValidDescr(format.descr)) {
    return Status(Code::kBadDescr,
                  "descr '" + Quote(format.descr.data(), format.descr.size()) +
                      "' cannot be written: it must be 1 to " + std::to_string(kMaxEncodeDescr) +
                      " printable ASCII characters without quotes or backslashes");
  }
  if (format.item_size == 0) {
    return Status(Code::kBadArgument, "item size of descr '" + format.descr + "' is 0");
  }
  // Element count and bytes, as the reader checks them.
  uint64_t nonzero = 1;
  bool any_zero = false;
  for (int i = 0; i < ndims; ++i) {
    if (dims[i] == 0) {
      any_zero = true;
    } else if (!MulInt64(nonzero, static_cast<uint64_t>(dims[i]), &nonzero)) {
      return Status(Code::kSizeOverflow,
                    "shape " + ShapeString(dims, ndims) + " overflows int64 elements");
    }
  }
  uint64_t bytes = 0;
  if (!MulInt64(nonzero, format.item_size, &bytes)) {
    return Status(Code::kSizeOverflow, "shape " + ShapeString(dims, ndims) + " of " +
                                           format.descr + " overflows int64 bytes");
  }

  // The dict as numpy's _write_array_header writes it: sorted keys, repr()s.
  std::string text = "{'descr': '" + format.descr + "', 'fortran_order': False, 'shape': " +
                     ShapeString(dims, ndims) + ", }";
  if (ndims > 0) {
    const size_t digits = std::to_string(dims[0]).size();
    if (digits < kGrowthDigits) text.append(kGrowthDigits - digits, ' ');
  }
  // _wrap_header: hlen counts the '\n'; the padding always adds 1..64 spaces.
  const uint64_t hlen = text.size() + 1;
  int major = 1;
  uint64_t prefix = 10;
  uint64_t padlen = kAlign - (prefix + hlen) % kAlign;
  if (hlen + padlen > 0xFFFF) {
    major = 2;
    prefix = 12;
    padlen = kAlign - (prefix + hlen) % kAlign;
    if (hlen + padlen > 0xFFFFFFFFull) {  // Unreachable with kMaxEncodeDescr.
      return Status(Code::kSizeOverflow, "header of " + std::to_string(hlen) +
                                             " bytes does not fit in a .npy file");
    }
  }
  const uint64_t header_size = prefix + hlen + padlen;
  const uint64_t data_bytes = any_zero ? 0 : bytes;
  if (data_bytes > kInt64Max - header_size || header_size + data_bytes > SIZE_MAX) {
    return Status(Code::kSizeOverflow, "shape " + ShapeString(dims, ndims) + " of " +
                                           format.descr + " gives a file of more than " +
                                           std::to_string(SIZE_MAX < kInt64Max ? SIZE_MAX : kInt64Max) +
                                           " bytes");
  }

  out->format = format;
  out->major = major;
  out->header.clear();
  out->header.reserve(static_cast<size_t>(header_size));
  out->header.append("\x93NUMPY", 6);
  out->header.push_back(static_cast<char>(major));
  out->header.push_back('\0');
  PutLittle(hlen + padlen, major == 1 ? 2 : 4, &out->header);
  out->header += text;
  out->header.append(static_cast<size_t>(padlen), ' ');
  out->header.push_back('\n');
  out->num_elements = any_zero ? 0 : nonzero;
  out->data_bytes = data_bytes;
  out->total_size = header_size + data_bytes;
  out->verbatim = !format.strings && !format.normalize_bool &&
                  (HostIsLittleEndian() || format.swap_unit <= 1);
  return Status::Ok();
}

Status EncodeInto(const EncodePlan& plan, const void* data, size_t data_size,
                  void* dst, size_t dst_size) {
  if (plan.format.strings) {
    return Status(Code::kBadArgument, "a strings plan (" + plan.format.descr +
                                          ") is written with EncodeStringsInto");
  }
  TFNPY_RETURN_IF_ERROR(CheckBuffers(plan, data_size, dst_size));
  char* out = static_cast<char*>(dst);
  std::memcpy(out, plan.header.data(), plan.header.size());
  WriteData(plan.format, plan.num_elements, static_cast<const char*>(data),
            out + plan.header.size());
  return Status::Ok();
}

Status EncodeStringsInto(const EncodePlan& plan, const std::string_view* elements,
                         uint64_t n, void* dst, size_t dst_size) {
  if (!plan.format.strings) {
    return Status(Code::kBadArgument, "descr " + plan.format.descr +
                                          " is not a strings plan; use EncodeInto");
  }
  if (n != plan.num_elements) {
    return Status(Code::kBadArgument, std::to_string(n) + " strings given, the shape holds " +
                                          std::to_string(plan.num_elements));
  }
  if (dst_size != plan.total_size) {
    return Status(Code::kBadArgument, "output buffer is " + std::to_string(dst_size) +
                                          " bytes, expected " + std::to_string(plan.total_size));
  }
  const uint64_t width = plan.format.item_size;
  for (uint64_t i = 0; i < n; ++i) {
    if (elements[i].size() > width) {
      return Status(Code::kBadArgument, "string element " + std::to_string(i) + " is " +
                                            std::to_string(elements[i].size()) +
                                            " bytes, longer than the width " +
                                            std::to_string(width) + " of " + plan.format.descr);
    }
  }
  char* out = static_cast<char*>(dst);
  std::memcpy(out, plan.header.data(), plan.header.size());
  out += plan.header.size();
  for (uint64_t i = 0; i < n; ++i) {
    const size_t len = elements[i].size();
    if (len != 0) std::memcpy(out, elements[i].data(), len);
    std::memset(out + len, 0, static_cast<size_t>(width) - len);
    out += width;
  }
  return Status::Ok();
}

}  // namespace tfnpy
