#!/usr/bin/env bash
# run_target.sh PROGRAM CORPUS [libFuzzer flags...]: runs a fuzz target over its seed corpus
# (read only: new inputs go to a scratch directory, removed afterwards). Exit 77 (a skipped
# ctest) when the target was not built: there is no clang here, or no SK_FUZZ_BUILD_DIR.
set -euo pipefail
program="$1"
corpus="$2"
shift 2
if [[ ! -x "$program" ]]; then
  echo "skipped: $program was not built (tests/run.sh builds the fuzz targets with clang in build-fuzz/)"
  exit 77
fi
program="$(realpath "$program")"
corpus="$(realpath "$corpus")"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# A crash writes crash-<sha1> to the current directory: the scratch one, so say where it is.
cd "$scratch"
"$program" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$@" "$scratch" "$corpus" || {
  rc=$?
  for crash in "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-*; do
    [[ -f "$crash" ]] && { echo "input that failed (base64):"; base64 -w0 "$crash"; echo; }
  done
  exit "$rc"
}
