// Reading .npy arrays from any byte source: a memory buffer, a file of any
// TensorFlow file system, a zip member. The one reader behind ReadNpy,
// DecodeNpy, tfnpy.loads and the fuzzers.
//
//   tfnpy::NpyReader reader;
//   TFNPY_RETURN_IF_ERROR(reader.Open(&source, limits));   // header + size checks
//   tfnpy::Selection sel;
//   TFNPY_RETURN_IF_ERROR(reader.Select(region, &sel));    // + the output cap
//   ... allocate sel.array.data_bytes at dst ...
//   TFNPY_RETURN_IF_ERROR(reader.ReadInto(sel, dst, sel.array.data_bytes));
//
// Open validates everything a read depends on before the caller allocates:
// the header, and that the source really holds the whole declared array (a
// small file arrives whole in the first read; for a larger one a one-byte
// read at the array's last byte proves it), so a tiny input that declares a
// huge array costs no allocation. A source that changes afterwards (a file
// that shrinks while read) gives kDataLoss, never a read out of bounds.
#ifndef TFNPY_CC_NPY_READER_H_
#define TFNPY_CC_NPY_READER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "npy/header.h"
#include "npy/region.h"
#include "npy/status.h"

namespace tfnpy {

// Where ByteSource::ReadScattered puts one piece of what it reads.
struct ReadPiece {
  char* dst;
  size_t n;
};

// "Read n bytes at offset". Implementations need not be thread-safe: one
// reader uses one source at a time.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to n bytes at `offset` into dst and sets *got. Fewer than n
  // bytes mean that the source ends at offset + *got. A failed read returns
  // a non-OK status (kReadFailed, with the source's own message).
  virtual Status Read(uint64_t offset, size_t n, char* dst, size_t* got) = 0;
  // Reads as Read would into one buffer of the pieces' total size, and
  // scatters the bytes over the pieces in turn (*got in all; fewer than the
  // total: the source ends there). A source that can do it in one request
  // says so (PosixFile: preadv); this default reads each piece with Read.
  virtual Status ReadScattered(uint64_t offset, const ReadPiece* pieces, int count, size_t* got);
  // For sources held in memory, wholly or in part: the bytes [offset,
  // offset + n) if the source has all of them, else nullptr; valid while the
  // source lives and what it views. The reader then copies nothing it need
  // not: a whole source in memory, or (ViewUpTo, with Vouched) its first bytes.
  virtual const char* View(uint64_t /*offset*/, size_t /*n*/) { return nullptr; }
  // For sources that hold some bytes in memory: those from `offset` on, as
  // many as are held up to `max` (*n of them; nullptr and 0 if none), valid
  // as View's are.
  virtual const char* ViewUpTo(uint64_t /*offset*/, size_t /*max*/, size_t* n) {
    *n = 0;
    return nullptr;
  }
  // The source's size, where it is known without reading; used for messages.
  virtual bool Size(uint64_t* /*size*/) { return false; }
  // The size a source vouches for: it delivers every byte below it or fails
  // the read with an error, never a short read (a zip member's declared
  // size). Open then trusts it instead of reading the array's last byte,
  // which an inflating source could only reach by inflating everything.
  virtual bool Vouched(uint64_t* /*size*/) { return false; }
};

// A buffer in memory, not owned.
class MemorySource final : public ByteSource {
 public:
  MemorySource(const void* data, size_t size)
      : data_(static_cast<const char*>(data)), size_(size) {}
  Status Read(uint64_t offset, size_t n, char* dst, size_t* got) override;
  const char* View(uint64_t offset, size_t n) override;
  bool Size(uint64_t* size) override {
    *size = size_;
    return true;
  }

 private:
  const char* data_;
  size_t size_;
};

// Memory for the bytes readers hold between Open and ReadInto, taken in
// blocks and given back all at once when the arena goes: a batch of many
// small files then costs a few allocations, not one per file. Thread-safe.
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  // n bytes (n may be 0), valid until the arena is destroyed; nullptr if
  // memory runs out.
  char* Allocate(size_t n);

 private:
  static constexpr size_t kBlock = 1 << 20;
  std::mutex mu_;
  std::vector<std::unique_ptr<char[]>> blocks_;  // Bumped through, kBlock each.
  std::vector<std::unique_ptr<char[]>> large_;   // One allocation each.
  size_t used_ = kBlock;  // In the last block.
};

class NpyReader {
 public:
  // Bytes asked for by the first read: a file this small arrives whole, in
  // one read, header and data.
  static constexpr size_t kFirstRead = 16 * 1024;

  NpyReader() = default;
  NpyReader(NpyReader&&) = default;
  NpyReader& operator=(NpyReader&&) = default;

  // Reads and validates the preamble and header (kFirstRead bytes, more if
  // the header is longer) and checks that the source holds the whole
  // declared array: kDataTruncated otherwise, whatever size it declares.
  // limits.max_output_bytes is not checked here but by Select, on what is
  // selected. `source` must outlive the reader's use of it (see Detach).
  // With an arena, the bytes kept from the first read are put there (the
  // arena must outlive the reader's reads).
  Status Open(ByteSource* source, const Limits& limits, Arena* arena = nullptr);

  const Header& header() const { return header_; }

  // True once every data byte is held in memory (it came with the first
  // read, or the source is a memory buffer): the source is no longer read.
  bool complete() const;

  // What `region` selects; kTooLarge if it is larger than max_output_bytes.
  Status Select(const Region& region, Selection* out) const;

  // Reads the selection into dst (dst_size must be sel.array.data_bytes), in
  // C order and native byte order, bools as 0/1. A padded selection's
  // elements outside the array are copies of the item at `fill` (native
  // bytes, sel.array.itemsize of them; nullptr: zeros). Reads only the selection's
  // bytes, in contiguous runs; runs separated by small gaps are read as one
  // (cheaper than a read each). kDataLoss if the source ends early.
  Status ReadInto(const Selection& sel, void* dst, size_t dst_size, const void* fill = nullptr);

  // Forgets the source (the caller may close it). A complete() reader needs
  // none; another must Reattach before ReadInto.
  void Detach() { source_ = nullptr; }

  // Reads from a fresh handle on the same file: its header must be the one
  // read by Open (kDataLoss if it changed), and bytes held from the old
  // handle are dropped, so data never mixes two versions of a file.
  Status Reattach(ByteSource* source);

  // Runs separated by at most this many bytes are read as one.
  static constexpr uint64_t kMaxGap = 16 * 1024;
  // Largest piece read into scratch memory when runs are gathered.
  static constexpr uint64_t kMaxSpan = 4 * 1024 * 1024;

 private:
  // The held bytes [offset, offset + n), or nullptr if not all are held.
  const char* Held(uint64_t offset, uint64_t n) const;
  // Bytes [offset, offset + n) into dst, from held bytes or the source.
  Status Fetch(uint64_t offset, uint64_t n, char* dst);
  Status Gather(const Selection& sel, char* target);
  Status Truncated(uint64_t known_size, bool size_known) const;

  ByteSource* source_ = nullptr;
  Limits limits_;
  Header header_;
  // Bytes [held_begin_, held_end_) of the file, at held_ (owned_ or a view).
  const char* held_ = nullptr;
  uint64_t held_begin_ = 0;
  uint64_t held_end_ = 0;
  std::unique_ptr<char[]> owned_;
};

}  // namespace tfnpy

#endif  // TFNPY_CC_NPY_READER_H_
