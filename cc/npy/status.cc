#include "npy/status.h"

namespace tfnpy {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kTruncated: return "truncated";
    case Code::kBadMagic: return "bad_magic";
    case Code::kBadVersion: return "bad_version";
    case Code::kHeaderTooLarge: return "header_too_large";
    case Code::kHeaderTruncated: return "header_truncated";
    case Code::kHeaderEncoding: return "header_encoding";
    case Code::kHeaderSyntax: return "header_syntax";
    case Code::kHeaderKeys: return "header_keys";
    case Code::kBadDescr: return "bad_descr";
    case Code::kUnsupportedDtype: return "unsupported_dtype";
    case Code::kBadFortranOrder: return "bad_fortran_order";
    case Code::kBadShape: return "bad_shape";
    case Code::kTooManyDims: return "too_many_dims";
    case Code::kSizeOverflow: return "size_overflow";
    case Code::kDataTruncated: return "data_truncated";
    case Code::kTooLarge: return "too_large";
    case Code::kBadArgument: return "bad_argument";
    case Code::kReadFailed: return "read_failed";
    case Code::kDataLoss: return "data_loss";
    case Code::kNotZip: return "not_zip";
    case Code::kZipCorrupt: return "zip_corrupt";
    case Code::kZipUnsupported: return "zip_unsupported";
    case Code::kNoMember: return "no_member";
    case Code::kBadDeflate: return "bad_deflate";
    case Code::kCrcMismatch: return "crc_mismatch";
    case Code::kBadString: return "bad_string";
    case Code::kOutOfMemory: return "out_of_memory";
  }
  return "unknown";
}

}  // namespace tfnpy
