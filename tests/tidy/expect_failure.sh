#!/usr/bin/env bash
# Proves that the purity checker can fail: copies consensus/ to a scratch directory, appends
# `#include <thread>` to one copied .cc file, and passes only if the checker then exits 1 and
# names that file. A checker that always says "clean" would otherwise go unnoticed.
# Usage: expect_failure.sh <checker.sh> <path/to/consensus> <scratch dir (recreated)>
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 <checker.sh> <path/to/consensus> <scratch dir>" >&2
  exit 2
fi
checker="$1"
source_dir="$2"
scratch="$3"

rm -rf "$scratch"
mkdir -p "$scratch"
cp -R "$source_dir"/. "$scratch"/

victim="$(find "$scratch" -maxdepth 1 -type f -name '*.cc' | LC_ALL=C sort | head -n 1)"
if [[ -z "$victim" ]]; then
  echo "FAIL: no .cc file in $source_dir to inject into" >&2
  exit 1
fi
printf '\n#include <thread>\n' >>"$victim"
injected_line="$(wc -l <"$victim")"
echo "injected '#include <thread>' at $victim:$injected_line"

rc=0
output="$(bash "$checker" "$scratch" 2>&1)" || rc=$?
printf '%s\n' "$output"

if [[ $rc -ne 1 ]]; then
  echo "FAIL: checker exited $rc on an impure copy; expected 1" >&2
  exit 1
fi
if ! grep -qF "$victim:$injected_line: " <<<"$output"; then
  echo "FAIL: checker did not report $victim:$injected_line" >&2
  exit 1
fi
echo "PASS: checker rejects the injected include"
