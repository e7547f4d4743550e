#!/usr/bin/env bash
# The porkbun DNS provider against tests/support/fake_porkbun.py, a loopback stand-in that checks
# every request against Porkbun's public API v3 documentation (POST only, the keys as "apikey" and
# "secretapikey" in a JSON body, Content-Type, fields and their types with the TTL as a string,
# names relative to the domain with "" for the apex, TXT content unquoted) and answers as
# documented; any violation fails the test. Driven through certctl_dns_driver: two values at one
# name beside another's, cleanup in another process, the apex, rejected keys, a domain not in the
# account or without API access, a malformed answer, an API that does not answer; then end to
# end: `dns add` and `issue --dns` through pebble, whose VA resolves through a BIND9 a second
# fake mirrors its records into.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dns_api.sh"

dns_api_start --pebble

export PB_KEY="pk1_$RANDOM$RANDOM$RANDOM" PB_SECRET="sk1_$RANDOM$RANDOM$RANDOM"
(umask 077 && printf '%s:%s\n' "$PB_KEY" "$PB_SECRET" >"$TEST_TMP/keys")
NAME=_acme-challenge.a.example.com
start_fake pb fake_porkbun.py --keys-file "$TEST_TMP/keys" --domain example.com --no-api-access locked.example \
  --malformed broken.example --record "example.com:_acme-challenge.a:unrelated value"
PB=$FAKE_URL
API=$PB/api/json/v3

hook() { fake_get "$PB" "$1"; }
no_violations() { no_fake_violations "$PB" Porkbun; }
# content_at FQDN: the contents of the fake's TXT records at FQDN (no dot), sorted, one a line.
content_at() {
  hook records | "$PYTHON3" -c 'import json,sys; print("\n".join(sorted(r["content"] for r in json.load(sys.stdin) if r["name"]==sys.argv[1])))' "$1"
}

CRED=(--secret api-key:env:PB_KEY --secret secret-api-key:env:PB_SECRET)
PBO=(--type porkbun --opt "api-url=$API" "${CRED[@]}" --fqdn "$NAME." --zone example.com.)
V1=GSPvmLS2Kz0V3RgVnuLc8l-a8MHe5Kd2JxHdD6BnzUk
V2=KMy8Wj0A3HxXVrHnT9pQ8l1bAc0Uy3nZ7xGkq2WoP4s

step "present two values in two runs beside another's; cleanup in a third deletes only them"
expect_ok driver present "${PBO[@]}" --value "$V1"
expect_ok driver present "${PBO[@]}" --value "$V2"
expect_ok driver present "${PBO[@]}" --value "$V2"  # again: there already, not created twice
assert_eq "$(content_at "$NAME")" "$(printf '%s\n' "$V1" "$V2" 'unrelated value' | sort)" "records after present"
assert_eq "$(hook records | "$PYTHON3" -c 'import json,sys; print(sorted({r["ttl"] for r in json.load(sys.stdin)}))')" \
  "['600']" "TTLs (ours raised to Porkbun's minimum)"
expect_ok driver cleanup "${PBO[@]}" --value "$V1" --value "$V2"
assert_eq "$(content_at "$NAME")" 'unrelated value' "records after cleanup"
assert_contains "$(hook requests)" "POST /api/json/v3/dns/retrieveByNameType/example.com/TXT/_acme-challenge.a"
expect_ok driver cleanup "${PBO[@]}" --value "$V1"  # again: nothing left to delete, not an error
no_violations

step "the apex: no subdomain in the path, an empty name"
expect_ok driver present --type porkbun --opt "api-url=$API" "${CRED[@]}" --fqdn example.com. --zone example.com. \
  --value "$V1"
assert_eq "$(content_at example.com)" "$V1" "the apex record"
expect_ok driver cleanup --type porkbun --opt "api-url=$API" "${CRED[@]}" --fqdn example.com. --zone example.com. \
  --value "$V1"
assert_eq "$(content_at example.com)" "" "the apex after cleanup"
assert_contains "$(hook requests)" "POST /api/json/v3/dns/retrieveByNameType/example.com/TXT\""
no_violations

step "rejected keys: exit 8 with Porkbun's message, neither key printed"
export PB_BAD_SECRET="sk1_wrong$RANDOM$RANDOM"
expect_exit 8 driver present --type porkbun --opt "api-url=$API" --secret api-key:env:PB_KEY \
  --secret secret-api-key:env:PB_BAD_SECRET --fqdn "$NAME." --zone example.com. --value "$V1"
