// A local file as a ByteSource, read with POSIX open/pread/close: no
// framework, no buffering, one pread per read (a small file arrives whole
// in NpyReader's first read). ReadNpy's local files and the readers that
// work on plain paths outside TensorFlow (the Python module's checks); any
// thread may use its own.
//
//   tfnpy::PosixFile file;
//   TFNPY_RETURN_IF_ERROR(file.Open("/data/x.npy"));
//   tfnpy::NpyReader reader;
//   TFNPY_RETURN_IF_ERROR(reader.Open(&file, limits));
#ifndef TFNPY_CC_NPY_FILE_H_
#define TFNPY_CC_NPY_FILE_H_

#include <cstddef>
#include <cstdint>

#include "npy/reader.h"
#include "npy/status.h"

namespace tfnpy {

class PosixFile final : public ByteSource {
 public:
  PosixFile() = default;
  ~PosixFile() override { Close(); }
  PosixFile(const PosixFile&) = delete;
  PosixFile& operator=(const PosixFile&) = delete;

  // Opens `path` (NUL-terminated) for reading, closing any file open before.
  // kReadFailed with the system's reason ("No such file or directory") if it
  // cannot; error() then gives errno.
  Status Open(const char* path);
  void Close();
  bool is_open() const { return fd_ >= 0; }
  // errno of the last failed Open or Read (0: none).
  int error() const { return error_; }

  // pread until n bytes or the end of the file (a short count: the end);
  // kReadFailed with the system's reason on an error.
  Status Read(uint64_t offset, size_t n, char* dst, size_t* got) override;
  // One preadv (up to 8 pieces and 1 GiB; more: piece by piece).
  Status ReadScattered(uint64_t offset, const ReadPiece* pieces, int count, size_t* got) override;
  // From the open handle (fstat), never the name.
  bool Size(uint64_t* size) override;

 private:
  int fd_ = -1;
  int error_ = 0;
};

}  // namespace tfnpy

#endif  // TFNPY_CC_NPY_FILE_H_
