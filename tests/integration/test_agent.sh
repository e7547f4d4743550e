#!/usr/bin/env bash
# Agents that deploy, holding only their own keys (issue 11, sections 4 and 5), on a vault in a
# real PostgreSQL: deploy targets limited to hosts, key copies sealed to those hosts at issuance
# (key-policy hybrid and device), `certctl agent --once` and the agent service without the
# vault's passphrase, per-host results in show/list --json, a copy that opens only for its own
# host and record, LISTEN/NOTIFY wake-ups, a database restart, and copies removed with their
# host or target.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../support/pg.sh"

unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGPASSFILE PGSERVICE PGSSLMODE PGOPTIONS
pg_start
PASS=$TEST_TMP/vault.pass
new_passphrase_file "$PASS"
export CERTCTL_PASSPHRASE_FILE=$PASS
export CERTCTL_VAULT=$PG_URL
D1=$TEST_TMP/web1 D2=$TEST_TMP/web2
K1=$TEST_TMP/k1/host.key K2=$TEST_TMP/k2/host.key

# agent HOST KEY ARGS...: the agent as HOST, with no way to unlock the vault.
agent() {
  local host=$1 key=$2
  shift 2
  expect_exit "${AGENT_RC:-0}" env -u CERTCTL_PASSPHRASE_FILE -u CERTCTL_PASSPHRASE CERTCTL_HOST="$host" \
    "$CERTCTL_BIN" agent --key-file "$key" "$@"
}
# same_key CERT KEY: the key file is the certificate's private key.
same_key() {
  [[ $(openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum) == \
    $(openssl pkey -in "$2" -pubout -outform DER | sha256sum) ]] || fail "$2 is not the key of $1"
  pass
}
kv_keys() { pg_query "SELECT key FROM certctl.kv WHERE key LIKE '$1' ORDER BY key"; }

step "set-up: two enrolled hosts, deploy targets naming them, records under each key policy"
expect_ok certctl init --scrypt-n 1024
expect_ok certctl ca local init
expect_ok certctl agent enroll --key-file "$K1"
PUB1=$OUT
expect_ok certctl agent enroll --key-file "$K2"
printf '%s\n' "$PUB1" >"$TEST_TMP/pub1"
printf '%s\n' "$OUT" >"$TEST_TMP/pub2"
expect_ok certctl host add web1 --public-key "$TEST_TMP/pub1" --labels edge
expect_ok certctl host add web2 --public-key "$TEST_TMP/pub2"
expect_ok certctl deploy add edge --labels edge --record a,b,c --fullchain "$D1/{name}.crt" --key "$D1/{name}.key" \
  --hook 'echo "$CERTCTL_NAME $CERTCTL_HOST" >>'"$D1/hook.log"
expect_ok certctl deploy add only-b --hosts web2 --record b --fullchain "$D2/{name}.crt" --key "$D2/{name}.key"
expect_ok certctl deploy list --json
json_check '{t["name"]: (t["hosts"], t["labels"]) for t in d} == {"edge": ([], ["edge"]), "only-b": (["web2"], [])}'
# A bad host name in --hosts is a usage error naming the option; nothing is added.
expect_exit 2 certctl deploy add bad --hosts 'we b' --cert /tmp/x
assert_contains "$ERR" "--hosts"
issue_record a a.example.test --key-policy hybrid
issue_record b b.example.test --key-policy device
issue_record c c.example.test
expect_ok certctl show a --json
json_check 'd["key_policy"] == "hybrid" and d["sealed_to"] == ["web1"] and d["has_key"] is True'
expect_ok certctl show b --json
json_check 'd["key_policy"] == "device" and d["sealed_to"] == ["web1", "web2"] and d["has_key"] is False'
expect_ok certctl show c --json
json_check 'd["key_policy"] == "master" and d["sealed_to"] == []'
assert_eq "$(kv_keys 'certs/b/v1/%')" "certs/b/v1/cert.pem
certs/b/v1/chain.pem
certs/b/v1/csr.pem
certs/b/v1/host-key.web1.enc
certs/b/v1/host-key.web2.enc" "b's version under key-policy device (no key.enc)"

