#include "npy/zip.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "npy/memory.h"
#include "npy/text.h"

namespace tfnpy {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50;    // "PK\3\4"
constexpr uint32_t kCentralSig = 0x02014b50;  // "PK\1\2"
constexpr uint32_t kEndSig = 0x06054b50;      // "PK\5\6"
constexpr uint32_t kEnd64Sig = 0x06064b50;    // "PK\6\6"
constexpr uint32_t kLocator64Sig = 0x07064b50;  // "PK\6\7"
constexpr uint32_t kDescriptorSig = 0x08074b50;  // "PK\7\8"
constexpr size_t kEndSize = 22;
constexpr size_t kEnd64Size = 56;
constexpr size_t kLocator64Size = 20;
constexpr size_t kCentralSize = 46;
constexpr size_t kLocalSize = 30;
constexpr uint32_t kMax32 = 0xffffffffu;
// Bytes inflated into, or read through, scratch memory at a time.
constexpr size_t kChunk = 256 * 1024;

uint16_t U16(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>(b[0] | b[1] << 8);
}
uint32_t U32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(b[0]) | static_cast<uint32_t>(b[1]) << 8 |
         static_cast<uint32_t>(b[2]) << 16 | static_cast<uint32_t>(b[3]) << 24;
}
uint64_t U64(const char* p) { return U32(p) | static_cast<uint64_t>(U32(p + 4)) << 32; }

std::string Num(uint64_t v) { return std::to_string(v); }

// A member name for messages: UTF-8 as it is, other bytes escaped.
std::string Name(const std::string& name) {
  size_t bad = 0;
  uint64_t cps = 0;
  bool plain = name.size() <= kQuoteLimit &&
               ValidUtf8(reinterpret_cast<const unsigned char*>(name.data()), name.size(), &bad, &cps);
  for (unsigned char c : name) plain = plain && c >= 0x20 && c != 0x7f && c != '\\';
  return "'" + (plain ? name : Quote(name.data(), name.size())) + "'";
}

// Code points of CP437's upper half (zip's default name encoding).
constexpr uint16_t kCp437[128] = {
    0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7, 0x00EA, 0x00EB, 0x00E8, 0x00EF,
    0x00EE, 0x00EC, 0x00C4, 0x00C5, 0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9,
    0x00FF, 0x00D6, 0x00DC, 0x00A2, 0x00A3, 0x00A5, 0x20A7, 0x0192, 0x00E1, 0x00ED, 0x00F3, 0x00FA,
    0x00F1, 0x00D1, 0x00AA, 0x00BA, 0x00BF, 0x2310, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB,
    0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556, 0x2555, 0x2563, 0x2551, 0x2557,
    0x255D, 0x255C, 0x255B, 0x2510, 0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x255E, 0x255F,
    0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x2567, 0x2568, 0x2564, 0x2565, 0x2559,
    0x2558, 0x2552, 0x2553, 0x256B, 0x256A, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580,
    0x03B1, 0x00DF, 0x0393, 0x03C0, 0x03A3, 0x03C3, 0x00B5, 0x03C4, 0x03A6, 0x0398, 0x03A9, 0x03B4,
    0x221E, 0x03C6, 0x03B5, 0x2229, 0x2261, 0x00B1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00F7, 0x2248,
    0x00B0, 0x2219, 0x00B7, 0x221A, 0x207F, 0x00B2, 0x25A0, 0x00A0,
};

// A name without the UTF-8 flag, as zipfile decodes it: CP437.
std::string Cp437ToUtf8(const char* p, size_t n) {
  size_t ascii = 0;
  while (ascii < n && static_cast<unsigned char>(p[ascii]) < 0x80) ++ascii;
  if (ascii == n) return std::string(p, n);  // The same bytes in both.
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(p[i]);
    const uint32_t cp = c < 0x80 ? c : kCp437[c - 0x80];
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | cp >> 6);
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xe0 | cp >> 12);
      out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }
  return out;
}

// zlib's allocations, through the core's (and its test hook).
voidpf ZlibAlloc(voidpf, uInt items, uInt size) {
  return AllocationAllowed() ? std::malloc(static_cast<size_t>(items) * size) : Z_NULL;
}
void ZlibFree(voidpf, voidpf p) { std::free(p); }

Status Corrupt(const std::string& what) { return Status(Code::kZipCorrupt, "corrupt zip archive: " + what); }

// The zip64 extended-information field (id 1) of an extra block: the 8-byte
// values of each field whose 32-bit value is all ones, in zip's order.
// `name` and `local` say whose field it is, for messages (built only on errors).
Status Zip64Extra(const char* extra, size_t n, const std::string& name, bool local, uint64_t* usize,
                  uint64_t* csize, uint64_t* offset) {
  const bool want_u = usize != nullptr && *usize == kMax32;
  const bool want_c = csize != nullptr && *csize == kMax32;
  const bool want_o = offset != nullptr && *offset == kMax32;
  if (!want_u && !want_c && !want_o) return Status::Ok();
  const auto what = [&] { return "member " + Name(name) + (local ? "'s local header" : ""); };
  size_t i = 0;
  while (i + 4 <= n) {
    const uint16_t id = U16(extra + i);
    const uint16_t len = U16(extra + i + 2);
    if (len > n - i - 4) break;
    if (id == 1) {
      const char* f = extra + i + 4;
      size_t left = len;
      auto take = [&](bool want, uint64_t* v) -> bool {
        if (!want) return true;
        if (left < 8) return false;
        *v = U64(f);
        f += 8;
        left -= 8;
        return true;
      };
      if (take(want_u, usize) && take(want_c, csize) && take(want_o, offset)) return Status::Ok();
      return Corrupt(what() + ": its zip64 extra field has " + Num(len) + " bytes, too few for the sizes it must hold");
    }
    i += 4 + static_cast<size_t>(len);
  }
  return Corrupt(what() + " has 32-bit sizes or offset of 0xffffffff but no zip64 extra field");
}

}  // namespace

