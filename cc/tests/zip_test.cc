// Unit tests: zip archives (.npz) over byte sources (cc/npy/zip.h): the
// directory and numpy's keys, stored and deflated members read through
// NpyReader, zip64 and data descriptors, and hostile archives, each refused
// with its code and message. Archives are built here, byte by byte.
#include <zlib.h>

#include "npy/zip.h"
#include "tests/harness.h"

namespace tfnpy_test {

using tfnpy::NpyReader;
using tfnpy::Region;
using tfnpy::Selection;
using tfnpy::ZipArchive;
using tfnpy::ZipEntry;
using tfnpy::ZipMember;

namespace {

void Put16(std::string* s, uint32_t v) {
  s->push_back(static_cast<char>(v & 0xff));
  s->push_back(static_cast<char>(v >> 8 & 0xff));
}
void Put32(std::string* s, uint32_t v) {
  Put16(s, v & 0xffff);
  Put16(s, v >> 16);
}
void Put64(std::string* s, uint64_t v) {
  Put32(s, static_cast<uint32_t>(v));
  Put32(s, static_cast<uint32_t>(v >> 32));
}
void Set32(std::string* s, size_t at, uint32_t v) {
  std::string b;
  Put32(&b, v);
  s->replace(at, 4, b);
}

// Raw deflate of `data`; with `full_flush` the stream is left open after a
// full flush (byte aligned, no history): such pieces can be repeated.
std::string Deflate(const std::string& data, bool full_flush = false) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(&out[0]);
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, full_flush ? Z_FULL_FLUSH : Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

struct Spec {
  Spec(std::string n, std::string d, uint16_t m = 0) : name(std::move(n)), data(std::move(d)), method(m) {}
  std::string name;
  std::string data;           // Uncompressed.
  uint16_t method;            // 0 stored, 8 deflated, others as given.
  std::string compressed;     // Overrides the compressed bytes if set.
  uint64_t declared = UINT64_MAX;  // Overrides the declared size if set.
  bool descriptor = false;    // Sizes in a data descriptor (local header zeros).
  bool descriptor_sig = true;      // The descriptor starts with its signature.
  bool descriptor_written = true;  // False: flagged, but no descriptor follows.
  bool zip64 = false;         // zip64 extra fields (sizes and offset 0xffffffff).
  uint16_t flags = 0;
};

struct Built {
  std::string bytes;
  std::vector<size_t> local, central;
  size_t end = 0;
};

Built Zip(const std::vector<Spec>& specs, bool zip64_end = false, const std::string& comment = "",
          const std::string& prefix = "") {
  Built b;
  b.bytes = prefix;
  std::string cd;
  for (const Spec& m : specs) {
    const std::string comp =
        !m.compressed.empty() ? m.compressed : m.method == 8 ? Deflate(m.data) : m.data;
    const uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(m.data.data()),
                                                     static_cast<uInt>(m.data.size())));
    const uint64_t usize = m.declared != UINT64_MAX ? m.declared : m.data.size();
    const uint16_t flags = static_cast<uint16_t>(m.flags | (m.descriptor ? 8 : 0) | 0x800);
    const uint64_t offset = b.bytes.size() - prefix.size();
    b.local.push_back(b.bytes.size());
    std::string extra;
    if (m.zip64) {
      Put16(&extra, 1);
      Put16(&extra, 16);
      Put64(&extra, m.descriptor ? 0 : usize);
      Put64(&extra, m.descriptor ? 0 : comp.size());
    }
    std::string& s = b.bytes;
    Put32(&s, 0x04034b50);
    Put16(&s, 45);
    Put16(&s, flags);
    Put16(&s, m.method);
    Put32(&s, 0);
    Put32(&s, m.descriptor ? 0 : crc);
    Put32(&s, m.zip64 ? 0xffffffffu : m.descriptor ? 0 : static_cast<uint32_t>(comp.size()));
    Put32(&s, m.zip64 ? 0xffffffffu : m.descriptor ? 0 : static_cast<uint32_t>(usize));
    Put16(&s, static_cast<uint32_t>(m.name.size()));
    Put16(&s, static_cast<uint32_t>(extra.size()));
    s += m.name + extra + comp;
    if (m.descriptor && m.descriptor_written) {  // zip64: 8-byte sizes, as zipfile writes them.
      if (m.descriptor_sig) Put32(&s, 0x08074b50);
      Put32(&s, crc);
      if (m.zip64) {
        Put64(&s, comp.size());
        Put64(&s, usize);
      } else {
        Put32(&s, static_cast<uint32_t>(comp.size()));
        Put32(&s, static_cast<uint32_t>(usize));
      }
    }
    std::string cextra;
    if (m.zip64) {
      Put16(&cextra, 1);
      Put16(&cextra, 24);
      Put64(&cextra, usize);
      Put64(&cextra, comp.size());
      Put64(&cextra, offset);
    }
    b.central.push_back(cd.size());
    Put32(&cd, 0x02014b50);
    Put16(&cd, 45);
    Put16(&cd, 45);
    Put16(&cd, flags);
    Put16(&cd, m.method);
    Put32(&cd, 0);
    Put32(&cd, crc);
    Put32(&cd, m.zip64 ? 0xffffffffu : static_cast<uint32_t>(comp.size()));
    Put32(&cd, m.zip64 ? 0xffffffffu : static_cast<uint32_t>(usize));
    Put16(&cd, static_cast<uint32_t>(m.name.size()));
    Put16(&cd, static_cast<uint32_t>(cextra.size()));
    Put16(&cd, 0);
    Put16(&cd, 0);
    Put16(&cd, 0);
    Put32(&cd, 0);
    Put32(&cd, m.zip64 ? 0xffffffffu : static_cast<uint32_t>(offset));
    cd += m.name + cextra;
  }
  const uint64_t cd_offset = b.bytes.size() - prefix.size();
  for (size_t& c : b.central) c += b.bytes.size();
  b.bytes += cd;
  if (zip64_end) {
    const uint64_t e64 = b.bytes.size() - prefix.size();
    std::string& s = b.bytes;
    Put32(&s, 0x06064b50);
    Put64(&s, 44);
    Put16(&s, 45);
    Put16(&s, 45);
    Put32(&s, 0);
    Put32(&s, 0);
    Put64(&s, specs.size());
    Put64(&s, specs.size());
    Put64(&s, cd.size());
    Put64(&s, cd_offset);
    Put32(&s, 0x07064b50);
    Put32(&s, 0);
    Put64(&s, e64);
    Put32(&s, 1);
  }
  b.end = b.bytes.size();
  std::string& s = b.bytes;
  Put32(&s, 0x06054b50);
  Put16(&s, 0);
  Put16(&s, 0);
  Put16(&s, zip64_end ? 0xffff : static_cast<uint32_t>(specs.size()));
  Put16(&s, zip64_end ? 0xffff : static_cast<uint32_t>(specs.size()));
  Put32(&s, zip64_end ? 0xffffffffu : static_cast<uint32_t>(cd.size()));
  Put32(&s, zip64_end ? 0xffffffffu : static_cast<uint32_t>(cd_offset));
  Put16(&s, static_cast<uint32_t>(comment.size()));
  s += comment;
  return b;
}

