# shellcheck shell=bash
# Shared helpers for the end-to-end CLI tests (tests/integration/test_*.sh), sourced by each.
#
# Environment: CERTCTL_BIN (the binary under test, required), CERTCTL_SOURCE_DIR (the source
# tree, optional). Every script runs in its own temporary directory, removed on exit, with its
# own vault; nothing outside it is touched. The first failed check stops the script with a
# message naming the check, the command, its exit code and its output.
set -euo pipefail

: "${CERTCTL_BIN:?set CERTCTL_BIN to the certctl binary under test}"
[[ -x $CERTCTL_BIN ]] || { echo "FAIL: CERTCTL_BIN=$CERTCTL_BIN is not an executable" >&2; exit 1; }
CERTCTL_BIN=$(cd "$(dirname "$CERTCTL_BIN")" && pwd)/$(basename "$CERTCTL_BIN")
export CERTCTL_BIN

TEST_NAME=$(basename "$0" .sh)
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/certctl-$TEST_NAME.XXXXXX")
TEST_STARTED=$SECONDS
CHECKS=0
BACKGROUND_PIDS=()

# Nothing from the caller's environment may change what certctl does.
unset CERTCTL_VAULT CERTCTL_PASSPHRASE CERTCTL_PASSPHRASE_FILE CERTCTL_KEY_FILE CERTCTL_NEW_PASSPHRASE \
  CERTCTL_NOW NO_COLOR CLICOLOR_FORCE
export XDG_DATA_HOME=$TEST_TMP/xdg HOME=$TEST_TMP/home TERM=dumb LC_ALL=C.UTF-8
mkdir -p "$HOME"

_finish() {
  local rc=$?
  local pid
  for pid in "${BACKGROUND_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TEST_TMP"
  if ((rc == 0)); then
    echo "PASS $TEST_NAME: $CHECKS checks in $((SECONDS - TEST_STARTED))s"
  else
    echo "FAILED $TEST_NAME (exit $rc) after $CHECKS checks in $((SECONDS - TEST_STARTED))s" >&2
  fi
  exit "$rc"
}
trap _finish EXIT

# Progress line for a group of checks.
step() { echo "--- $*"; }

fail() {
  echo "FAIL [$TEST_NAME]: $*" >&2
  exit 1
}

pass() { CHECKS=$((CHECKS + 1)); }

certctl() { "$CERTCTL_BIN" "$@"; }

# A command line, quoted so it can be pasted into a shell.
_cmdline() {
  local out="" a
  for a in "$@"; do out+="$(printf '%q' "$a") "; done
  printf '%s' "${out% }"
}

_show_output() {
  echo "  stdout: $(head -c 2000 <<<"$OUT")"
  echo "  stderr: $(head -c 2000 <<<"$ERR")"
}

# expect_exit CODE cmd [args...]
# Run the command with stdin from /dev/null (never a terminal, so nothing can prompt), keep
# its output in $OUT and $ERR, and fail unless it exits with CODE. A failing certctl must print
# exactly one line on stderr, "certctl: ...", and never a crash or stack trace.
expect_exit() {
  local want=$1
  shift
  local rc=0
  "$@" </dev/null >"$TEST_TMP/.out" 2>"$TEST_TMP/.err" || rc=$?
  OUT=$(cat "$TEST_TMP/.out")
  ERR=$(cat "$TEST_TMP/.err")
  if [[ $rc != "$want" ]]; then
    {
      echo "FAIL [$TEST_NAME]: $(_cmdline "$@")"
      echo "  expected exit $want, got $rc"
      _show_output
    } >&2
    exit 1
  fi
  if ((rc != 0)) && _runs_certctl "$@"; then
    assert_one_line_error
  fi
  pass
}

