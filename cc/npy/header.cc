// The .npy preamble and header: parsing and validation. See header.h.
#include "npy/header.h"

#include <cstring>

#include "npy/literal.h"
#include "npy/text.h"

namespace tfnpy {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

// Overflow-checked a * b for values that must stay within int64.
bool MulInt64(uint64_t a, uint64_t b, uint64_t* out) {
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  if (a != 0 && b > kMax / a) return false;
  *out = a * b;
  return true;
}

}  // namespace

// "bool, int8, ..., string, bfloat16, ...": the tensor types, for messages.
std::string TensorTypeList() {
  DType types[kNumDTypes];
  const int n = TensorDTypes(types);
  std::string out;
  for (int i = 0; i < n; ++i) out += std::string(i == 0 ? "" : ", ") + Info(types[i]).tensor;
  return out;
}

std::string DescribeDtype(const Header& header) {
  return std::string(header.descr) + " (" + DTypeName(header.dtype) + ")";
}

Status ParsePreamble(const void* data, size_t size, const Limits& limits,
                     Preamble* out) {
  const unsigned char* b = static_cast<const unsigned char*>(data);
  if (size < kMagicSize || std::memcmp(b, kMagic, kMagicSize) != 0) {
    if (size < kMagicSize && std::memcmp(b, kMagic, size) == 0) {
      return Status(Code::kTruncated,
                    "input is " + std::to_string(size) +
                        " bytes, too short for the .npy preamble (needs at "
                        "least 10)");
    }
    const size_t n = size < kMagicSize ? size : kMagicSize;
    return Status(Code::kBadMagic,
                  "bad magic: expected '\\x93NUMPY', found '" +
                      Quote(reinterpret_cast<const char*>(b), n) +
                      "'; not a .npy file");
  }
  if (size < 8) {
    return Status(Code::kTruncated,
                  "input is " + std::to_string(size) +
                      " bytes, too short for the .npy preamble (needs at "
                      "least 10)");
  }
  const uint8_t major = b[6], minor = b[7];
  if (minor != 0 || major < 1 || major > 3) {
    return Status(Code::kBadVersion,
                  "unsupported format version " + std::to_string(major) + "." +
                      std::to_string(minor) +
                      "; expected 1.0, 2.0 or 3.0");
  }
  const size_t preamble = major == 1 ? 10 : 12;
  if (size < preamble) {
    return Status(Code::kTruncated,
                  "input is " + std::to_string(size) +
                      " bytes, too short for the .npy preamble (needs " +
                      std::to_string(preamble) + " for version " +
                      std::to_string(major) + ".0)");
  }
  uint64_t len = 0;
  if (major == 1) {
    len = static_cast<uint64_t>(b[8]) | static_cast<uint64_t>(b[9]) << 8;
  } else {
    len = static_cast<uint64_t>(b[8]) | static_cast<uint64_t>(b[9]) << 8 |
          static_cast<uint64_t>(b[10]) << 16 |
          static_cast<uint64_t>(b[11]) << 24;
  }
  // numpy compares the decoded length; UTF-8 needs at most 4 bytes a
  // character, so a longer v3 header can never pass the check below.
  const uint64_t byte_cap = major == 3 && limits.max_header_size <= UINT64_MAX / 4
                                ? limits.max_header_size * 4
                                : limits.max_header_size;
  if (len > byte_cap) {
    return Status(Code::kHeaderTooLarge,
                  "header length " + std::to_string(len) +
                      " exceeds max_header_size " +
                      std::to_string(limits.max_header_size) +
                      " (numpy's limit against header-parsing denial of "
                      "service; raise it only for trusted files)");
  }
  out->major = major;
  out->minor = minor;
  out->header_len = len;
  out->data_offset = preamble + len;
  return Status::Ok();
}

