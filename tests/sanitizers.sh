# shellcheck shell=bash
# Sanitizer settings for running the ASan/UBSan build (build-asan) and the fuzz targets:
# sourced by tests/run.sh, tests/fuzz/run.sh and bench/fuzz.sh. Any finding fails: the
# process stops at the first error with exit 86 (UBSan's halt is forced by
# -fno-sanitize-recover at compile time), and leaks found at exit fail it too. certctl's
# harden_process() (PR_SET_DUMPABLE 0, RLIMIT_CORE 0) stays on: LeakSanitizer makes the
# process dumpable for its stop-the-world and restores it, so leak checking works as is.
# Suppressions name one third-party leak each (tests/lsan.supp); none are ours.
_san_root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:exitcode=86:abort_on_error=0:detect_stack_use_after_return=0:strict_string_checks=1:check_initialization_order=1${ASAN_OPTIONS_EXTRA:+:$ASAN_OPTIONS_EXTRA}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=86"
export LSAN_OPTIONS="suppressions=$_san_root/lsan.supp:print_suppressions=0"
# Symbolized stacks (llvm-symbolizer from llvm-14, installed by tests/deps.sh --test).
for _s in llvm-symbolizer llvm-symbolizer-14; do
  if command -v "$_s" >/dev/null; then
    ASAN_SYMBOLIZER_PATH=$(command -v "$_s")
    export ASAN_SYMBOLIZER_PATH
    break
  fi
done
unset _s _san_root