# Is the command certctl itself (possibly behind `env VAR=VALUE ...`)?
_runs_certctl() {
  if [[ $1 == env ]]; then
    shift
    while [[ $# -gt 0 && $1 == *=* ]]; do shift; done
  fi
  [[ $# -gt 0 && ($1 == certctl || $1 == "$CERTCTL_BIN") ]]
}

# expect_ok cmd [args...]: expect_exit 0.
expect_ok() { expect_exit 0 "$@"; }

# capture FILE cmd [args...]: expect_ok, then write its stdout to FILE.
capture() {
  local file=$1
  shift
  expect_ok "$@"
  printf '%s\n' "$OUT" >"$file"
}

# $ERR is one error line from certctl: no second line, no trace, no abort message.
assert_one_line_error() {
  local lines
  lines=$(printf '%s\n' "$ERR" | wc -l)
  [[ -n $ERR && $lines == 1 && $ERR == "certctl: "* ]] ||
    fail "stderr of a failed command is not one 'certctl: ...' line ($lines lines): $ERR"
  local bad
  for bad in "terminate called" "what():" "Segmentation fault" "core dumped" "stack trace" "Stack trace" \
    "backtrace" "Assertion" "AddressSanitizer"; do
    [[ $ERR != *"$bad"* ]] || fail "stderr looks like a crash ('$bad'): $ERR"
  done
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() {
  [[ $1 == *"$2"* ]] || fail "${3:-output} does not contain '$2': $(head -c 2000 <<<"$1")"
  pass
}

# assert_not_contains HAYSTACK NEEDLE [WHAT]
assert_not_contains() {
  [[ $1 != *"$2"* ]] || fail "${3:-output} contains '$2': $(head -c 2000 <<<"$1")"
  pass
}

# assert_eq ACTUAL EXPECTED WHAT
assert_eq() {
  [[ $1 == "$2" ]] || fail "${3:-value}: expected '$2', got '$1'"
  pass
}

# assert_ne A B WHAT
assert_ne() {
  [[ $1 != "$2" ]] || fail "${3:-values} should differ, both are '$1'"
  pass
}

# assert_mode PATH MODE (octal, e.g. 600)
assert_mode() {
  local m
  [[ -e $1 ]] || fail "$1 does not exist (expected mode $2)"
  m=$(stat -c %a "$1")
  [[ $m == "$2" ]] || fail "$1 has mode $m, expected $2"
  pass
}

# SHA-256 over every path (with type and mode) and every file's content under a directory
# (default: the vault), excluding nothing; equal digests mean nothing was added, removed,
# rewritten or chmod-ed.
# shellcheck disable=SC2120
vault_digest() {
  local dir=${1:-$CERTCTL_VAULT}
  python3 - "$dir" <<'EOF'
import hashlib, os, stat, sys
root = sys.argv[1]
h = hashlib.sha256()
for base, dirs, files in os.walk(root):
    dirs.sort()
    for n in sorted(dirs + files):
        p = os.path.join(base, n)
        st = os.lstat(p)
        h.update(os.path.relpath(p, root).encode() + b"\0" + oct(st.st_mode).encode() + b"\0")
        if stat.S_ISREG(st.st_mode):
            with open(p, "rb") as f:
                h.update(hashlib.sha256(f.read()).digest())
        elif stat.S_ISLNK(st.st_mode):
            h.update(os.readlink(p).encode())
print(h.hexdigest())
EOF
}

# json_check EXPR: evaluate a Python expression on the JSON document in $OUT (bound to `d`);
# fail unless it is true. json_get EXPR: print it.
json_check() {
  python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); sys.exit(0 if eval(sys.argv[1]) else 1)' "$1" <<<"$OUT" ||
    fail "JSON check failed: $1; document: $(head -c 3000 <<<"$OUT")"
  pass
}
json_get() {
  python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); v=eval(sys.argv[1]); print(v if isinstance(v,str) else json.dumps(v))' "$1" <<<"$OUT"
}

# A serial number as upper-case hex without leading zeros (certctl's serial_hex form), from
# `openssl x509 -serial` output or a bare hex string.
norm_serial() {
  local s=${1#serial=}
  s=${s^^}
  while [[ $s == 0?* ]]; do s=${s#0}; done
  printf '%s' "$s"
}

# cert_serial FILE: the serial of the certificate in FILE (PEM), normalised.
cert_serial() {
  norm_serial "$(openssl x509 -in "$1" -noout -serial)"
}

# new_passphrase_file PATH [PASSPHRASE]: a 0600 file holding a passphrase and a newline.
new_passphrase_file() {
  (umask 077 && printf '%s\n' "${2:-correct horse battery staple}" >"$1")
}

# use_vault DIR [PASSFILE]: point CERTCTL_VAULT and CERTCTL_PASSPHRASE_FILE at DIR and a
# passphrase file (made if missing).
use_vault() {
  export CERTCTL_VAULT=$1
  export CERTCTL_PASSPHRASE_FILE=${2:-$1.pass}
  [[ -f $CERTCTL_PASSPHRASE_FILE ]] || new_passphrase_file "$CERTCTL_PASSPHRASE_FILE"
}

# new_vault [DIR]: a fresh vault (cheap scrypt cost) with a local CA, selected as in use_vault.
new_vault() {
  use_vault "${1:-$TEST_TMP/vault}"
  expect_ok certctl init --scrypt-n 1024
  expect_ok certctl ca local init
}

# issue_record NAME DOMAIN [create options...]: create, csr and issue with the local CA.
issue_record() {
  local name=$1 domain=$2
  shift 2
  expect_ok certctl create "$name" --domain "$domain" "$@"
  expect_ok certctl csr "$name"
  expect_ok certctl issue "$name"
}

# record_serial NAME: serial_hex of the record's current certificate, from show --json.
record_serial() {
  certctl show "$1" --json </dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["serial_hex"])'
}

# free_ports N: N distinct loopback ports free for TCP and UDP right now, one a line. They are
# held together while chosen, so they differ; another process may still take one before we bind
# it, which pebble_start's readiness check would report.
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
n = int(sys.argv[1])
held, ports = [], []
while len(ports) < n:
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close()
        u.close()
        continue
    held += [t, u]
    ports.append(port)
for s in held:
    s.close()
print("\n".join(map(str, ports)))
EOF
}

# reserve_port closed|silent VAR: set VAR to a loopback port held by a helper process for the
# rest of the script, so nothing else (another suite under ctest -j) can take it. closed: bound
# for TCP without listening, so connections (and UDP datagrams) are refused. silent: a UDP socket
# that reads and ignores every datagram, a server that never answers. Call it in the script's
# own shell, not in $(...).
reserve_port() {
  local kind=$1 var=$2 f=$TEST_TMP/.reserved-port.$RANDOM i port
  "$PYTHON3" -S -c '
import os, signal, socket, sys
kind = sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if kind == "closed" else socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    if kind == "closed":
        signal.pause()
    else:
        s.recv(65535)
' "$f" "$kind" </dev/null >/dev/null 2>&1 &
  BACKGROUND_PIDS+=("$!")
  for ((i = 0; i < 200; i++)); do
    [[ -s $f ]] && break
    sleep 0.02
  done
  port=$(cat "$f" 2>/dev/null) || fail "could not reserve a $kind loopback port"
  [[ $port =~ ^[0-9]+$ ]] || fail "could not reserve a $kind loopback port"
  printf -v "$var" '%s' "$port"
}

# reserve_closed_port: CLOSED_PORT, a loopback port where connections are refused.
reserve_closed_port() { reserve_port closed CLOSED_PORT; }

# start_fake NAME SCRIPT [ARGS...]: run the python fake tests/support/SCRIPT on a free loopback port
# (it writes the port to its --port-file) and set FAKE_URL to http://127.0.0.1:PORT. Killed on exit.
start_fake() {
  local name=$1 script=$2 i pid
  shift 2
  local src=${CERTCTL_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
  "$PYTHON3" "$src/tests/support/$script" --port-file "$TEST_TMP/$name.port" "$@" >"$TEST_TMP/$name.log" 2>&1 &
  pid=$!
  BACKGROUND_PIDS+=("$pid")
  for ((i = 0; i < 250; i++)); do
    [[ -s $TEST_TMP/$name.port ]] && break
    kill -0 "$pid" 2>/dev/null || fail "$script exited: $(cat "$TEST_TMP/$name.log")"
    sleep 0.02
  done
  [[ -s $TEST_TMP/$name.port ]] || fail "$script did not start"
  FAKE_URL=http://127.0.0.1:$(cat "$TEST_TMP/$name.port")
}

# require_tool NAME: the tool must be installed.
require_tool() {
  command -v "$1" >/dev/null || fail "required tool '$1' is not installed"
}
require_tool openssl
require_tool python3
# Resolve python3 once: a version-manager shim (pyenv) costs a few hundred ms per call.
PYTHON3=$(python3 -c 'import sys; print(sys.executable)')
python3() { "$PYTHON3" -S "$@"; }