std::string ZipMethodName(uint16_t method) {
  switch (method) {
    case 0: return "stored";
    case 8: return "deflated";
    case 9: return "deflate64";
    case 12: return "bzip2";
    case 14: return "lzma";
    case 93: return "zstandard";
    case 95: return "xz";
    case 99: return "AES-encrypted";
    default: return "method " + Num(method);
  }
}

uint64_t MaxInflatedSize(uint64_t compressed_size) {
  // 1032:1 plus a block's worth of slack for tiny streams.
  if (compressed_size > (UINT64_MAX - 1032) / 1032) return UINT64_MAX;
  return compressed_size * 1032 + 1032;
}

std::string ZipEntry::key() const {
  if (name.size() >= 4 && name.compare(name.size() - 4, 4, ".npy") == 0) return name.substr(0, name.size() - 4);
  return name;
}

// ---------------------------------------------------------------------------
// Archive.

Status ZipArchive::ReadAt(uint64_t offset, size_t n, char* dst, size_t* got) {
  *got = 0;
  if (offset >= size_) return Status::Ok();
  if (n > size_ - offset) n = static_cast<size_t>(size_ - offset);
  if (const char* p = ViewAt(offset, n)) {
    std::memcpy(dst, p, n);
    *got = n;
    return Status::Ok();
  }
  return source_->Read(offset, n, dst, got);
}

static const char* HeldView(const char* held, size_t held_size, uint64_t held_offset, uint64_t offset, size_t n) {
  if (held == nullptr || offset < held_offset || offset - held_offset > held_size ||
      n > held_size - (offset - held_offset)) {
    return nullptr;
  }
  return held + (offset - held_offset);
}

const char* ZipArchive::ViewAt(uint64_t offset, size_t n) {
  if (offset > size_ || n > size_ - offset) return nullptr;
  if (const char* p = source_->View(offset, n)) return p;
  if (const char* p = HeldView(head_.bytes, head_.size, 0, offset, n)) return p;
  return HeldView(tail_.bytes, tail_.size, tail_offset_, offset, n);
}

const char* ZipArchive::ViewUpTo(uint64_t offset, size_t max, size_t* n) {
  *n = 0;
  if (offset > size_) return nullptr;
  if (max > size_ - offset) max = static_cast<size_t>(size_ - offset);
  if (const char* p = ViewAt(offset, max)) {
    *n = max;
    return p;
  }
  if (head_.bytes == nullptr || offset >= head_.size) return nullptr;
  *n = std::min<size_t>(max, head_.size - static_cast<size_t>(offset));
  return head_.bytes + offset;
}

Status ZipArchive::ReadExactly(uint64_t offset, size_t n, char* dst, const char* what) {
  size_t got = 0;
  TFNPY_RETURN_IF_ERROR(ReadAt(offset, n, dst, &got));
  if (got != n) {
    return Corrupt(std::string(what) + " at offset " + Num(offset) + " needs " + Num(n) + " bytes, the archive (" +
                   Num(size_) + " bytes) has " + Num(got));
  }
  return Status::Ok();
}

char* ZipArchive::Held::Reset(size_t n, Arena* arena) {
  char* p;
  if (arena != nullptr) {
    p = arena->Allocate(n);
  } else {
    owned.reset(NewBytes(n));
    p = owned.get();
  }
  bytes = p;
  size = p != nullptr ? n : 0;
  return p;
}

