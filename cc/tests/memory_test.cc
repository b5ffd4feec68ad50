// Unit tests: zero sizes and failed allocations (issue #23). Empty inputs,
// empty arrays and sources that return nothing are errors or empty results,
// never a crash; every allocation of the core, made to fail in turn, gives
// kOutOfMemory and nothing else (cc/npy/memory.h).
#include "tests/harness.h"

namespace tfnpy_test {

using tfnpy::Arena;
using tfnpy::NpyReader;
using tfnpy::Region;
using tfnpy::Selection;

namespace {

const DTypeCase& kF4 = kDTypes[10];

// Reads `file` through a file-like source (reads, no views), with an arena
// as a batch of ReadNpy does, or in memory; a region, and strings for S/U.
Status ReadFile(const std::string& file, std::vector<unsigned char>* out, bool file_like, bool arena,
                const Region& region = Region()) {
  Buf b(file);
  tfnpy::MemorySource memory(b.p.get(), b.n);
  FileLike like(file);
  like.max_chunk = 4096;
  tfnpy::ByteSource* source = file_like ? static_cast<tfnpy::ByteSource*>(&like) : &memory;
  Arena a;
  NpyReader reader;
  TFNPY_RETURN_IF_ERROR(reader.Open(source, Limits(), arena ? &a : nullptr));
  Selection sel;
  TFNPY_RETURN_IF_ERROR(reader.Select(region, &sel));
  out->assign(sel.array.data_bytes, 0);
  TFNPY_RETURN_IF_ERROR(reader.ReadInto(sel, out->data(), out->size()));
  if (!tfnpy::IsString(sel.array.dtype)) return Status::Ok();
  struct Join final : tfnpy::StringSink {
    std::vector<unsigned char>* out;
    Status Put(uint64_t, const char* data, size_t size) override {
      out->insert(out->end(), data, data + size);
      out->push_back('|');
      return Status::Ok();
    }
  } join;
  join.out = out;
  std::vector<unsigned char> raw;
  raw.swap(*out);
  return tfnpy::ForEachString(sel, reinterpret_cast<const char*>(raw.data()), raw.size(), &join);
}

std::string Ucs4(const std::string& ascii) {
  std::string out;
  for (char c : ascii) out += std::string(1, c) + std::string(3, '\0');
  return out;
}

}  // namespace

TEST(ArenaGivesZeroBytesAndAnySize) {
  Arena arena;
  char* a = arena.Allocate(0);  // On a fresh arena: no block yet.
  CHECK(a != nullptr);
  char* b = arena.Allocate(0);
  CHECK(b != nullptr);
  char* c = arena.Allocate(100);
  CHECK(c != nullptr);
  if (c != nullptr) std::memset(c, 1, 100);
  char* d = arena.Allocate(1 << 20);  // Large: its own allocation.
  CHECK(d != nullptr);
  if (d != nullptr) std::memset(d, 2, 1 << 20);
  tfnpy::FailAllocationsAfter(0);
  CHECK(arena.Allocate(1 << 20) == nullptr);
  tfnpy::FailAllocationsAfter(-1);
}

TEST(EmptyAndSilentSourcesAreErrors) {
  for (bool arena : {false, true}) {
    SCOPE(arena ? "arena" : "no arena");
    Arena a;
    Arena* pa = arena ? &a : nullptr;
    {
      FileLike empty("");
      NpyReader reader;
      CHECK_ERROR(reader.Open(&empty, Limits(), pa), Code::kTruncated, "");
    }
    for (uint64_t size : {uint64_t{0}, uint64_t{128}, uint64_t{1} << 40}) {
      SCOPE("silent, size " + std::to_string(size));
      Silent silent(size);
      NpyReader reader;
      CHECK_ERROR(reader.Open(&silent, Limits(), pa), Code::kTruncated, "");
    }
    tfnpy::MemorySource nothing(nullptr, 0);
    NpyReader reader;
    CHECK_ERROR(reader.Open(&nothing, Limits(), pa), Code::kTruncated, "");
  }
  // A file that goes silent: after its first read (Open proves the last
  // byte is there: the second read), or after Open.
  const std::string file = Npy(Dict("<f4", false, "(100, 100)"), FileData(kF4, {100, 100}, true, false));
  for (int after : {1, 2}) {
    SCOPE("silent after " + std::to_string(after) + " reads");
    FileLike cut(file);
    cut.shrink_after = after;
    cut.shrink_to = 0;
    NpyReader reader;
    const Status s = reader.Open(&cut, Limits());
    if (after == 1) {
      CHECK_ERROR(s, Code::kDataTruncated, "");
      continue;
    }
    Selection sel;
    if (!CHECK_OK(s) || !CHECK_OK(reader.Select(Region(), &sel))) continue;
    std::vector<unsigned char> out(sel.array.data_bytes);
    CHECK_ERROR(reader.ReadInto(sel, out.data(), out.size()), Code::kDataLoss, "");
  }
}

// Arrays with no element: any dtype, any width, nothing allocated for them
// (an empty U array may declare a width no buffer could hold).
TEST(EmptyArraysNeedNoMemory) {
  for (const std::string& descr : {std::string("<f4"), std::string("|S5"), std::string("<U500000000"),
                                   std::string("|S2000000000")}) {
    for (const std::string& shape : {std::string("(0,)"), std::string("(3, 0)"), std::string("(0, 4000000000)")}) {
      for (bool file_like : {false, true}) {
        SCOPE(descr + " " + shape + (file_like ? " file" : " memory"));
        const std::string file = Npy(Dict(descr, false, shape));
        tfnpy::FailAllocationsAfter(0);
        std::vector<unsigned char> out;
        const Status s = ReadFile(file, &out, file_like, false);
        const bool failed = tfnpy::AllocationFailed();
        tfnpy::FailAllocationsAfter(-1);
        CHECK_OK(s);
        CHECK(out.empty());
        CHECK(!failed);
      }
    }
  }
  // Empty strings, a string array of empty strings.
  std::vector<unsigned char> out;
  CHECK_OK(ReadFile(Npy(Dict("|S3", false, "(2,)"), std::string(6, '\0')), &out, false, false));
  CHECK(out == std::vector<unsigned char>({'|', '|'}));
}

TEST(EveryAllocationOfTheReaderFailsCleanly) {
  const std::string c = Npy(Dict("<f4", false, "(40, 30)"), FileData(kF4, {40, 30}, true, false));
  const std::string f = Npy(Dict("<f4", true, "(40, 30)"), FileData(kF4, {40, 30}, true, true));
  const std::string big = Npy(Dict("<f4", false, "(100, 100)"), FileData(kF4, {100, 100}, true, false));
  const std::string longer = Npy(Dict("<f4", false, "(3, 4)") + std::string(20000, ' '),
                                 FileData(kF4, {3, 4}, true, false));
  const std::string s = Npy(Dict("|S4", false, "(3,)"), "ab\0\0cdefg\0\0\0");
  const std::string u = Npy(Dict("<U3", false, "(2,)"), Ucs4("ab\0xyz"));
  Region rows;
  rows.rank = 2;
  rows.start[0] = 2;
  rows.stop[0] = 30;
  rows.start[1] = 3;
  rows.stop[1] = 5;  // Short runs with gaps: gathered.
  int most = 0;
  for (const std::string* file : {&c, &f, &big, &longer, &s, &u}) {
    for (bool file_like : {false, true}) {
      for (bool arena : {false, true}) {
        for (bool region : {false, true}) {
          SCOPE(std::string(file_like ? "file" : "memory") + (arena ? " arena" : "") + (region ? " region" : "") +
                ", file of " + std::to_string(file->size()) + " bytes");
          const Region r = region && (file == &c || file == &f || file == &big) ? rows : Region();
          const int n = EveryAllocationFails(
              [&](std::vector<unsigned char>* out) { return ReadFile(*file, out, file_like, arena, r); });
          most = n > most ? n : most;
        }
      }
    }
  }
  CHECK(most >= 2);  // Some reads allocate: the loop made failures.
}

TEST(EncodingZeroSizes) {
  tfnpy::EncodePlan plan;
  const int64_t dims[] = {0, 5};
  CHECK_OK(tfnpy::PlanEncode(tfnpy::FormatOf(DType::kFloat32), dims, 2, &plan));
  CHECK_EQ(plan.data_bytes, uint64_t{0});
  std::string out(plan.total_size, '\0');
  CHECK_OK(tfnpy::EncodeInto(plan, nullptr, 0, &out[0], out.size()));
  tfnpy::ElementFormat bytes;
  CHECK_OK(tfnpy::BytesFormat(tfnpy::StringWidth(nullptr, 0), &bytes));
  CHECK_OK(tfnpy::PlanEncode(bytes, dims, 2, &plan));
  out.assign(plan.total_size, '\0');
  CHECK_OK(tfnpy::EncodeStringsInto(plan, nullptr, 0, &out[0], out.size()));
  Header h;
  CHECK_OK(Parse(out, &h));
  CHECK_EQ(std::string(h.descr), std::string("|S1"));
}

}  // namespace tfnpy_test
