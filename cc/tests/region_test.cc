// Unit tests: regions and their byte runs (cc/npy/region.h), read through
// NpyReader, against a naive reference: the whole array decoded, then the
// box picked out element by element.
#include <cmath>

#include "tests/harness.h"

namespace tfnpy_test {

using tfnpy::Region;
using tfnpy::RunIterator;
using tfnpy::Selection;

// The reference read of a region: per axis, the bounds as positions
// (negative ones from the end unless resolved, INT64_MAX the end), then the
// policy: clamp to the axis (Python's slices), or pad the requested box with
// `fill`. Element by element from the C-order decode `all` of the array.
// The output cap CheckRegion reads with: a padded box can ask for any size.
constexpr uint64_t kCap = 1 << 20;

struct Expected {
  bool refused = false;    // kError with a bound outside the axis.
  bool too_large = false;  // More than kCap bytes (or elements than int64 counts).
  std::vector<int64_t> dims;
  std::vector<unsigned char> bytes;
};

Expected Reference(const std::vector<unsigned char>& all, const std::vector<int64_t>& dims,
                   const Region& region, size_t item, const unsigned char* fill) {
  Expected out;
  const size_t n = dims.size();
  std::vector<int64_t> origin(n, 0);
  for (size_t k = 0; k < n; ++k) {
    const int64_t dim = dims[k];
    int64_t s = 0, e = dim;
    if (static_cast<int>(k) < region.rank) {
      s = region.start[k] < 0 && !region.resolved ? region.start[k] + dim : region.start[k];
      e = region.stop[k] == INT64_MAX ? dim
          : region.stop[k] < 0 && !region.resolved ? region.stop[k] + dim
                                                   : region.stop[k];
    }
    if (region.policy == tfnpy::OutOfBounds::kError && !(0 <= s && s <= e && e <= dim)) {
      out.refused = true;
      return out;
    }
    if (region.policy == tfnpy::OutOfBounds::kPad) {
      origin[k] = s;
      out.dims.push_back(e > s ? e - s : 0);
    } else {
      const int64_t hi = std::min(std::max<int64_t>(e, 0), dim);
      const int64_t lo = std::min(std::max<int64_t>(s, 0), hi);
      origin[k] = lo;
      out.dims.push_back(hi - lo);
    }
  }
  for (int64_t d : out.dims) {
    if (d == 0) return out;
  }
  uint64_t bytes = item;
  for (int64_t d : out.dims) {
    if (static_cast<uint64_t>(d) > kCap || bytes * static_cast<uint64_t>(d) > kCap) {
      out.too_large = true;
      return out;
    }
    bytes *= static_cast<uint64_t>(d);
  }
  std::vector<int64_t> idx(n, 0);
  while (true) {
    bool inside = true;
    uint64_t c = 0;
    for (size_t k = 0; k < n; ++k) {
      const int64_t at = origin[k] + idx[k];
      inside = inside && at >= 0 && at < dims[k];
      c = c * static_cast<uint64_t>(dims[k]) + static_cast<uint64_t>(inside ? at : 0);
    }
    for (size_t b = 0; b < item; ++b) {
      out.bytes.push_back(inside ? all[c * item + b] : fill == nullptr ? 0 : fill[b]);
    }
    size_t k = n;
    while (k-- > 0) {
      if (++idx[k] < out.dims[k]) break;
      idx[k] = 0;
    }
    if (k == static_cast<size_t>(-1)) return out;
  }
}

// Reads `region` of `file` two ways (in memory, as a file) and compares
// with the reference; with kPad, `fill` (an item's bytes) fills the rest.
void CheckRegion(const std::string& file, const DTypeCase& t, const std::vector<int64_t>& dims,
                 const Region& region, const unsigned char* fill = nullptr) {
  std::string what = std::string("region ") + tfnpy::OutOfBoundsName(region.policy);
  for (int k = 0; k < region.rank; ++k) {
    what += " [" + std::to_string(region.start[k]) + ", " + std::to_string(region.stop[k]) + ")";
  }
  SCOPE(what);
  Header h;
  std::vector<unsigned char> all;
  if (!CHECK_OK(Load(file, &h, &all))) return;
  const Expected want = Reference(all, dims, region, static_cast<size_t>(t.size), fill);
  Buf mem(file);
  tfnpy::MemorySource in_memory(mem.p.get(), mem.n);
  FileLike as_file(file);
  for (tfnpy::ByteSource* source : {static_cast<tfnpy::ByteSource*>(&in_memory),
                                    static_cast<tfnpy::ByteSource*>(&as_file)}) {
    SCOPE(source == &in_memory ? "memory" : "file");
    std::vector<unsigned char> got;
    Selection sel;
    Limits limits;
    limits.max_output_bytes = kCap;
    const Status s = ReadRegion(source, region, &got, &sel, limits, fill);
    if (want.refused) {
      CHECK_ERROR(s, Code::kBadArgument, "out_of_bounds='error' needs 0 <= start <= stop <=");
      continue;
    }
    if (want.too_large) {
      CHECK(s.code() == Code::kTooLarge || s.code() == Code::kSizeOverflow);
      continue;
    }
    if (!CHECK_OK(s)) continue;
    CHECK_EQ(sel.array.ndims, h.ndims);
    for (int k = 0; k < h.ndims; ++k) CHECK_EQ(sel.array.dims[k], want.dims[static_cast<size_t>(k)]);
    CHECK_EQ(got.size(), want.bytes.size());
    CHECK(got == want.bytes);
    // The runs of the part read: equal lengths, increasing, inside the data, adding up.
    const Selection inner = sel.padded ? tfnpy::InnerOf(sel) : sel;
    RunIterator runs(h, inner);
    uint64_t offset = 0, length = 0, total = 0, last_end = h.data_offset;
    while (runs.Next(&offset, &length)) {
      CHECK(offset >= last_end);
      CHECK_EQ(length, runs.run_bytes());
      CHECK(offset + length <= h.data_offset + h.data_bytes);
      last_end = offset + length;
      total += length;
    }
    CHECK_EQ(total, inner.array.data_bytes);
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

// Shapes, each with the regions to read from it.
using RegionCases = std::vector<std::pair<std::vector<int64_t>, std::vector<Region>>>;

// check(file, dtype, shape, region) for every dtype, byte order, memory
// order, shape and region of `cases`: the file holds FileData's values.
template <typename Check>
void ForEachRegionFile(const RegionCases& cases, Check check) {
  for (const DTypeCase& t : kDTypes) {
    for (const char* order : {"<", ">"}) {
      for (bool fortran : {false, true}) {
        for (const auto& c : cases) {
          const std::string descr = std::string(order) + t.kind + std::to_string(t.size);
          SCOPE(descr + (fortran ? " F " : " C ") + ShapeText(c.first));
          const std::string file = Npy(Dict(descr, fortran, ShapeText(c.first)),
                                       FileData(t, c.first, order[0] == '<', fortran));
          for (const Region& r : c.second) check(file, t, c.first, r);
        }
      }
    }
  }
}

TEST(RegionsMatchTheReference) {
  const RegionCases cases = {
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
  ForEachRegionFile(cases, [](const std::string& file, const DTypeCase& t, const std::vector<int64_t>& shape,
                              const Region& r) { CheckRegion(file, t, shape, r); });
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
    Region padded = Box({0, INT64_MIN}, {1, INT64_MAX});
    padded.policy = tfnpy::OutOfBounds::kPad;
    CHECK_ERROR(tfnpy::Select(h, padded, &sel), Code::kSizeOverflow, "on axis 1 is too large");
    padded = Box({0, 0, 0}, {1, 1, 1});
    padded.policy = tfnpy::OutOfBounds::kPad;
    CHECK_ERROR(tfnpy::Select(h, padded, &sel), Code::kBadArgument, "a region over 3 axes does not fit");
    Region wrong = Box({0, 0}, {1, 5});
    wrong.policy = tfnpy::OutOfBounds::kError;
    CHECK_ERROR(tfnpy::Select(h, wrong, &sel), Code::kBadArgument,
                "region [0, 5) on axis 1 is out of bounds for shape (3, 4); out_of_bounds='error' needs 0 <= "
                "start <= stop <= 4 on that axis");
    wrong = Box({-5}, {2});
    wrong.policy = tfnpy::OutOfBounds::kError;
    CHECK_ERROR(tfnpy::Select(h, wrong, &sel), Code::kBadArgument, "region [-5, 2) ([-2, 2) on this file)");
    CHECK_ERROR(tfnpy::Select(h, Box({0, 0, 0}, {1, 1, 1}), &sel), Code::kBadArgument,
                "a region over 3 axes does not fit an array of shape (3, 4)");
    // Fortran-order rows are read too now (they are gathered, not refused).
  }
}

Region WithPolicy(Region r, tfnpy::OutOfBounds policy) {
  r.policy = policy;
  return r;
}

TEST(NegativeBoundsAndPoliciesMatchTheReference) {
  // Python's negative indices, and DALI's policies outside the array: clamp,
  // error, and pad with a fill value (a box larger than the array, beside it,
  // or wholly outside it), C and Fortran order, every byte order.
  const RegionCases cases = {
      {{7}, {Box({-3}, {INT64_MAX}), Box({-10}, {-2}), Box({2}, {-1}), Box({-1}, {-3}), Box({5}, {12}),
             Box({-9}, {3}), Box({8}, {11}), Box({INT64_MIN}, {2}), Box({0}, {0})}},
      {{5, 3}, {Box({-2, -2}, {INT64_MAX, INT64_MAX}), Box({1, -4}, {6, 2}), Box({-7, 1}, {2, 5}),
                Box({3, 3}, {6, 5}), Box({-1}, {2})}},
      {{4, 3, 5}, {Box({-3, 0, -6}, {2, 4, 3}), Box({2, -1, 1}, {6, 3, 7}), Box({0, 0, 0}, {1, 1, 1})}},
      {{3, 0, 2}, {Box({-1, 0}, {4, 2}), Box({0, -1, 0}, {3, 1, 3})}},
  };
  const unsigned char fill[16] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                  0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xF0, 0x0F};
  ForEachRegionFile(cases, [&](const std::string& file, const DTypeCase& t, const std::vector<int64_t>& shape,
                               const Region& r) {
    for (auto policy : {tfnpy::OutOfBounds::kClamp, tfnpy::OutOfBounds::kError, tfnpy::OutOfBounds::kPad}) {
      CheckRegion(file, t, shape, WithPolicy(r, policy), fill);
    }
    CheckRegion(file, t, shape, WithPolicy(r, tfnpy::OutOfBounds::kPad));  // Zeros.
  });
}

TEST(RelativeBoundsRoundToTheNearestIndex) {
  // DALI's rel_roi_start / rel_roi_end: fraction * dim, half away from zero,
  // as positions (a negative one lies before the array: padded, not wrapped).
  const DTypeCase& i2 = kDTypes[2];
  const std::string file = Npy(Dict("<i2", false, "(10, 7)"), FileData(i2, {10, 7}, true, false));
  Header h;
  if (!CHECK_OK(Parse(file, &h))) return;
  const double lo[2] = {0.25, 0.5}, hi[2] = {0.75, 1.0};
  Region r;
  if (CHECK_OK(tfnpy::ResolveRelative(h, 2, lo, hi, &r))) {
    CHECK(r.resolved);
    CHECK_EQ(r.rank, 2);
    CHECK_EQ(r.start[0], 3);  // 2.5 -> 3
    CHECK_EQ(r.stop[0], 8);   // 7.5 -> 8
    CHECK_EQ(r.start[1], 4);  // 3.5 -> 4
    CHECK_EQ(r.stop[1], 7);
    CheckRegion(file, i2, {10, 7}, r);
  }
  const double before[1] = {-0.2}, after[1] = {0.3};
  if (CHECK_OK(tfnpy::ResolveRelative(h, 1, before, after, &r))) {
    CHECK_EQ(r.start[0], -2);
    CHECK_EQ(r.stop[0], 3);
    for (auto policy : {tfnpy::OutOfBounds::kClamp, tfnpy::OutOfBounds::kError, tfnpy::OutOfBounds::kPad}) {
      CheckRegion(file, i2, {10, 7}, WithPolicy(r, policy));
    }
  }
  const double nan[1] = {std::nan("")}, huge[1] = {1e300};
  CHECK_ERROR(tfnpy::ResolveRelative(h, 1, nan, after, &r), Code::kBadArgument, "is not a position in the array");
  CHECK_ERROR(tfnpy::ResolveRelative(h, 1, before, huge, &r), Code::kBadArgument, "relative stop");
  CHECK_ERROR(tfnpy::ResolveRelative(h, 3, lo, hi, &r), Code::kBadArgument, "a region over 3 axes");
}

TEST(ExtentsForStaticShapes) {
  using tfnpy::OutOfBounds;
  using tfnpy::RegionExtent;
  // Known dims: what Select gives.
  CHECK_EQ(RegionExtent(OutOfBounds::kClamp, false, -3, INT64_MAX, 10), 3);
  CHECK_EQ(RegionExtent(OutOfBounds::kClamp, false, 4, 40, 10), 6);
  CHECK_EQ(RegionExtent(OutOfBounds::kPad, false, 4, 40, 10), 36);
  CHECK_EQ(RegionExtent(OutOfBounds::kPad, false, -12, 3, 10), 5);  // [-2, 3)
  CHECK_EQ(RegionExtent(OutOfBounds::kError, false, 4, 40, 10), -1);
  CHECK_EQ(RegionExtent(OutOfBounds::kError, false, 4, 7, 10), 3);
  // Unknown dims: only what does not move with the dim.
  CHECK_EQ(RegionExtent(OutOfBounds::kPad, false, 4, 40, -1), 36);
  CHECK_EQ(RegionExtent(OutOfBounds::kPad, false, -8, -2, -1), 6);
  CHECK_EQ(RegionExtent(OutOfBounds::kPad, false, -8, 2, -1), -1);
  CHECK_EQ(RegionExtent(OutOfBounds::kClamp, false, 4, 40, -1), -1);
  CHECK_EQ(RegionExtent(OutOfBounds::kClamp, false, 5, 5, -1), 0);
  CHECK_EQ(RegionExtent(OutOfBounds::kPad, false, 0, INT64_MAX, -1), -1);
  CHECK_EQ(RegionExtent(OutOfBounds::kPad, false, INT64_MIN, 0, -1), -1);  // Too large.
}

TEST(PaddedIndicesAndLayout) {
  // A (2, 3) part read into a (4, 5) box at (1, 2): element k of the part
  // goes to row 1 + k / 3, column 2 + k % 3.
  Header h;
  if (!CHECK_OK(Parse(Npy(Dict("|u1", false, "(2, 3)"), "abcdef"), &h))) return;
  Region r = Box({-1, -2}, {3, 3});
  r.resolved = true;
  r.policy = tfnpy::OutOfBounds::kPad;
  Selection sel;
  if (!CHECK_OK(tfnpy::Select(h, r, &sel))) return;
  CHECK(sel.padded);
  CHECK(sel.whole);  // The whole array is read (then padded).
  CHECK_EQ(sel.array.dims[0], 4);
  CHECK_EQ(sel.array.dims[1], 5);
  for (uint64_t k = 0; k < 6; ++k) CHECK_EQ(tfnpy::PaddedIndex(sel, k), (1 + k / 3) * 5 + 2 + k % 3);
  std::string out(20, '?');
  const char dot = '.';
  tfnpy::PadInto(sel, "abcdef", 1, &dot, &out[0]);
  CHECK(out == ".......abc..def.....");  // Rows of 5: ".....", "..abc", "..def", ".....".
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
