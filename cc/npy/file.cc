// A local file as a ByteSource. See file.h.
#include "npy/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace tfnpy {
namespace {

// The system's words for errno ("No such file or directory").
std::string Reason(int err) { return std::generic_category().message(err); }

// A regular file returns fewer bytes than asked only at its end, or above
// the kernel's per-call cap: ask again only then.
constexpr size_t kMaxPerCall = size_t{1} << 30;

}  // namespace

Status PosixFile::Open(const char* path) {
  Close();
  do {
    fd_ = ::open(path, O_RDONLY | O_CLOEXEC);
  } while (fd_ < 0 && errno == EINTR);
  if (fd_ >= 0) {
    error_ = 0;
    return Status::Ok();
  }
  error_ = errno;
  return Status(Code::kReadFailed, Reason(error_));
}

void PosixFile::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status PosixFile::Read(uint64_t offset, size_t n, char* dst, size_t* got) {
  *got = 0;
  if (fd_ < 0) return Status(Code::kReadFailed, "the file is not open");
  while (*got < n) {
    const size_t want = n - *got < kMaxPerCall ? n - *got : kMaxPerCall;
    const ssize_t r = ::pread(fd_, dst + *got, want, static_cast<off_t>(offset + *got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      error_ = errno;
      return Status(Code::kReadFailed, Reason(error_));
    }
    *got += static_cast<size_t>(r);
    if (static_cast<size_t>(r) < want) break;  // The end of the file.
  }
  return Status::Ok();
}

Status PosixFile::ReadScattered(uint64_t offset, const ReadPiece* pieces, int count, size_t* got) {
  constexpr int kMaxPieces = 8;
  size_t total = 0;
  for (int k = 0; k < count && total < kMaxPerCall; ++k) total += pieces[k].n;
  if (fd_ < 0 || count > kMaxPieces || total >= kMaxPerCall) {
    return ByteSource::ReadScattered(offset, pieces, count, got);  // Piece by piece.
  }
  *got = 0;
  struct iovec iov[kMaxPieces];
  for (int k = 0; k < count; ++k) iov[k] = {pieces[k].dst, pieces[k].n};
  ssize_t r;
  do {
    r = ::preadv(fd_, iov, count, static_cast<off_t>(offset));
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    error_ = errno;
    return Status(Code::kReadFailed, Reason(error_));
  }
  *got = static_cast<size_t>(r);  // Fewer than the total: the end of the file.
  return Status::Ok();
}

bool PosixFile::Size(uint64_t* size) {
  struct stat st;
  if (fd_ < 0 || ::fstat(fd_, &st) != 0) return false;
  *size = static_cast<uint64_t>(st.st_size);
  return true;
}

}  // namespace tfnpy