const DTypeCase& kF8 = kDTypes[11];

std::string SmallNpy() { return Npy(Dict("<f8", false, "(3, 4)"), FileData(kF8, {3, 4}, true, false)); }
std::string BigNpy() { return Npy(Dict("<f8", false, "(400, 100)"), FileData(kF8, {400, 100}, true, false)); }

// Opens `bytes` as an archive (in memory, or through a file-like source
// with short reads and, as ReadNpz's, an arena), reads member `key` whole
// (or `region`) and verifies it.
Status ReadKey(const std::string& bytes, const std::string& key, std::vector<unsigned char>* out,
               bool file_like = false, const Region& region = Region(), const Limits& limits = Limits(),
               uint64_t* inflated = nullptr, bool verify_crc = true) {
  Buf buf(bytes);
  tfnpy::MemorySource memory(buf.p.get(), buf.n);
  FileLike file(bytes);
  tfnpy::ByteSource* source = file_like ? static_cast<tfnpy::ByteSource*>(&file) : &memory;
  tfnpy::Arena arena;  // Outlives the archive and the member.
  ZipArchive zip;
  TFNPY_RETURN_IF_ERROR(zip.Open(source, file_like ? &arena : nullptr));
  const ZipEntry* entry = nullptr;
  TFNPY_RETURN_IF_ERROR(zip.Find(key, &entry));
  ZipMember member;
  TFNPY_RETURN_IF_ERROR(zip.OpenMember(*entry, &member, verify_crc));
  Selection sel;
  Status s = ReadRegion(&member, region, out, &sel, limits);
  if (inflated != nullptr) *inflated = member.inflated();
  TFNPY_RETURN_IF_ERROR(s);
  return sel.whole ? member.Verify() : Status::Ok();
}

}  // namespace

