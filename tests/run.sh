#!/usr/bin/env bash
# The test command: install dependencies, build everything, run every test (unit + CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh --test
# The peers were just installed: a DNS test that finds one missing fails instead of skipping.
export CI=true
bash tests/build.sh
cd build
ctest --output-on-failure -j 2 "$@"
