// Unit tests: PosixFile (cc/npy/file.h), a local file as a ByteSource.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "tests/harness.h"

namespace tfnpy_test {

using tfnpy::NpyReader;
using tfnpy::PosixFile;
using tfnpy::Region;
using tfnpy::Selection;

namespace {

// A fresh folder under $TMPDIR (or /tmp), removed with its files at the end.
class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/npy_file_test.XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) != nullptr) path_ = buf.data();
  }
  ~TempDir() {
    for (const std::string& f : files_) ::unlink(f.c_str());
    if (!path_.empty()) ::rmdir(path_.c_str());
  }
  bool ok() const { return !path_.empty(); }
  std::string path() const { return path_; }
  // Writes `bytes` to a file of the folder; returns its path.
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string p = path_ + "/" + name;
    FILE* f = std::fopen(p.c_str(), "wb");
    if (f == nullptr) return p;
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
    files_.push_back(p);
    return p;
  }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

}  // namespace

TEST(PosixFileReadsWhatNpyReaderNeeds) {
  TempDir dir;
  if (!dir.ok()) {
    Fail(__FILE__, __LINE__, "mkdtemp failed");
    return;
  }
  const DTypeCase& f8 = kDTypes[11];
  // A small file (arrives whole) and one larger than the first read.
  for (int64_t rows : {3, 100}) {
    SCOPE("rows " + std::to_string(rows));
    const std::string bytes = Npy(Dict("<f8", false, "(" + std::to_string(rows) + ", 10)"),
                                  FileData(f8, {rows, 10}, true, false));
    const std::string path = dir.Write("a.npy", bytes);
    PosixFile file;
    if (!CHECK_OK(file.Open(path.c_str()))) continue;
    CHECK(file.is_open());
    uint64_t size = 0;
    CHECK(file.Size(&size));
    CHECK_EQ(size, bytes.size());
    std::vector<unsigned char> out;
    Selection sel;
    if (CHECK_OK(ReadRegion(&file, Region(), &out, &sel))) CheckPattern(f8, out, Product({rows, 10}));
    // Past the end: nothing, and no error.
    char c = 0;
    size_t got = 1;
    CHECK_OK(file.Read(bytes.size() + 5, 1, &c, &got));
    CHECK_EQ(got, size_t{0});
    file.Close();
    CHECK(!file.is_open());
    CHECK(!file.Size(&size));
  }
}

TEST(PosixFileScatteredReads) {
  TempDir dir;
  if (!dir.ok()) {
    Fail(__FILE__, __LINE__, "mkdtemp failed");
    return;
  }
  std::string bytes(300, '\0');
  for (size_t k = 0; k < bytes.size(); ++k) bytes[k] = static_cast<char>(k * 13 + 5);
  const std::string path = dir.Write("b.bin", bytes);
  PosixFile file;
  if (!CHECK_OK(file.Open(path.c_str()))) return;
  // Pieces filled in turn from the offset on; the last one cut short at the end.
  for (int count : {1, 2, 3, 9}) {  // 9: more pieces than one preadv takes here.
    SCOPE(std::to_string(count) + " pieces");
    std::vector<std::string> bufs(count, std::string(40, '?'));
    std::vector<tfnpy::ReadPiece> pieces;
    for (std::string& b : bufs) pieces.push_back({&b[0], b.size()});
    size_t got = 0;
    if (!CHECK_OK(file.ReadScattered(250, pieces.data(), count, &got))) continue;
    const size_t want = count == 1 ? 40 : 50;
    CHECK_EQ(got, want);
    std::string joined;
    for (const std::string& b : bufs) joined += b;
    CHECK(joined.compare(0, got, bytes, 250, got) == 0);
    CHECK(joined.find_first_not_of('?', got) == std::string::npos);
  }
  // Past the end: nothing, and no error.
  char c = 0;
  const tfnpy::ReadPiece past[1] = {{&c, 1}};
  size_t got = 1;
  CHECK_OK(file.ReadScattered(bytes.size(), past, 1, &got));
  CHECK_EQ(got, size_t{0});
  // Errors as Read's.
  file.Close();
  CHECK_ERROR(file.ReadScattered(0, past, 1, &got), Code::kReadFailed, "not open");
  if (CHECK_OK(file.Open(dir.path().c_str()))) {
    CHECK_ERROR(file.ReadScattered(0, past, 1, &got), Code::kReadFailed, "directory");
    CHECK_EQ(file.error(), EISDIR);
  }
}

TEST(PosixFileErrorsSayWhy) {
  TempDir dir;
  if (!dir.ok()) {
    Fail(__FILE__, __LINE__, "mkdtemp failed");
    return;
  }
  PosixFile file;
  CHECK_ERROR(file.Open((dir.path() + "/missing.npy").c_str()), Code::kReadFailed, "No such file");
  CHECK_EQ(file.error(), ENOENT);
  CHECK(!file.is_open());
  char buf[16];
  size_t got = 1;
  CHECK_ERROR(file.Read(0, sizeof buf, buf, &got), Code::kReadFailed, "not open");
  CHECK_EQ(got, size_t{0});
  // A folder opens, but cannot be read.
  if (CHECK_OK(file.Open(dir.path().c_str()))) {
    CHECK_ERROR(file.Read(0, sizeof buf, buf, &got), Code::kReadFailed, "directory");
    CHECK_EQ(file.error(), EISDIR);
    NpyReader reader;
    CHECK_ERROR(reader.Open(&file, Limits()), Code::kReadFailed, "directory");
  }
}

}  // namespace tfnpy_test
