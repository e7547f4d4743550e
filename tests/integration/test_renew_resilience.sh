#!/usr/bin/env bash
# Issue 10's acceptance: a renew over a vault where one record is corrupt and one CA misbehaves
# renews every other due certificate (pebble) and exits non-zero naming the two; nothing
# crashes, and the vault stays readable. The misbehaving CA (tests/support/bad_acme.py) sends
# a Replay-Nonce and Link that are not UTF-8, Retry-After: 2^63-1 and malformed JSON; then a
# Location that is not UTF-8; then rateLimited with Retry-After: 2^63-1.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pebble.sh"

pebble_start
HTTP=(--http-port "$PEBBLE_HTTP_PORT" --http-address 127.0.0.1)
BAD_PORT=$(free_ports 1)
BAD_STATE=$TEST_TMP/bad-acme
mkdir -p "$BAD_STATE"
"$PYTHON3" "$CERTCTL_SOURCE_DIR/tests/support/bad_acme.py" "$BAD_PORT" "$TEST_TMP/pebble/cert.pem" \
  "$TEST_TMP/pebble/key.pem" "$BAD_STATE" </dev/null >"$BAD_STATE/server.out" 2>&1 &
BACKGROUND_PIDS+=("$!")
_pebble_wait_for "https://127.0.0.1:$BAD_PORT/dir" "$!" "$BAD_STATE/server.out" "bad_acme" --cacert "$PEBBLE_CA_BUNDLE"

step "a vault with five records at pebble, all due (renew threshold above pebble's lifetime)"
new_vault
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE"
expect_ok certctl account register --ca pebble --email ops@example.com --agree-tos
expect_ok certctl ca add odd --directory "https://127.0.0.1:$BAD_PORT/dir" --ca-bundle "$PEBBLE_CA_BUNDLE"
expect_ok certctl account register --ca odd --email ops@example.com --agree-tos
GOOD=(alpha beta gamma)
for n in "${GOOD[@]}" broken odd; do
  expect_ok certctl issue "$n" --domain "$n.example.test" --ca pebble "${HTTP[@]}"
  expect_ok certctl edit "$n" --renew-days 3650
done
declare -A SERIAL
for n in "${GOOD[@]}"; do SERIAL[$n]=$(record_serial "$n"); done

step "one record corrupt, one record's CA misbehaving"
echo 'x = [' >>"$CERTCTL_VAULT/certs/broken/record.toml"
expect_ok certctl edit odd --ca odd

# renew_rc CODE ARGS...: renew prints a line per record, so several stderr lines are fine;
# never a crash (70, 134 or a terminate message).
renew_rc() {
  local want=$1 rc=0
  shift
  OUT=$("$CERTCTL_BIN" renew "$@" </dev/null 2>"$TEST_TMP/renew.err") || rc=$?
  ERR=$(cat "$TEST_TMP/renew.err")
  ((rc != 70 && rc != 134)) || fail "renew $* crashed (exit $rc): $ERR"
  assert_not_contains "$ERR" "terminate called" "renew's stderr"
  assert_eq "$rc" "$want" "exit code of renew $* (stderr: $ERR)"
}

step "renew: every other due certificate renewed; exit 5 (the unreadable record) naming both"
renew_rc 5 --json
assert_contains "$ERR" "broken: skipped"
assert_contains "$ERR" "certctl: odd: https://127.0.0.1:$BAD_PORT/authz/1: the CA sent a response that is not JSON"
json_check '[u["name"] for u in d["unreadable"]] == ["broken"]'
json_check 'sorted(i["name"] for i in d["items"] if i["outcome"] == "renewed") == ["alpha", "beta", "gamma"]'
json_check '[i["name"] for i in d["items"] if i["outcome"] == "failed"] == ["odd"]'
for n in "${GOOD[@]}"; do
  NEW=$(record_serial "$n")
  assert_ne "$NEW" "${SERIAL[$n]}" "serial of $n after renew"
  expect_ok certctl show "$n" --json
  json_check 'd["version"] == 2 and d["status"] == "active"'
done
grep -q "^POST /order$" "$BAD_STATE/access.log" || fail "the misbehaving CA got no order: $(cat "$BAD_STATE/access.log")"
pass
expect_ok certctl show odd --json
json_check 'd["status"] == "error" and d["last_error"] and d["version"] == 1'

step "the vault stays readable: list, show, check"
expect_exit 5 certctl list --json
json_check 'sorted(r["name"] for r in d) == ["alpha", "beta", "gamma", "odd"]'
assert_contains "$ERR" "broken"
expect_ok certctl show odd

step "an order URL that is not UTF-8 fails the order, not the run"
echo location >"$BAD_STATE/mode"
renew_rc 7 odd --force --json
json_check '[(i["name"], i["outcome"]) for i in d["items"]] == [("odd", "failed")]'
assert_contains "$ERR" "certctl: odd: https://127.0.0.1:$BAD_PORT/order: newOrder answered without a usable Location"

step "a rateLimited answer with Retry-After 2^63-1 fails the order, not the vault"
echo ratelimit >"$BAD_STATE/mode"
renew_rc 7 odd --force --json
json_check '[(i["name"], i["outcome"]) for i in d["items"]] == [("odd", "failed")]'
assert_contains "$ERR" "rateLimited"
expect_ok certctl show odd --json
json_check 'd["status"] == "error" and d["last_problem"] == "rateLimited" and "20" in d["retry_after"][:2]'
expect_exit 5 certctl list --json
json_check 'sorted(r["name"] for r in d) == ["alpha", "beta", "gamma", "odd"]'
# The threshold is above pebble's lifetime, so the good records are due again: a run over the
# whole vault renews them while odd backs off until its (bounded) Retry-After.
renew_rc 5 --json
json_check 'sorted(i["name"] for i in d["items"] if i["outcome"] == "renewed") == ["alpha", "beta", "gamma"]'

step "the audit log of all this verifies"
expect_ok certctl audit verify
assert_contains "$OUT" "intact"