Status ZipArchive::Open(ByteSource* source, Arena* arena) {
  source_ = source;
  arena_ = arena;
  entries_.clear();
  comment_.clear();
  head_.size = 0;
  tail_.size = 0;
  // The size: a source in memory knows it; a file's first read of kHeadRead
  // bytes tells it if short (a small archive arrives whole), else ask.
  if (source->View(0, 0) == nullptr || !source->Size(&size_)) {
    // Into scratch memory, then kept at its size.
    char scratch[kHeadRead];
    size_t got = 0;
    TFNPY_RETURN_IF_ERROR(source->Read(0, kHeadRead, scratch, &got));
    if (got > 0) {  // An empty file keeps nothing.
      char* head = head_.Reset(got, arena);
      if (head == nullptr) return OutOfMemory(got, "the archive's first bytes");
      std::memcpy(head, scratch, got);
    }
    if (got < kHeadRead) {
      size_ = got;
    } else if (!source->Size(&size_) || size_ < got) {
      return Status(Code::kReadFailed, "cannot tell the archive's size, needed to find its central directory");
    }
  }
  if (size_ < kEndSize) {
    return Status(Code::kNotZip, "not a zip archive: " + Num(size_) +
                                     " bytes, fewer than an end-of-central-directory record (22)");
  }
  // The end record, found as Python's zipfile (np.load's reader) finds it:
  // the last 22 bytes if they are one without a comment, else the last
  // signature in the last 22 + 65535 bytes (its comment's limit), which needs
  // 22 bytes after it; a comment length running past the end of the file is
  // cut there. The zip64 records come before it. Most archives have no
  // comment, so the last kTailRead bytes are read first, and all only if needed.
  const uint64_t window = std::min<uint64_t>(size_, kEndSize + 65535);
  const uint64_t full_n = std::min<uint64_t>(size_, window + kEnd64Size + kLocator64Size);
  const char* tail = nullptr;
  uint64_t tail_n = 0;
  int64_t at = -1;
  for (uint64_t n : {std::min<uint64_t>(full_n, kTailRead), full_n}) {
    tail_n = n;
    tail_offset_ = size_ - tail_n;
    tail = ViewAt(tail_offset_, static_cast<size_t>(tail_n));
    if (tail == nullptr) {
      char* into = tail_.Reset(static_cast<size_t>(tail_n), nullptr);
      if (into == nullptr) return OutOfMemory(tail_n, "the archive's end records");
      size_t got = 0;
      TFNPY_RETURN_IF_ERROR(source->Read(tail_offset_, tail_.size, into, &got));
      if (got != tail_.size) {
        return Status(Code::kDataLoss, "archive shrank while being read: expected " + Num(tail_n) +
                                           " bytes at offset " + Num(tail_offset_) + ", got " + Num(got));
      }
      tail = into;
    }
    const uint64_t last = tail_n - kEndSize;
    at = -1;
    if (U32(tail + last) == kEndSig && U16(tail + tail_n - 2) == 0) {
      at = static_cast<int64_t>(last);
    } else {
      const int64_t lo = static_cast<int64_t>(tail_n - std::min(tail_n, window));
      for (int64_t i = static_cast<int64_t>(tail_n - 4); i >= lo; --i) {
        if (U32(tail + i) == kEndSig) {
          at = i;
          break;
        }
      }
    }
    // Found, with room before it for the zip64 records, or nothing more to read.
    if (at >= 0 && (at >= static_cast<int64_t>(kLocator64Size + kEnd64Size) || tail_offset_ == 0)) break;
    if (tail_n == full_n) break;
  }
  if (at < 0) {
    return Status(Code::kNotZip,
                  "not a zip archive: no end-of-central-directory record (\"PK\\x05\\x06\") in its last " +
                      Num(window) + " bytes");
  }
  const uint64_t end_pos = tail_offset_ + static_cast<uint64_t>(at);
  if (tail_n - static_cast<uint64_t>(at) < kEndSize) {
    return Status(Code::kNotZip, "not a zip archive: its last end-of-central-directory signature "
                                 "(\"PK\\x05\\x06\"), at offset " + Num(end_pos) + ", is " +
                                     Num(size_ - end_pos) + " bytes before the end of the file, too few for the "
                                     "record (22)");
  }
  const char* end = tail + at;
  comment_.assign(end + kEndSize, std::min<size_t>(U16(end + 20), static_cast<size_t>(tail_n - at - kEndSize)));
  EndRecord r;
  r.disk = U16(end + 4);
  r.cd_disk = U16(end + 6);
  r.n_disk = U16(end + 8);
  r.n_total = U16(end + 10);
  r.cd_size = U32(end + 12);
  r.cd_offset = U32(end + 16);
  r.records_start = end_pos;
  // zip64: a locator just before the end record, the zip64 end record just
  // before the locator (where zipfile looks for them).
  if (at >= static_cast<int64_t>(kLocator64Size) && U32(end - kLocator64Size) == kLocator64Sig) {
    const char* loc = end - kLocator64Size;
    if (U32(loc + 4) != 0 || U32(loc + 16) > 1) {
      return Status(Code::kZipUnsupported, "archive spans " + Num(U32(loc + 16)) +
                                               " disks (its zip64 end record is on disk " + Num(U32(loc + 4)) +
                                               "); only single-file archives are read");
    }
    if (at < static_cast<int64_t>(kLocator64Size + kEnd64Size) || U32(loc - kEnd64Size) != kEnd64Sig) {
      return Corrupt("a zip64 locator but no zip64 end-of-central-directory record before it");
    }
    const char* e64 = loc - kEnd64Size;
    r.disk = U32(e64 + 16);
    r.cd_disk = U32(e64 + 20);
    r.n_disk = U64(e64 + 24);
    r.n_total = U64(e64 + 32);
    r.cd_size = U64(e64 + 40);
    r.cd_offset = U64(e64 + 48);
    r.records_start = end_pos - kLocator64Size - kEnd64Size;
  }
  Status s = ReadDirectory(r);
  // zipfile reads an archive whatever disk numbers its end record gives;
  // so do we, but a directory that does not parse then may be on another disk.
  if (!s.ok() && (r.disk != 0 || r.cd_disk != 0)) {
    s = Status(s.code(), s.message() + " (the end record says disk " + Num(r.disk) + ", directory on disk " +
                             Num(r.cd_disk) + ": part of a multi-disk archive? only single-file archives are read)");
  }
  return s;
}

