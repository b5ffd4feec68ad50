#include "tf/remote.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <utility>

#include "tensorflow/core/platform/env.h"
#include "tensorflow/core/platform/errors.h"
#include "tensorflow/core/platform/logging.h"
#include "tf/npy_tf.h"

namespace tfnpy {

namespace tf = ::tensorflow;

bool IsRemote(absl::string_view name) {
  const absl::string_view scheme = Scheme(name);
  return !scheme.empty() && scheme != "file" && scheme != "ram";
}

bool RemoteBatch(const tf::Tensor& names) {
  return names.NumElements() > 0 && IsRemote(names.flat<tf::tstring>()(0));
}

bool WritesWholeObjects(absl::string_view name) { return Scheme(name) == "gs"; }

namespace {

// An unsigned decimal environment variable: false if unset or not a number
// (surrounding white space allowed, as TensorFlow's own parsing of its GCS
// variables allows it).
bool EnvNumber(const char* name, uint64_t* value) {
  const char* text = std::getenv(name);
  if (text == nullptr) return false;
  while (*text == ' ' || *text == '\t') ++text;
  if (*text < '0' || *text > '9') return false;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  while (*end == ' ' || *end == '\t' || *end == '\n') ++end;
  if (errno != 0 || *end != '\0') return false;
  *value = v;
  return true;
}

}  // namespace

int RemoteThreads() {
  static const int threads = [] {
    const char* text = std::getenv("TFNPY_REMOTE_THREADS");
    if (text == nullptr) return kDefaultRemoteThreads;
    uint64_t v = 0;
    if (!EnvNumber("TFNPY_REMOTE_THREADS", &v) || v < 1 || v > kMaxRemoteThreads) {
      LOG(WARNING) << "tfnpy: TFNPY_REMOTE_THREADS='" << text << "' is not a number from 1 to "
                   << kMaxRemoteThreads << "; using " << kDefaultRemoteThreads;
      return kDefaultRemoteThreads;
    }
    return static_cast<int>(v);
  }();
  return threads;
}

tf::thread::ThreadPool* RemotePool() {
  // Made once, never destroyed: its threads may be waiting on the network
  // when the process exits.
  static tf::thread::ThreadPool* const pool =
      RemoteThreads() > 1 ? new tf::thread::ThreadPool(tf::Env::Default(), "tfnpy_remote", RemoteThreads() - 1)
                          : nullptr;
  return pool;
}

namespace {

// TensorFlow's gs:// file system (gcs_file_system.cc, TensorFlow 2.x) gives
// each opened file a read buffer of GCS_READ_CACHE_BLOCK_SIZE_MB (64 MiB by
// default): the first read of up to that many bytes resizes the buffer to
// its full size, which zero-fills it, then fetches [offset, offset + block)
// into it in one ranged request. For a small file that is ~30 ms of CPU (64
// MiB of page faults and zeroing) to fetch a few KiB. A read of more than
// the block skips the buffer: one ranged request straight into the caller's
// memory.
//
// The file below makes each read of up to a block such a larger read, of
// block + 1 bytes at the same offset, into a window of its own that nothing
// zero-fills: the same requests for the same bytes as TensorFlow's buffer
// (the server sends no more than the object holds), and only the pages the
// response fills are touched. Reads of more than a block go straight
// through, as they do in TensorFlow. The window is allocated uninitialized on
// first use (a block this large is mapped fresh by malloc) and freed with
// the file. If TensorFlow's block is not what the environment says (the
// variables changed after TensorFlow started), a read is just an ordinary
// buffered or unbuffered one: slower or not, never wrong.
class GcsWindowFile final : public tf::RandomAccessFile {
 public:
  GcsWindowFile(std::unique_ptr<tf::RandomAccessFile> file, size_t block)
      : file_(std::move(file)), block_(block) {}

  tf::Status Name(absl::string_view* result) const override { return file_->Name(result); }

  tf::Status Read(uint64_t offset, size_t n, absl::string_view* result, char* scratch) const override {
    if (n > block_) return file_->Read(offset, n, result, scratch);
    if (n == 0) {
      *result = absl::string_view();
      return tf::OkStatus();
    }
    std::lock_guard<std::mutex> lock(mu_);
    const bool inside = window_ != nullptr && offset >= begin_ && offset - begin_ <= size_ &&
                        (n <= size_ - (offset - begin_) || ends_);
    if (!inside) {
      if (window_ == nullptr) window_.reset(new (std::nothrow) char[block_ + 1]);
      if (window_ == nullptr) return file_->Read(offset, n, result, scratch);  // TensorFlow's buffer, then.
      absl::string_view got;
      tf::Status s = file_->Read(offset, block_ + 1, &got, window_.get());
      if (!s.ok() && !tf::errors::IsOutOfRange(s)) {
        size_ = 0;
        ends_ = false;
        *result = absl::string_view();
        return s;
      }
      if (got.data() != window_.get() && !got.empty()) std::memmove(window_.get(), got.data(), got.size());
      begin_ = offset;
      size_ = got.size();
      ends_ = got.size() <= block_;
    }
    const size_t at = static_cast<size_t>(offset - begin_);
    const size_t copy = std::min(n, size_ - at);
    std::memcpy(scratch, window_.get() + at, copy);
    *result = absl::string_view(scratch, copy);
    if (copy < n) {
      return tf::errors::OutOfRange("EOF reached: ", copy, " bytes read of ", n, " at offset ", offset);
    }
    return tf::OkStatus();
  }

 private:
  const std::unique_ptr<tf::RandomAccessFile> file_;
  const size_t block_;
  mutable std::mutex mu_;  // RandomAccessFile::Read is const and may be called from several threads.
  mutable std::unique_ptr<char[]> window_;  // block_ + 1 bytes once used.
  mutable uint64_t begin_ = 0;  // The window holds the file's bytes [begin_, begin_ + size_),
  mutable size_t size_ = 0;
  mutable bool ends_ = false;  // and the file ends there.
};

// TensorFlow's read buffer for gs:// files in bytes, as gcs_file_system.cc
// reads it from the environment; 0 when it is not in use (its block cache
// is on, or the block is 0).
size_t GcsBufferBytes() {
  static const size_t bytes = [] {
    uint64_t block = 64ull << 20, v = 0;
    if (EnvNumber("GCS_READAHEAD_BUFFER_SIZE_BYTES", &v)) block = v;
    if (EnvNumber("GCS_READ_CACHE_BLOCK_SIZE_MB", &v)) block = v << 20;
    uint64_t cache = 0;
    const bool cached = EnvNumber("GCS_READ_CACHE_MAX_SIZE_MB", &cache) && cache > 0;
    // The window is block + 1 bytes: keep that well inside size_t and memory.
    constexpr uint64_t kMaxBlock = uint64_t{1} << 40;
    return cached || block == 0 || block > kMaxBlock ? size_t{0} : static_cast<size_t>(block);
  }();
  return bytes;
}

}  // namespace

std::unique_ptr<tf::RandomAccessFile> WithoutGcsBuffer(absl::string_view name,
                                                       std::unique_ptr<tf::RandomAccessFile> file) {
  if (file == nullptr || Scheme(name) != "gs") return file;
  const size_t block = GcsBufferBytes();
  if (block == 0) return file;
  return std::make_unique<GcsWindowFile>(std::move(file), block);
}

}  // namespace tfnpy