Status ParseHeader(const void* data, size_t size, const Limits& limits,
                   Header* out) {
  Status s = ParsePreamble(data, size, limits, &out->preamble);
  if (!s.ok()) return s;
  const Preamble& pre = out->preamble;
  if (pre.data_offset > size) {
    return Status(Code::kHeaderTruncated,
                  "header length " + std::to_string(pre.header_len) +
                      " runs past the end of the input: the header needs " +
                      std::to_string(pre.data_offset) + " bytes, input has " +
                      std::to_string(size));
  }
  const char* text = static_cast<const char*>(data) +
                     (pre.data_offset - pre.header_len);
  const size_t text_len = static_cast<size_t>(pre.header_len);
  if (pre.major == 3) {
    size_t bad_at = 0;
    uint64_t cps = 0;
    if (!ValidUtf8(reinterpret_cast<const unsigned char*>(text), text_len,
                   &bad_at, &cps)) {
      return Status(Code::kHeaderEncoding,
                    "version 3.0 header is not valid UTF-8 (at header byte " +
                        std::to_string(bad_at) + ")");
    }
    if (cps > limits.max_header_size) {
      return Status(Code::kHeaderTooLarge,
                    "header length " + std::to_string(cps) +
                        " characters exceeds max_header_size " +
                        std::to_string(limits.max_header_size));
    }
  }

  if (std::memchr(text, 0, text_len) != nullptr) {
    // Python refuses source text with NUL bytes, so np.load does too.
    return Status(Code::kHeaderSyntax,
                  "header is not a dict literal: it contains a NUL byte at "
                  "offset " +
                      std::to_string(static_cast<const char*>(
                                         std::memchr(text, 0, text_len)) -
                                     text));
  }
  Parser parser(text, text + text_len, /*allow_long_suffix=*/pre.major <= 2);
  if (!parser.Consume('{')) {
    // Distinguish "valid literal, not a dict" from "not a literal at all".
    Value v;
    Status vs = parser.ParseValue(&v, nullptr, 0);
    if (vs.ok() && parser.AtEnd()) {
      return Status(Code::kHeaderSyntax,
                    "header is not a dict literal: found '" + ValueText(v) +
                        "'");
    }
    return parser.Error("expected '{'");
  }
  enum { kDescr, kFortran, kShape, kNumKeys };
  static const char* const kKeyNames[kNumKeys] = {"descr", "fortran_order",
                                                  "shape"};
  Value values[kNumKeys];
  bool seen[kNumKeys] = {false, false, false};
  DimSink sink{out->dims, kMaxDims};
  bool comma = true;
  while (!parser.Consume('}')) {
    if (!comma) return parser.Error("expected ',' or '}'");
    Value key;
    s = parser.ParseValue(&key, nullptr, 1);
    if (!s.ok()) return s;
    int which = -1;
    if (key.kind == Kind::kString && !key.bytes && !key.text_truncated) {
      for (int k = 0; k < kNumKeys; ++k) {
        if (std::strlen(kKeyNames[k]) == key.text_len &&
            std::memcmp(kKeyNames[k], key.text, key.text_len) == 0) {
          which = k;
        }
      }
    }
    if (!parser.Consume(':')) return parser.Error("expected ':' after a key");
    if (which < 0) {
      // Parse the rest first so a syntax error is reported as such.
      Value ignored;
      s = parser.ParseValue(&ignored, nullptr, 1);
      if (!s.ok()) return s;
      return Status(Code::kHeaderKeys,
                    "unexpected key " + ValueText(key) +
                        "; a .npy header has exactly 'descr', "
                        "'fortran_order' and 'shape'");
    }
    if (seen[which]) {
      return Status(Code::kHeaderKeys,
                    std::string("duplicate key '") + kKeyNames[which] +
                        "' (refused: the header is ambiguous)");
    }
    seen[which] = true;
    if (which == kShape) sink = DimSink{out->dims, kMaxDims};
    s = parser.ParseValue(&values[which], which == kShape ? &sink : nullptr, 1);
    if (!s.ok()) return s;
    comma = parser.Consume(',');
  }
  if (!parser.AtEnd()) return parser.Error("unexpected text after the dict");
  for (int k = 0; k < kNumKeys; ++k) {
    if (!seen[k]) {
      return Status(Code::kHeaderKeys,
                    std::string("missing key '") + kKeyNames[k] + "'");
    }
  }

  // descr
  const Value& descr = values[kDescr];
  const auto descr_text = [&] { return ValueText(descr); };  // For messages only.
  if (descr.kind != Kind::kString) {
    if (descr.kind == Kind::kTuple || *descr.begin == '[') {
      return Status(Code::kUnsupportedDtype,
                    "unsupported descr " + descr_text() +
                        ": structured and subarray dtypes cannot be decoded "
                        "into a tensor");
    }
    return Status(Code::kBadDescr,
                  "descr " + descr_text() + " is not a valid dtype");
  }
  std::memset(out->descr, 0, sizeof(out->descr));
  std::memcpy(out->descr, descr.text,
              descr.text_len < sizeof(out->descr) - 1 ? descr.text_len
                                                      : sizeof(out->descr) - 1);
  DescrResult dr = DescrResult::kInvalid;
  if (!descr.bytes && !descr.text_truncated) {
    dr = ParseDescr(descr.text, descr.text_len, &out->dtype, &out->itemsize, &out->swap);
  }
  if (dr == DescrResult::kUnsupported) {
    return Status(Code::kUnsupportedDtype,
                  "unsupported descr " + descr_text() + ": only " + TensorTypeList() +
                      " (from S, U and V<n> arrays) can be decoded (object arrays are never "
                      "unpickled)");
  }
  if (dr != DescrResult::kOk) {
    return Status(Code::kBadDescr,
                  "descr " + descr_text() + " is not a valid dtype");
  }

  // fortran_order
  if (values[kFortran].kind != Kind::kBool) {
    return Status(Code::kBadFortranOrder,
                  "fortran_order is not a bool: " + ValueText(values[kFortran]));
  }
  out->fortran_order = values[kFortran].number != 0;

  // shape
  const Value& shape = values[kShape];
  if (shape.kind != Kind::kTuple || sink.non_int) {
    return Status(Code::kBadShape,
                  "shape is not a tuple of ints: " + ValueText(shape));
  }
  if (sink.n > kMaxDims) {
    return Status(Code::kTooManyDims,
                  "shape has " + std::to_string(sink.n) +
                      " dimensions; at most " + std::to_string(kMaxDims) +
                      " are supported");
  }
  if (sink.overflow) {
    return Status(Code::kSizeOverflow,
                  "shape " + ValueText(shape) + " overflows int64");
  }
  out->ndims = sink.n;
  for (int i = 0; i < out->ndims; ++i) {
    if (out->dims[i] < 0) {
      return Status(Code::kBadShape,
                    "negative dimension " + std::to_string(out->dims[i]) +
                        " in shape " + ValueText(shape));
    }
  }
  // Element count and bytes, overflow-checked. Zero-size dims do not hide an
  // overflow of the others: (0, 2**62, 2**62) is refused too.
  uint64_t nonzero = 1;
  bool any_zero = false;
  for (int i = 0; i < out->ndims; ++i) {
    if (out->dims[i] == 0) {
      any_zero = true;
    } else if (!MulInt64(nonzero, static_cast<uint64_t>(out->dims[i]),
                         &nonzero)) {
      return Status(Code::kSizeOverflow,
                    "shape " + ShapeString(out->dims, out->ndims) +
                        " overflows int64 elements");
    }
  }
  uint64_t bytes = 0;
  if (!MulInt64(nonzero, out->itemsize, &bytes)) {
    return Status(Code::kSizeOverflow,
                  "shape " + ShapeString(out->dims, out->ndims) + " of " +
                      DescribeDtype(*out) + " overflows int64 bytes");
  }
  out->num_elements = any_zero ? 0 : nonzero;
  out->data_bytes = any_zero ? 0 : bytes;
  if (out->itemsize == 0 && out->num_elements != 0) {
    // np.load reads them (as b''), but numpy never writes them (np.zeros(3,
    // 'S0') is S1): elements that take no bytes of the input cannot be
    // bounded by it, so a tiny header could ask for any number of strings.
    return Status(Code::kUnsupportedDtype,
                  "unsupported descr '" + std::string(out->descr) + "' with shape " +
                      ShapeString(out->dims, out->ndims) +
                      ": items of 0 bytes (numpy never writes them: np.zeros(3, 'S0') is S1) "
                      "are read only in empty arrays");
  }
  out->data_offset = pre.data_offset;
  return Status::Ok();
}

