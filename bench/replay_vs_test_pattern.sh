#!/usr/bin/env bash
# Whole-process comparison: `trailwatch replay` against `trailwatch test-pattern`
# with the same pattern over the same generated corpus (issue 3: replay should
# stay within 2x of test-pattern's events/s).
#
#   bench/replay_vs_test_pattern.sh [MB]     # default 200 MB of CloudTrail NDJSON
#
# The corpus is generated under build/bench-corpus/ from ../shared/data/cloudtrail
# (records cycled, eventTime spread over 24 hours, so replay has real minutes
# to evaluate); nothing is committed. Prints events/s of each and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${1:-200}
BIN=build/trailwatch
CORPUS=build/bench-corpus/trail-${MB}mb.jsonl
mkdir -p build/bench-corpus
[ -f "$CORPUS" ] || python3 bench/make_cloudtrail_corpus.py "$MB" "$CORPUS"
EVENTS=$(wc -l < "$CORPUS")
IAM=$(grep -o "FilterPattern: '.*'" examples/iam-policy-change.yaml | head -1 | sed "s/FilterPattern: '//; s/'$//")
best() {  # best wall time of 3 runs, in seconds
  local best=""
  for _ in 1 2 3; do
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
    best=$(python3 -c "a='$best'; t=$t1-$t0; print(t if a=='' else min(float(a), t))")
  done
  echo "$best"
}
TP=$(best "$BIN" test-pattern --format cloudtrail "$IAM" "$CORPUS")
RP=$(best "$BIN" replay --template examples/iam-policy-change.yaml "$CORPUS")
CIS=$(best "$BIN" replay --template examples/cis-benchmark.yaml "$CORPUS")
python3 - "$EVENTS" "$TP" "$RP" "$CIS" <<'PY'
import sys
n, tp, rp, cis = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"events: {n}")
print(f"test-pattern (IAM pattern):      {tp:6.2f} s  {n/tp:12,.0f} events/s")
print(f"replay (iam-policy-change.yaml): {rp:6.2f} s  {n/rp:12,.0f} events/s")
print(f"replay (cis-benchmark.yaml):     {cis:6.2f} s  {n/cis:12,.0f} events/s")
print(f"replay time / test-pattern time (IAM): {rp/tp:.2f}x (target <= 2x)")
PY
