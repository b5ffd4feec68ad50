// Zip archives (.npz) over a ByteSource: the central directory, numpy's
// member keys, and each member as a ByteSource of its own for NpyReader.
//
//   tfnpy::ZipArchive zip;
//   TFNPY_RETURN_IF_ERROR(zip.Open(&file));                 // one directory parse
//   const tfnpy::ZipEntry* entry;
//   TFNPY_RETURN_IF_ERROR(zip.Find("x", &entry));          // np.load(f)["x"]
//   tfnpy::ZipMember member;
//   TFNPY_RETURN_IF_ERROR(zip.OpenMember(*entry, &member));
//   ... NpyReader over &member: Open, Select, ReadInto ...
//   TFNPY_RETURN_IF_ERROR(member.Verify());                 // after a whole read: CRC-32
//
// A stored member is a window over the archive's bytes; a deflated one
// inflates (zlib, raw deflate) as it is read and never further than asked.
// Every size, offset and header is checked before anything is allocated:
// the central directory against the archive's size, each local header and
// data descriptor against its central entry, each member against the next
// one's start (no overlaps) and a deflated member's declared size against what its
// compressed bytes can inflate to. The only dependency beyond the standard
// library is zlib.
#ifndef TFNPY_CC_NPY_ZIP_H_
#define TFNPY_CC_NPY_ZIP_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "npy/crc32.h"
#include "npy/reader.h"
#include "npy/status.h"

namespace tfnpy {

constexpr uint16_t kZipStored = 0;
constexpr uint16_t kZipDeflated = 8;

// "stored", "deflated", "bzip2", "lzma", ... or "method 99".
std::string ZipMethodName(uint16_t method);

// deflate's largest expansion: a stream of n bytes inflates to at most about
// 1032 n bytes. A member declaring more is refused before anything is read.
uint64_t MaxInflatedSize(uint64_t compressed_size);

struct ZipEntry {
  std::string name;            // As stored: UTF-8 if flagged, else converted from CP437.
  uint16_t flags = 0;          // General-purpose bit flags of the central entry.
  uint16_t method = 0;         // kZipStored, kZipDeflated or another (refused when read).
  uint32_t crc = 0;            // CRC-32 of the uncompressed bytes.
  uint64_t compressed_size = 0;
  uint64_t size = 0;           // Uncompressed.
  uint64_t header_offset = 0;  // The local header's offset in the source.
  uint64_t end = 0;            // Where the next member (or the directory) starts.

  bool directory() const { return !name.empty() && name.back() == '/'; }
  bool encrypted() const { return (flags & 1) != 0; }
  // numpy's key: the name without a trailing ".npy".
  std::string key() const;
};

// The central directory's entries, in its order. The one entry of a
// one-member archive (the usual .npz of one sample) is held inline, so that
// a batch of them does not allocate one vector per archive; more go in a vector.
class ZipEntries {
 public:
  size_t size() const { return single_ ? 1 : many_.size(); }
  const ZipEntry& operator[](size_t k) const { return data()[k]; }
  ZipEntry& operator[](size_t k) { return data()[k]; }
  const ZipEntry* begin() const { return data(); }
  const ZipEntry* end() const { return data() + size(); }

  void clear() {
    single_ = false;
    many_.clear();
  }
  void reserve(size_t n) {
    if (n > 1) many_.reserve(n);
  }
  void push_back(ZipEntry&& e) {
    if (!single_ && many_.empty()) {
      one_ = std::move(e);
      single_ = true;
      return;
    }
    if (single_) many_.push_back(std::move(one_));
    single_ = false;
    many_.push_back(std::move(e));
  }

 private:
  const ZipEntry* data() const { return single_ ? &one_ : many_.data(); }
  ZipEntry* data() { return single_ ? &one_ : many_.data(); }

  bool single_ = false;  // one_ is the only entry; else many_ holds them all.
  ZipEntry one_;
  std::vector<ZipEntry> many_;
};

class ZipArchive;

// One member's uncompressed bytes as a ByteSource.
class ZipMember final : public ByteSource {
 public:
  ZipMember();
  ~ZipMember() override;
  ZipMember(ZipMember&&) noexcept;
  ZipMember& operator=(ZipMember&&) noexcept;

  Status Read(uint64_t offset, size_t n, char* dst, size_t* got) override;
  const char* View(uint64_t offset, size_t n) override;
  const char* ViewUpTo(uint64_t offset, size_t max, size_t* n) override;
  bool Size(uint64_t* size) override;
  bool Vouched(uint64_t* size) override { return Size(size); }

