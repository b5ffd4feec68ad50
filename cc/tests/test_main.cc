// Runs the core's unit tests (every *_test.cc linked in). An optional
// argument runs only the tests whose name contains it. The last line printed
// is "N passed, N failed" (tests, not checks); the exit status is non-zero
// on any failure or if nothing ran.
#include "tests/harness.h"

int main(int argc, char** argv) {
  using namespace tfnpy_test;
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int passed = 0, failed = 0;
  for (const TestCase& t : Registry()) {
    if (filter && std::strstr(t.name, filter) == nullptr) continue;
    g_failed_checks = 0;
    t.fn();
    if (g_failed_checks == 0) {
      ++passed;
      std::printf("[ OK ] %s\n", t.name);
    } else {
      ++failed;
      std::printf("[FAIL] %s (%d failed checks)\n", t.name, g_failed_checks);
    }
    std::fflush(stdout);
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
