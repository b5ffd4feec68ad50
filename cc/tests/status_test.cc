// Unit tests: Status and the error codes (cc/npy/status.h).
#include "tests/harness.h"

namespace tfnpy_test {

TEST(CodeNamesAreDistinct) {
  std::vector<std::string> names;
  for (int c = 0; c < tfnpy::kNumCodes; ++c) {
    const std::string name = tfnpy::CodeName(static_cast<Code>(c));
    SCOPE("code " + std::to_string(c));
    CHECK(name != "unknown" && !name.empty());
    for (const std::string& other : names) CHECK(other != name);
    names.push_back(name);
  }
  CHECK_EQ(std::string(tfnpy::CodeName(Code::kOk)), std::string("ok"));
  CHECK_EQ(std::string(tfnpy::CodeName(Code::kBadMagic)), std::string("bad_magic"));
  Status ok;
  CHECK(ok.ok());
  CHECK(Status::Ok().ok());
  CHECK_EQ(Status(Code::kBadShape, "x").code(), Code::kBadShape);
}

// ---------------------------------------------------------------------------
// Truncation, slicing, in-place decoding.

}  // namespace tfnpy_test
