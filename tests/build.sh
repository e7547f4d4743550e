#!/usr/bin/env bash
# Configure and build certctl (and its tests) with two parallel jobs, in one of three
# configurations (the first argument; the rest goes to `cmake --build`):
#   (none)   ./build       RelWithDebInfo, g++: the product and its tests
#   --asan   ./build-asan  g++ with AddressSanitizer + UndefinedBehaviorSanitizer (-O1, line
#                          tables only): the same tests, run by tests/run.sh with tests/sanitizers.sh
#   --fuzz   ./build-fuzz  clang-14 with libFuzzer: only the libraries the fuzz targets need and
#                          the targets (tests/fuzz, -DCERTCTL_FUZZ=ON)
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
case "${1:-}" in
  --asan)
    shift
    dir=build-asan
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Asan "-DCMAKE_CXX_FLAGS_ASAN=-O1 -g1 $sanitize" \
      "-DCMAKE_EXE_LINKER_FLAGS_ASAN=$sanitize" >/dev/null
    ;;
  --fuzz)
    shift
    dir=build-fuzz
    cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCERTCTL_FUZZ=ON -DCMAKE_BUILD_TYPE=Fuzz \
      "-DCMAKE_CXX_FLAGS_FUZZ=-O1 -gline-tables-only" >/dev/null
    [ $# -eq 0 ] && set -- --target fuzz_all
    ;;
  *)
    dir=build
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    ;;
esac
cmake --build "$dir" -j "${CERTCTL_JOBS:-2}" "$@"
