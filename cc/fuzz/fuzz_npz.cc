// libFuzzer target, the archive path (ReadNpz's, DecodeNpz's): the input is
// an .npz archive. Every member (up to 8) is opened and read through
// NpyReader, whole and by a region from the input's last bytes, both in
// memory and through a source that is not (reads, no views), and without the
// CRC check. Whatever the bytes, no crash, overrun or oversized allocation;
// both sources agree, and what reads with the check reads the same without.
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

// Reads member k of the archive in `source`; the bytes, or empty on error.
bool ReadMember(tfnpy::ByteSource* source, size_t k, const uint8_t* data, size_t size, bool whole,
                std::vector<uint8_t>* out, bool verify_crc = true) {
  tfnpy::ZipArchive zip;
  if (!zip.Open(source).ok() || k >= zip.entries().size()) return false;
  tfnpy::ZipMember member;
  if (!zip.OpenMember(zip.entries()[k], &member, verify_crc).ok()) return false;
  tfnpy::Limits limits;
  limits.max_output_bytes = 1 << 24;
  tfnpy::NpyReader reader;
  if (!reader.Open(&member, limits).ok()) return false;
  tfnpy::Selection sel;
  const tfnpy::Region region = whole ? tfnpy::Region() : tfnpy_fuzz::RegionFrom(data, size, reader.header().ndims);
  if (!reader.Select(region, &sel).ok()) return false;
  out->assign(sel.array.data_bytes, 0);
  if (!reader.ReadInto(sel, out->data(), out->size()).ok()) return false;
  return !sel.whole || member.Verify().ok();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The folding CRC-32 agrees with zlib's on any bytes.
  if (tfnpy::Crc32(size, data, size) != tfnpy::Crc32Zlib(size, data, size)) __builtin_trap();
  tfnpy::MemorySource memory(data, size);
  tfnpy::ZipArchive zip;
  if (!zip.Open(&memory).ok()) return 0;
  const std::string keys = zip.Keys();
  const tfnpy::ZipEntry* found = nullptr;
  (void)zip.Find("arr_0", &found);
  const size_t n = zip.entries().size() < 8 ? zip.entries().size() : 8;
  for (size_t k = 0; k < n; ++k) {
    for (bool whole : {true, false}) {
      std::vector<uint8_t> a, b;
      tfnpy::MemorySource m(data, size);
      Copying c(data, size);
      const bool ok_a = ReadMember(&m, k, data, size, whole, &a);
      const bool ok_b = ReadMember(&c, k, data, size, whole, &b);
      if (ok_a != ok_b || (ok_a && a != b)) __builtin_trap();
      // Without the CRC check: whatever reads with it reads the same without.
      std::vector<uint8_t> d;
      Copying c2(data, size);
      const bool ok_d = ReadMember(&c2, k, data, size, whole, &d, false);
      if (ok_a && (!ok_d || a != d)) __builtin_trap();
    }
  }
  return 0;
}