Status ZipArchive::ReadDirectory(const EndRecord& r) {
  const uint64_t cd_size = r.cd_size, cd_offset = r.cd_offset;
  // Bytes before the archive (a self-extracting stub): the directory ends
  // where the end records start, as zipfile reckons.
  if (cd_size > r.records_start || cd_offset > r.records_start - cd_size) {
    return Corrupt("central directory of " + Num(cd_size) + " bytes at offset " + Num(cd_offset) +
                   " does not end before the end records at offset " + Num(r.records_start));
  }
  const uint64_t base = r.records_start - cd_size - cd_offset;
  const uint64_t cd_start = cd_offset + base;
  std::unique_ptr<char[]> cd_copy;
  const char* cd = ViewAt(cd_start, static_cast<size_t>(cd_size));
  if (cd == nullptr) {
    TFNPY_RETURN_IF_ERROR(AllocateBytes(cd_size, "the central directory", &cd_copy));
    TFNPY_RETURN_IF_ERROR(ReadExactly(cd_start, static_cast<size_t>(cd_size), cd_copy.get(), "central directory"));
    cd = cd_copy.get();
  }
  // The entries and their names take about as much memory again as the
  // directory, and a vector of its size, one entry per 46 bytes at most.
  const uint64_t most = cd_size / kCentralSize;
  Status s;
  TFNPY_RETURN_IF_ERROR(Growing(cd_size + most * sizeof(ZipEntry), "the central directory's entries",
                                [&] { s = ParseEntries(cd, cd_start, cd_size, base, std::max(r.n_total, r.n_disk)); }));
  TFNPY_RETURN_IF_ERROR(s);
  // The member count, as the end record gives it: zipfile goes by the
  // directory's size alone; a count on this disk that differs from the
  // total (one of them damaged) is read as zipfile reads it, if either
  // matches the directory.
  if (entries_.size() != r.n_total && entries_.size() != r.n_disk) {
    return Corrupt("end record declares " + Num(r.n_total) + " members" +
                   (r.n_disk != r.n_total ? " (" + Num(r.n_disk) + " on this disk)" : std::string()) +
                   ", the central directory holds " + Num(entries_.size()));
  }
  return Status::Ok();
}

Status ZipArchive::ParseEntries(const char* cd, uint64_t cd_start, uint64_t cd_size, uint64_t base,
                                uint64_t declared) {
  entries_.reserve(static_cast<size_t>(std::min(declared, cd_size / kCentralSize)));
  size_t i = 0;
  while (i < cd_size) {
    const auto what = [&] { return "central directory entry " + Num(entries_.size()); };
    if (cd_size - i < kCentralSize || U32(cd + i) != kCentralSig) {
      return Corrupt(what() + " at offset " + Num(cd_start + i) + " is not a central header (\"PK\\x01\\x02\")");
    }
    const char* h = cd + i;
    const size_t name_n = U16(h + 28), extra_n = U16(h + 30), comment_n = U16(h + 32);
    if (name_n + extra_n + comment_n > cd_size - i - kCentralSize) {
      return Corrupt(what() + ": its name, extra field and comment run past the directory's end");
    }
    ZipEntry e;
    e.flags = U16(h + 8);
    e.method = U16(h + 10);
    e.crc = U32(h + 16);
    e.compressed_size = U32(h + 20);
    e.size = U32(h + 24);
    e.header_offset = U32(h + 42);
    const char* name = h + kCentralSize;
    e.name = (e.flags & 0x800) ? std::string(name, name_n) : Cp437ToUtf8(name, name_n);
    TFNPY_RETURN_IF_ERROR(Zip64Extra(name + name_n, extra_n, e.name, false, &e.size,
                                     &e.compressed_size, &e.header_offset));
    if (e.header_offset > UINT64_MAX - base || e.header_offset + base >= cd_start) {
      return Corrupt("member " + Name(e.name) + " has its local header at offset " + Num(e.header_offset) +
                     ", past the central directory's start at " + Num(cd_start - base));
    }
    e.header_offset += base;
    entries_.push_back(std::move(e));
    i += kCentralSize + name_n + extra_n + comment_n;
  }
  // Each member ends where the next one (by offset) starts, as zipfile
  // checks: members that share bytes are refused when read.
  if (entries_.size() == 1) {  // Most .npz files of one sample: no sort.
    entries_[0].end = cd_start;
    return Status::Ok();
  }
  std::vector<size_t> order(entries_.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return entries_[a].header_offset < entries_[b].header_offset; });
  uint64_t next = cd_start;
  for (size_t k = order.size(); k-- > 0;) {
    ZipEntry& e = entries_[order[k]];
    e.end = next;
    next = e.header_offset;
  }
  return Status::Ok();
}

Status ZipArchive::Find(const std::string& key, const ZipEntry** out) const {
  *out = nullptr;
  // The key as it is, else with ".npy"; no string is built for either.
  for (const bool npy : {false, true}) {
    const size_t n = key.size() + (npy ? 4 : 0);
    for (size_t k = entries_.size(); k-- > 0;) {
      const std::string& name = entries_[k].name;
      if (name.size() == n && name.compare(0, key.size(), key) == 0 &&
          (!npy || name.compare(key.size(), 4, ".npy") == 0)) {
        *out = &entries_[k];
        return Status::Ok();
      }
    }
  }
  return Status(Code::kNoMember, "no member " + Name(key) + " (nor " + Name(key + ".npy") +
                                     ") in the archive; its members: " + Keys());
}

