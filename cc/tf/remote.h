// Remote file systems (gs:// and any scheme but local files, file:// and
// ram://): where a read costs a network round trip, not CPU. Three pieces:
// which names are remote, the thread pool that keeps many of their reads in
// flight (batch.cc's ForEachElement), and TensorFlow's gs:// file without its
// zero-filled read buffer (FileSource). docs/guide/remote-storage.md says why
// and what was measured.
#ifndef TFNPY_CC_TF_REMOTE_H_
#define TFNPY_CC_TF_REMOTE_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/platform/file_system.h"
#include "tensorflow/core/platform/threadpool.h"

namespace tfnpy {

// True for a name whose file system waits on a network: any scheme but none
// (a local path), "file" and "ram".
bool IsRemote(absl::string_view name);

// True if a batch's files (a string tensor of names) are on a remote file
// system: its first name's, as a batch is on one file system in practice (a
// mixed batch goes by its first name).
bool RemoteBatch(const tensorflow::Tensor& names);

// Reads of remote files a batch keeps in flight: TFNPY_REMOTE_THREADS from
// the environment, read once (default kDefaultRemoteThreads, at most
// kMaxRemoteThreads; a value that is not a number in [1, kMaxRemoteThreads]
// is logged and the default used).
constexpr int kDefaultRemoteThreads = 32;
constexpr int kMaxRemoteThreads = 1024;
int RemoteThreads();

// The pool that runs those reads: RemoteThreads() - 1 threads (the calling
// thread is the last one), made on first use and kept for the process;
// nullptr when RemoteThreads() is 1.
tensorflow::thread::ThreadPool* RemotePool();

// `file`, opened by TensorFlow for `name`: for a gs:// name, read without
// TensorFlow's zero-filled read buffer when that buffer is in use (its block
// cache off, the default); else `file` itself. See remote.cc.
std::unique_ptr<tensorflow::RandomAccessFile> WithoutGcsBuffer(
    absl::string_view name, std::unique_ptr<tensorflow::RandomAccessFile> file);

// True for a name whose file system replaces an object whole or not at all
// when a new one is written (gs://: an upload becomes the object only once
// complete): writing straight to the name then keeps the old object or the
// new one, as a temporary name and a rename do elsewhere.
bool WritesWholeObjects(absl::string_view name);

}  // namespace tfnpy

#endif  // TFNPY_CC_TF_REMOTE_H_
