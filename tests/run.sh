#!/usr/bin/env bash
# The test command: install dependencies, build three configurations, run every test.
#   build       the product: unit tests, CLI tests, layering (ctest)
#   build-asan  the same ctest suite against binaries built with ASan + UBSan (tests/sanitizers.sh)
#   build-fuzz  the libFuzzer targets (tests/fuzz): each replays its corpus and runs briefly
# Every part runs even when an earlier one failed; the exit status is non-zero if any did.
# Arguments go to both ctest runs (e.g. -R cli.test_import).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh --test
# The peers were just installed: a DNS test that finds one missing fails instead of skipping.
export CI=true
bash tests/build.sh
bash tests/build.sh --asan
bash tests/build.sh --fuzz

failed=()
(cd build && ctest --output-on-failure -j 2 "$@") || failed+=(tests)
(
  # shellcheck source=sanitizers.sh
  source tests/sanitizers.sh
  cd build-asan && ctest --output-on-failure -j 2 "$@"
) || failed+=(asan-tests)
bash tests/fuzz/run.sh || failed+=(fuzz)
if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
