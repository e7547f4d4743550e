#!/usr/bin/env bash
# Run the libFuzzer targets of build-fuzz (bash tests/build.sh --fuzz): each first replays
# every input of its committed corpus (tests/fuzz/corpus/<name>/, seeds and the inputs of
# crashes fixed since), then fuzzes for the given time. Prints one line per target:
# executions, exec/s, coverage (edges), corpus size and crashes; exit 1 when any target
# crashed, leaked, timed out or violated a property (the input is kept, its path printed).
#
# usage: bash tests/fuzz/run.sh [--time SECONDS] [--runs N] [--keep DIR] [TARGET...]
#   --time  fuzzing time per target after the replay (default 10: the CI run)
#   --runs  stop a target after N executions instead (whichever comes first)
#   --keep  keep the inputs that found new coverage in DIR/<name>/ (reused by the next run);
#           default: a temporary directory
#   TARGET  names without the fuzz_ prefix (default: every target in build-fuzz)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=../sanitizers.sh
source tests/sanitizers.sh

time_s=10 runs=-1 keep=""
while [ $# -gt 0 ]; do
  case $1 in
    --time) time_s=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) break ;;
  esac
done
bin=build-fuzz/tests/fuzz
if [ $# -gt 0 ]; then targets=("$@"); else
  targets=()
  for f in "$bin"/fuzz_*; do [ -x "$f" ] && targets+=("$(basename "$f" | sed 's/^fuzz_//')"); done
fi
[ ${#targets[@]} -gt 0 ] || { echo "no fuzz targets in $bin: bash tests/build.sh --fuzz" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/certctl-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p build-fuzz/crashes
failed=()
printf '%-14s %12s %9s %8s %7s %7s  %s\n' target executions exec/s seconds cov corpus result
for t in "${targets[@]}"; do
  seeds=tests/fuzz/corpus/$t
  [ -d "$seeds" ] || { echo "no corpus directory $seeds" >&2; failed+=("$t"); continue; }
  out=${keep:+$keep/$t}
  out=${out:-$work/$t}
  mkdir -p "$out" "$work/artifacts-$t"
  log=$work/$t.log
  start=$SECONDS
  rc=0
  # -timeout: one input taking 25 s is a hang (the DNS and http-01 targets wait on loopback
  # sockets, with short timeouts of their own); -rss_limit_mb: a parser that balloons.
  "$bin/fuzz_$t" -max_total_time="$time_s" -runs="$runs" -timeout=25 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts-$t/" "$out" "$seeds" >"$log" 2>&1 || rc=$?
  secs=$((SECONDS - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  corpus=$(find "$out" -type f | wc -l)
  crashes=$(find "$work/artifacts-$t" -type f | wc -l)
  result=ok
  if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    result="FAILED (exit $rc)"
    failed+=("$t")
    cp "$work/artifacts-$t"/* build-fuzz/crashes/ 2>/dev/null || true
    cp "$log" "build-fuzz/crashes/$t.log"
  fi
  printf '%-14s %12s %9s %8s %7s %7s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$secs" "${cov:-?}" "$corpus" "$result"
  if [ "$result" != ok ]; then
    echo "--- fuzz_$t output (inputs kept in build-fuzz/crashes/):" >&2
    grep -v '^#[0-9]\|^INFO:\|^stat::\|^MS:\|^base64:\|^0x' "$log" | tail -60 >&2
  fi
done
if ((${#failed[@]})); then
  echo "fuzz targets failed: ${failed[*]}" >&2
  exit 1
fi
