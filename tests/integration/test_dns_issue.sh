#!/usr/bin/env bash
# dns-01 through stored DNS providers, end to end: pebble's VA resolves through a BIND9 on
# loopback (recursion on), certctl writes with RFC 2136 + TSIG. dns add/list/show/test/remove,
# a wildcard + apex certificate, a CNAME into a tech zone (pending with the exact CNAME to add,
# dns check, then issued by renew, the TXT written only in the tech zone), bad input (unknown
# type, wrong TSIG secret, zone not found, unreachable server, unknown provider) with nothing left
# behind in DNS or the vault, and cleanup after SIGTERM.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dns_servers.sh"
source "$(dirname "$0")/pebble.sh"

BIND_RECURSION=1 bind_start
knot_start
PEBBLE_DNS_SERVER=$BIND_SERVER pebble_start
reserve_closed_port
export BIND_SECRET=$BIND_KEY_SECRET
export KNOT_SECRET=$KNOT_KEY_SECRET
export CERTCTL_DNS_RESOLVER=$BIND_SERVER
# bind_txt NAME: the TXT values BIND serves at NAME (sorted, one a line).
bind_txt() { dns_txt "$BIND_SERVER" "$1"; }

step "dns add / list / show: options and where each secret comes from; never its value"
new_vault
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" --allow-wildcard
expect_ok certctl account register --ca pebble --email dns@example.com --agree-tos
expect_ok certctl dns add bind --provider rfc2136 --server "$BIND_SERVER" --key-name "$BIND_KEY_NAME" \
  --tsig-secret-env BIND_SECRET --ttl 30
printf '%s\n' "$BIND_KEY_SECRET" >"$TEST_TMP/tsig.secret"
expect_ok certctl dns add bind-sealed --provider rfc2136 --server "$BIND_SERVER" --key-name "$BIND_KEY_NAME" \
  --tsig-secret-file "$TEST_TMP/tsig.secret" --tech-zone tech.test