TEST(ZipStoredAndDeflatedMembersMatchTheNpy) {
  for (uint16_t method : {0, 8}) {
    for (bool file_like : {false, true}) {
      for (int descriptor : {0, 1, 2}) {  // none, with its signature, without
        for (bool zip64 : {false, true}) {
          SCOPE(std::string(method ? "deflated" : "stored") + (file_like ? " file" : " memory") +
                (descriptor ? " descriptor " + std::to_string(descriptor) : "") + (zip64 ? " zip64" : ""));
          Spec a{"x.npy", SmallNpy(), method};
          Spec b{"big.npy", BigNpy(), method};
          a.descriptor = b.descriptor = descriptor != 0;
          a.descriptor_sig = b.descriptor_sig = descriptor == 1;
          a.zip64 = b.zip64 = zip64;
          const Built z = Zip({a, b}, zip64, "a comment");
          std::vector<unsigned char> out;
          if (CHECK_OK(ReadKey(z.bytes, "x", &out, file_like))) CheckPattern(kF8, out, 12);
          if (CHECK_OK(ReadKey(z.bytes, "big", &out, file_like))) CheckPattern(kF8, out, 40000);
          Region r;
          r.rank = 1;
          r.start[0] = 10;
          r.stop[0] = 12;
          if (CHECK_OK(ReadKey(z.bytes, "big", &out, file_like, r))) CHECK_EQ(out.size(), size_t{1600});
        }
      }
    }
  }
}

// A member that starts in the archive's first read is parsed there: its
// first bytes are read from the file once, and still checksummed.
TEST(ZipMemberFirstBytesAreReadOnceAndChecked) {
  const Built z = Zip({{"big.npy", BigNpy()}});
  const size_t data = z.local[0] + 30 + 7 + 128;  // The member's array data.
  {
    FileLike file(z.bytes);
    ZipArchive zip;
    const ZipEntry* entry = nullptr;
    ZipMember member;
    std::vector<unsigned char> out;
    Selection sel;
    CHECK_OK(zip.Open(&file));
    CHECK_OK(zip.Find("big", &entry));
    CHECK_OK(zip.OpenMember(*entry, &member));
    if (CHECK_OK(ReadRegion(&member, Region(), &out, &sel))) CheckPattern(kF8, out, 40000);
    CHECK_OK(member.Verify());
    // The archive once, and its end records again (a 4 KiB read).
    CHECK(file.bytes_read <= z.bytes.size() + ZipArchive::kTailRead);
  }
  // A byte changed in the part parsed in place, or after it: the CRC finds both.
  for (size_t at : {data + 100, data + 20000, z.central[0] - 1}) {
    SCOPE("byte " + std::to_string(at));
    Built bad = z;
    bad.bytes[at] ^= 0x40;
    std::vector<unsigned char> out;
    CHECK_ERROR(ReadKey(bad.bytes, "big", &out, true), Code::kCrcMismatch, "CRC-32 of its 320128 bytes");
    CHECK_ERROR(ReadKey(bad.bytes, "big", &out), Code::kCrcMismatch, "CRC-32 of its 320128 bytes");
    // Without verify_crc: the member's bytes as they are.
    std::vector<unsigned char> good;
    if (CHECK_OK(ReadKey(bad.bytes, "big", &out, true, Region(), Limits(), nullptr, false)) &&
        CHECK_OK(ReadKey(z.bytes, "big", &good))) {
      CHECK_EQ(out.size(), good.size());
      size_t differ = 0;
      for (size_t i = 0; i < out.size() && i < good.size(); ++i) differ += out[i] != good[i];
      CHECK_EQ(differ, size_t{1});
    }
  }
}

