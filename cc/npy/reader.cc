#include "npy/reader.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "npy/convert.h"
#include "npy/memory.h"
#include "npy/text.h"

namespace tfnpy {

Status ByteSource::ReadScattered(uint64_t offset, const ReadPiece* pieces, int count, size_t* got) {
  *got = 0;
  for (int k = 0; k < count; ++k) {
    size_t n = 0;
    TFNPY_RETURN_IF_ERROR(Read(offset + *got, pieces[k].n, pieces[k].dst, &n));
    *got += n;
    if (n < pieces[k].n) break;  // The end of the source.
  }
  return Status::Ok();
}

Status MemorySource::Read(uint64_t offset, size_t n, char* dst, size_t* got) {
  *got = 0;
  if (offset >= size_) return Status::Ok();
  const size_t have = static_cast<size_t>(size_ - offset);
  *got = n < have ? n : have;
  std::memcpy(dst, data_ + offset, *got);
  return Status::Ok();
}

const char* MemorySource::View(uint64_t offset, size_t n) {
  if (offset > size_ || n > size_ - offset) return nullptr;
  return data_ + offset;
}

namespace {

// A new allocation of n bytes, kept in *list (freed with the arena), or
// nullptr if memory runs out.
char* Keep(std::vector<std::unique_ptr<char[]>>* list, size_t n) {
  std::unique_ptr<char[]> p(NewBytes(n));
  if (p == nullptr || !Growing(sizeof(p), "an arena's list", [&] { list->push_back(std::move(p)); }).ok()) {
    return nullptr;  // push_back left p as it was: freed here.
  }
  return list->back().get();
}

}  // namespace

char* Arena::Allocate(size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  if (n > kBlock / 4) return Keep(&large_, n);  // Large: an allocation of its own.
  n = (n + 15) & ~size_t{15};
  if (blocks_.empty() || used_ + n > kBlock) {  // None yet (n may be 0), or full.
    if (Keep(&blocks_, kBlock) == nullptr) return nullptr;
    used_ = 0;
  }
  char* p = blocks_.back().get() + used_;
  used_ += n;
  return p;
}

namespace {

uint64_t DataEnd(const Header& h) { return h.data_offset + h.data_bytes; }

bool SameLayout(const Header& a, const Header& b) {
  if (a.data_offset != b.data_offset || a.dtype != b.dtype || a.itemsize != b.itemsize ||
      a.swap != b.swap || a.fortran_order != b.fortran_order ||
      a.ndims != b.ndims) {
    return false;
  }
  for (int i = 0; i < a.ndims; ++i) {
    if (a.dims[i] != b.dims[i]) return false;
  }
  return true;
}

}  // namespace

Status NpyReader::Truncated(uint64_t known_size, bool size_known) const {
  if (size_known) return CheckDataSize(header_, known_size);
  return Status(Code::kDataTruncated,
                "data truncated: shape " +
                    ShapeString(header_.dims, header_.ndims) + " of " +
                    DescribeDtype(header_) + " needs " +
                    std::to_string(header_.data_bytes) +
                    " bytes after the header, input has fewer");
}

Status NpyReader::Open(ByteSource* source, const Limits& limits, Arena* arena) {
  source_ = source;
  limits_ = limits;
  held_ = nullptr;
  held_begin_ = held_end_ = 0;
  owned_.reset();
  // The output cap applies to what is selected (Select), after the input is
  // known to hold the array: a content error is reported as such.
  Limits parse = limits;
  parse.max_output_bytes = UINT64_MAX;

  // A source in memory shows its bytes (View); a file is read. Asking a
  // file for its size would cost a lookup by name, so ask only a view.
  uint64_t size = 0;
  const char* all = source->View(0, 0) != nullptr && source->Size(&size) && size <= SIZE_MAX
                        ? source->View(0, static_cast<size_t>(size))
                        : nullptr;
  if (all != nullptr) {  // In memory: parse and decode in place.
    TFNPY_RETURN_IF_ERROR(ParseHeader(all, static_cast<size_t>(size), parse, &header_));
    TFNPY_RETURN_IF_ERROR(CheckDataSize(header_, size));
    held_ = all + header_.data_offset;
    held_begin_ = header_.data_offset;
    held_end_ = DataEnd(header_);
    return Status::Ok();
  }

  // A source that vouches for its size and holds its first bytes in memory
  // (a zip member in an archive's first read) shows them: parse them there
  // and keep a view, copying nothing. Else read them.
  char buffer[kFirstRead];
  const char* first = nullptr;
  size_t got = 0;
  bool at_end = false;
  if (source->Vouched(&size)) {
    const size_t want = static_cast<size_t>(size < kFirstRead ? size : kFirstRead);
    first = source->ViewUpTo(0, want, &got);
    // At least a preamble (or all there is), else read. A header longer than
    // the view is read as one longer than a first read.
    if (got < want && got < 64) first = nullptr;
    at_end = got == size;
  }
  const bool viewed = first != nullptr;
  if (!viewed) {
    TFNPY_RETURN_IF_ERROR(source->Read(0, kFirstRead, buffer, &got));
    first = buffer;
    // A short read is the end of the source: its size is known.
    at_end = got < kFirstRead;
  }
  Preamble pre;
  TFNPY_RETURN_IF_ERROR(ParsePreamble(first, got, parse, &pre));
  const char* text = first;
  size_t text_size = got;
  std::unique_ptr<char[]> longer;
  if (pre.data_offset > got && !at_end) {
    // The header is longer than the first read (bounded by max_header_size).
    TFNPY_RETURN_IF_ERROR(AllocateBytes(pre.data_offset, "the header", &longer));
    std::memcpy(longer.get(), first, got);
    size_t more = 0;
    TFNPY_RETURN_IF_ERROR(source->Read(
        got, static_cast<size_t>(pre.data_offset - got), longer.get() + got, &more));
    text = longer.get();
    text_size = got + more;
  }
  TFNPY_RETURN_IF_ERROR(ParseHeader(text, text_size, parse, &header_));
  const uint64_t end = DataEnd(header_);
  if (longer == nullptr && got > header_.data_offset) {
    // Keep the data bytes that came with the first read.
    const uint64_t keep_end = end < got ? end : got;
    const size_t keep = static_cast<size_t>(keep_end - header_.data_offset);
    if (viewed) {
      held_ = first + header_.data_offset;
    } else {
      char* keep_at;
      if (arena != nullptr) {
        keep_at = arena->Allocate(keep);
        if (keep_at == nullptr) return OutOfMemory(keep, "the bytes of the first read");
      } else {
        TFNPY_RETURN_IF_ERROR(AllocateBytes(keep, "the bytes of the first read", &owned_));
        keep_at = owned_.get();
      }
      std::memcpy(keep_at, first + header_.data_offset, keep);
      held_ = keep_at;
    }
    held_begin_ = header_.data_offset;
    held_end_ = keep_end;
  }
  if (end <= got && longer == nullptr) return Status::Ok();
  if (at_end) return Truncated(got, true);
  if (source->Vouched(&size)) return end <= size ? Status::Ok() : Truncated(size, true);
  // Prove the source holds the array's last byte before anyone allocates.
  char last;
  size_t n = 0;
  TFNPY_RETURN_IF_ERROR(source->Read(end - 1, 1, &last, &n));
  if (n == 1) return Status::Ok();
  const bool known = source->Size(&size);
  return Truncated(size, known);
}

bool NpyReader::complete() const {
  return header_.data_bytes == 0 ||
         (held_begin_ <= header_.data_offset && held_end_ >= DataEnd(header_));
}

Status NpyReader::Select(const Region& region, Selection* out) const {
  TFNPY_RETURN_IF_ERROR(tfnpy::Select(header_, region, out));
  return CheckOutputSize(out->array, limits_);
}

Status NpyReader::Reattach(ByteSource* source) {
  NpyReader fresh;
  TFNPY_RETURN_IF_ERROR(fresh.Open(source, limits_));
  if (!SameLayout(fresh.header_, header_)) {
    return Status(Code::kDataLoss,
                  "file changed while being read: its header now says shape " +
                      ShapeString(fresh.header_.dims, fresh.header_.ndims) +
                      " of " + DescribeDtype(fresh.header_) + ", was " +
                      ShapeString(header_.dims, header_.ndims) + " of " +
                      DescribeDtype(header_));
  }
  *this = std::move(fresh);
  return Status::Ok();
}

const char* NpyReader::Held(uint64_t offset, uint64_t n) const {
  if (held_ == nullptr || offset < held_begin_ || offset > held_end_ ||
      n > held_end_ - offset) {
    return nullptr;
  }
  return held_ + (offset - held_begin_);
}

Status NpyReader::Fetch(uint64_t offset, uint64_t n, char* dst) {
  // Held bytes are a prefix of the data: copy what they cover, read the rest.
  if (held_ != nullptr && offset >= held_begin_ && offset < held_end_) {
    const uint64_t k = n < held_end_ - offset ? n : held_end_ - offset;
    std::memcpy(dst, held_ + (offset - held_begin_), static_cast<size_t>(k));
    offset += k;
    dst += k;
    n -= k;
  }
  if (n == 0) return Status::Ok();
  if (source_ == nullptr) {
    return Status(Code::kBadArgument, "the reader has no source to read from");
  }
  size_t got = 0;
  TFNPY_RETURN_IF_ERROR(source_->Read(offset, static_cast<size_t>(n), dst, &got));
  if (got != n) {
    return Status(Code::kDataLoss,
                  "file shrank while reading: expected " + std::to_string(n) +
                      " bytes at offset " + std::to_string(offset) + ", got " +
                      std::to_string(got));
  }
  return Status::Ok();
}

Status NpyReader::Gather(const Selection& sel, char* target) {
  RunIterator runs(header_, sel);
  // The current span: file bytes [begin, end) holding runs[first..] that go
  // to target + out.
  std::vector<uint64_t> offsets;  // Run offsets in a span with gaps.
  std::unique_ptr<char[]> scratch;
  uint64_t begin = 0, end = 0, out = 0;
  bool gapless = true;
  const uint64_t len = runs.run_bytes();
  auto flush = [&]() -> Status {
    if (end == begin) return Status::Ok();
    if (gapless) {
      TFNPY_RETURN_IF_ERROR(Fetch(begin, end - begin, target + out));
      out += end - begin;
    } else {
      const char* src = Held(begin, end - begin);
      if (src == nullptr) {
        if (scratch == nullptr) TFNPY_RETURN_IF_ERROR(AllocateBytes(kMaxSpan, "a read buffer", &scratch));
        TFNPY_RETURN_IF_ERROR(Fetch(begin, end - begin, scratch.get()));
        src = scratch.get();
      }
      for (uint64_t o : offsets) {
        std::memcpy(target + out, src + (o - begin), static_cast<size_t>(len));
        out += len;
      }
    }
    offsets.clear();
    begin = end = 0;
    gapless = true;
    return Status::Ok();
  };
  uint64_t offset = 0, length = 0;
  while (runs.Next(&offset, &length)) {
    if (end != begin) {
      const uint64_t gap = offset - end;
      if (gap == 0 && gapless) {
        end = offset + length;
        continue;
      }
      if (gap <= kMaxGap && offset + length - begin <= kMaxSpan) {
        if (gapless) {
          // Turn the gapless span into a gapped one: list its runs. A span
          // holds at most kMaxSpan / len + 1 of them, the selection
          // data_bytes / len: room for that many, reserved once, so the
          // pushes below never allocate.
          if (offsets.capacity() == 0) {
            const uint64_t most = std::min(sel.array.data_bytes / len, kMaxSpan / len + 1);
            TFNPY_RETURN_IF_ERROR(Growing(most * sizeof(uint64_t), "the runs of a region", [&] {
              offsets.reserve(static_cast<size_t>(most));
            }));
          }
          for (uint64_t o = begin; o < end; o += len) offsets.push_back(o);
          gapless = false;
        }
        offsets.push_back(offset);
        end = offset + length;
        continue;
      }
      TFNPY_RETURN_IF_ERROR(flush());
    }
    begin = offset;
    end = offset + length;
  }
  return flush();
}

Status NpyReader::ReadInto(const Selection& sel, void* dst, size_t dst_size, const void* fill) {
  const Header& a = sel.array;
  if (dst_size != a.data_bytes) {
    return Status(Code::kBadArgument,
                  "output buffer is " + std::to_string(dst_size) +
                      " bytes, the selection needs " +
                      std::to_string(a.data_bytes));
  }
  if (a.data_bytes == 0) return Status::Ok();
  if (sel.padded) {
    // The part inside the array into scratch memory, then laid out in the box.
    const Selection inner = InnerOf(sel);
    std::unique_ptr<char[]> part;
    if (inner.array.data_bytes != 0) {
      part.reset(new (std::nothrow) char[inner.array.data_bytes]);
      if (part == nullptr) {
        return Status(Code::kTooLarge, "could not allocate " + std::to_string(inner.array.data_bytes) +
                                           " bytes for a padded region");
      }
      TFNPY_RETURN_IF_ERROR(ReadInto(inner, part.get(), inner.array.data_bytes));
    }
    PadInto(sel, part.get(), a.itemsize, fill, static_cast<char*>(dst));
    return Status::Ok();
  }
  char* out = static_cast<char*>(dst);
  if (sel.whole) {
    // Straight from held bytes when they are all there (no extra copy).
    if (const char* src = Held(header_.data_offset, a.data_bytes)) {
      return DecodeData(a, src, a.data_bytes, out, dst_size);
    }
  }
  std::unique_ptr<char[]> scratch;
  char* target = out;
  if (!CanDecodeInPlace(a)) {
    // Fortran order: read, then transpose into dst.
    TFNPY_RETURN_IF_ERROR(AllocateBytes(a.data_bytes, "the array before its transposition", &scratch));
    target = scratch.get();
  }
  if (sel.whole) {
    TFNPY_RETURN_IF_ERROR(Fetch(header_.data_offset, a.data_bytes, target));
  } else {
    TFNPY_RETURN_IF_ERROR(Gather(sel, target));
  }
  return DecodeData(a, target, a.data_bytes, out, dst_size);
}

}  // namespace tfnpy
