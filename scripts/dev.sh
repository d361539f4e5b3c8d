#!/usr/bin/env bash
# The two set-up commands of README.md, for a fresh Debian 12 machine.
#
#   scripts/dev.sh run    install what is missing, build, run the main job (a replay of
#                         the sample, then `trailwatch serve` with the seed template)
#   scripts/dev.sh test   install what is missing, build, run every test
#                         (Release tests, ASan+UBSan unit tests, a short fuzz run)
#
# Idempotent: packages already installed are not touched, builds are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS=$(nproc)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# Build tools and libraries (see README "Dependencies" for why each is here).
PACKAGES=(g++ cmake ninja-build pkg-config git
  libsimdjson-dev libre2-dev zlib1g-dev libcli11-dev libfmt-dev nlohmann-json3-dev libyaml-cpp-dev libssl-dev
  libsqlite3-dev libzstd-dev libcurl4-openssl-dev libpq-dev)
# Only the test command needs these: test frameworks, the fuzzing toolchain, jq as an oracle,
# sqlite3 for the recovery steps trailwatch prints for a damaged store, wrk for the load benchmark,
# postgresql for the scratch servers of the shared-store tests.
TEST_PACKAGES=(libgtest-dev libgmock-dev libbenchmark-dev libcpp-httplib-dev clang libclang-rt-14-dev jq openssl
  python3-aiosmtpd awscli python3-boto3 chromium sqlite3 iproute2 prometheus wrk postgresql)

install_missing() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# Node.js runs the JavaScript SDK and browser tests. Debian's nodejs and npm
# are installed only when no node/npm is on the PATH: a machine with
# NodeSource's nodejs (which bundles npm) cannot also take Debian's npm.
install_node_if_missing() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    install_missing nodejs npm
  fi
}

build_release() {
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build build -j"$JOBS"
}


run_main() {
  install_missing "${PACKAGES[@]}"
  build_release -DTW_BUILD_TESTS=OFF -DTW_BUILD_BENCH=OFF
  echo "== trailwatch replay: what the seed alarm would have done over examples/sample-cloudtrail.json"
  ./build/trailwatch replay --template examples/iam-policy-change.yaml examples/sample-cloudtrail.json
  echo
  echo "== trailwatch serve: the seed template, live on 127.0.0.1:4566 (data in ./trailwatch-data; Ctrl-C stops)"
  exec ./build/trailwatch serve --template examples/iam-policy-change.yaml --early-alarm
}

# One libFuzzer target over its corpus and seeds for TW_FUZZ_SECONDS.
run_fuzzer() {
  local fuzzer=$1 name corpus seeds dict
  name=$(basename "$fuzzer")
  corpus=build-fuzz/corpus/$name
  mkdir -p "$corpus"
  seeds=fuzz/corpus/${name%%_*}  # pattern_parser_fuzz -> fuzz/corpus/pattern
  [ -d "$seeds" ] || seeds=""
  dict=fuzz/${name%%_*}.dict
  [ -f "$dict" ] && dict="-dict=$dict" || dict=""
  "$fuzzer" -max_total_time="${TW_FUZZ_SECONDS:-30}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=0 $dict "$corpus" $seeds 2>build-fuzz/$name.log
}

# Waits for the running fuzzers (pids/names of the caller); a crash fails the run.
wait_fuzzers() {
  local i
  for i in "${!pids[@]}"; do
    echo "-- ${names[$i]}"
    wait "${pids[$i]}" ||
      { tail -50 "build-fuzz/${names[$i]}.log"; echo "fuzzer ${names[$i]} found a crash"; exit 1; }
    grep -E "^#[0-9]+[[:space:]]+DONE" "build-fuzz/${names[$i]}.log" | tail -1 || true
  done
  pids=() names=()
}

run_tests() {
  install_missing "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
  install_node_if_missing
  local started=$SECONDS

  # The JavaScript SDK clients and playwright-core, pinned by package-lock.json.
  for dir in tests/integration/js tests/console; do
    echo "== npm ci ($dir)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  done

  echo "== Release build and every test"
  build_release -DTW_BUILD_TESTS=ON -DTW_BUILD_BENCH=ON
  ctest --test-dir build --output-on-failure -j"$JOBS"

  echo "== ASan+UBSan build of the tests"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTW_SANITIZE=ON \
    -DTW_BUILD_BENCH=OFF >/dev/null
  cmake --build build-asan -j"$JOBS"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$JOBS"

  echo "== libFuzzer targets (clang), ${TW_FUZZ_SECONDS:-30}s each"
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTW_BUILD_FUZZ=ON -DTW_BUILD_TESTS=OFF -DTW_BUILD_BENCH=OFF >/dev/null
  cmake --build build-fuzz -j"$JOBS" --target fuzzers
  # One fuzzer per core at a time (two on CI); each writes its own log.
  local pids=() names=()
  for fuzzer in build-fuzz/fuzz/*_fuzz; do
    run_fuzzer "$fuzzer" &
    pids+=($!) names+=("$(basename "$fuzzer")")
    if [ ${#pids[@]} -ge "$JOBS" ]; then wait_fuzzers; fi
  done
  wait_fuzzers

  echo "== all tests passed in $((SECONDS - started))s"
}

case "${1:-}" in
  run) run_main ;;
  test) run_tests ;;
  *) echo "usage: scripts/dev.sh run|test" >&2; exit 2 ;;
esac
