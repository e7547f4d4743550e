#!/usr/bin/env bash
# The digitalocean DNS provider against tests/support/fake_digitalocean.py, a loopback stand-in
# that checks every request against DigitalOcean's public API documentation (method, path,
# query, Bearer token, Content-Type, JSON fields and types, names relative to the domain, TXT data
# unquoted) and answers as documented; any violation fails the test. First driven through
# certctl_dns_driver (paging, two values at one name, cleanup in another process, a bad token, an
# unknown domain, an API that does not answer), then end to end: `dns add` and `issue --dns`
# through pebble, whose VA resolves through a BIND9 the fake mirrors its records into.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dns_api.sh"

dns_api_start --pebble

export DO_TOKEN="dop_v1_$RANDOM$RANDOM$RANDOM"
(umask 077 && printf '%s\n' "$DO_TOKEN" >"$TEST_TMP/token")
NAME=_acme-challenge.a.example.test
start_fake do fake_digitalocean.py --token-file "$TEST_TMP/token" --domain example.test --page-size 1 \
  --record "example.test:_acme-challenge.a:unrelated value" --bind "$BIND_SERVER" --tsig-file "$TEST_TMP/tsig"
DO=$FAKE_URL

hook() { fake_get "$DO" "$1"; }
# data_at NAME: the data of the fake's TXT records at NAME (relative), sorted, one a line.
data_at() {
  hook records | "$PYTHON3" -c 'import json,sys; print("\n".join(sorted(r["data"] for r in json.load(sys.stdin) if r["name"]==sys.argv[1])))' "$1"
}
no_violations() { no_fake_violations "$DO" DigitalOcean; }

DOO=(--type digitalocean --opt "api-url=$DO" --secret api-token:env:DO_TOKEN --fqdn "$NAME." --zone example.test.)
V1=GSPvmLS2Kz0V3RgVnuLc8l-a8MHe5Kd2JxHdD6BnzUk
V2=KMy8Wj0A3HxXVrHnT9pQ8l1bAc0Uy3nZ7xGkq2WoP4s

step "present two values in two runs; cleanup in a third finds them page by page and deletes only them"
expect_ok driver present "${DOO[@]}" --value "$V1"
expect_ok driver present "${DOO[@]}" --value "$V2"
assert_eq "$(data_at _acme-challenge.a)" "$(printf '%s\n' "$V1" "$V2" 'unrelated value' | sort)" "records after present"
expect_ok driver cleanup "${DOO[@]}" --value "$V1" --value "$V2"
assert_eq "$(data_at _acme-challenge.a)" 'unrelated value' "records after cleanup"
assert_contains "$(hook requests)" "/v2/domains/example.test/records?type=TXT&name=$NAME&page=3&per_page=200"
expect_ok driver cleanup "${DOO[@]}" --value "$V1"  # again: nothing left to delete, not an error
no_violations

step "a bad token: exit 8 with DigitalOcean's message, the token never printed"
export DO_BAD_TOKEN="dop_v1_wrong$RANDOM$RANDOM"
expect_exit 8 driver present --type digitalocean --opt "api-url=$DO" --secret api-token:env:DO_BAD_TOKEN \
  --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "DigitalOcean rejected the API token (HTTP 401): Unable to authenticate you"
assert_not_contains "$ERR" "$DO_BAD_TOKEN"

step "a domain the account does not have: exit 8 naming it; an API that does not answer: exit 6"
expect_exit 8 driver present --type digitalocean --opt "api-url=$DO" --secret api-token:env:DO_TOKEN \
  --fqdn _acme-challenge.nosuch.example. --zone nosuch.example. --value "$V1"
assert_contains "$ERR" "nosuch.example.: zone not found in the DigitalOcean account"
expect_exit 6 driver present --type digitalocean --opt "api-url=http://127.0.0.1:$CLOSED_PORT" \
  --secret api-token:env:DO_TOKEN --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "127.0.0.1:$CLOSED_PORT"
assert_eq "$(data_at _acme-challenge.a)" 'unrelated value' "records after the failures"
no_violations

step "end to end: dns add, then issue a wildcard and its apex through pebble"
new_vault
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" --allow-wildcard
expect_ok certctl account register --ca pebble --email dns@example.com --agree-tos
expect_ok certctl dns add do --provider digitalocean --api-url "$DO" --api-token-env DO_TOKEN --ttl 30
expect_ok certctl dns show do --json
json_check 'd["type"] == "digitalocean" and d["secrets"] == {"api-token": "env:DO_TOKEN"}'
assert_not_contains "$OUT" "$DO_TOKEN"
expect_ok certctl issue dowild --domain example.test --san '*.example.test' --ca pebble --dns do
expect_ok certctl show dowild --json
json_check 'd["status"] == "active" and d["issue"]["dns"] == "do" and sorted(d["sans"]) == ["*.example.test"]'
# Every record it created is gone from the API and from the zone.
assert_eq "$(hook records | "$PYTHON3" -c 'import json,sys; print(len([r for r in json.load(sys.stdin) if r["name"] != "_acme-challenge.a"]))')" 0 \
  "records left at the API"
assert_eq "$(dns_txt "$BIND_SERVER" _acme-challenge.example.test.)" "" "TXT left in the zone"
no_violations

step "secrets sealed with --*-file, and a --debug run: no secret in the trace, the output or the vault"
expect_ok certctl dns add dos --provider digitalocean --api-url "$DO" --api-token-file "$TEST_TMP/token" --ttl 30
dns_api_no_leaks dos www.example.test "$DO_TOKEN"
: >"$TEST_TMP/empty"
expect_exit 2 certctl dns add doe --provider digitalocean --api-url "$DO" --api-token-file "$TEST_TMP/empty"
assert_contains "$ERR" "--api-token-file: the file is empty"