step "device policy: not even the passphrase opens the key; the error says why"
# export writes the certificate files and says why there is no key.pem.
expect_ok certctl export b --dir "$TEST_TMP/exp-b"
assert_contains "$ERR" "no key.pem: its key is sealed only to the hosts"
[[ -e $TEST_TMP/exp-b/fullchain.pem ]] || fail "export wrote no certificate for a device-policy record"
[[ -e $TEST_TMP/exp-b/key.pem ]] && fail "export wrote a key for a device-policy record"
expect_exit 9 certctl show b --pem key
assert_contains "$ERR" "key-policy device"
expect_exit 9 certctl export-pfx b --out "$TEST_TMP/b.p12" --password-file "$PASS"
[[ -e $TEST_TMP/b.p12 ]] && fail "export-pfx wrote a file for a device-policy record"
pass
# A device-policy record no host is named for cannot be issued: its key would be lost.
expect_ok certctl create lonely --domain lonely.example.test --key-policy device
expect_ok certctl deploy add for-lonely --record lonely --hosts nobody-yet --cert "$D1/lonely.crt"
expect_ok certctl csr lonely
expect_exit 3 certctl issue lonely
assert_contains "$ERR" "no deploy target names a registered host"
expect_ok certctl deploy remove for-lonely
expect_ok certctl delete lonely --yes

