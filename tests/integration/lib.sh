# shellcheck shell=bash
# Shared helpers for the end-to-end CLI tests (tests/integration/test_*.sh), sourced by each.
#
# Environment: CERTCTL_BIN (the binary under test, required), CERTCTL_SOURCE_DIR (the source
# tree, optional), CERTCTL_TEST_BACKEND (where use_vault/new_vault put a vault: "file", the
# default, a directory; "pg", a schema of a PostgreSQL server started for the script, see
# use_vault). Every script runs in its own temporary directory, removed on exit, with its
# own vault; nothing outside it is touched. The first failed check stops the script with a
# message naming the check, the command, its exit code and its output.
set -euo pipefail

: "${CERTCTL_BIN:?set CERTCTL_BIN to the certctl binary under test}"
[[ -x $CERTCTL_BIN ]] || { echo "FAIL: CERTCTL_BIN=$CERTCTL_BIN is not an executable" >&2; exit 1; }
CERTCTL_BIN=$(cd "$(dirname "$CERTCTL_BIN")" && pwd)/$(basename "$CERTCTL_BIN")
export CERTCTL_BIN

CERTCTL_TEST_BACKEND=${CERTCTL_TEST_BACKEND:-file}
TEST_NAME=$(basename "$0" .sh)
[[ $CERTCTL_TEST_BACKEND == file ]] || TEST_NAME+=.$CERTCTL_TEST_BACKEND
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/certctl-$TEST_NAME.XXXXXX")
TEST_STARTED=$SECONDS
CHECKS=0
BACKGROUND_PIDS=()

# Nothing from the caller's environment may change what certctl does.
unset CERTCTL_VAULT CERTCTL_VAULT_SCHEMA CERTCTL_PASSPHRASE CERTCTL_PASSPHRASE_FILE CERTCTL_KEY_FILE \
  CERTCTL_NEW_PASSPHRASE CERTCTL_NOW NO_COLOR CLICOLOR_FORCE
export XDG_DATA_HOME=$TEST_TMP/xdg HOME=$TEST_TMP/home TERM=dumb LC_ALL=C.UTF-8
mkdir -p "$HOME"

