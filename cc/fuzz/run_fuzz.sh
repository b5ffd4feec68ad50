#!/usr/bin/env bash
# Builds the libFuzzer targets with ASan+UBSan, replays the corpus, then
# fuzzes each target for SECONDS (default 60). Needs clang with its fuzzer
# runtime (Debian: apt-get install clang). Work files go to ${WORK:-/tmp}.
#   bash cc/fuzz/run_fuzz.sh [SECONDS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cc="$(cd "$here/.." && pwd)"
seconds="${1:-60}"
work="${WORK:-/tmp}/tfnpy-fuzz"
cxx="${CLANGXX:-$(command -v clang++ || true)}"
if [ -z "$cxx" ]; then
  echo "clang++ not found: install clang (Debian: apt-get install -y clang)" >&2
  exit 2
fi
mkdir -p "$work"
for target in fuzz_header fuzz_decode; do
  "$cxx" -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -I"$cc" "$cc/npy/npy_format.cc" "$cc/npy/npy_convert.cc" "$here/$target.cc" \
    -o "$work/$target"
  mkdir -p "$work/corpus_$target"
  echo "== $target: replaying the seed corpus, then fuzzing for ${seconds}s"
  "$work/$target" -runs=0 "$here/corpus"
  "$work/$target" -dict="$here/npy.dict" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$work/crash_${target}_" "$work/corpus_$target" "$here/corpus"
done
