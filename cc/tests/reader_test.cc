// Unit tests: NpyReader over memory, file-like and hostile byte sources
// (cc/npy/reader.h): what is read, when, and what a source that lies, fails
// or changes gets.
#include "tests/harness.h"

namespace tfnpy_test {

using tfnpy::NpyReader;
using tfnpy::Region;
using tfnpy::Selection;

TEST(FileLikeSourcesMatchInMemory) {
  for (const DTypeCase& t : kDTypes) {
    for (const char* order : {"<", ">"}) {
      for (bool fortran : {false, true}) {
        for (const auto& dims : Shapes()) {
          const std::string descr = std::string(order) + t.kind + std::to_string(t.size);
          SCOPE(descr + (fortran ? " F " : " C ") + ShapeText(dims));
          const std::string file =
              Npy(Dict(descr, fortran, ShapeText(dims)), FileData(t, dims, order[0] == '<', fortran));
          FileLike source(file);
          std::vector<unsigned char> out;
          Selection sel;
          if (!CHECK_OK(ReadRegion(&source, Region(), &out, &sel))) continue;
          CheckPattern(t, out, Product(dims));
          CHECK_EQ(source.reads, 1);  // Small files arrive in one read.
        }
      }
    }
  }
}

TEST(ReadsOfSmallAndLargeFiles) {
  const DTypeCase& f8 = kDTypes[11];
  // 10x10 float64: one read, and the reader needs the source no more.
  {
    FileLike source(Npy(Dict("<f8", false, "(10, 10)"), FileData(f8, {10, 10}, true, false)));
    NpyReader reader;
    if (CHECK_OK(reader.Open(&source, Limits()))) {
      CHECK(reader.complete());
      reader.Detach();
      Selection sel;
      std::vector<unsigned char> out(800);
      if (CHECK_OK(reader.Select(Region(), &sel))) {
        CHECK_OK(reader.ReadInto(sel, out.data(), out.size()));
        CheckPattern(f8, out, 100);
      }
    }
    CHECK_EQ(source.reads, 1);
  }
  // 100x100 float64 (80 KB): the first read, a one-byte read proving the
  // last byte is there, then the rest of the data, each byte once.
  {
    const std::string file = Npy(Dict("<f8", false, "(100, 100)"), FileData(f8, {100, 100}, true, false));
    FileLike source(file);
    NpyReader reader;
    if (CHECK_OK(reader.Open(&source, Limits()))) {
      CHECK(!reader.complete());
      CHECK_EQ(source.reads, 2);
      Selection sel;
      std::vector<unsigned char> out(80000);
      if (CHECK_OK(reader.Select(Region(), &sel)) && CHECK_OK(reader.ReadInto(sel, out.data(), out.size()))) {
        CheckPattern(f8, out, 10000);
      }
      CHECK_EQ(source.reads, 3);
      CHECK_EQ(source.bytes_read, static_cast<uint64_t>(file.size()) + 1);
    }
  }
}

TEST(HeaderLongerThanTheFirstRead) {
  const DTypeCase& i2 = kDTypes[2];
  // A 20,000-byte v2 header: valid (np.load reads it with max_header_size
  // raised), longer than the first read.
  std::string dict = Dict("<i2", false, "(3, 2)");
  dict.insert(dict.size() - 1, std::string(20000, ' '));
  const std::string file = Npy(dict, FileData(i2, {3, 2}, true, false), 2);
  Limits limits;
  limits.max_header_size = 30000;
  FileLike source(file);
  std::vector<unsigned char> out;
  Selection sel;
  if (CHECK_OK(ReadRegion(&source, Region(), &out, &sel, limits))) CheckPattern(i2, out, 6);
  CHECK_ERROR(ReadRegion(&source, Region(), &out, &sel), Code::kHeaderTooLarge, "exceeds max_header_size 10000");
  // Cut inside the header: truncated, with the length it needed.
  FileLike cut(file.substr(0, 18000));
  CHECK_ERROR(ReadRegion(&cut, Region(), &out, &sel, limits), Code::kHeaderTruncated,
              "input has 18000");
}

TEST(EveryTruncatedPrefixThroughTheReader) {
  const DTypeCase& f8 = kDTypes[11];
  // A small file (inside the first read) and a large one (past it).
  for (const std::vector<int64_t>& dims : {std::vector<int64_t>{3, 2}, std::vector<int64_t>{50, 60}}) {
    const std::string file = Npy(Dict(">f8", false, ShapeText(dims)), FileData(f8, dims, false, false));
    Header full;
    if (!CHECK_OK(Parse(file, &full))) continue;
    std::vector<size_t> cuts;
    for (size_t n = 0; n < file.size(); n += (n < 300 ? 1 : 997)) cuts.push_back(n);
    cuts.push_back(file.size() - 1);
    for (size_t n : cuts) {
      for (bool know_size : {true, false}) {
        SCOPE(ShapeText(dims) + " prefix " + std::to_string(n) + (know_size ? "" : " (size unknown)"));
        FileLike source(file.substr(0, n));
        source.know_size = know_size;
        std::vector<unsigned char> out;
        Selection sel;
        const Status s = ReadRegion(&source, Region(), &out, &sel);
        if (n < 10) {
          CHECK_ERROR(s, Code::kTruncated, "too short for the .npy preamble");
        } else if (n < full.data_offset) {
          CHECK_ERROR(s, Code::kHeaderTruncated, "runs past the end of the input");
        } else if (know_size || n < tfnpy::NpyReader::kFirstRead) {
          CHECK_ERROR(s, Code::kDataTruncated,
                      "needs " + std::to_string(full.data_bytes) + " bytes after the header, input has " +
                          std::to_string(n - full.data_offset));
        } else {
          CHECK_ERROR(s, Code::kDataTruncated, "input has fewer");
        }
      }
    }
  }
}

TEST(TinyFileDeclaringTerabytesIsTruncatedNotTooLarge) {
  // A content problem is kDataTruncated whatever the declared size and cap;
  // kTooLarge is for inputs that really hold more than the cap.
  const std::string file = Npy(Dict("<f8", false, "(1099511627776,)"), std::string(16, '\0'));
  Limits limits;
  limits.max_output_bytes = 1 << 20;
  Buf mem(file);
  tfnpy::MemorySource in_memory(mem.p.get(), mem.n);
  FileLike as_file(file);
  for (tfnpy::ByteSource* source : {static_cast<tfnpy::ByteSource*>(&in_memory),
                                    static_cast<tfnpy::ByteSource*>(&as_file)}) {
    NpyReader reader;
    CHECK_ERROR(reader.Open(source, limits), Code::kDataTruncated,
                "needs 8796093022208 bytes after the header, input has 16");
  }
  // The same header with its data really there is kTooLarge (at Select).
  const DTypeCase& f8 = kDTypes[11];
  const std::string real = Npy(Dict("<f8", false, "(200000,)"), FileData(f8, {200000}, true, false));
  FileLike source(real);
  NpyReader reader;
  Selection sel;
  if (CHECK_OK(reader.Open(&source, limits))) {
    CHECK_ERROR(reader.Select(Region(), &sel), Code::kTooLarge, "1600000 bytes, which exceeds max_output_bytes 1048576");
    CHECK_OK(reader.Select(Region::Rows(0, 1000), &sel));
  }
}

TEST(HostileSources) {
  const DTypeCase& f4 = kDTypes[10];
  const std::vector<int64_t> dims = {64, 200};  // 51,200 data bytes: past the first read.
  const std::string file = Npy(Dict("<f4", false, ShapeText(dims)), FileData(f4, dims, true, false));
  std::vector<unsigned char> out;
  Selection sel;
  // A file that shrinks after the header and size check: kDataLoss, and no
  // byte past what the source returned is used.
  for (size_t to : {size_t{0}, size_t{100}, size_t{20000}, file.size() - 1}) {
    SCOPE("shrinks to " + std::to_string(to));
    FileLike source(file);
    source.shrink_after = 2;
    source.shrink_to = to;
    CHECK_ERROR(ReadRegion(&source, Region(), &out, &sel), Code::kDataLoss, "file shrank while reading");
    FileLike rows(file);
    rows.shrink_after = 2;
    rows.shrink_to = to;
    CHECK_ERROR(ReadRegion(&rows, Region::Rows(40, 64), &out, &sel), Code::kDataLoss, "file shrank while reading");
  }
  // Failing reads: the source's own error, whichever read fails.
  for (int k = 0; k < 3; ++k) {
    SCOPE("read " + std::to_string(k) + " fails");
    FileLike source(file);
    source.fail_at = k;
    CHECK_ERROR(ReadRegion(&source, Region(), &out, &sel), Code::kReadFailed, "injected read failure");
  }
  // A source whose reads come back short claims to end there: an error,
  // never data that is not the file's.
  for (size_t chunk : {size_t{1}, size_t{9}, size_t{100}, size_t{4096}, size_t{30000}}) {
    SCOPE("reads of at most " + std::to_string(chunk));
    FileLike source(file);
    source.max_chunk = chunk;
    const Status s = ReadRegion(&source, Region(), &out, &sel);
    CHECK(!s.ok());
    CHECK(s.code() == Code::kTruncated || s.code() == Code::kHeaderTruncated ||
          s.code() == Code::kDataTruncated || s.code() == Code::kDataLoss);
  }
}

TEST(Reattach) {
  const DTypeCase& f4 = kDTypes[10];
  const std::vector<int64_t> dims = {64, 200};
  const std::string file = Npy(Dict("<f4", false, ShapeText(dims)), FileData(f4, dims, true, false));
  FileLike first(file);
  NpyReader reader;
  if (!CHECK_OK(reader.Open(&first, Limits()))) return;
  reader.Detach();
  // Nothing to read from until a source is attached again.
  Selection sel;
  std::vector<unsigned char> out(51200);
  if (!CHECK_OK(reader.Select(Region(), &sel))) return;
  CHECK_ERROR(reader.ReadInto(sel, out.data(), out.size()), Code::kBadArgument, "no source");
  // The same file again: read from it, nothing from the old handle.
  FileLike again(file);
  if (CHECK_OK(reader.Reattach(&again)) && CHECK_OK(reader.ReadInto(sel, out.data(), out.size()))) {
    CheckPattern(f4, out, 64 * 200);
  }
  // A different header: kDataLoss, naming both.
  FileLike changed(Npy(Dict("<f4", false, "(64, 100)"), FileData(f4, {64, 100}, true, false)));
  CHECK_ERROR(reader.Reattach(&changed), Code::kDataLoss,
              "file changed while being read: its header now says shape (64, 100) of <f4 (float32), was (64, 200)");
}

TEST(ArenaKeepsWhatSmallFilesBring) {
  // Readers sharing an arena: each keeps its own bytes (ASan sees any
  // overlap of two allocations as a wrong value below, any overrun as such).
  tfnpy::Arena arena;
  std::vector<std::string> files;
  std::vector<NpyReader> readers(300);
  std::vector<FileLike> sources;
  sources.reserve(300);
  const DTypeCase& u1 = kDTypes[5];
  for (int i = 0; i < 300; ++i) {
    const int64_t n = 1 + (i * 37) % 9000;  // Some past a quarter block, most small.
    sources.emplace_back(Npy(Dict("|u1", false, ShapeText({n})), FileData(u1, {n}, true, false)));
    if (!CHECK_OK(readers[i].Open(&sources.back(), Limits(), &arena))) return;
  }
  for (int i = 0; i < 300; ++i) {
    const int64_t n = 1 + (i * 37) % 9000;
    Selection sel;
    std::vector<unsigned char> out(static_cast<size_t>(n));
    readers[i].Detach();
    if (CHECK_OK(readers[i].Select(Region(), &sel)) && CHECK_OK(readers[i].ReadInto(sel, out.data(), out.size()))) {
      CheckPattern(u1, out, static_cast<uint64_t>(n));
    }
  }
  char* big = arena.Allocate(1 << 20);
  std::memset(big, 1, 1 << 20);
}

// A 256^3 float32 file (64 MiB) that is never held in memory: its data
// byte at offset o is Pattern(o). Counts the bytes read.
class BigFile : public tfnpy::ByteSource {
 public:
  explicit BigFile(bool fortran) : head_(Npy(Dict("<f4", fortran, "(256, 256, 256)"))) {}
  static unsigned char Pattern(uint64_t o) { return static_cast<unsigned char>((o * 2654435761u) >> 13); }
  uint64_t data_offset() const { return head_.size(); }
  Status Read(uint64_t offset, size_t n, char* dst, size_t* got) override {
    const uint64_t size = head_.size() + (uint64_t{256} << 24);
    *got = offset >= size ? 0 : static_cast<size_t>(std::min<uint64_t>(n, size - offset));
    for (size_t i = 0; i < *got; ++i) {
      const uint64_t at = offset + i;
      dst[i] = static_cast<char>(at < head_.size() ? head_[at] : Pattern(at - head_.size()));
    }
    bytes_read += *got;
    return Status::Ok();
  }
  uint64_t bytes_read = 0;