assert_contains "$ERR" "Porkbun rejected the API key and secret (HTTP 400): Invalid API key. (001)"
assert_not_contains "$ERR" "$PB_BAD_SECRET"
assert_not_contains "$ERR" "$PB_KEY"

step "a domain not in the account, or without API access: exit 8 naming it"
expect_exit 8 driver present --type porkbun --opt "api-url=$API" "${CRED[@]}" \
  --fqdn _acme-challenge.nosuch.example. --zone nosuch.example. --value "$V1"
assert_contains "$ERR" "nosuch.example.: Porkbun API error on POST $API/dns/retrieveByNameType/nosuch.example/TXT/_acme-challenge (HTTP 400): Invalid domain. (the domain must be in the Porkbun account"
expect_exit 8 driver present --type porkbun --opt "api-url=$API" "${CRED[@]}" \
  --fqdn _acme-challenge.locked.example. --zone locked.example. --value "$V1"
assert_contains "$ERR" "locked.example.: Porkbun API error"
assert_contains "$ERR" "Domain is not opted in to API access."

step "a malformed answer: exit 8; an API that does not answer: exit 6"
expect_exit 8 driver present --type porkbun --opt "api-url=$API" "${CRED[@]}" \
  --fqdn _acme-challenge.broken.example. --zone broken.example. --value "$V1"
assert_contains "$ERR" "Porkbun answered HTTP 200 without a JSON status: <html>"
expect_exit 6 driver present --type porkbun --opt "api-url=http://127.0.0.1:$CLOSED_PORT/api/json/v3" "${CRED[@]}" \
  --fqdn "$NAME." --zone example.com. --value "$V1"
assert_contains "$ERR" "127.0.0.1:$CLOSED_PORT"
assert_eq "$(hook records | "$PYTHON3" -c 'import json,sys; print([r["content"] for r in json.load(sys.stdin)])')" \
  "['unrelated value']" "records at the end"
no_violations

step "end to end: dns add, then issue a wildcard and its apex through pebble"
start_fake pbe fake_porkbun.py --keys-file "$TEST_TMP/keys" --domain example.test --bind "$BIND_SERVER" \
  --tsig-file "$TEST_TMP/tsig"
PBE=$FAKE_URL
new_vault
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" --allow-wildcard
expect_ok certctl account register --ca pebble --email dns@example.com --agree-tos
expect_ok certctl dns add pb --provider porkbun --api-url "$PBE/api/json/v3" --api-key-env PB_KEY --secret-api-key-env PB_SECRET
expect_ok certctl dns show pb --json
json_check 'd["type"] == "porkbun" and d["secrets"] == {"api-key": "env:PB_KEY", "secret-api-key": "env:PB_SECRET"}'
assert_not_contains "$OUT" "$PB_KEY"
assert_not_contains "$OUT" "$PB_SECRET"
expect_ok certctl --debug issue pbwild --domain example.test --san '*.example.test' --ca pebble --dns pb
# --debug traces every request body: the keys travel there and must show only as <redacted>.
assert_contains "$ERR" '"apikey":"<redacted>"'
assert_not_contains "$ERR" "$PB_KEY"
assert_not_contains "$ERR" "$PB_SECRET"
expect_ok certctl show pbwild --json
json_check 'd["status"] == "active" and d["issue"]["dns"] == "pb" and sorted(d["sans"]) == ["*.example.test"]'
assert_eq "$(fake_get "$PBE" records)" "[]" "records left at the API"
assert_eq "$(dns_txt "$BIND_SERVER" _acme-challenge.example.test.)" "" "TXT left in the zone"
assert_eq "$(fake_get "$PBE" violations)" "[]" "requests that break Porkbun's documented API"

step "secrets sealed with --*-file, and a --debug run: no secret in the trace, the output or the vault"
(umask 077 && printf '%s\n' "$PB_KEY" >"$TEST_TMP/pb-key" && printf '%s\n' "$PB_SECRET" >"$TEST_TMP/pb-secret")
expect_ok certctl dns add pbs --provider porkbun --api-url "$PBE/api/json/v3" --api-key-file "$TEST_TMP/pb-key" \
  --secret-api-key-file "$TEST_TMP/pb-secret"
dns_api_no_leaks pbs www.example.test "$PB_KEY" "$PB_SECRET"