// verify_crc = false skips the CRC-32 and nothing else.
TEST(ZipWithoutCrcCheckEveryOtherCheckStays) {
  std::vector<unsigned char> out;
  for (uint16_t method : {0, 8}) {
    SCOPE(method ? "deflated" : "stored");
    Spec x{"x.npy", SmallNpy(), method};
    Built z = Zip({x});
    Set32(&z.bytes, z.local[0] + 14, 1234);
    Set32(&z.bytes, z.central[0] + 16, 1234);
    CHECK_ERROR(ReadKey(z.bytes, "x", &out), Code::kCrcMismatch, "the archive records 000004d2");
    if (CHECK_OK(ReadKey(z.bytes, "x", &out, false, Region(), Limits(), nullptr, false))) CheckPattern(kF8, out, 12);
  }
  // A deflated member that inflates to fewer bytes than it declares.
  Spec d{"x.npy", SmallNpy(), 8};
  d.compressed = Deflate(SmallNpy().substr(0, 200));
  CHECK_ERROR(ReadKey(Zip({d}).bytes, "x", &out, false, Region(), Limits(), nullptr, false), Code::kBadDeflate,
              "inflate to 200, not the 224 declared");
  // Headers that disagree.
  Built z = Zip({{"x.npy", SmallNpy()}});
  Set32(&z.bytes, z.local[0] + 18, 7);
  CHECK_ERROR(ReadKey(z.bytes, "x", &out, false, Region(), Limits(), nullptr, false), Code::kZipCorrupt,
              "its local header says 7 compressed");
}

TEST(ZipKeysAsNumpyNamesThem) {
  const Built z = Zip({{"arr_0.npy", SmallNpy()}, {"sub/", ""}, {"sub/x.npy", SmallNpy()}, {"raw", SmallNpy()}});
  Buf buf(z.bytes);
  tfnpy::MemorySource source(buf.p.get(), buf.n);
  ZipArchive zip;
  if (!CHECK_OK(zip.Open(&source))) return;
  CHECK_EQ(zip.entries().size(), size_t{4});
  CHECK(zip.entries()[1].directory());
  const ZipEntry* e = nullptr;
  CHECK_OK(zip.Find("arr_0", &e));
  CHECK_OK(zip.Find("sub/x", &e));
  CHECK_OK(zip.Find("sub/x.npy", &e));
  CHECK_OK(zip.Find("raw", &e));
  CHECK_ERROR(zip.Find("y", &e), Code::kNoMember, "no member 'y' (nor 'y.npy') in the archive; its members: "
                                                  "'arr_0', 'sub/x', 'raw'");
  ZipMember m;
  CHECK_ERROR(zip.OpenMember(zip.entries()[1], &m), Code::kBadArgument, "is a directory");
}

TEST(ZipCommentsPrefixesAndCp437Names) {
  Spec a{"\x81.npy", SmallNpy()};  // CP437 0x81 is U+00FC.
  a.flags = 0;
  Built z = Zip({a}, false, std::string(300, 'c'), std::string(1000, 'p'));
  // Clear the UTF-8 flag Zip() sets.
  z.bytes[z.local[0] + 7] = 0;
  z.bytes[z.central[0] + 9] = 0;
  std::vector<unsigned char> out;
  if (CHECK_OK(ReadKey(z.bytes, "\xc3\xbc", &out))) CheckPattern(kF8, out, 12);
}

// The end records are looked for in the archive's last 4 KiB first: a long
// comment, or a zip64 end record before that window, needs the whole tail.
TEST(ZipEndRecordsBehindLongComments) {
  for (bool file_like : {false, true}) {
    for (bool zip64 : {false, true}) {
      for (size_t comment : {size_t{0}, size_t{4000}, size_t{4064}, size_t{4074}, size_t{4096}, size_t{65535}}) {
        SCOPE(std::string(file_like ? "file" : "memory") + (zip64 ? " zip64" : "") + ", comment " +
              std::to_string(comment));
        Spec b{"big.npy", BigNpy()};
        b.zip64 = zip64;
        const Built z = Zip({{"x.npy", SmallNpy()}, b}, zip64, std::string(comment, '#'));
        std::vector<unsigned char> out;
        if (CHECK_OK(ReadKey(z.bytes, "x", &out, file_like))) CheckPattern(kF8, out, 12);
        if (CHECK_OK(ReadKey(z.bytes, "big", &out, file_like))) CheckPattern(kF8, out, 40000);
      }
    }
  }
}