uint64_t OutputBytes(const Header& header) {
  if (!IsString(header.dtype)) return header.data_bytes;
  // Cannot overflow: data_bytes < 2**63 and 24 * num_elements < 2**63 * 24 /
  // itemsize... unless itemsize is 0 (S0): then saturate.
  uint64_t objects = 0;
  if (!MulInt64(header.num_elements, kStringObjectBytes, &objects)) return UINT64_MAX;
  return header.data_bytes + objects < header.data_bytes ? UINT64_MAX
                                                         : header.data_bytes + objects;
}

Status CheckOutputSize(const Header& header, const Limits& limits) {
  const uint64_t bytes = OutputBytes(header);
  if (bytes <= limits.max_output_bytes) return Status::Ok();
  return Status(Code::kTooLarge,
                "array " + ShapeString(header.dims, header.ndims) + " of " +
                    DescribeDtype(header) + " is " + std::to_string(bytes) +
                    (IsString(header.dtype)
                         ? " bytes (" + std::to_string(header.data_bytes) + " of data, " +
                               std::to_string(kStringObjectBytes) + " per string)"
                         : std::string(" bytes")) +
                    ", which exceeds max_output_bytes " +
                    std::to_string(limits.max_output_bytes));
}

Status CheckDataSize(const Header& header, uint64_t input_size) {
  const uint64_t have =
      input_size > header.data_offset ? input_size - header.data_offset : 0;
  if (have < header.data_bytes) {
    return Status(Code::kDataTruncated,
                  "data truncated: shape " +
                      ShapeString(header.dims, header.ndims) + " of " +
                      DescribeDtype(header) + " needs " +
                      std::to_string(header.data_bytes) +
                      " bytes after the header, input has " +
                      std::to_string(have));
  }
  return Status::Ok();
}

