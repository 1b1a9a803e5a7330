#!/usr/bin/env bash
# verify_systemd_unit.sh UNIT SAFEKEEPER_BIN: `systemd-analyze verify` of deploy/systemd's unit,
# its ExecStart pointed at the built daemon; any complaint (an unknown key, a bad value) fails.
# Exit 77 (skipped) where systemd-analyze is not installed.
set -euo pipefail
unit="$1"
binary="$2"
if ! command -v systemd-analyze >/dev/null; then
  echo "skipped: no systemd-analyze (apt-get install systemd)"
  exit 77
fi
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
sed "s|/usr/local/bin/safekeeper|$binary|" "$unit" >"$scratch/safekeeper.service"
output="$(systemd-analyze verify "$scratch/safekeeper.service" 2>&1)" || {
  echo "$output"
  exit 1
}
if [[ -n "$output" ]]; then
  echo "$output"
  exit 1
fi
echo "verified: $unit"