TEST(ZipDeflatedRegionsInflateNoFurtherThanTheirEnd) {
  Spec b{"big.npy", BigNpy(), 8};
  const Built z = Zip({b});
  Region r;
  r.rank = 1;
  r.start[0] = 0;
  r.stop[0] = 2;
  std::vector<unsigned char> out;
  uint64_t inflated = 0;
  CHECK_OK(ReadKey(z.bytes, "big", &out, false, r, Limits(), &inflated));
  CHECK(inflated < 300 * 1024);  // The header's first read and no more.
  // A stream broken past the region: the region reads, the whole does not.
  Spec broken = b;
  broken.compressed = Deflate(b.data);
  broken.compressed.resize(broken.compressed.size() / 2);
  const Built zb = Zip({broken});
  CHECK_OK(ReadKey(zb.bytes, "big", &out, false, r));
  CHECK_ERROR(ReadKey(zb.bytes, "big", &out), Code::kBadDeflate, "not the 320128 declared");
}

TEST(ZipHugeMemberOfZerosIsRefusedBeforeInflating) {
  // 1 GiB of zeros in about 1 MiB: repeated full-flush pieces, then an end.
  const uint64_t size = uint64_t{1} << 30;
  const std::string header = Npy(Dict("|u1", false, "(" + std::to_string(size - 128) + ",)"));
  CHECK_EQ(header.size(), size_t{128});
  const std::string mib(1 << 20, '\0');
  std::string stream = Deflate(header + mib.substr(128), true);
  const std::string piece = Deflate(mib, true);
  for (int i = 1; i < 1024; ++i) stream += piece;
  stream += Deflate("");
  Spec m{"zeros.npy", "", 8};
  m.compressed = stream;
  m.declared = size;
  const Built z = Zip({m});
  Limits limits;
  limits.max_output_bytes = 1 << 20;
  std::vector<unsigned char> out;
  uint64_t inflated = 0;
  CHECK_ERROR(ReadKey(z.bytes, "zeros", &out, false, Region(), limits, &inflated), Code::kTooLarge, "");
  CHECK(inflated <= 64 * 1024);
  // The declared size past what 1 MiB of deflate can reach: refused at once.
  m.compressed = stream.substr(0, 1000);
  CHECK_ERROR(ReadKey(Zip({m}).bytes, "zeros", &out), Code::kZipCorrupt, "deflate cannot exceed about 1032:1");
}