 private:
  std::string head_;
};

TEST(CropReadsOnlyAboutItsBytes) {
  // A 64^3 crop of a 256^3 float32 volume: 1 MiB of output; rows of 256
  // bytes 1 KiB apart are read as one span per plane: about 4 MiB in all.
  for (bool fortran : {false, true}) {
    SCOPE(fortran ? "F" : "C");
    BigFile file(fortran);
    Region r;
    r.rank = 3;
    for (int k = 0; k < 3; ++k) {
      r.start[k] = 100 + 10 * k;
      r.stop[k] = r.start[k] + 64;
    }
    std::vector<unsigned char> out;
    Selection sel;
    if (!CHECK_OK(ReadRegion(&file, r, &out, &sel))) continue;
    CHECK(file.bytes_read < (uint64_t{5} << 20));
    CHECK(file.bytes_read >= (uint64_t{1} << 20));
    int bad = 0;
    for (int64_t i = 0; i < 64 && bad < 3; ++i) {
      for (int64_t j = 0; j < 64 && bad < 3; ++j) {
        for (int64_t k = 0; k < 64 && bad < 3; ++k) {
          const uint64_t x = static_cast<uint64_t>(r.start[0] + i), y = static_cast<uint64_t>(r.start[1] + j),
                         z = static_cast<uint64_t>(r.start[2] + k);
          const uint64_t elem = fortran ? x + 256 * (y + 256 * z) : (x * 256 + y) * 256 + z;
          const uint64_t at = static_cast<uint64_t>(((i * 64) + j) * 64 + k) * 4;
          for (uint64_t b = 0; b < 4; ++b) {
            if (out[at + b] != BigFile::Pattern(elem * 4 + b)) {
              Fail(__FILE__, __LINE__, "element (" + std::to_string(i) + ", " + std::to_string(j) + ", " +
                                           std::to_string(k) + ") differs");
              ++bad;
              break;
            }
          }
        }
      }
    }
  }
}

}  // namespace tfnpy_test