Status ParseNpy(const void* data, size_t size, const Limits& limits,
                Header* out) {
  // A content problem (truncation) is reported before the size cap.
  TFNPY_RETURN_IF_ERROR(ParseHeader(data, size, limits, out));
  TFNPY_RETURN_IF_ERROR(CheckDataSize(*out, size));
  return CheckOutputSize(*out, limits);
}

namespace {
// The tensor type's name of a wanted type: "string" for S and U.
const char* WantName(DType want) {
  const char* t = Info(want).tensor;
  return t != nullptr ? t : DTypeName(want);
}
}  // namespace

namespace {
// ml_dtypes' types stored as V<size>, in table order: "ml_dtypes.bfloat16",
// "ml_dtypes.float8_e4m3fn, ml_dtypes.float8_e4m3fnuz, ..."; their count in
// *n, the first one's name in *first.
std::string VoidTypesOfSize(uint64_t size, int* n, const char** first) {
  std::string out;
  *n = 0;
  for (int i = kNumNumericDTypes; i < kNumDTypes; ++i) {
    const DType d = static_cast<DType>(i);
    if (!IsVoidStored(d) || ItemSize(d) != size) continue;
    if (*n == 0) *first = DTypeName(d);
    out += std::string(*n == 0 ? "" : ", ") + "ml_dtypes." + DTypeName(d);
    ++*n;
  }
  return out;
}

// "V1 and V2": the item sizes of V arrays that read as ml_dtypes' types.
std::string VoidSizes() {
  std::string out;
  int count = 0, n = 0;
  const char* first = nullptr;
  for (uint64_t size = 1; size <= 16; ++size) {
    VoidTypesOfSize(size, &n, &first);
    if (n == 0) continue;
    out += std::string(count == 0 ? "" : " and ") + "V" + std::to_string(size);
    ++count;
  }
  return out;
}
}  // namespace

Status CheckDtype(const Header& file, DType want) {
  bool ok = file.dtype == want || (IsString(want) && IsString(file.dtype));
  if (IsVoidStored(want)) ok = file.dtype == DType::kVoid && file.itemsize == ItemSize(want);
  if (ok) return Status::Ok();
  std::string hint;
  int n = 0;
  const char* first = nullptr;
  if (file.dtype == DType::kVoid) {
    // What np.save writes as V<size>: "a V2 array is what np.save writes for ml_dtypes.bfloat16".
    const std::string types = VoidTypesOfSize(file.itemsize, &n, &first);
    const std::string stored =
        n == 0 ? "" : "a V" + std::to_string(file.itemsize) + " array is what np.save writes for " + types;
    if (IsVoidStored(want)) {
      hint = std::string(" (") + WantName(want) + " is stored as V" + std::to_string(ItemSize(want)) +
             (n > 0 ? "; " + stored : std::string()) + ")";
    } else if (n == 1) {
      hint = " (" + stored + ": read it with dtype=tf." + first + ")";
    } else if (n > 1) {
      hint = " (" + stored + ": read it as the one it holds, e.g. dtype=ml_dtypes." + first + ")";
    } else {
      hint = " (raw bytes: only " + VoidSizes() + " arrays read, as ml_dtypes' types)";
    }
  }
  return Status(Code::kBadArgument,
                "file holds " + DescribeDtype(file) + ", expected " + WantName(want) + hint);
}

void ReadAs(DType want, Header* array) {
  if (array->dtype == DType::kVoid && IsVoidStored(want)) array->dtype = want;
}

}  // namespace tfnpy