std::string ZipArchive::Keys(size_t max) const {
  std::string out;
  size_t shown = 0;
  for (const ZipEntry& e : entries_) {
    if (e.directory()) continue;
    if (shown == max) return out + ", ...";
    out += (shown++ ? ", " : "") + Name(e.key());
  }
  return shown ? out : "none";
}

// ---------------------------------------------------------------------------
// Members.

struct ZipMember::Impl {
  ZipArchive* archive = nullptr;
  bool in_arena = false;  // Placed in the archive's arena: destroyed, not freed.
  ZipEntry entry;
  uint64_t data_start = 0;  // Of the (compressed) data in the archive.
  // Whether reads compute the CRC-32 and Verify checks it.
  bool verify_crc = true;
  // CRC-32 of bytes [0, crc_pos); a read that starts elsewhere does not extend it.
  uint32_t crc = 0;
  uint64_t crc_pos = 0;
  // Deflated members only.
  bool stream_ready = false;
  bool stream_ended = false;
  z_stream zs;  // Set by StartStream before any use (zeroing it for stored members was measurable).
  uint64_t in_pos = 0;    // Compressed bytes fed to zlib.
  uint64_t out_pos = 0;   // Uncompressed bytes produced.
  std::unique_ptr<char[]> in_buf;
  std::unique_ptr<char[]> skip_buf;

  ~Impl() {
    if (stream_ready) inflateEnd(&zs);
  }

  // Extends the CRC over bytes [offset, offset + n) just read into p: from
  // crc_pos on, after any bytes before offset that the archive holds in
  // memory (a reader that parsed its first bytes in place never read them).
  void Track(uint64_t offset, const char* p, size_t n) {
    if (!verify_crc) return;
    if (offset > crc_pos) {
      const char* held = archive->ViewAt(data_start + crc_pos, static_cast<size_t>(offset - crc_pos));
      if (held == nullptr) return;
      crc = Crc32(crc, held, static_cast<size_t>(offset - crc_pos));
      crc_pos = offset;
    }
    if (offset + n > crc_pos) {
      const uint64_t skip = crc_pos - offset;
      crc = Crc32(crc, p + skip, static_cast<size_t>(n - skip));
      crc_pos = offset + n;
    }
  }
  Status CheckCrc() const {
    if (verify_crc && crc != entry.crc) {
      char got[16], want[16];
      std::snprintf(got, sizeof(got), "%08x", crc);
      std::snprintf(want, sizeof(want), "%08x", entry.crc);
      return Status(Code::kCrcMismatch,
                    "CRC-32 of its " + Num(entry.size) + " bytes is " + got + ", the archive records " + want);
    }
    return Status::Ok();
  }

  Status StartStream() {
    if (stream_ready) {
      if (inflateReset(&zs) != Z_OK) return Status(Code::kBadDeflate, "zlib could not restart inflating");
    } else {
      zs = z_stream{};
      zs.zalloc = ZlibAlloc;
      zs.zfree = ZlibFree;
      const int r = inflateInit2(&zs, -MAX_WBITS);
      if (r == Z_MEM_ERROR) return OutOfMemory(sizeof(z_stream) + 7160, "zlib's inflate state");
      if (r != Z_OK) return Status(Code::kBadDeflate, "zlib could not start inflating (error " + Num(r) + ")");
      stream_ready = true;
    }
    zs.avail_in = 0;
    in_pos = out_pos = 0;
    crc = 0;
    crc_pos = 0;
    stream_ended = false;
    return Status::Ok();
  }

