#!/usr/bin/env bash
# Configure and build certctl (and its tests) into ./build with two parallel jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${CERTCTL_JOBS:-2}" "$@"
