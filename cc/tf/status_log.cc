#include "tf/status_log.h"

#include <cstdio>
#include <mutex>
#include <unordered_set>

namespace tfnpy {
namespace {

struct SkipLog {
  std::mutex mu;
  std::unordered_set<std::string> said;
  int64_t count = 0;  // Every skip (a file skipped every epoch counts each time).
};

SkipLog& Log() {
  static SkipLog* log = new SkipLog;  // Never destroyed: kernels may run at exit.
  return *log;
}

}  // namespace

int64_t LogSkipped(const std::string& message) {
  SkipLog& log = Log();
  std::lock_guard<std::mutex> lock(log.mu);
  const int64_t count = ++log.count;
  // Straight to stderr, as TensorFlow's own log goes, but whatever
  // TF_CPP_MIN_LOG_LEVEL says: a skipped file is data a run did not see.
  if (log.said.insert(message).second) {
    std::fprintf(stderr, "tfnpy: skipped a file (%lld so far): %s\n", static_cast<long long>(count),
                 message.c_str());
    std::fflush(stderr);
  }
  return count;
}

int64_t SkippedSoFar() {
  SkipLog& log = Log();
  std::lock_guard<std::mutex> lock(log.mu);
  return log.count;
}

}  // namespace tfnpy