TEST(ZipHostileArchivesAreRefused) {
  std::vector<unsigned char> out;
  const Spec x{"x.npy", SmallNpy()};
  // CRC mismatch.
  {
    Built z = Zip({x});
    z.bytes[z.local[0] + 30 + 5 + 130] ^= 1;  // A data byte.
    CHECK_ERROR(ReadKey(z.bytes, "x", &out), Code::kCrcMismatch, "CRC-32 of its 224 bytes is");
    Spec d = x;
    d.method = 8;
    Built zd = Zip({d});
    Set32(&zd.bytes, zd.local[0] + 14, 1234);
    Set32(&zd.bytes, zd.central[0] + 16, 1234);
    CHECK_ERROR(ReadKey(zd.bytes, "x", &out), Code::kCrcMismatch, "the archive records 000004d2");
  }
  // A data descriptor that disagrees with the central directory, or is missing.
  for (bool zip64 : {false, true}) {
    SCOPE(zip64 ? "zip64 descriptor" : "descriptor");
    Spec d = x;
    d.descriptor = true;
    d.zip64 = zip64;
    Built z = Zip({d});
    const size_t at = z.local[0] + 30 + 5 + (zip64 ? 20 : 0) + d.data.size();
    CHECK_OK(ReadKey(z.bytes, "x", &out));
    Built bad_crc = z;
    bad_crc.bytes[at + 4] ^= 1;
    CHECK_ERROR(ReadKey(bad_crc.bytes, "x", &out), Code::kZipCorrupt, "member 'x.npy': its data descriptor says CRC-32");
    Built bad_size = z;
    bad_size.bytes[at + 8] ^= 1;
    CHECK_ERROR(ReadKey(bad_size.bytes, "x", &out), Code::kZipCorrupt,
                "225 compressed and 224 uncompressed bytes; the central directory");
    d.descriptor_written = false;
    CHECK_ERROR(ReadKey(Zip({d}).bytes, "x", &out), Code::kZipCorrupt,
                "member 'x.npy' has a data descriptor flag but 0 bytes after its data");
  }
  // Encrypted, other methods.
  {
    Spec e = x;
    e.flags = 1;
    CHECK_ERROR(ReadKey(Zip({e}).bytes, "x", &out), Code::kZipUnsupported, "member 'x.npy' is encrypted");
    Spec b = x;
    b.method = 12;
    CHECK_ERROR(ReadKey(Zip({b}).bytes, "x", &out), Code::kZipUnsupported, "compressed with bzip2 (method 12)");
    b.method = 14;
    CHECK_ERROR(ReadKey(Zip({b}).bytes, "x", &out), Code::kZipUnsupported, "lzma");
  }
  // Overlapping members: the second's local header inside the first's data.
  {
    Built z = Zip({x, {"y.npy", SmallNpy()}});
    Set32(&z.bytes, z.central[1] + 42, static_cast<uint32_t>(z.local[0] + 100));
    CHECK_ERROR(ReadKey(z.bytes, "x", &out), Code::kZipCorrupt, "run past the next member's start");
  }
  // Offsets past the end, a directory past the end.
  {
    Built z = Zip({x});
    Set32(&z.bytes, z.central[0] + 42, 1u << 30);
    CHECK_ERROR(ReadKey(z.bytes, "x", &out), Code::kZipCorrupt, "past the central directory's start");
    Built d = Zip({x});
    Set32(&d.bytes, d.end + 16, 1u << 30);
    CHECK_ERROR(ReadKey(d.bytes, "x", &out), Code::kZipCorrupt, "does not end before the end records");
    Built c = Zip({x});
    Set32(&c.bytes, c.central[0] + 20, 1u << 20);  // Compressed size.
    Set32(&c.bytes, c.central[0] + 24, 1u << 20);
    CHECK_ERROR(ReadKey(c.bytes, "x", &out), Code::kZipCorrupt, "local header says 224 compressed");
  }
  // Truncated archives: every cut is refused, never read past.
  {
    const Built z = Zip({x, {"y.npy", SmallNpy(), 8}});
    for (size_t cut = 0; cut < z.bytes.size(); cut += 7) {
      SCOPE("cut at " + std::to_string(cut));
      const Status s = ReadKey(z.bytes.substr(0, cut), "y", &out, cut % 2 == 1);
      CHECK(!s.ok());
    }
  }
  // Local and central headers disagree.
  {
    Built z = Zip({x});
    z.bytes[z.local[0] + 30] = 'q';
    CHECK_ERROR(ReadKey(z.bytes, "x", &out), Code::kZipCorrupt, "its local header names it 'q.npy'");
    Built m = Zip({x});
    m.bytes[m.local[0] + 8] = 8;
    CHECK_ERROR(ReadKey(m.bytes, "x", &out), Code::kZipCorrupt, "its local header says deflated");
  }
  // Stored sizes that disagree; a deflated member that inflates to more or less.
  {
    Spec d{"x.npy", SmallNpy(), 8};
    d.declared = d.data.size() - 1;
    CHECK_ERROR(ReadKey(Zip({d}).bytes, "x", &out), Code::kBadDeflate, "inflate to more than the 223 declared");
    d.declared = d.data.size() + 8;
    CHECK_ERROR(ReadKey(Zip({d}).bytes, "x", &out), Code::kBadDeflate, "inflate to 224, not the 232 declared");
    Spec g{"x.npy", SmallNpy(), 8};
    g.compressed = std::string(40, '\xff');
    CHECK_ERROR(ReadKey(Zip({g}).bytes, "x", &out), Code::kBadDeflate, "invalid deflate data");
  }
  // Not an archive, not a .npy member.
  {
    CHECK_ERROR(ReadKey(SmallNpy(), "x", &out), Code::kNotZip, "no end-of-central-directory record");
    CHECK_ERROR(ReadKey(Zip({{"x.npy", "hello, not numpy"}}).bytes, "x", &out), Code::kBadMagic, "");
  }
  // The end record declares more members than its directory holds.
  {
    Built z = Zip({x});
    z.bytes[z.end + 8] = 2;
    z.bytes[z.end + 10] = 2;
    CHECK_ERROR(ReadKey(z.bytes, "x", &out), Code::kZipCorrupt, "end record declares 2 members");
  }
  // And fewer: the entry held inline for a one-member archive moves to the
  // vector when a second one follows, and the count is refused.
  {
    Built z = Zip({x, {"y.npy", SmallNpy(), 0}});
    z.bytes[z.end + 8] = 1;
    z.bytes[z.end + 10] = 1;
    CHECK_ERROR(ReadKey(z.bytes, "x", &out), Code::kZipCorrupt,
                "end record declares 1 members, the central directory holds 2");
  }
}

