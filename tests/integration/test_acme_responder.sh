#!/usr/bin/env bash
# The built-in http-01 and tls-alpn-01 responders against pebble, under load and separated:
# - 200 slow or idle connections (half idle, half sending one byte a second and reconnecting when
#   closed) to the responder port while `issue` runs: the issuance succeeds, and certctl exits
#   within seconds of it while those clients are still connected;
# - the responder is a child process that (as root) runs as an unprivileged user with
#   no_new_privs: pebble validates through a proxy (tests/support/peek_proxy.py) that, while
#   the CA waits, looks at the process listening on the responder port;
# - --responder-user / CERTCTL_RESPONDER_USER, and a busy port named in the error;
# - renew runs its pre hook before the child binds (the hook may free the port) and its post
#   hook even after a failed unlock; the child exits when certctl is killed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pebble.sh"

SUPPORT=${CERTCTL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/support
export PEBBLE_AUTHZREUSE=0  # every order validates afresh
pebble_start
new_vault
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE"
expect_ok certctl account register --ca pebble --email slow@example.com --agree-tos
mapfile -t BACKENDS < <(free_ports 2)
HTTP_BACKEND=${BACKENDS[0]} TLS_BACKEND=${BACKENDS[1]}

# start_proxy NAME LISTEN_PORT BACKEND_PORT [WAIT_FILE]: pebble's validation port -> the responder.
start_proxy() {
  local name=$1 listen=$2 to=$3 wait=${4:-}
  start_fake "$name" peek_proxy.py --listen "$listen" --to "$to" --report "$TEST_TMP/$name.report" \
    ${wait:+--wait-file "$wait"}
  PROXY_PID=${BACKGROUND_PIDS[-1]}
}

# validated REPORT CMD...: run CMD (expected to succeed) until the CA validated through the proxy
# that writes REPORT. pebble reuses a valid authorization about once in a hundred orders even with
# PEBBLE_AUTHZREUSE=0, and such an order is never validated; three tries make that negligible.
validated() {
  local report=$1; shift
  for _ in 1 2 3; do
    : >"$report"
    expect_ok "$@"
    [[ -s "$report" ]] && return 0
  done
}

# slow_issue NAME KIND: issue NAME with 200 slow clients on its responder port; sets ISSUED_AT
# (when the CA validated, from the proxy) and EXITED_AT (when certctl exited).
slow_issue() {
  local name=$1 kind=$2 backend args tls_flag=() rc=0
  if [[ $kind == http-01 ]]; then
    backend=$HTTP_BACKEND
    args=(--http-port "$backend" --http-address 127.0.0.1)
  else
    backend=$TLS_BACKEND
    args=(--challenge tls-alpn-01 --tls-port "$backend" --http-address 127.0.0.1)
    tls_flag=(--tls)
  fi
  rm -f "$TEST_TMP/$name.ready"
  "$CERTCTL_BIN" issue "$name" --domain "$name.example.test" --ca pebble "${args[@]}" \
    </dev/null >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" &
  local cpid=$!
  BACKGROUND_PIDS+=("$cpid")
  "$PYTHON3" "$SUPPORT/slow_clients.py" --port "$backend" --count 200 --ready "$TEST_TMP/$name.ready" \
    "${tls_flag[@]}" >"$TEST_TMP/$name.slow.log" 2>&1 &
  SLOW_PID=$!
  BACKGROUND_PIDS+=("$SLOW_PID")
  wait "$cpid" || rc=$?
  EXITED_AT=$(date +%s.%N)
  [[ $rc == 0 ]] || fail "issue $name with 200 slow clients exited $rc: $(cat "$TEST_TMP/$name.err")"
  pass
  kill -0 "$SLOW_PID" 2>/dev/null || fail "the slow clients were gone before certctl exited: $(cat "$TEST_TMP/$name.slow.log")"
  pass
  [[ -s $TEST_TMP/$name.ready ]] || fail "certctl finished before the slow clients were connected"
  ISSUED_AT=$(grep ' forwarded$' "$TEST_TMP/$PROXY_NAME.report" | tail -n 1 | cut -d' ' -f1)
  kill "$SLOW_PID" 2>/dev/null || true
  wait "$SLOW_PID" 2>/dev/null || true
}

# slow_case NAME KIND PROXY CA_PORT BACKEND WHAT: pebble validates through PROXY; issue NAME
# with 200 slow clients, print the figures, check certctl exited within 5 s of the validation.
slow_case() {
  local name=$1 kind=$2 proxy=$3 ca_port=$4 backend=$5 what=$6 start linger
  PROXY_NAME=$proxy
  start_proxy "$proxy" "$ca_port" "$backend" "$TEST_TMP/$name.ready"
  start=$(date +%s.%N)
  slow_issue "$name" "$kind"
  linger=$("$PYTHON3" -c "print(round($EXITED_AT - $ISSUED_AT, 2))")
  echo "    issue with 200 $what: $("$PYTHON3" -c "print(round($EXITED_AT - $start, 2))") s; exit $linger s after the CA validated"
  "$PYTHON3" -c "import sys; sys.exit(0 if $linger < 5 else 1)" || fail "certctl exited $linger s after the validation"
  pass
  expect_ok certctl show "$name" --json
  json_check 'd["status"] == "active" and d["issued_by"] == "pebble"'
}

step "http-01: 200 slow and idle clients do not stop the issuance, nor keep certctl alive"
slow_case slowhttp http-01 http-proxy "$PEBBLE_HTTP_PORT" "$HTTP_BACKEND" "slow HTTP clients"

step "tls-alpn-01: the same with slow TLS handshakes"
slow_case slowtls tls-alpn-01 tls-proxy "$PEBBLE_TLS_PORT" "$TLS_BACKEND" "slow TLS clients"

step "the responder is a child process, unprivileged with no_new_privs when certctl runs as root"
if [[ $(id -u) == 0 ]]; then
  NOBODY="$(id -u nobody),$(id -u nobody),$(id -u nobody),$(id -u nobody)"
  for report in http-proxy tls-proxy; do
    line=$(grep ' pid=' "$TEST_TMP/$report.report" | tail -n 1)
    assert_contains "$line" " uid=$NOBODY " "$report: the responder's credentials"
    assert_contains "$line" " gid=$(id -g nobody)," "$report: the responder's group"
    assert_contains "$line" " nonewprivs=1" "$report: the responder's no_new_privs"
  done
  # A user named by the option or the variable (daemon: in every Debian base system); one that
  # does not exist, or root, is a config error.
  id daemon >/dev/null 2>&1 || fail "the test needs the system user daemon"
  validated "$TEST_TMP/http-proxy.report" certctl issue slowhttp --responder-user daemon \
    --http-port "$HTTP_BACKEND"
  assert_contains "$(cat "$TEST_TMP/http-proxy.report")" " uid=$(id -u daemon)," "--responder-user"
  validated "$TEST_TMP/tls-proxy.report" env CERTCTL_RESPONDER_USER=daemon "$CERTCTL_BIN" issue slowtls
  assert_contains "$(cat "$TEST_TMP/tls-proxy.report")" " uid=$(id -u daemon)," "CERTCTL_RESPONDER_USER"
  expect_exit 3 certctl issue slowhttp --responder-user no-such-user-here
  assert_contains "$ERR" "no-such-user-here: no such user to run the challenge responder as"
  expect_exit 3 certctl issue slowhttp --responder-user root
  assert_contains "$ERR" "must not run as root"
else
  echo "    (not root: the responder keeps certctl's user; the user checks need root)"
fi
expect_exit 2 certctl issue slowhttp --responder-user '-x;y'
assert_contains "$ERR" "--responder-user: not a user name"

step "renew: the responder child serves the renewal too"
validated "$TEST_TMP/http-proxy.report" certctl renew slowhttp --force
assert_contains "$(cat "$TEST_TMP/http-proxy.report")" "pid=" "the CA validated the renewal"
if [[ $(id -u) == 0 ]]; then
  assert_contains "$(cat "$TEST_TMP/http-proxy.report")" " uid=$NOBODY " "the renewal's responder"
fi

step "renew: the pre hook runs first (it may free the port), the post hook even after a failed unlock"
"$PYTHON3" -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", '"$HTTP_BACKEND"')); s.listen(1); time.sleep(300)' </dev/null >/dev/null 2>&1 &
HOLDER=$!
BACKGROUND_PIDS+=("$HOLDER")
for ((i = 0; i < 100; i++)); do
  [[ -n $(grep -i ":$(printf '%04X' "$HTTP_BACKEND") 00000000:0000 0A" /proc/net/tcp) ]] && break
  sleep 0.05
done
expect_ok certctl renew slowhttp --force --json --pre-hook "kill $HOLDER; sleep 0.2"
json_check '[(i["name"], i["outcome"]) for i in d["items"]] == [("slowhttp", "renewed")]'
new_passphrase_file "$TEST_TMP/wrong.pass" "not the passphrase"
expect_exit 5 env CERTCTL_PASSPHRASE_FILE="$TEST_TMP/wrong.pass" "$CERTCTL_BIN" renew slowhttp --force \
  --pre-hook "echo pre >>'$TEST_TMP/hooks.log'" --post-hook "echo post >>'$TEST_TMP/hooks.log'"
assert_eq "$(tr '\n' ' ' <"$TEST_TMP/hooks.log")" "pre post " "hooks around a failed unlock"

step "the responder child exits with certctl, even when certctl is killed"
# (The proxy finds the child through /proc/*/fd, which only root may read for it.)
if [[ $(id -u) == 0 ]]; then
  : >"$TEST_TMP/http-proxy.report"
  rm -f "$TEST_TMP/slowhttp.ready"  # the proxy now holds the CA's connection
  "$CERTCTL_BIN" issue slowhttp </dev/null >/dev/null 2>&1 &
  CPID=$!
  BACKGROUND_PIDS+=("$CPID")
  for ((i = 0; i < 400; i++)); do
    grep -q ' pid=' "$TEST_TMP/http-proxy.report" && break
    sleep 0.05
  done
  CHILD=$(grep -o ' pid=[0-9]*' "$TEST_TMP/http-proxy.report" | head -n 1 | cut -d= -f2)
  [[ -n $CHILD ]] || fail "the CA never reached the responder: $(cat "$TEST_TMP/http-proxy.report")"
  assert_contains "$(grep ' pid=' "$TEST_TMP/http-proxy.report")" " ppid=$CPID " "the responder's parent"
  kill -KILL "$CPID"
  wait "$CPID" 2>/dev/null || true
  # Gone, or a zombie nobody reaped (a container's init may not).
  gone() { [[ ! -e /proc/$CHILD ]] || [[ $(sed 's/.*) //' "/proc/$CHILD/stat" 2>/dev/null | cut -c1) == Z ]]; }
  for ((i = 0; i < 100; i++)); do
    gone && break
    sleep 0.02
  done
  gone || fail "the responder child $CHILD outlived certctl by 2 s"
  pass
fi

step "a busy responder port is a config error naming address:port, before anything is unlocked"
reserve_closed_port
expect_exit 3 env CERTCTL_PASSPHRASE_FILE=/nonexistent "$CERTCTL_BIN" issue slowhttp --http-port "$CLOSED_PORT"
assert_contains "$ERR" "127.0.0.1:$CLOSED_PORT: cannot listen"