  // Gives zlib the next compressed bytes: a view when the archive is in
  // memory, else up to kChunk bytes read. Nothing once all are fed.
  Status Feed() {
    if (in_pos >= entry.compressed_size) return Status::Ok();
    const uint64_t left = entry.compressed_size - in_pos;
    const uint64_t at = data_start + in_pos;
    if (const char* v = archive->ViewAt(at, static_cast<size_t>(left))) {
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(v));
      zs.avail_in = static_cast<uInt>(std::min<uint64_t>(left, 1u << 30));
    } else {
      if (in_buf == nullptr) TFNPY_RETURN_IF_ERROR(AllocateBytes(kChunk, "a buffer of compressed bytes", &in_buf));
      const size_t want = static_cast<size_t>(std::min<uint64_t>(left, kChunk));
      size_t got = 0;
      TFNPY_RETURN_IF_ERROR(archive->ReadAt(at, want, in_buf.get(), &got));
      if (got != want) {
        return Status(Code::kDataLoss, "archive shrank while being read: expected " + Num(want) +
                                           " compressed bytes at offset " + Num(at) + ", got " + Num(got));
      }
      zs.next_in = reinterpret_cast<Bytef*>(in_buf.get());
      zs.avail_in = static_cast<uInt>(want);
    }
    in_pos += zs.avail_in;
    return Status::Ok();
  }

  // Inflates the next n bytes (n <= size - out_pos) into dst; then, at the
  // declared size, checks that the stream ends there and the CRC.
  Status Inflate(char* dst, size_t n) {
    while (n > 0) {
      if (zs.avail_in == 0) TFNPY_RETURN_IF_ERROR(Feed());
      const uInt slice = static_cast<uInt>(std::min<size_t>(n, kChunk));
      zs.next_out = reinterpret_cast<Bytef*>(dst);
      zs.avail_out = slice;
      const int r = inflate(&zs, Z_NO_FLUSH);
      const size_t made = slice - zs.avail_out;
      if (verify_crc) crc = Crc32(crc, dst, made);
      out_pos += made;
      crc_pos = out_pos;
      dst += made;
      n -= made;
      if (r == Z_STREAM_END) {
        stream_ended = true;
        if (n > 0) return Short();
        break;
      }
      if (r != Z_OK && !(r == Z_BUF_ERROR && made > 0)) {
        if (r == Z_MEM_ERROR) return WindowOutOfMemory();
        if (r == Z_BUF_ERROR && zs.avail_in == 0 && in_pos == entry.compressed_size) return Short();
        return Status(Code::kBadDeflate, "invalid deflate data after " + Num(out_pos) + " uncompressed bytes (zlib: " +
                                             (zs.msg ? zs.msg : "error " + Num(r)) + ")");
      }
    }
    if (out_pos == entry.size) return Finish();
    return Status::Ok();
  }

  Status Short() const {
    return Status(Code::kBadDeflate, "its " + Num(entry.compressed_size) + " compressed bytes inflate to " +
                                         Num(out_pos) + ", not the " + Num(entry.size) + " declared");
  }
  // zlib allocates its window in the first inflate call that needs it.
  static Status WindowOutOfMemory() { return OutOfMemory(1 << MAX_WBITS, "zlib's inflate window"); }

  // At the declared size: the stream must end here.
  Status Finish() {
    if (!stream_ended) {
      char extra;
      while (true) {
        if (zs.avail_in == 0) TFNPY_RETURN_IF_ERROR(Feed());
        zs.next_out = reinterpret_cast<Bytef*>(&extra);
        zs.avail_out = 1;
        const int r = inflate(&zs, Z_NO_FLUSH);
        if (zs.avail_out == 0) {
          return Status(Code::kBadDeflate, "its compressed bytes inflate to more than the " + Num(entry.size) +
                                               " declared");
        }
        if (r == Z_STREAM_END) break;
        if (r != Z_OK) {
          if (r == Z_MEM_ERROR) return WindowOutOfMemory();
          if (zs.avail_in == 0 && in_pos == entry.compressed_size) {
            return Status(Code::kBadDeflate, "its deflate stream does not end after the declared " + Num(entry.size) +
                                                 " bytes (the compressed data ends first)");
          }
          return Status(Code::kBadDeflate, "invalid deflate data at its declared end (zlib: " +
                                               (zs.msg ? zs.msg : "error " + Num(r)) + ")");
        }
      }
      stream_ended = true;
    }
    return CheckCrc();
  }

  // Inflates up to `offset` (restarting if it lies behind).
  Status SkipTo(uint64_t offset) {
    if (!stream_ready || offset < out_pos) TFNPY_RETURN_IF_ERROR(StartStream());
    while (out_pos < offset) {
      if (skip_buf == nullptr) TFNPY_RETURN_IF_ERROR(AllocateBytes(kChunk, "a buffer of skipped bytes", &skip_buf));
      const size_t k = static_cast<size_t>(std::min<uint64_t>(offset - out_pos, kChunk));
      TFNPY_RETURN_IF_ERROR(Inflate(skip_buf.get(), k));
    }
    return Status::Ok();
  }
};

void ZipMember::ImplDeleter::operator()(Impl* impl) const {
  if (impl->in_arena) {
    impl->~Impl();
  } else {
    delete impl;
  }
}

ZipMember::ZipMember() = default;
ZipMember::~ZipMember() = default;
ZipMember::ZipMember(ZipMember&&) noexcept = default;
ZipMember& ZipMember::operator=(ZipMember&&) noexcept = default;

const ZipEntry& ZipMember::entry() const { return impl_->entry; }
uint64_t ZipMember::inflated() const { return impl_ ? impl_->out_pos : 0; }

bool ZipMember::Size(uint64_t* size) {
  if (impl_ == nullptr) return false;
  *size = impl_->entry.size;
  return true;
}

const char* ZipMember::View(uint64_t offset, size_t n) {
  if (impl_ == nullptr || impl_->entry.method != kZipStored) return nullptr;
  const uint64_t size = impl_->entry.size;
  if (offset > size || n > size - offset) return nullptr;
  return impl_->archive->ViewAt(impl_->data_start + offset, n);
}

const char* ZipMember::ViewUpTo(uint64_t offset, size_t max, size_t* n) {
  *n = 0;
  if (impl_ == nullptr || impl_->entry.method != kZipStored || offset >= impl_->entry.size) return nullptr;
  if (max > impl_->entry.size - offset) max = static_cast<size_t>(impl_->entry.size - offset);
  return impl_->archive->ViewUpTo(impl_->data_start + offset, max, n);
}