_finish() {
  local rc=$?
  local pid
  for pid in "${BACKGROUND_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if ((rc == 0)) && [[ $CERTCTL_TEST_BACKEND == pg ]] && ((${#_VAULT_SCHEMAS[@]} == 0)); then
    echo "FAIL [$TEST_NAME]: CERTCTL_TEST_BACKEND=pg, but the script put no vault in PostgreSQL" >&2
    rc=1
  fi
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
# (default: the vault), excluding the relative paths in $DIGEST_EXCLUDE (space-separated; file
# backend only); equal digests mean nothing was added, removed, rewritten or chmod-ed.
# With CERTCTL_TEST_BACKEND=pg (no DIR): the same over the vault's schema, every kv key with its
# revision and a hash of its value, every log line with its seq, every lease; a revision changes
# with every write, so a rewrite with the same content shows too.
# shellcheck disable=SC2120
vault_digest() {
  if pg_backend && [[ $# == 0 ]]; then
    {
      _vault_sql "SELECT key, revision, encode(sha256(data), 'hex') FROM $VAULT_SCHEMA.kv ORDER BY key"
      _vault_sql "SELECT log, seq, encode(sha256(line), 'hex') FROM $VAULT_SCHEMA.logs ORDER BY log, seq"
      _vault_sql "SELECT name, holder, generation, expires FROM $VAULT_SCHEMA.leases ORDER BY name"
      _vault_sql "SELECT version FROM $VAULT_SCHEMA.schema_version"
    } | sha256sum | cut -d' ' -f1
    return
  fi
  local dir=${1:-$CERTCTL_VAULT}
  python3 - "$dir" <<'EOF'
import hashlib, os, stat, sys
root = sys.argv[1]
skip = set(os.environ.get("DIGEST_EXCLUDE", "").split())  # relative paths left out
h = hashlib.sha256()
for base, dirs, files in os.walk(root):
    dirs.sort()
    for n in sorted(dirs + files):
        p = os.path.join(base, n)
        if os.path.relpath(p, root) in skip:
            continue
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
# passphrase file (made if missing). With CERTCTL_TEST_BACKEND=pg the vault named DIR is a schema
# instead (CERTCTL_VAULT=$PG_URL, CERTCTL_VAULT_SCHEMA=v_N, also in VAULT_SCHEMA): the first
# call starts the script's PostgreSQL server (tests/support/pg.sh), each new DIR gets a fresh
# schema and the same DIR selects the same schema again. The passphrase file is DIR.pass in
# both cases. Assertions that read the vault's storage go through the vault_* helpers below.
use_vault() {
  if file_backend; then
    export CERTCTL_VAULT=$1
  else
    if [[ -z ${_VAULT_SCHEMAS[$1]:-} ]]; then
      [[ -n $_PG_BASE ]] || pg_start
      _VAULT_SCHEMAS[$1]=v_$((${#_VAULT_SCHEMAS[@]} + 1))
    fi
    export CERTCTL_VAULT=$PG_URL CERTCTL_VAULT_SCHEMA=${_VAULT_SCHEMAS[$1]}
    VAULT_SCHEMA=$CERTCTL_VAULT_SCHEMA
  fi
  export CERTCTL_PASSPHRASE_FILE=${2:-$1.pass}
  [[ -f $CERTCTL_PASSPHRASE_FILE ]] || new_passphrase_file "$CERTCTL_PASSPHRASE_FILE"
}

# file_backend: true when the vault is a directory (CERTCTL_TEST_BACKEND unset or "file"), for
# the few checks of the directory itself (file modes); pg_backend: the vault is in PostgreSQL.
file_backend() { [[ $CERTCTL_TEST_BACKEND == file ]]; }
pg_backend() { [[ $CERTCTL_TEST_BACKEND == pg ]]; }

# The vault in use, read below certctl, the same on both backends. KEY is a vault key
# (certctl-vault(5): a path relative to the vault directory, or a kv key or log name of the
# schema).
#   vault_has [-s] KEY   the key exists (-s: and is not empty)
#   vault_keys [PREFIX]  every key (file: every file) starting with PREFIX, sorted, one a line
#   vault_file KEY       the path of a file holding KEY's exact bytes: the vault's own file, or
#                        (pg) a copy of the kv value or of the log's lines under TEST_TMP
_vault_sql() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$PG_URL" -c "$1" || fail "psql: $1"; }
_sql_str() {
  [[ $1 != *"'"* ]] || fail "a quote in a vault key: $1"
  printf "'%s'" "$1"
}
vault_has() {
  local nonempty=""
  if [[ $1 == -s ]]; then nonempty=1; shift; fi
  if file_backend; then
    if [[ -n $nonempty ]]; then [[ -s $CERTCTL_VAULT/$1 ]]; else [[ -f $CERTCTL_VAULT/$1 ]]; fi
    return
  fi
  local k
  k=$(_sql_str "$1")
  [[ $(_vault_sql "SELECT count(*) FROM $VAULT_SCHEMA.kv WHERE key = $k ${nonempty:+AND length(data) > 0}
    UNION ALL SELECT count(*) FROM $VAULT_SCHEMA.logs WHERE log = $k ${nonempty:+AND length(line) > 0}" |
    tr -d '\n') != 00 ]]
}
vault_keys() {
  local prefix=${1:-}
  if file_backend; then
    [[ -e $CERTCTL_VAULT ]] || return 0
    (cd "$CERTCTL_VAULT" && find . -type f -printf '%P\n') | LC_ALL=C sort |
      awk -v p="$prefix" 'index($0, p) == 1'
    return
  fi
  _vault_sql "SELECT key FROM $VAULT_SCHEMA.kv UNION SELECT DISTINCT log FROM $VAULT_SCHEMA.logs ORDER BY 1" |
    awk -v p="$prefix" 'index($0, p) == 1'
}
vault_file() {
  if file_backend; then
    printf '%s\n' "$CERTCTL_VAULT/$1"
    return
  fi
  local k out=$TEST_TMP/.vault-copy/$VAULT_SCHEMA/$1
  k=$(_sql_str "$1")
  mkdir -p "$(dirname "$out")"
  rm -f "$out"
  # A missing key is a missing file, as in the directory.
  vault_has "$1" || { printf '%s\n' "$out"; return 0; }
  _vault_sql "SELECT encode(data, 'base64') FROM $VAULT_SCHEMA.kv WHERE key = $k
    UNION ALL SELECT encode(string_agg(line || '\x0a'::bytea, ''::bytea ORDER BY seq), 'base64')
      FROM $VAULT_SCHEMA.logs WHERE log = $k HAVING count(*) > 0" | base64 -d >"$out" ||
    fail "vault_file $1: could not decode"
  printf '%s\n' "$out"
}

# assert_vault_private: nobody but the vault's owner can read it. file: the vault directory and
# every directory in it 0700, every file 0600. pg: PUBLIC (every role of the server) has no
# privilege on the vault's schema, nor on any table or sequence in it.
assert_vault_private() {
  if file_backend; then
    local f d
    assert_mode "$CERTCTL_VAULT" 700
    while IFS= read -r -d '' f; do assert_mode "$f" 600; done < <(find "$CERTCTL_VAULT" -type f -print0)
    while IFS= read -r -d '' d; do assert_mode "$d" 700; done < <(find "$CERTCTL_VAULT" -type d -print0)
    return
  fi
  local s
  s=$(_sql_str "$VAULT_SCHEMA")
  assert_eq "$(_vault_sql "SELECT has_schema_privilege('public', $s, 'USAGE') OR has_schema_privilege('public', $s, 'CREATE')")" \
    f "PUBLIC's privileges on schema $VAULT_SCHEMA"
  assert_eq "$(_vault_sql "SELECT count(*) FROM pg_class WHERE relnamespace = $s::regnamespace AND relname = 'kv'")" 1 \
    "the kv table in schema $VAULT_SCHEMA"
  assert_eq "$(_vault_sql "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class
    WHERE relnamespace = $s::regnamespace AND relkind IN ('r', 'S')
      AND (has_table_privilege('public', oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
        OR (relkind = 'S' AND has_sequence_privilege('public', oid, 'USAGE')))")" "" \
    "tables and sequences of schema $VAULT_SCHEMA that PUBLIC may use"
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

# fake_get URL HOOK: a test hook of a fake started by start_fake (GET URL/_test/HOOK).
fake_get() { curl -fsS --max-time 5 "$1/_test/$2"; }
# no_fake_violations URL API: the fake at URL saw no request that breaks API's documentation.
no_fake_violations() {
  local v
  v=$(fake_get "$1" violations)
  [[ $v == "[]" ]] || fail "requests that break $2's documented API: $v"
  pass
}

# require_tool NAME: the tool must be installed.
require_tool() {
  command -v "$1" >/dev/null || fail "required tool '$1' is not installed"
}
declare -gA _VAULT_SCHEMAS=()
case $CERTCTL_TEST_BACKEND in
  file) ;;
  pg)
    # pg.sh checks for the server binaries now (skipping the script, or failing with CI=true,
    # before anything is started); the server itself starts at the first use_vault.
    # shellcheck source=../support/pg.sh
    source "$(dirname "${BASH_SOURCE[0]}")/../support/pg.sh"
    unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGPASSFILE PGSERVICE PGSSLMODE PGOPTIONS
    ;;
  *) fail "CERTCTL_TEST_BACKEND=$CERTCTL_TEST_BACKEND: expected file or pg" ;;
esac
require_tool openssl
require_tool python3
# Resolve python3 once: a version-manager shim (pyenv) costs a few hundred ms per call.
PYTHON3=$(python3 -c 'import sys; print(sys.executable)')
python3() { "$PYTHON3" -S "$@"; }