expect_ok certctl dns list --json
json_check '[(p["name"], p["type"], p["secrets"]) for p in d] == [("bind", "rfc2136", {"tsig-secret": "env:BIND_SECRET"}), ("bind-sealed", "rfc2136", {"tsig-secret": "sealed"})]'
json_check 'd[0]["options"] == {"server": "'"$BIND_SERVER"'", "key-name": "'"$BIND_KEY_NAME"'"} and d[0]["ttl"] == 30 and d[1]["tech_zone"] == "tech.test"'
expect_ok certctl dns show bind-sealed
assert_contains "$OUT" "<sealed>"
if file_backend; then
  PLAIN=$(cat "$CERTCTL_VAULT"/dns/*.toml)
else
  PLAIN=""
  for k in $(vault_keys dns/ | grep -E '^dns/[^/]*\.toml$'); do PLAIN+=$(cat "$(vault_file "$k")"); done
fi
[[ -n $PLAIN ]] || fail "no provider configuration in the vault's dns/*.toml"
assert_not_contains "$OUT$PLAIN" "$BIND_KEY_SECRET"
pass

step "dns test: writes, sees served at every authoritative server, removes"
expect_ok certctl dns test bind --domain www.example.test
assert_contains "$OUT" "_acme-challenge.www.example.test."
assert_contains "$OUT" "zone example.test."
assert_eq "$(bind_txt _acme-challenge.www.example.test.)" "" "TXT left after dns test"
expect_ok env -u BIND_SECRET "$CERTCTL_BIN" dns test bind-sealed --domain delegated.example.test
assert_contains "$OUT" "_acme-challenge.delegated.tech.test."

step "a wildcard and its apex in one certificate, dns-01 through rfc2136"
expect_ok certctl issue wild --domain example.test --san '*.example.test' --ca pebble --dns bind
expect_ok certctl show wild --json
json_check 'd["status"] == "active" and d["issue"]["challenge"] == "dns-01" and d["issue"]["dns"] == "bind"'
expect_ok certctl show wild --pem cert
printf '%s\n' "$OUT" >"$TEST_TMP/wild.pem"
SANS=$(openssl x509 -in "$TEST_TMP/wild.pem" -noout -ext subjectAltName | tail -n 1)
assert_contains "$SANS" "DNS:example.test"
assert_contains "$SANS" "DNS:*.example.test"
assert_eq "$(bind_txt _acme-challenge.example.test.)" "" "TXT left after the issue"
grep -q "adding an RR at '_acme-challenge.example.test' TXT" "$BIND_DIR/named.log" ||
  fail "BIND logged no TXT added at _acme-challenge.example.test: $(grep -c update "$BIND_DIR/named.log")"
pass

step "a tech zone without its CNAME: pending, with the exact record to add"
expect_ok certctl create shop --domain shop.example.test --ca pebble
expect_ok certctl csr shop
expect_exit 8 certctl issue shop --dns bind-sealed
assert_contains "$ERR" "_acme-challenge.shop.example.test. CNAME shop-example-test.tech.test."
expect_ok certctl show shop --json
json_check 'd["status"] == "pending" and "_acme-challenge.shop.example.test. CNAME shop-example-test.tech.test." in d["last_error"] and d["next_attempt"]'
expect_exit 8 certctl dns check shop
assert_contains "$OUT" "missing  _acme-challenge.shop.example.test. CNAME shop-example-test.tech.test."
expect_ok certctl orders shop --json
json_check 'd == []'   # found before ordering: no order was placed
expect_ok certctl renew    # backing off: nothing tried yet
assert_eq "$OUT$ERR" "" "renew while the record waits"

step "the CNAME added: dns check clears the wait, renew issues, the TXT goes only into the tech zone"
dns_nsupdate "$BIND_SERVER" "$BIND_KEY_FILE" \
  "update add _acme-challenge.shop.example.test. 60 CNAME shop-example-test.tech.test."
expect_ok certctl dns check shop --json
json_check 'd == [{"name": "shop.example.test", "target": "shop-example-test.tech.test.", "expected": "shop-example-test.tech.test.", "ok": True, "instruction": None}]'
expect_ok certctl renew --json
json_check '[(i["name"], i["outcome"]) for i in d["items"]] == [("shop", "renewed")]'
expect_ok certctl show shop --json
json_check 'd["status"] == "active" and d["last_error"] is None'
grep -q "updating zone 'tech.test/IN': adding an RR at 'shop-example-test.tech.test' TXT" "$BIND_DIR/named.log" ||
  fail "no TXT was written in the tech zone"
! grep -q "adding an RR at '_acme-challenge.shop.example.test' TXT" "$BIND_DIR/named.log" ||
  fail "a TXT was written at _acme-challenge.shop.example.test outside the tech zone"
assert_eq "$(bind_txt shop-example-test.tech.test.)" "" "TXT left in the tech zone"
pass

step "an exec provider: your command makes the change, certctl checks propagation"
chmod 600 "$BIND_KEY_FILE"
HOOK_ENV=(DNS_HOOK_SERVER=127.0.0.1 DNS_HOOK_PORT="$BIND_PORT" DNS_HOOK_KEY_FILE="$BIND_KEY_FILE")
expect_exit 2 certctl dns add hook --provider exec --command examples/dns-hook.sh
assert_contains "$ERR" "absolute path"
expect_ok certctl dns add hook --provider exec --command "$CERTCTL_SOURCE_DIR/examples/dns-hook.sh" --hook-timeout 30
expect_ok env "${HOOK_ENV[@]}" "$CERTCTL_BIN" dns test hook --domain hook.example.test
expect_ok env "${HOOK_ENV[@]}" "$CERTCTL_BIN" issue viahook --domain hook.example.test --ca pebble --dns hook
expect_ok certctl show viahook --json
json_check 'd["status"] == "active" and d["issue"]["dns"] == "hook"'
assert_eq "$(bind_txt _acme-challenge.hook.example.test.)" "" "TXT left by the exec provider"

step "manual on a terminal: the records to create are printed, Enter continues"
OUT=$("$PYTHON3" "$CERTCTL_SOURCE_DIR/tests/support/manual_dns_user.py" 127.0.0.1 "$BIND_PORT" "$BIND_KEY_FILE" -- \
  "$CERTCTL_BIN" issue byhand --domain hand.example.test --ca pebble --dns manual 2>&1) ||
  fail "issue --dns manual on a terminal failed: $OUT"
assert_contains "$OUT" "_acme-challenge.hand.example.test. 60 IN TXT"
assert_contains "$OUT" "You can now remove this DNS TXT record"
expect_ok certctl show byhand --json
json_check 'd["status"] == "active" and d["issue"]["dns"] == "manual"'

step "bad input: a clear error, nothing left in DNS or the vault"
expect_ok certctl list
DIGEST=$(vault_digest)
expect_exit 2 certctl dns add x --provider nosuch --server "$BIND_SERVER"
expect_exit 2 certctl dns add x --provider rfc2136 --key-name k --tsig-secret-env BIND_SECRET
assert_contains "$ERR" "server"
expect_exit 2 certctl dns add manual --provider rfc2136 --server "$BIND_SERVER"
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after refused dns add"
expect_ok certctl dns add wrong --provider rfc2136 --server "$BIND_SERVER" --key-name "$BIND_KEY_NAME" --tsig-secret-env WRONG_SECRET
expect_ok certctl dns add down --provider rfc2136 --server "127.0.0.1:$CLOSED_PORT" --key-name "$BIND_KEY_NAME" --tsig-secret-env BIND_SECRET
DIGEST=$(vault_digest)
expect_exit 8 env WRONG_SECRET="$(printf 'not-the-secret-%.0s' 1 2 | base64 -w0)" "$CERTCTL_BIN" dns test wrong --domain www.example.test
assert_contains "$ERR" "BADSIG"
assert_contains "$ERR" "refused the update for zone example.test."
expect_exit 3 certctl dns test wrong --domain www.example.test
assert_contains "$ERR" "WRONG_SECRET"
expect_exit 8 certctl dns test bind --domain www.nosuch.invalid
assert_contains "$ERR" "nosuch.invalid"
expect_exit 6 certctl dns test down --domain www.example.test
assert_contains "$ERR" "127.0.0.1:$CLOSED_PORT"
expect_exit 10 certctl issue wild --dns nosuch-provider
assert_contains "$ERR" "nosuch-provider"
assert_eq "$(bind_txt _acme-challenge.www.example.test.)" "" "TXT left after the failures"
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after failed dns tests"

step "SIGTERM while waiting for propagation: the TXT record is removed"
# Written to BIND, checked at Knot (which never gets it): the wait only ends by the signal.
expect_ok certctl dns add slow --provider rfc2136 --server "$BIND_SERVER" --key-name "$BIND_KEY_NAME" \
  --tsig-secret-env BIND_SECRET --timeout 60
"$CERTCTL_BIN" --dns-resolver "$KNOT_SERVER" dns test slow --domain sig.example.test </dev/null \
  >"$TEST_TMP/sig.out" 2>"$TEST_TMP/sig.err" &
PID=$!
for ((i = 0; i < 100; i++)); do
  [[ -n $(bind_txt _acme-challenge.sig.example.test.) ]] && break
  sleep 0.05
done
[[ -n $(bind_txt _acme-challenge.sig.example.test.) ]] || fail "the TXT record never appeared: $(cat "$TEST_TMP/sig.err")"
kill -TERM "$PID"
RC=0
wait "$PID" || RC=$?
assert_eq "$RC" 1 "exit status after SIGTERM"
assert_contains "$(cat "$TEST_TMP/sig.err")" "SIGTERM"
assert_eq "$(bind_txt _acme-challenge.sig.example.test.)" "" "TXT left after SIGTERM"

step "dns remove: refused while a record uses the provider"
expect_ok certctl dns remove slow
expect_exit 10 certctl dns show slow
expect_exit 9 certctl dns remove bind
assert_contains "$ERR" "wild"
expect_ok certctl dns show bind