// Zero sizes: an empty archive, one shorter than an end record, a source
// whose reads return nothing; with an arena (ReadNpz's batch path) or not.
TEST(ZipEmptyAndSilentSources) {
  for (bool arena : {false, true}) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{21}}) {
      SCOPE(std::to_string(n) + " bytes" + (arena ? ", arena" : ""));
      tfnpy::Arena a;
      FileLike file(std::string(n, 'P'));
      ZipArchive zip;
      CHECK_ERROR(zip.Open(&file, arena ? &a : nullptr), Code::kNotZip, "fewer than an end-of-central-directory record");
      Buf buf(std::string(n, 'P'));
      tfnpy::MemorySource memory(buf.p.get(), buf.n);
      CHECK_ERROR(zip.Open(&memory, arena ? &a : nullptr), Code::kNotZip, "fewer than an end-of-central-directory");
    }
    for (uint64_t size : {uint64_t{0}, uint64_t{100000}}) {
      SCOPE("silent source of " + std::to_string(size));
      tfnpy::Arena a;
      Silent silent(size);
      ZipArchive zip;
      CHECK_ERROR(zip.Open(&silent, arena ? &a : nullptr), Code::kNotZip, "");
    }
  }
  // An empty member, stored or deflated: an empty file, not a .npy one.
  for (uint16_t method : {0, 8}) {
    std::vector<unsigned char> out;
    CHECK_ERROR(ReadKey(Zip({{"x.npy", "", method}}).bytes, "x", &out, method == 8), Code::kTruncated, "");
  }
}

// The end record is found and read as Python's zipfile (np.load's reader)
// finds and reads it.
TEST(ZipEndRecordAsZipfileReadsIt) {
  const Spec x{"x.npy", SmallNpy()};
  const Spec y{"y.npy", SmallNpy(), 8};
  std::vector<unsigned char> out;
  // Entries on this disk differ from the total: read if either is the
  // directory's count (zipfile reads by the directory's size alone).
  for (int which : {8, 10}) {
    SCOPE(which == 8 ? "count on this disk damaged" : "total count damaged");
    Built z = Zip({x, y});
    z.bytes[z.end + which] = 7;
    if (CHECK_OK(ReadKey(z.bytes, "y", &out))) CheckPattern(kF8, out, 12);
    if (CHECK_OK(ReadKey(z.bytes, "x", &out, true))) CheckPattern(kF8, out, 12);
  }
  {
    Built z = Zip({x, y});
    z.bytes[z.end + 8] = 7;
    z.bytes[z.end + 10] = 5;
    CHECK_ERROR(ReadKey(z.bytes, "x", &out), Code::kZipCorrupt,
                "end record declares 5 members (7 on this disk), the central directory holds 2");
  }
  // Disk numbers zipfile does not look at: read if the directory is there;
  // said when it is not.
  {
    Built z = Zip({x});
    z.bytes[z.end + 4] = 1;
    z.bytes[z.end + 6] = 1;
    if (CHECK_OK(ReadKey(z.bytes, "x", &out))) CheckPattern(kF8, out, 12);
    Set32(&z.bytes, z.end + 16, static_cast<uint32_t>(z.central[0] + 3));
    CHECK_ERROR(ReadKey(z.bytes, "x", &out), Code::kZipCorrupt,
                "(the end record says disk 1, directory on disk 1: part of a multi-disk archive?");
  }
  // A comment length past the end of the file: the comment is cut there.
  for (bool file_like : {false, true}) {
    for (size_t have : {size_t{0}, size_t{10}, size_t{5000}}) {
      SCOPE(std::to_string(have) + " comment bytes" + (file_like ? ", file" : ""));
      Built z = Zip({x, y}, false, std::string(have, 'c'));
      z.bytes[z.end + 20] = static_cast<char>(0xff);
      z.bytes[z.end + 21] = static_cast<char>(0xff);
      if (CHECK_OK(ReadKey(z.bytes, "y", &out, file_like))) CheckPattern(kF8, out, 12);
      Buf buf(z.bytes);
      tfnpy::MemorySource memory(buf.p.get(), buf.n);
      ZipArchive zip;
      if (CHECK_OK(zip.Open(&memory))) CHECK_EQ(zip.comment(), std::string(have, 'c'));
    }
  }
  // The last signature is the one: too close to the end, not an archive
  // (zipfile: "File is not a zip file"), even after a good record.
  {
    const Built z = Zip({x}, false, "ends with PK\5\6 PK\x05\x06");
    std::string bytes = z.bytes;
    Set32(&bytes, bytes.size() - 4, 0x06054b50);
    CHECK_ERROR(ReadKey(bytes, "x", &out), Code::kNotZip, "is 4 bytes before the end of the file");
  }
  // zip64: a locator that says several disks is refused, as zipfile does.
  {
    Built z = Zip({x}, true);
    if (CHECK_OK(ReadKey(z.bytes, "x", &out))) CheckPattern(kF8, out, 12);
    Set32(&z.bytes, z.end - 4, 3);
    CHECK_ERROR(ReadKey(z.bytes, "x", &out), Code::kZipUnsupported, "archive spans 3 disks");
  }
}