step "agent --once without the passphrase: its records deployed with their keys, master-policy c fails alone"
AGENT_RC=11 agent web1 "$K1" --once
assert_contains "$OUT" "a: deployed version 1"
assert_contains "$OUT" "b: deployed version 1"
assert_contains "$OUT" "c: deploy failed"
assert_contains "$OUT" "key-policy master"
assert_contains "$ERR" "1 record(s) failed to deploy"
same_key "$D1/a.crt" "$D1/a.key"
same_key "$D1/b.crt" "$D1/b.key"
assert_mode "$D1/a.key" 600
[[ -e $D1/c.key ]] && fail "the agent wrote a key it cannot have"
assert_eq "$(sort "$D1/hook.log")" "a web1
b web1" "hook runs (c's target failed before its hook)"
agent web2 "$K2" --once
assert_contains "$OUT" "b: deployed version 1"
assert_not_contains "$OUT" "a:"
same_key "$D2/b.crt" "$D2/b.key"
# Nothing new: a second pass deploys nothing and runs no hook; c (failed) is tried again.
AGENT_RC=11 agent web1 "$K1" --once
assert_not_contains "$OUT" "a: deployed"
assert_contains "$OUT" "c: deploy failed"
assert_eq "$(wc -l <"$D1/hook.log")" "2" "hook runs after a pass with nothing new"

step "per-host results in show and list --json"
expect_ok certctl show b --json
json_check 'sorted((e["host"], e["state"], e["version"], e["current"]) for e in d["deployments"]) == [("web1", "deployed", 1, True), ("web2", "deployed", 1, True)]'
expect_ok certctl list --json
json_check '{r["name"]: [(e["host"], e["state"]) for e in r["deployments"]] for r in d} == {"a": [("web1", "deployed")], "b": [("web1", "deployed"), ("web2", "deployed")], "c": [("web1", "deploy-failed")]}'
json_check '[e["error"] for r in d if r["name"] == "c" for e in r["deployments"]][0].find("key-policy master") >= 0'
expect_ok certctl show b
assert_contains "$OUT" "deployments:"
assert_contains "$OUT" "web2"

step "a copy opens only for its host, record and version"
AGENT_RC=3 agent web1 "$K2" --once
assert_contains "$ERR" "not the key registered"
# A new version of b, then web1's copy of it put where web2's belongs: web2 cannot open it.
expect_ok certctl issue b
pg_psql "UPDATE certctl.kv SET data = (SELECT data FROM certctl.kv WHERE key = 'certs/b/v2/host-key.web1.enc') WHERE key = 'certs/b/v2/host-key.web2.enc'"
AGENT_RC=11 agent web2 "$K2" --once
assert_contains "$OUT" "b: deploy failed"
assert_contains "$OUT" "not sealed to this host"
# a's copy for web1 put in place of b's: bound to another record, it does not open either.
pg_psql "UPDATE certctl.kv SET data = (SELECT data FROM certctl.kv WHERE key = 'certs/a/v1/host-key.web1.enc') WHERE key = 'certs/b/v2/host-key.web1.enc'"
AGENT_RC=11 agent web1 "$K1" --once
assert_contains "$OUT" "b: deploy failed"
assert_contains "$OUT" "not sealed to this host"
same_key "$D1/b.crt" "$D1/b.key"   # the files of version 1 stay as they were
expect_ok certctl show b --json
json_check '[(e["host"], e["state"], e["version"]) for e in d["deployments"]] == [("web1", "deploy-failed", 2), ("web2", "deploy-failed", 2)]'
expect_ok certctl issue b   # version 3, sealed afresh
agent web2 "$K2" --once
same_key "$D2/b.crt" "$D2/b.key"

step "the agent service: woken by the commit (LISTEN/NOTIFY), not by its hour-long interval"
env -u CERTCTL_PASSPHRASE_FILE CERTCTL_HOST=web1 "$CERTCTL_BIN" agent --key-file "$K1" --interval 3600 \
  >"$TEST_TMP/agent.log" 2>&1 </dev/null &
AGENT_PID=$!
BACKGROUND_PIDS+=("$AGENT_PID")
wait_for_line() {  # wait_for_line PATTERN SECONDS: the agent's log gets the line
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    grep -q "$1" "$TEST_TMP/agent.log" && return 0
    kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent exited: $(cat "$TEST_TMP/agent.log")"
    sleep 0.05
  done
  fail "the agent did not log '$1' within $2 s: $(cat "$TEST_TMP/agent.log")"
}
wait_for_line "b: deployed version 3" 20
pass
expect_ok certctl issue a
t0=$(date +%s%N)
wait_for_line "a: deployed version 2" 20
echo "  agent deployed a's new version $(( ($(date +%s%N) - t0) / 1000000 )) ms after its commit"
same_key "$D1/a.crt" "$D1/a.key"
pass

step "the database restarts under the service: it reconnects and deploys what came meanwhile"
pg_down
sleep 1
pg_up
expect_ok certctl issue a
wait_for_line "a: deployed version 3" 60
same_key "$D1/a.crt" "$D1/a.key"
kill -TERM "$AGENT_PID"
for ((i = 0; i < 100; i++)); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$AGENT_PID" 2>/dev/null && fail "the agent did not stop on SIGTERM"
wait "$AGENT_PID" || fail "the agent exited non-zero on SIGTERM: $(cat "$TEST_TMP/agent.log")"
pass

step "an agent started after a restart deploys what it missed"
expect_ok certctl issue a
pg_down
pg_up
AGENT_RC=11 agent web1 "$K1" --once
assert_contains "$OUT" "a: deployed version 4"
same_key "$D1/a.crt" "$D1/a.key"
# The database down: a clear one-line error naming it, with the documented exit code.
pg_down
AGENT_RC=5 agent web1 "$K1" --once
assert_contains "$ERR" "postgresql database"
pg_up

step "removing a host or a target removes the copies sealed to it"
expect_ok certctl host remove web2 --yes
expect_ok certctl show b --json
json_check 'd["sealed_to"] == ["web1"]'
assert_eq "$(kv_keys 'certs/%/host-key.web2.enc')" "" "web2's copies after host remove"
expect_ok certctl deploy remove edge
expect_ok certctl show a --json
json_check 'd["sealed_to"] == []'
assert_eq "$(kv_keys 'certs/%/host-key.%')" "" "copies after the targets naming their hosts are gone"
# host sync seals keys issued before a target named the host (a hybrid key is in the vault).
expect_ok certctl deploy add edge --labels edge --record a,b,c --fullchain "$D1/{name}.crt" --key "$D1/{name}.key"
expect_ok certctl host sync
assert_contains "$OUT" "sealed   a -> web1"
assert_contains "$OUT" "skipped  b -> web1"
expect_ok certctl show a --json
json_check 'd["sealed_to"] == ["web1"]'
