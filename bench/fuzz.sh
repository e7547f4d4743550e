#!/usr/bin/env bash
# Long fuzzing campaigns: build the libFuzzer targets (bash tests/build.sh --fuzz) and run each
# in turn for SECONDS (default 600), keeping what it finds in build-fuzz/corpus/<name>/ so the
# next campaign goes on from there. Prints per target: executions, exec/s, time, coverage,
# corpus size and crashes (kept in build-fuzz/crashes/). A crash found is fixed and its
# input added to tests/fuzz/corpus/<name>/, where CI replays it.
# usage: bash bench/fuzz.sh [SECONDS] [--runs N] [TARGET...]
#   e.g. bash bench/fuzz.sh 3600 acme dns; nice -n 19 bash bench/fuzz.sh 600 --runs 1000000
set -euo pipefail
cd "$(dirname "$0")/.."
secs=600
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then secs=$1; shift; fi
runs=()
if [ "${1:-}" = --runs ]; then runs=(--runs "$2"); shift 2; fi
bash tests/deps.sh --test
bash tests/build.sh --fuzz >/dev/null
mkdir -p build-fuzz/corpus
echo "certctl fuzz campaign on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ), up to ${secs}s per target"
exec bash tests/fuzz/run.sh --time "$secs" "${runs[@]}" --keep build-fuzz/corpus "$@"
