#!/usr/bin/env bash
# The one command that builds the project and runs the whole test suite, locally and in CI.
# On Debian 12 it first installs whatever build or test dependency is missing (a warm machine
# never touches apt), then configures build/ (RelWithDebInfo, tests and benchmarks on), builds
# and runs ctest. Extra arguments go to ctest:  tests/run.sh -L unit   tests/run.sh -R Acceptor
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$repo_root/build"
jobs="$(nproc)"

# Packages. Boost is 1.81 (Debian 12's newest): Boost.JSON and Boost.URL need 1.75 and later.
packages=(
  build-essential cmake ccache pkg-config
  libprotobuf-dev protobuf-compiler liblmdb-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libpq-dev postgresql-15 clang-format libssl-dev openssl clang libclang-rt-14-dev
  libtcmalloc-minimal4 xfsprogs libboost1.81-dev libboost-program-options1.81-dev
  prometheus jq python3-yaml python3-kubernetes
)

log() { printf '==> %s\n' "$*"; }
fail() {
  log "FAILED: $*"
  exit 1
}

is_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

install_missing_packages() {
  if ! command -v dpkg-query >/dev/null; then
    log "not a Debian system (no dpkg-query): skipping package installation"
    return
  fi

  local missing=() pkg
  for pkg in "${packages[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "all packages present"
    return
  fi
  log "missing: ${missing[*]}"

  local sudo=()
  if [[ $EUID -ne 0 ]]; then
    if ! command -v sudo >/dev/null; then
      fail "not root and no sudo: install ${missing[*]} as root"
    fi
    sudo=(sudo)
  fi

  log "apt-get update"
  "${sudo[@]}" apt-get update || fail "apt-get update"
  log "installing: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}" || fail "apt-get install"
}

fuzz_build_dir="$repo_root/build-fuzz"

configure() {
  log "configuring $build_dir (RelWithDebInfo, tests and benchmarks on)"
  cmake -S "$repo_root" -B "$build_dir" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSK_BUILD_TESTS=ON \
    -DSK_BUILD_BENCH=ON \
    -DSK_FUZZ_BUILD_DIR="$fuzz_build_dir" ||
    fail "CMake configuration (see the messages above)"
}

# The libFuzzer targets (tests/fuzz), built with clang and the sanitizers in a build of their
# own; the test build's `fuzz` ctests run them. Without clang they are skipped, saying so.
build_fuzz_targets() {
  if ! command -v clang++ >/dev/null; then
    log "no clang++: the fuzz tests will be skipped"
    return
  fi
  log "building the fuzz targets with clang in $fuzz_build_dir"
  cmake -S "$repo_root" -B "$fuzz_build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DSK_FUZZ=ON >/dev/null ||
    fail "CMake configuration of the fuzz build (run it without >/dev/null to see why)"
  cmake --build "$fuzz_build_dir" --parallel "$jobs" --target fuzz_targets ||
    fail "fuzz build (see the first error above)"
}

build() {
  log "building with $jobs jobs"
  cmake --build "$build_dir" --parallel "$jobs" || fail "build (see the first error above)"
}

run_tests() {
  log "ctest --test-dir build --output-on-failure -j$jobs $*"
  # --no-tests=error: a typo in -L or -R must fail, not pass with zero tests run.
  local rc=0
  ctest --test-dir "$build_dir" --output-on-failure --no-tests=error -j"$jobs" "$@" || rc=$?
  if [[ $rc -ne 0 ]]; then
    log "FAILED: ctest exited $rc"
    exit "$rc"
  fi
}

main() {
  cd "$repo_root"
  export CCACHE_DIR="${CCACHE_DIR:-${HOME:-/root}/.ccache}"
  local start=$SECONDS

  install_missing_packages
  configure
  build
  build_fuzz_targets
  run_tests "$@"
  log "all passed in $((SECONDS - start)) s"
}

# Sourcing this file (for example to test install_missing_packages) defines the functions only.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
