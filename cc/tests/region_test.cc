// Unit tests: regions and their byte runs (cc/npy/region.h), read through
// NpyReader, against a naive reference: the whole array decoded, then the
// box picked out element by element.
#include "tests/harness.h"

namespace tfnpy_test {

using tfnpy::Region;
using tfnpy::RunIterator;
using tfnpy::Selection;

// The C-order elements of box [lo, hi) of the C-order array `all`.
std::vector<unsigned char> PickBox(const std::vector<unsigned char>& all,
                                   const std::vector<int64_t>& dims,
                                   const std::vector<int64_t>& lo,
                                   const std::vector<int64_t>& hi, size_t item) {
  std::vector<unsigned char> out;
  const size_t n = dims.size();
  for (size_t k = 0; k < n; ++k) {
    if (lo[k] >= hi[k]) return out;
  }
  std::vector<int64_t> idx(lo);
  while (true) {
    uint64_t c = 0;
    for (size_t k = 0; k < n; ++k) c = c * static_cast<uint64_t>(dims[k]) + static_cast<uint64_t>(idx[k]);
    out.insert(out.end(), all.begin() + static_cast<std::ptrdiff_t>(c * item),
               all.begin() + static_cast<std::ptrdiff_t>((c + 1) * item));
    size_t k = n;
    while (k-- > 0) {
      if (++idx[k] < hi[k]) break;
      idx[k] = lo[k];
    }
    if (k == static_cast<size_t>(-1)) return out;
  }
}

// Reads `region` of `file` three ways (in memory, as a file, as a file
// returning small reads is not allowed: that is truncation) and compares
// with the reference.
void CheckRegion(const std::string& file, const DTypeCase& t, const std::vector<int64_t>& dims,
                 const Region& region) {
  std::string what = "region";
  for (int k = 0; k < region.rank; ++k) {
    what += " [" + std::to_string(region.start[k]) + ", " + std::to_string(region.stop[k]) + ")";
  }
  SCOPE(what);
  Header h;
  std::vector<unsigned char> all;
  if (!CHECK_OK(Load(file, &h, &all))) return;
  std::vector<int64_t> lo(dims.size()), hi(dims.size());
  for (size_t k = 0; k < dims.size(); ++k) {
    lo[k] = 0;
    hi[k] = dims[k];
    if (static_cast<int>(k) < region.rank) {
      hi[k] = std::min(region.stop[k], dims[k]);
      lo[k] = std::min(region.start[k], hi[k]);
    }
  }
  const std::vector<unsigned char> want = PickBox(all, dims, lo, hi, static_cast<size_t>(t.size));
  Buf mem(file);
  tfnpy::MemorySource in_memory(mem.p.get(), mem.n);
  FileLike as_file(file);
  for (tfnpy::ByteSource* source : {static_cast<tfnpy::ByteSource*>(&in_memory),
                                    static_cast<tfnpy::ByteSource*>(&as_file)}) {
    SCOPE(source == &in_memory ? "memory" : "file");
    std::vector<unsigned char> got;
    Selection sel;
    if (!CHECK_OK(ReadRegion(source, region, &got, &sel))) continue;
    CHECK_EQ(sel.array.ndims, h.ndims);
    for (int k = 0; k < h.ndims; ++k) {
      CHECK_EQ(sel.array.dims[k], hi[static_cast<size_t>(k)] - lo[static_cast<size_t>(k)]);
    }
    CHECK_EQ(got.size(), want.size());
    CHECK(got == want);
    // The runs: equal lengths, increasing, inside the data, adding up.
    RunIterator runs(h, sel);
    uint64_t offset = 0, length = 0, total = 0, last_end = h.data_offset;
    while (runs.Next(&offset, &length)) {
      CHECK(offset >= last_end);
      CHECK_EQ(length, runs.run_bytes());
      CHECK(offset + length <= h.data_offset + h.data_bytes);
      last_end = offset + length;
      total += length;
    }
    CHECK_EQ(total, sel.array.data_bytes);
  }
}

Region Box(std::vector<int64_t> start, std::vector<int64_t> stop) {
  Region r;
  r.rank = static_cast<int>(start.size());
  for (size_t k = 0; k < start.size(); ++k) {
    r.start[k] = start[k];
    r.stop[k] = stop[k];
  }
  return r;
}

TEST(RegionsMatchTheReference) {
  const std::vector<std::pair<std::vector<int64_t>, std::vector<Region>>> cases = {
      {{7}, {Box({}, {}), Box({2}, {5}), Box({0}, {INT64_MAX}), Box({6}, {100}), Box({4}, {2}),
             Box({9}, {12})}},
      {{5, 3}, {Box({1}, {3}), Box({1, 1}, {4, 2}), Box({0, 2}, {5, 3}), Box({3, 0}, {3, 3}),
                Box({0, 0}, {INT64_MAX, INT64_MAX}), Box({4, 1}, {9, 9})}},
      {{4, 3, 5}, {Box({1, 0, 1}, {3, 3, 4}), Box({0, 1}, {4, 2}), Box({2, 2, 2}, {3, 3, 3}),
                   Box({0, 0, 0}, {4, 3, 5}), Box({1, 1, 0}, {2, 2, 5})}},
      {{2, 3, 4, 5}, {Box({1, 1, 1, 1}, {2, 3, 3, 4}), Box({0, 0, 2}, {2, 3, 3})}},
      {{3, 0, 2}, {Box({1}, {2}), Box({0, 0, 0}, {3, 0, 2})}},
      {{1, 6}, {Box({0, 2}, {1, 5}), Box({0}, {1})}},
      {{6, 1}, {Box({2, 0}, {5, 1})}},
  };
  for (const DTypeCase& t : kDTypes) {
    for (const char* order : {"<", ">"}) {
      for (bool fortran : {false, true}) {
        for (const auto& c : cases) {
          const std::string descr = std::string(order) + t.kind + std::to_string(t.size);
          SCOPE(descr + (fortran ? " F " : " C ") + ShapeText(c.first));
          const std::string file = Npy(Dict(descr, fortran, ShapeText(c.first)),
                                       FileData(t, c.first, order[0] == '<', fortran));
          for (const Region& r : c.second) CheckRegion(file, t, c.first, r);
        }
      }
    }
  }
}

TEST(RowRanges) {
  // Python slice semantics on axis 0, C and Fortran order alike.
  const DTypeCase& i4 = kDTypes[3];
  const DTypeCase& c16 = kDTypes[13];
  const DTypeCase& u2 = kDTypes[6];
  const std::vector<std::pair<int64_t, int64_t>> bounds = {
      {0, 5}, {1, 3}, {4, 5}, {3, 100}, {0, INT64_MAX}, {2, 2}, {4, 2}, {7, 9}, {INT64_MAX, INT64_MAX}};
  for (bool fortran : {false, true}) {
    for (const char* order : {"<", ">"}) {
      SCOPE(std::string(order) + (fortran ? " F" : " C"));
      const std::string file = Npy(Dict(std::string(order) + "i4", fortran, "(5, 3)"),
                                   FileData(i4, {5, 3}, order[0] == '<', fortran));
      for (const auto& b : bounds) CheckRegion(file, i4, {5, 3}, Region::Rows(b.first, b.second));
    }
    // 1-D, 3-D, zero-size rows and zero rows.
    CheckRegion(Npy(Dict(">c16", fortran, "(6,)"), FileData(c16, {6}, false, fortran)), c16, {6}, Region::Rows(2, 5));
    CheckRegion(Npy(Dict(">c16", fortran, "(4, 2, 3)"), FileData(c16, {4, 2, 3}, false, fortran)), c16, {4, 2, 3},
                Region::Rows(1, 3));
    CheckRegion(Npy(Dict("<c16", fortran, "(4, 0)"), ""), c16, {4, 0}, Region::Rows(1, 3));
    CheckRegion(Npy(Dict("<c16", fortran, "(0, 4)"), ""), c16, {0, 4}, Region::Rows(1, 3));
    CheckRegion(Npy(Dict(">u2", fortran, "(6, 1, 1)"), FileData(u2, {6, 1, 1}, false, fortran)), u2, {6, 1, 1},
                Region::Rows(5, 9));
    CheckRegion(Npy(Dict(">u2", fortran, "(1, 6)"), FileData(u2, {1, 6}, false, fortran)), u2, {1, 6},
                Region::Rows(0, 1));
  }
}

TEST(RunsOfCAndFortranOrder) {
  // (4, 6) int32, rows 1..3 and columns 2..5: in C order 2 runs of 3
  // elements 24 bytes apart; in Fortran order 3 runs of 2 elements (the
  // columns), 16 bytes apart.
  const DTypeCase& i4 = kDTypes[3];
  for (bool fortran : {false, true}) {
    SCOPE(fortran ? "F" : "C");
    const std::string file = Npy(Dict("<i4", fortran, "(4, 6)"), FileData(i4, {4, 6}, true, fortran));
    Header h;
    if (!CHECK_OK(Parse(file, &h))) continue;
    Selection sel;
    if (!CHECK_OK(tfnpy::Select(h, Box({1, 2}, {3, 5}), &sel))) continue;
    CHECK(!sel.whole);
    RunIterator runs(h, sel);
    std::vector<uint64_t> offsets;
    uint64_t o = 0, n = 0;
    while (runs.Next(&o, &n)) offsets.push_back(o - h.data_offset);
    if (!fortran) {
      CHECK_EQ(runs.run_bytes(), 12u);
      CHECK(offsets == (std::vector<uint64_t>{(6 + 2) * 4, (12 + 2) * 4}));
    } else {
      CHECK_EQ(runs.run_bytes(), 8u);
      CHECK(offsets == (std::vector<uint64_t>{(2 * 4 + 1) * 4, (3 * 4 + 1) * 4, (4 * 4 + 1) * 4}));
    }
  }
  // Whole trailing axes make one run per leading index; the whole array one run.
  const std::string file = Npy(Dict("<i4", false, "(4, 6)"), FileData(i4, {4, 6}, true, false));
  Header h;
  Selection sel;
  if (CHECK_OK(Parse(file, &h)) && CHECK_OK(tfnpy::Select(h, Box({1}, {3}), &sel))) {
    RunIterator runs(h, sel);
    uint64_t o = 0, n = 0;
    CHECK(runs.Next(&o, &n));
    CHECK_EQ(o, h.data_offset + 24);
    CHECK_EQ(n, 48u);
    CHECK(!runs.Next(&o, &n));
  }
  if (CHECK_OK(tfnpy::Select(h, Region(), &sel))) {
    CHECK(sel.whole);
    RunIterator runs(h, sel);
    uint64_t o = 0, n = 0;
    CHECK(runs.Next(&o, &n));
    CHECK_EQ(n, h.data_bytes);
    CHECK(!runs.Next(&o, &n));
  }
}

TEST(RegionArgumentsRefused) {
  Header h;
  Selection sel;
  if (CHECK_OK(Parse(Npy(Dict("<f8", false, "()"), std::string(8, '\0')), &h))) {
    CHECK_ERROR(tfnpy::Select(h, Region::Rows(0, 1), &sel), Code::kBadArgument,
                "a region over 1 axes does not fit an array of shape () (0 axes)");
    CHECK_OK(tfnpy::Select(h, Region(), &sel));
    CHECK_EQ(sel.array.data_bytes, 8u);
  }
  if (CHECK_OK(Parse(Npy(Dict("<f8", false, "(3, 4)"), std::string(96, '\0')), &h))) {
    CHECK_ERROR(tfnpy::Select(h, Region::Rows(-1, 1), &sel), Code::kBadArgument,
                "region [-1, 1) on axis 0 has a negative bound");
    CHECK_ERROR(tfnpy::Select(h, Box({0, 0}, {1, -2}), &sel), Code::kBadArgument,
                "on axis 1 has a negative bound");
    CHECK_ERROR(tfnpy::Select(h, Box({0, 0, 0}, {1, 1, 1}), &sel), Code::kBadArgument,
                "a region over 3 axes does not fit an array of shape (3, 4)");
    // Fortran-order rows are read too now (they are gathered, not refused).
  }
}

TEST(SelectionSizeIsCappedNotTheFile) {
  // A row range of a file larger than max_output_bytes is fine; the
  // selection itself is what the cap limits.
  const DTypeCase& f8 = kDTypes[11];
  const std::string file = Npy(Dict("<f8", false, "(8, 4)"), FileData(f8, {8, 4}, true, false));
  Buf mem(file);
  tfnpy::MemorySource source(mem.p.get(), mem.n);
  Limits limits;
  limits.max_output_bytes = 64;
  std::vector<unsigned char> out;
  Selection sel;
  CHECK_OK(ReadRegion(&source, Region::Rows(2, 4), &out, &sel, limits));
  CHECK_ERROR(ReadRegion(&source, Region::Rows(2, 5), &out, &sel, limits), Code::kTooLarge,
              "array (3, 4) of <f8 (float64) is 96 bytes, which exceeds max_output_bytes 64");
  CHECK_ERROR(ReadRegion(&source, Region(), &out, &sel, limits), Code::kTooLarge,
              "exceeds max_output_bytes 64");
}

}  // namespace tfnpy_test
