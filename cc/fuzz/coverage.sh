#!/usr/bin/env bash
# Line coverage of the core (cc/npy/*.cc) by the fuzz targets replaying the
# seed corpus (plus any corpus directories given, e.g. a fuzzer's grown
# corpus), and by the C++ unit tests (cc/tests/). Needs clang, llvm-profdata
# and llvm-cov (Debian: apt-get install -y clang llvm) and cmake. Work files
# go to $WORK/tfnpy-cov (default /tmp).
#
#   bash cc/fuzz/coverage.sh [CORPUS_DIR...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cc="$(cd "$here/.." && pwd)"
work="${WORK:-/tmp}/tfnpy-cov"
cxx="${CLANGXX:-clang++}"
cmake="${CMAKE:-cmake}"
profdata="${LLVM_PROFDATA:-llvm-profdata}"
cov="${LLVM_COV:-llvm-cov}"
for tool in "$cxx" "$profdata" "$cov" "$cmake"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool not found (Debian: apt-get install -y clang llvm)" >&2; exit 2; }
done
rm -rf "$work" && mkdir -p "$work" && cd "$work"
# One instrumented build of the core, its unit tests and the fuzz targets.
"$cmake" -S "$cc" -B build -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Debug -DTFNPY_FUZZ=ON \
  -DTFNPY_COVERAGE=ON >build.log 2>&1
"$cmake" --build build -j 2 >>build.log 2>&1
targets=(fuzz_header fuzz_decode fuzz_reader)
sources=("$cc"/npy/*.cc)
objects=(build/tests/npy_core_test)
for target in "${targets[@]}"; do objects+=(-object "build/fuzz/$target"); done
summary() {  # the TOTAL line of llvm-cov report, compactly
  awk '$1 == "TOTAL" { printf "  lines %s (%d of %d missed), regions %s, functions %s\n", $10, $9, $8, $4, $7 }'
}
profiles=()
for target in "${targets[@]}"; do
  LLVM_PROFILE_FILE="$work/$target.profraw" "build/fuzz/$target" -runs=0 "$here/corpus" "$@" >"$target.log" 2>&1
  "$profdata" merge -sparse "$target.profraw" -o "$target.profdata"
  echo "== $target (seed corpus${1:+ + $*})"
  "$cov" report "build/fuzz/$target" -instr-profile="$target.profdata" "${sources[@]}" | summary
  profiles+=("$target.profraw")
done
LLVM_PROFILE_FILE="$work/unit.profraw" build/tests/npy_core_test >unit.log 2>&1
"$profdata" merge -sparse unit.profraw -o unit.profdata
echo "== unit tests ($(tail -n1 unit.log))"
"$cov" report build/tests/npy_core_test -instr-profile=unit.profdata "${sources[@]}" | summary
"$profdata" merge -sparse "${profiles[@]}" unit.profraw -o all.profdata
echo "== fuzz corpus + unit tests"
"$cov" report "${objects[@]}" -instr-profile=all.profdata "${sources[@]}" 2>&1 | grep -v "mismatched data" | summary
echo "== per file"
"$cov" report "${objects[@]}" -instr-profile=all.profdata "${sources[@]}" 2>&1 |
  awk '$1 ~ /\.cc$/ { printf "  %s: lines %s\n", $1, $10 }'
"$cov" show "${objects[@]}" -instr-profile=all.profdata -format=text -show-line-counts-or-regions \
  "${sources[@]}" >uncovered.txt 2>/dev/null
echo "line-by-line listing: $work/uncovered.txt (lines with count 0 are marked '0|')"