  // Reads whatever of the member has not been read yet and checks its
  // CRC-32 (kCrcMismatch; unless opened without verify_crc) and, for a
  // deflated member, that the stream ends exactly at the declared size
  // (kBadDeflate). Call after a whole read.
  Status Verify();

  const ZipEntry& entry() const;
  // Uncompressed bytes produced so far (deflated members), for tests.
  uint64_t inflated() const;

 private:
  friend class ZipArchive;
  struct Impl;
  // Destroys an Impl; frees it too unless it lives in an archive's arena.
  struct ImplDeleter {
    void operator()(Impl* impl) const;
  };
  std::unique_ptr<Impl, ImplDeleter> impl_;
};

class ZipArchive {
 public:
  // Bytes read at the start of an archive in one read, as many as NpyReader
  // reads first from a .npy file: an archive this small arrives whole and is
  // never read again; of a larger one they hold the first member's headers.
  static constexpr size_t kHeadRead = NpyReader::kFirstRead;
  // Bytes read first at the end of a larger archive: its end records and,
  // for a few members, its central directory.
  static constexpr size_t kTailRead = 4096;

  // Reads the end records and the central directory of the archive in
  // `source` (which must outlive the archive and its members). Needs the
  // source's size: from its first short read, else from Size().
  // With an arena, what the first read keeps is put there, and so is each
  // member's state (OpenMember); it must outlive the archive and its members.
  Status Open(ByteSource* source, Arena* arena = nullptr);

  const ZipEntries& entries() const { return entries_; }
  const std::string& comment() const { return comment_; }

  // np.load's lookup: the member named `key`, else `key` + ".npy" (the last
  // of several with one name, as zipfile does). kNoMember names the key and
  // lists the members' keys.
  Status Find(const std::string& key, const ZipEntry** out) const;
  // The members' keys, comma-separated, at most `max` of them (then ", ...").
  std::string Keys(size_t max = 20) const;

  // Checks the member's local header against its central entry and its
  // bounds, method and declared sizes; then *out reads its bytes. Without
  // verify_crc the member's bytes are not checksummed (the CRC-32 of every
  // byte costs up to a fifth of a page-cached read), trusting the storage as
  // np.load does not; every other check stays.
  Status OpenMember(const ZipEntry& entry, ZipMember* out, bool verify_crc = true);

  // Bytes of the archive, from the bytes held since Open when they cover
  // the range, else from the source.
  Status ReadAt(uint64_t offset, size_t n, char* dst, size_t* got);
  // The archive's bytes [offset, offset + n) if they are in memory.
  const char* ViewAt(uint64_t offset, size_t n);
  // Those in memory from `offset` on, up to `max` (*n of them).
  const char* ViewUpTo(uint64_t offset, size_t max, size_t* n);
  uint64_t size() const { return size_; }
  // True when Open's first read held the whole archive: the source is not
  // read again (the caller may close it).
  bool complete() const { return size_ > 0 && head_.size == size_; }

 private:
  // What the end records (zip64's if there are) say.
  struct EndRecord {
    uint64_t disk = 0, cd_disk = 0;   // This disk's number, the directory's.
    uint64_t n_disk = 0, n_total = 0; // Entries on this disk, in all.
    uint64_t cd_size = 0, cd_offset = 0;
    uint64_t records_start = 0;       // Where the end records start: the directory ends there.
  };
  Status ReadDirectory(const EndRecord& r);
  // The entries of the directory at cd (cd_size bytes, from cd_start);
  // allocates, and throws std::bad_alloc if that fails (ReadDirectory catches it).
  Status ParseEntries(const char* cd, uint64_t cd_start, uint64_t cd_size, uint64_t base, uint64_t declared);
  Status ReadExactly(uint64_t offset, size_t n, char* dst, const char* what);
  Status CheckDescriptor(const ZipEntry& e, uint64_t data_start, bool wide);

  ByteSource* source_ = nullptr;
  Arena* arena_ = nullptr;
  uint64_t size_ = 0;
  // Bytes held from Open: the archive's start and its end records.
  // Held bytes: owned, or in the caller's arena. Never zero-filled first, and
  // only as many as were read (a zero-filled buffer of kHeadRead bytes per
  // small archive cost more than reading it).
  struct Held {
    std::unique_ptr<char[]> owned;
    const char* bytes = nullptr;
    size_t size = 0;
    // Room for n bytes, or nullptr (holding nothing) if it cannot be had.
    char* Reset(size_t n, Arena* arena);
  };
  Held head_;
  Held tail_;
  uint64_t tail_offset_ = 0;
  ZipEntries entries_;
  std::string comment_;
};

}  // namespace tfnpy

#endif  // TFNPY_CC_NPY_ZIP_H_
