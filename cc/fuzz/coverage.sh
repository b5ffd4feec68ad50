#!/usr/bin/env bash
# Line coverage of the core (cc/npy/*.cc) by the fuzz targets replaying the
# seed corpus (plus any corpus directories given, e.g. a fuzzer's grown
# corpus), and by the C++ unit tests (cc/tests/npy_format_test.cc). Needs
# clang, llvm-profdata and llvm-cov (Debian: apt-get install -y clang llvm).
# Work files go to $WORK/tfnpy-cov (default /tmp).
#
#   bash cc/fuzz/coverage.sh [CORPUS_DIR...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cc="$(cd "$here/.." && pwd)"
work="${WORK:-/tmp}/tfnpy-cov"
cxx="${CLANGXX:-clang++}"
profdata="${LLVM_PROFDATA:-llvm-profdata}"
cov="${LLVM_COV:-llvm-cov}"
for tool in "$cxx" "$profdata" "$cov"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool not found (Debian: apt-get install -y clang llvm)" >&2; exit 2; }
done
rm -rf "$work" && mkdir -p "$work" && cd "$work"
sources=("$cc/npy/npy_format.cc" "$cc/npy/npy_convert.cc")
# Same instrumentation everywhere, so the profiles of all three merge cleanly.
flags=(-std=c++17 -O0 -g -fprofile-instr-generate -fcoverage-mapping -fsanitize=fuzzer-no-link -I"$cc")
summary() {  # the TOTAL line of llvm-cov report, compactly
  awk '$1 == "TOTAL" { printf "  lines %s (%d of %d missed), regions %s, functions %s\n", $10, $9, $8, $4, $7 }'
}
report() {  # name binary profraw...
  local name="$1" bin="$2"
  shift 2
  # The name may hold corpus paths: the profile is named after the binary.
  "$profdata" merge -sparse "$@" -o "$bin.profdata"
  echo "== $name"
  "$cov" report "$bin" -instr-profile="$bin.profdata" "${sources[@]}" | summary
}
for target in fuzz_header fuzz_decode; do
  "$cxx" "${flags[@]}" -fsanitize=fuzzer "${sources[@]}" "$here/$target.cc" -o "$target"
  LLVM_PROFILE_FILE="$work/$target.profraw" ./"$target" -runs=0 "$here/corpus" "$@" >"$target.log" 2>&1
  report "$target (seed corpus${1:+ + $*})" "$target" "$target.profraw"
done
"$profdata" merge -sparse fuzz_header.profraw fuzz_decode.profraw -o fuzz.profdata
echo "== both fuzz targets"
"$cov" report fuzz_header -object fuzz_decode -instr-profile=fuzz.profdata "${sources[@]}" | summary
"$cxx" "${flags[@]}" "${sources[@]}" "$cc/tests/npy_format_test.cc" -o unit_tests
LLVM_PROFILE_FILE="$work/unit.profraw" ./unit_tests >unit.log 2>&1
report "unit tests ($(tail -n1 unit.log))" unit_tests unit.profraw
"$profdata" merge -sparse fuzz_header.profraw fuzz_decode.profraw unit.profraw -o all.profdata
echo "== fuzz corpus + unit tests"
"$cov" report fuzz_header -object fuzz_decode -object unit_tests -instr-profile=all.profdata "${sources[@]}" 2>&1 | grep -v "mismatched data" | summary
echo "== per file"
"$cov" report fuzz_header -object fuzz_decode -object unit_tests -instr-profile=all.profdata "${sources[@]}" 2>&1 |
  awk '$1 ~ /\.cc$/ { printf "  %s: lines %s\n", $1, $10 }'
"$cov" show fuzz_header -object fuzz_decode -object unit_tests -instr-profile=all.profdata \
  -format=text -show-line-counts-or-regions "${sources[@]}" >uncovered.txt 2>/dev/null
echo "line-by-line listing: $work/uncovered.txt (lines with count 0 are marked '0|')"
