// The process's log of files tfnpy.data's on_error="skip" left out: each
// said once on stderr, all counted (LogSkipped op, RowsDataset).
#ifndef TFNPY_CC_TF_STATUS_LOG_H_
#define TFNPY_CC_TF_STATUS_LOG_H_

#include <cstdint>
#include <string>

namespace tfnpy {

// Counts a skipped file; writes `message` (it names the file, the CSV file
// and line, and why) to stderr the first time this process sees it.
// Returns the files skipped so far.
int64_t LogSkipped(const std::string& message);

// The files skipped so far.
int64_t SkippedSoFar();

}  // namespace tfnpy

#endif  // TFNPY_CC_TF_STATUS_LOG_H_
