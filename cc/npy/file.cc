// A local file as a ByteSource. See file.h.
#include "npy/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace tfnpy {
namespace {

// The system's words for errno ("No such file or directory").
std::string Reason(int err) { return std::generic_category().message(err); }

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
  // A regular file returns fewer bytes than asked only at its end, or above
  // the kernel's per-call cap: ask again only then.
  constexpr size_t kMaxPerCall = size_t{1} << 30;
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

bool PosixFile::Size(uint64_t* size) {
  struct stat st;
  if (fd_ < 0 || ::fstat(fd_, &st) != 0) return false;
  *size = static_cast<uint64_t>(st.st_size);
  return true;
}

}  // namespace tfnpy
