#!/usr/bin/env bash
# Privilege separation: issue and renew run their orders in a network process (certctl
# --network-process, re-executed) that holds no private key. While a renewal waits in its
# dns-01 hook, the test reads that process's memory and finds neither the vault key, nor the
# account key, nor the certificate key (the new one, made for this renewal); the same search
# finds the vault key and the account key in the key-holding parent, so it can find them.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pebble.sh"
# The probe needs site-packages (lib.sh's python3 runs without them, for speed).
probe() { "$PYTHON3" "$PROBE" "$@"; }
"$PYTHON3" -c 'import cryptography' 2>/dev/null ||
  fail "python3-cryptography is required to decrypt the vault independently (tests/deps.sh --test)"
PROBE=${CERTCTL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/support/memprobe.py
if [[ $(id -u) != 0 ]]; then
  [[ ${CI:-} == true ]] && fail "reading another process's memory needs root (CI runs as root)"
  echo "SKIP $TEST_NAME: needs root to read the memory of a non-dumpable process"
  exit 0
fi

# Every order validates afresh, so every renewal runs the hook (pebble reuses half otherwise).
export PEBBLE_AUTHZREUSE=0
pebble_start
new_vault
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE"
expect_ok certctl account register --ca pebble --email privsep@example.com --agree-tos

# A dns-01 hook that, when PRIVSEP_PAUSE names a directory, writes its parent's pid there on the
# first present and waits (at most 60 s) for the file "go" before publishing the TXT record.
write_dns_hook "$TEST_TMP/publish.sh" "$TEST_TMP/hook.log"
cat >"$TEST_TMP/hook.sh" <<EOF
#!/bin/sh
if [ -n "\${PRIVSEP_PAUSE:-}" ] && [ "\$1" = present ] && [ ! -e "\$PRIVSEP_PAUSE/pid" ]; then
  echo \$PPID >"\$PRIVSEP_PAUSE/pid.tmp" && mv "\$PRIVSEP_PAUSE/pid.tmp" "\$PRIVSEP_PAUSE/pid"
  i=0
  while [ ! -e "\$PRIVSEP_PAUSE/go" ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done
fi
exec '$TEST_TMP/publish.sh' "\$@"
EOF
chmod +x "$TEST_TMP/hook.sh"

# renew_paused: start `renew web --force` with the hook pausing; RENEW_PID, and NET_PID once the
# hook waits (its parent: the process that runs the orders). pebble still reuses a valid
# authorization about once in a hundred orders with PEBBLE_AUTHZREUSE=0; the renewal then needs
# no hook, so it is started again (at most three times).
renew_paused() {
  local try i
  for try in 1 2 3; do
    rm -f "$PAUSE"/*
    PRIVSEP_PAUSE=$PAUSE "$CERTCTL_BIN" renew web --force >"$TEST_TMP/renew.out" 2>&1 &
    RENEW_PID=$!
    BACKGROUND_PIDS+=("$RENEW_PID")
    for ((i = 0; i < 600; i++)); do
      [[ -s $PAUSE/pid ]] && break
      kill -0 "$RENEW_PID" 2>/dev/null || break
      sleep 0.1
    done
    if [[ -s $PAUSE/pid ]]; then
      NET_PID=$(cat "$PAUSE/pid")
      return 0
    fi
    wait "$RENEW_PID" || fail "renew failed before its hook ran: $(cat "$TEST_TMP/renew.out")"
  done
  fail "the dns-01 hook never ran in three renewals: $(cat "$TEST_TMP/renew.out")"
}
PAUSE=$TEST_TMP/pause
mkdir -p "$PAUSE"

step "issue: the orders run in a network process; the certificate is issued as before"
expect_ok certctl issue web --domain privsep.example.test --ca pebble --dns "exec:$TEST_TMP/hook.sh"
expect_ok certctl show web --json
json_check 'd["status"] == "active" and d["issued_by"] == "pebble"'
pass

step "renew: the network process's memory holds no key; the parent's does"
OLD_SERIAL=$(record_serial web)
renew_paused
NET_CMD=$(tr '\0' ' ' <"/proc/$NET_PID/cmdline")
assert_eq "$NET_CMD" "certctl --network-process " "the hook's parent is the network process"
PARENT_PID=$(awk '$1 == "PPid:" { print $2 }' "/proc/$NET_PID/status")
assert_eq "$PARENT_PID" "$RENEW_PID" "the network process is a child of renew"
assert_eq "$(readlink "/proc/$NET_PID/exe")" "$(readlink -f "$CERTCTL_BIN")" "the network process is certctl itself"
# An AddressSanitizer build (the second ctest run) maps terabytes of shadow memory that cannot
# be read whole; the memory check runs against the plain build, the rest runs in both.
if ldd "$CERTCTL_BIN" | grep libasan >/dev/null; then  # not -q: with pipefail, ldd would get SIGPIPE
  echo "note: $CERTCTL_BIN is built with AddressSanitizer: the memory search is left to the plain build"
  MEMCHECK=0
else
  MEMCHECK=1
  probe dump "$NET_PID" "$TEST_TMP/net.mem"
  probe dump "$PARENT_PID" "$TEST_TMP/parent.mem"
  [[ $(stat -c %s "$TEST_TMP/net.mem") -gt 1000000 ]] || fail "read too little of the network process's memory"
fi
touch "$PAUSE/go"
wait "$RENEW_PID" || fail "renew failed: $(cat "$TEST_TMP/renew.out")"
assert_ne "$(record_serial web)" "$OLD_SERIAL" "renew issued a new certificate"
pass

if ((MEMCHECK)); then
  probe secrets "$CERTCTL_VAULT" "$CERTCTL_PASSPHRASE_FILE" pebble web "$TEST_TMP/secrets"
  NET=$(probe search "$TEST_TMP/net.mem" "$TEST_TMP/secrets")
  PARENT=$(probe search "$TEST_TMP/parent.mem" "$TEST_TMP/secrets")
  assert_contains "$PARENT" "vault_key found"
  assert_contains "$PARENT" "account_key found"
  assert_eq "$NET" "$(printf '%s\n' 'vault_key absent' 'account_key absent' 'certificate_key absent')" \
    "secrets in the network process's memory"
  rm -f "$TEST_TMP"/*.mem "$TEST_TMP/secrets"
  pass
fi

step "a network process that dies fails the orders with a one-line error, and the record stays"
# Kill the network process while it waits in the hook: renew reports it and exits non-zero.
renew_paused
# Read now, while the paused renewal waits in its hook: a try of renew_paused that pebble
# answered from an authorization still valid (no hook run) has renewed the record already.
SERIAL=$(record_serial web)
kill -KILL "$NET_PID"
touch "$PAUSE/go"  # the hook it left behind publishes and exits
RC=0
wait "$RENEW_PID" || RC=$?
assert_ne "$RC" 0 "renew exit code after the network process died"
assert_contains "$(cat "$TEST_TMP/renew.out")" "network process"
assert_contains "$(cat "$TEST_TMP/renew.out")" "signal 9"
assert_eq "$(record_serial web)" "$SERIAL" "the record after a failed renewal"
expect_ok certctl show web --json
json_check 'd["status"] == "active"'
pass
