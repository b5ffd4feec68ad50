// libFuzzer target, the archive path (ReadNpz's, DecodeNpz's): the input is
// an .npz archive. Every member (up to 8) is opened and read through
// NpyReader, whole and by a region from the input's last bytes, both in
// memory and through a source that is not (reads, no views, a batch's
// arena), without the CRC check, and with one of the core's allocations made
// to fail. Whatever the bytes, no crash, overrun or oversized allocation;
// both sources agree, what reads with the check reads the same without, and
// a failed allocation is kOutOfMemory. Empty inputs and sources that return
// nothing are errors.
#include <cstring>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "npy/npy_format.h"
#include "npy/zip.h"

namespace {

// The same bytes without View: every read goes through Read.
class Copying : public tfnpy::ByteSource {
 public:
  Copying(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  tfnpy::Status Read(uint64_t offset, size_t n, char* dst, size_t* got) override {
    *got = 0;
    if (offset >= size_) return tfnpy::Status::Ok();
    *got = n < size_ - offset ? n : size_ - static_cast<size_t>(offset);
    std::memcpy(dst, data_ + offset, *got);
    return tfnpy::Status::Ok();
  }
  bool Size(uint64_t* size) override {
    *size = size_;
    return true;
  }

 private:
  const uint8_t* data_;
  size_t size_;
};

// Reads member k of the archive in `source` into *out.
tfnpy::Status ReadMember(tfnpy::ByteSource* source, size_t k, const uint8_t* data, size_t size, bool whole,
                         std::vector<uint8_t>* out, bool verify_crc = true, bool arena = false) {
  tfnpy::Arena a;
  tfnpy::ZipArchive zip;
  TFNPY_RETURN_IF_ERROR(zip.Open(source, arena ? &a : nullptr));
  if (k >= zip.entries().size()) return tfnpy::Status(tfnpy::Code::kNoMember, "");
  tfnpy::ZipMember member;
  TFNPY_RETURN_IF_ERROR(zip.OpenMember(zip.entries()[k], &member, verify_crc));
  tfnpy::Limits limits;
  limits.max_output_bytes = 1 << 24;
  tfnpy::NpyReader reader;
  TFNPY_RETURN_IF_ERROR(reader.Open(&member, limits));
  tfnpy::Selection sel;
  const tfnpy::Region region = whole ? tfnpy::Region() : tfnpy_fuzz::RegionFrom(data, size, reader.header().ndims);
  TFNPY_RETURN_IF_ERROR(reader.Select(region, &sel));
  out->assign(sel.array.data_bytes, 0);
  TFNPY_RETURN_IF_ERROR(reader.ReadInto(sel, out->data(), out->size()));
  return sel.whole ? member.Verify() : tfnpy::Status::Ok();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The folding CRC-32 agrees with zlib's on any bytes.
  if (tfnpy::Crc32(size, data, size) != tfnpy::Crc32Zlib(size, data, size)) __builtin_trap();
  // Through a file-like source with an arena, an allocation failing as the
  // last byte says: kOutOfMemory, or what the unhindered read gives.
  const int fail = size > 0 && (data[size - 1] & 0x80) ? data[size - 1] & 0x3f : -1;
  Copying file(data, size);
  std::vector<uint8_t> a, f;
  bool failed = false;
  const tfnpy::Status sf = tfnpy_fuzz::WithFailedAllocation(
      fail, &failed, [&] { return ReadMember(&file, 0, data, size, true, &f, true, true); });
  tfnpy_fuzz::Silent silent(size);
  if (ReadMember(&silent, 0, data, size, true, &a, true, true).ok()) __builtin_trap();  // Nothing read: no archive.
  tfnpy::MemorySource memory(data, size);
  tfnpy::ZipArchive zip;
  if (!zip.Open(&memory).ok()) return 0;
  const std::string keys = zip.Keys();
  const tfnpy::ZipEntry* found = nullptr;
  (void)zip.Find("arr_0", &found);
  const size_t n = zip.entries().size() < 8 ? zip.entries().size() : 8;
  for (size_t k = 0; k < n; ++k) {
    for (bool whole : {true, false}) {
      std::vector<uint8_t> b;
      tfnpy::MemorySource m(data, size);
      Copying c(data, size);
      const tfnpy::Status s = ReadMember(&m, k, data, size, whole, &a);
      const bool ok_a = s.ok();
      const bool ok_b = ReadMember(&c, k, data, size, whole, &b, true, k % 2 == 1).ok();
      if (ok_a != ok_b || (ok_a && a != b)) __builtin_trap();
      if (k == 0 && whole && !failed && (sf.code() != s.code() || (ok_a && f != a))) __builtin_trap();
      // Without the CRC check: whatever reads with it reads the same without.
      std::vector<uint8_t> d;
      Copying c2(data, size);
      const bool ok_d = ReadMember(&c2, k, data, size, whole, &d, false).ok();
      if (ok_a && (!ok_d || a != d)) __builtin_trap();
    }
  }
  return 0;
}