// Every allocation of the archive path, made to fail in turn: kOutOfMemory.
TEST(ZipEveryAllocationFailsCleanly) {
  Spec big{"big.npy", BigNpy(), 8};
  Spec d{"x.npy", SmallNpy()};
  d.descriptor = true;
  Spec longname{std::string(300, 'n') + ".npy", SmallNpy()};
  Spec z64{"z.npy", SmallNpy(), 8};
  z64.zip64 = true;
  const Built z = Zip({d, big, longname, z64}, true, "comment");
  Region r;
  r.rank = 1;
  r.start[0] = 3;
  r.stop[0] = 5;
  int most = 0;
  for (const std::string& key : {std::string("x"), std::string("big"), std::string(300, 'n'), std::string("z")}) {
    for (bool file_like : {false, true}) {
      for (bool region : {false, true}) {
        for (bool verify : {false, true}) {
          SCOPE(key.substr(0, 5) + (file_like ? " file" : " memory") + (region ? " region" : "") +
                (verify ? "" : " no crc"));
          const int n = EveryAllocationFails([&](std::vector<unsigned char>* out) {
            return ReadKey(z.bytes, key, out, file_like, region ? r : Region(), Limits(), nullptr, verify);
          });
          most = n > most ? n : most;
        }
      }
    }
  }
  CHECK(most >= 4);
}

// The folding CRC against zlib's: every length to 4 KiB past each of 16
// alignments, continuing from several start values, and one long buffer.
TEST(ZipCrc32MatchesZlib) {
  std::string s(1 << 20, '\0');
  uint32_t x = 2463534242u;
  for (char& c : s) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    c = static_cast<char>(x);
  }
  int checked = 0;
  for (size_t align = 0; align < 16; ++align) {
    for (size_t n = 0; n <= 4096; ++n) {
      const uint32_t start = static_cast<uint32_t>(n * 2654435761u + align);
      const uint32_t fast = tfnpy::Crc32(start, s.data() + align, n);
      const uint32_t slow = tfnpy::Crc32Zlib(start, s.data() + align, n);
      if (fast != slow) {
        SCOPE("align " + std::to_string(align) + ", n " + std::to_string(n));
        CHECK_EQ(fast, slow);
      }
      ++checked;
    }
  }
  CHECK_EQ(checked, 16 * 4097);
  CHECK_EQ(tfnpy::Crc32(0, s.data(), s.size()),
           static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size()))));
  // Known values: zip's check value of "123456789", and of nothing.
  CHECK_EQ(tfnpy::Crc32(0, "123456789", 9), 0xcbf43926u);
  CHECK_EQ(tfnpy::Crc32(0, "", 0), 0u);
  // Split anywhere, the CRC continues.
  const uint32_t whole = tfnpy::Crc32(0, s.data(), 100000);
  for (size_t cut : {size_t{1}, size_t{63}, size_t{64}, size_t{300}, size_t{65536}, size_t{99999}}) {
    CHECK_EQ(tfnpy::Crc32(tfnpy::Crc32(0, s.data(), cut), s.data() + cut, 100000 - cut), whole);
  }
}

}  // namespace tfnpy_test