Status ZipMember::Read(uint64_t offset, size_t n, char* dst, size_t* got) {
  *got = 0;
  if (impl_ == nullptr) return Status(Code::kBadArgument, "read of a zip member that is not open");
  Impl& m = *impl_;
  const uint64_t size = m.entry.size;
  if (offset >= size) return Status::Ok();
  if (n > size - offset) n = static_cast<size_t>(size - offset);
  if (m.entry.method == kZipStored) {
    // In slices, so the CRC runs over bytes still in cache; in one read
    // without it.
    const size_t slice = m.verify_crc ? kChunk : n;
    size_t done = 0;
    while (done < n) {
      const size_t k = std::min(n - done, slice);
      size_t g = 0;
      TFNPY_RETURN_IF_ERROR(m.archive->ReadAt(m.data_start + offset + done, k, dst + done, &g));
      if (g != k) {
        return Status(Code::kDataLoss, "archive shrank while being read: expected " + Num(k) +
                                           " bytes at offset " + Num(m.data_start + offset + done) + ", got " +
                                           Num(g));
      }
      m.Track(offset + done, dst + done, k);
      done += k;
    }
    *got = n;
    return Status::Ok();
  }
  TFNPY_RETURN_IF_ERROR(m.SkipTo(offset));
  TFNPY_RETURN_IF_ERROR(m.Inflate(dst, n));
  *got = n;
  return Status::Ok();
}

Status ZipMember::Verify() {
  if (impl_ == nullptr) return Status(Code::kBadArgument, "verify of a zip member that is not open");
  Impl& m = *impl_;
  if (m.entry.method != kZipStored) {
    TFNPY_RETURN_IF_ERROR(m.SkipTo(m.entry.size));
    if (m.entry.size == 0) return m.Finish();
    return Status::Ok();  // Inflate checked the end and the CRC at the declared size.
  }
  if (!m.verify_crc) return Status::Ok();
  if (const char* v = View(0, static_cast<size_t>(m.entry.size))) {
    if (m.crc_pos < m.entry.size) {
      m.crc = Crc32(m.crc, v + m.crc_pos, static_cast<size_t>(m.entry.size - m.crc_pos));
      m.crc_pos = m.entry.size;
    }
    return m.CheckCrc();
  }
  if (m.crc_pos < m.entry.size) {
    std::unique_ptr<char[]> buf;
    TFNPY_RETURN_IF_ERROR(AllocateBytes(kChunk, "a buffer of bytes to checksum", &buf));
    while (m.crc_pos < m.entry.size) {
      const size_t k = static_cast<size_t>(std::min<uint64_t>(m.entry.size - m.crc_pos, kChunk));
      size_t g = 0;
      TFNPY_RETURN_IF_ERROR(Read(m.crc_pos, k, buf.get(), &g));
    }
  }
  return m.CheckCrc();
}

// The data descriptor after a member's data (archives written to a stream):
// an optional signature, then CRC-32 and the two sizes, 4 bytes each or (zip64)
// 8. It must agree with the central directory.
Status ZipArchive::CheckDescriptor(const ZipEntry& e, uint64_t data_start, bool wide) {
  const auto what = [&] { return "member " + Name(e.name); };
  const uint64_t at = data_start + e.compressed_size;
  const size_t n = static_cast<size_t>(std::min<uint64_t>(e.end - at, 24));
  if (n < 12) {
    return Corrupt(what() + " has a data descriptor flag but " + Num(n) +
                   " bytes after its data, fewer than a descriptor (12)");
  }
  char d[24];
  TFNPY_RETURN_IF_ERROR(ReadExactly(at, n, d, "data descriptor"));
  // With the signature or without (a CRC-32 may equal it): either reading.
  auto agrees = [&](size_t skip) {
    const char* q = d + skip;
    const size_t left = n - skip;
    if (left < 12 || U32(q) != e.crc) return false;
    if (U32(q + 4) == e.compressed_size && U32(q + 8) == e.size) return true;
    return left >= 20 && U64(q + 4) == e.compressed_size && U64(q + 12) == e.size;
  };
  const bool signed_ = U32(d) == kDescriptorSig;
  if ((signed_ && agrees(4)) || agrees(0)) return Status::Ok();
  const char* q = d + (signed_ ? 4 : 0);
  const size_t left = n - (signed_ ? 4 : 0);
  wide = (wide || e.compressed_size > kMax32 || e.size > kMax32) && left >= 20;
  if (left < 12) return Corrupt(what() + ": its data descriptor at offset " + Num(at) + " is cut short");
  char got[16], want[16];
  std::snprintf(got, sizeof(got), "%08x", U32(q));
  std::snprintf(want, sizeof(want), "%08x", e.crc);
  return Corrupt(what() + ": its data descriptor says CRC-32 " + got + ", " + Num(wide ? U64(q + 4) : U32(q + 4)) +
                 " compressed and " + Num(wide ? U64(q + 12) : U32(q + 8)) +
                 " uncompressed bytes; the central directory " + want + ", " + Num(e.compressed_size) + " and " +
                 Num(e.size));
}

