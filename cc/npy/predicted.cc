// Reading a file whose array is known before it is opened. See predicted.h.
#include "npy/predicted.h"

#include <cstring>

#include "npy/convert.h"
#include "npy/encode.h"
#include "npy/region.h"

namespace tfnpy {

bool PredictedNpy::Init(DType dtype, const int64_t* dims, int ndims, const Limits& limits) {
  header_.clear();
  if (IsString(dtype)) return false;
  EncodePlan plan;
  if (!PlanEncode(FormatOf(dtype), dims, ndims, &plan).ok() || plan.header.size() > kMaxHeader) return false;
  // What NpyReader makes of the predicted file, by its own functions: the
  // header parsed under the caller's limits, the dtype check, the whole
  // array selected and read as `dtype`, the output cap. A prediction the
  // general path would refuse is no prediction.
  Header parsed;
  Selection sel;
  if (!ParseHeader(plan.header.data(), plan.header.size(), limits, &parsed).ok() ||
      !CheckDtype(parsed, dtype).ok() || !Select(parsed, Region(), &sel).ok() ||
      !CheckOutputSize(sel.array, limits).ok() || parsed.data_offset != plan.header.size() ||
      parsed.data_bytes != plan.data_bytes || !CanDecodeInPlace(sel.array)) {
    return false;
  }
  ReadAs(dtype, &sel.array);
  array_ = sel.array;
  header_ = std::move(plan.header);
  return true;
}

bool PredictedNpy::Read(ByteSource* source, void* dst) const {
  if (!usable()) return false;
  const size_t head_size = header_.size();
  const uint64_t data_bytes = array_.data_bytes;
  // The data that comes with the header: all of a small array; of a larger
  // one, what fills the reader's first read (a file that is not the
  // predicted one then costs no more than NpyReader's first read).
  const size_t room = NpyReader::kFirstRead > head_size ? NpyReader::kFirstRead - head_size : 0;
  const size_t first = data_bytes < room ? static_cast<size_t>(data_bytes) : room;
  char head[kMaxHeader];
  char* out = static_cast<char*>(dst);
  const ReadPiece pieces[2] = {{head, head_size}, {out, first}};
  size_t got = 0;
  if (!source->ReadScattered(0, pieces, first > 0 ? 2 : 1, &got).ok() || got != head_size + first ||
      std::memcmp(head, header_.data(), head_size) != 0) {
    return false;
  }
  if (first < data_bytes) {
    const size_t rest = static_cast<size_t>(data_bytes - first);
    if (!source->Read(head_size + first, rest, out + first, &got).ok() || got != rest) return false;
  }
  // In place: nothing for a verbatim type, bools to 0/1, a big-endian
  // host's byte swap.
  return DecodeData(array_, out, static_cast<size_t>(data_bytes), out, static_cast<size_t>(data_bytes)).ok();
}

}  // namespace tfnpy
