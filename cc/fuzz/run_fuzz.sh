#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan), replays the seed corpus
# through each, then fuzzes each for SECONDS (default 60). Exits non-zero if
# any input crashes, leaks, trips a sanitizer or times out; the input is left
# in $WORK/crash_* (copy it to cc/fuzz/corpus/regress_<what>.npy).
#
#   bash cc/fuzz/run_fuzz.sh [SECONDS]
#
# Environment: WORK (default /tmp; files go to $WORK/tfnpy-fuzz: binaries, grown corpora,
# crashes; never the source tree), CLANGXX (default clang++), CMAKE (default cmake),
# FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=2 -workers=2"), TARGETS (default all five).
# fuzz_npz (the .npz archive path) needs zlib's headers (Debian: zlib1g-dev); without them it is
# skipped with a message. Its seeds are corpus_npz/ (cc/fuzz/make_npz_corpus.py), the others' corpus/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cc="$(cd "$here/.." && pwd)"
seconds="${1:-60}"
work="${WORK:-/tmp}/tfnpy-fuzz"
targets="${TARGETS:-fuzz_header fuzz_decode fuzz_reader fuzz_encode fuzz_npz}"
cxx="${CLANGXX:-$(command -v clang++ || true)}"
if [ -z "$cxx" ] || ! command -v "$cxx" >/dev/null 2>&1; then
  echo "clang++ not found: libFuzzer needs clang." >&2
  echo "  Debian/Ubuntu: apt-get update && apt-get install -y clang" >&2
  echo "  (if -fsanitize=fuzzer then fails to link: apt-get install -y libclang-rt-14-dev)" >&2
  exit 2
fi
mkdir -p "$work"
# The core's source list lives once, in cc/npy/CMakeLists.txt.
cmake="${CMAKE:-cmake}"
# A fresh build folder: one left by another checkout would point CMake at its sources.
rm -rf "$work/build"
if ! "$cmake" -S "$cc" -B "$work/build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTFNPY_FUZZ=ON >"$work/cmake.log" 2>&1; then
  tail -n 30 "$work/cmake.log" >&2
  exit 2
fi
if ! grep -q "^TFNPY_HAVE_ZLIB:INTERNAL=\(1\|TRUE\|ON\)" "$work/build/CMakeCache.txt" && [[ " $targets " == *" fuzz_npz "* ]]; then
  echo "== fuzz_npz: SKIPPED: zlib's headers not found (Debian/Ubuntu: apt-get install -y zlib1g-dev)"
  targets="$(echo " $targets " | sed 's/ fuzz_npz / /' | xargs)"
fi
if ! "$cmake" --build "$work/build" --target $targets -j 2 >>"$work/cmake.log" 2>&1; then
  tail -n 30 "$work/cmake.log" >&2
  echo "building the fuzz targets failed; if the fuzzer runtime is missing:" >&2
  echo "  apt-get install -y libclang-rt-14-dev (or the one matching $("$cxx" --version | head -n1))" >&2
  exit 2
fi
for target in $targets; do cp "$work/build/fuzz/$target" "$work/$target"; done
# libFuzzer writes crash files and -jobs logs to the current directory.
cd "$work"
status=0
for target in $targets; do
  mkdir -p "$work/corpus_$target"
  seeds="$here/corpus"
  dict="$here/npy.dict"
  if [ "$target" = fuzz_npz ]; then seeds="$here/corpus_npz"; dict="$here/npz.dict"; fi
  echo "== $target: replaying $(ls "$seeds" | wc -l) seed inputs"
  if ! "$work/$target" -runs=0 -artifact_prefix="$work/crash_${target}_" "$seeds" \
      >"$work/$target.replay.log" 2>&1; then
    tail -n 40 "$work/$target.replay.log"
    echo "== $target: FAILED on a seed input (log: $work/$target.replay.log)"
    status=1
    continue
  fi
  echo "== $target: fuzzing for ${seconds}s"
  # The first corpus directory receives new inputs; the seeds stay read-only.
  # shellcheck disable=SC2086
  if ! "$work/$target" -dict="$dict" -max_total_time="$seconds" -max_len=12288 \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$work/crash_${target}_" ${FUZZ_ARGS:-} \
      "$work/corpus_$target" "$seeds" >"$work/$target.log" 2>&1; then
    tail -n 60 "$work/$target.log"
    echo "== $target: FAILED; reproducer: $(ls -t "$work"/crash_"${target}"_* 2>/dev/null | head -n1)"
    status=1
    continue
  fi
  grep -E "^(Done|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)" \
    "$work/$target.log" || true
  echo "== $target: ok ($(grep -o 'cov: [0-9]*' "$work/$target.log" | tail -n1))"
done
exit "$status"