Status ZipArchive::OpenMember(const ZipEntry& e, ZipMember* out, bool verify_crc) {
  const auto what = [&] { return "member " + Name(e.name); };
  if (e.encrypted()) {
    return Status(Code::kZipUnsupported, what() + " is encrypted; tfnpy reads unencrypted archives only");
  }
  if (e.method != kZipStored && e.method != kZipDeflated) {
    return Status(Code::kZipUnsupported, what() + " is compressed with " + ZipMethodName(e.method) + " (method " +
                                             Num(e.method) +
                                             "); tfnpy reads stored and deflated members (np.savez, "
                                             "np.savez_compressed)");
  }
  if (e.directory()) return Status(Code::kBadArgument, what() + " is a directory, not a .npy file");
  if (e.end < e.header_offset || e.end - e.header_offset < kLocalSize) {
    return Corrupt(what() + ": its local header at offset " + Num(e.header_offset) +
                   " overlaps the next member or the directory at offset " + Num(e.end));
  }
  // The local header with, in the same read, a name and extra field of
  // usual length (numpy's: a name and a 20-byte zip64 field); in place when
  // the archive's bytes are held (a small archive's are).
  char buf[kLocalSize + 256];
  const size_t first = static_cast<size_t>(std::min<uint64_t>(sizeof(buf), e.end - e.header_offset));
  const char* h = ViewAt(e.header_offset, first);
  if (h == nullptr) {
    TFNPY_RETURN_IF_ERROR(ReadExactly(e.header_offset, first, buf, "local header"));
    h = buf;
  }
  if (U32(h) != kLocalSig) {
    return Corrupt(what() + ": no local header (\"PK\\x03\\x04\") at offset " + Num(e.header_offset));
  }
  const size_t name_n = U16(h + 26), extra_n = U16(h + 28);
  const uint64_t data_start = e.header_offset + kLocalSize + name_n + extra_n;
  if (data_start > e.end) {
    return Corrupt(what() + ": its local header runs to offset " + Num(data_start) +
                   ", past the next member or the directory at offset " + Num(e.end));
  }
  // The name and extra field: after h, else (longer than usual) read whole.
  const char* rest = h + kLocalSize;
  std::unique_ptr<char[]> longer;
  if (first - kLocalSize < name_n + extra_n) {
    TFNPY_RETURN_IF_ERROR(AllocateBytes(name_n + extra_n, "a local header", &longer));
    TFNPY_RETURN_IF_ERROR(ReadExactly(e.header_offset + kLocalSize, name_n + extra_n, longer.get(), "local header"));
    rest = longer.get();
  }
  const uint16_t flags = U16(h + 6);
  // As the central entry's name was decoded: as UTF-8 if flagged, else from CP437.
  const bool same_name = (flags & 0x800) ? e.name.compare(0, std::string::npos, rest, name_n) == 0
                                          : Cp437ToUtf8(rest, name_n) == e.name;
  if (!same_name) {
    const std::string local_name = (flags & 0x800) ? std::string(rest, name_n) : Cp437ToUtf8(rest, name_n);
    return Corrupt(what() + ": its local header names it " + Name(local_name));
  }
  if (U16(h + 8) != e.method || (flags & 1) != (e.flags & 1)) {
    return Corrupt(what() + ": its local header says " + ZipMethodName(U16(h + 8)) +
                   ((flags & 1) ? ", encrypted" : "") + ", the central directory " + ZipMethodName(e.method) +
                   (e.encrypted() ? ", encrypted" : ""));
  }
  if ((flags & 8) == 0) {  // No data descriptor: the local header has the sizes.
    uint64_t usize = U32(h + 22), csize = U32(h + 18);
    TFNPY_RETURN_IF_ERROR(Zip64Extra(rest + name_n, extra_n, e.name, true, &usize, &csize, nullptr));
    if (U32(h + 14) != e.crc || usize != e.size || csize != e.compressed_size) {
      return Corrupt(what() + ": its local header says " + Num(csize) + " compressed, " + Num(usize) +
                     " uncompressed bytes, the central directory " + Num(e.compressed_size) + " and " +
                     Num(e.size) + (U32(h + 14) != e.crc ? " (and the CRC-32s differ)" : ""));
    }
  }
  if (e.compressed_size > e.end - data_start) {
    return Corrupt(what() + ": its " + Num(e.compressed_size) + " bytes of data from offset " + Num(data_start) +
                   " run past " + (e.end >= size_ ? "the archive's end" : "the next member's start") +
                   " at offset " + Num(e.end));
  }
  if (flags & 8) TFNPY_RETURN_IF_ERROR(CheckDescriptor(e, data_start, U32(h + 18) == kMax32));
  if (e.method == kZipStored && e.compressed_size != e.size) {
    return Corrupt(what() + " is stored with " + Num(e.compressed_size) + " bytes but declares " + Num(e.size) +
                   " uncompressed");
  }
  if (e.method == kZipDeflated && e.size > MaxInflatedSize(e.compressed_size)) {
    return Corrupt(what() + " declares " + Num(e.size) + " uncompressed bytes from " + Num(e.compressed_size) +
                   " compressed; deflate cannot exceed about 1032:1 (at most " +
                   Num(MaxInflatedSize(e.compressed_size)) + ")");
  }
  // In the arena when there is one: a batch of small archives allocated and
  // freed one state per member from two threads, measurably.
  static_assert(alignof(ZipMember::Impl) <= 16, "Arena::Allocate aligns to 16 bytes");
  void* room = arena_ != nullptr ? arena_->Allocate(sizeof(ZipMember::Impl))
                                 : (AllocationAllowed() ? ::operator new(sizeof(ZipMember::Impl), std::nothrow) : nullptr);
  if (room == nullptr) return OutOfMemory(sizeof(ZipMember::Impl), "a member's reading state");
  ZipMember::Impl* impl = new (room) ZipMember::Impl;
  impl->in_arena = arena_ != nullptr;
  out->impl_.reset(impl);
  out->impl_->archive = this;
  out->impl_->entry = e;
  out->impl_->data_start = data_start;
  out->impl_->verify_crc = verify_crc;
  return Status::Ok();
}

}  // namespace tfnpy
