#!/usr/bin/env bash
# The gandi DNS provider against tests/support/fake_gandi.py, a loopback stand-in for the Gandi
# LiveDNS API v5 that checks every request against Gandi's public API documentation (Bearer
# personal access token, method, path, Content-Type, rrset_values/rrset_ttl fields and types,
# rrset names relative to the domain with "@" for the apex, quoted TXT values, a TTL of at least
# 300 s) and answers as documented; any violation fails the test. Driven through
# certctl_dns_driver: two values in two runs merged into an RRset another value shares, cleanup
# in another process that leaves the other value, an RRset deleted when only ours were in it, a
# bad token, a token without the right to a domain, an unknown domain, a malformed answer, an API
# that does not answer; then `dns add` and `dns show --json`, and end to end: `issue --dns`
# through pebble, whose VA resolves through a BIND9 a second fake mirrors its records into.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dns_api.sh"

dns_api_start --pebble

export GD_TOKEN="pat_$RANDOM$RANDOM$RANDOM$RANDOM"
(umask 077 && printf '%s\n' "$GD_TOKEN" >"$TEST_TMP/token")
NAME=_acme-challenge.a.example.com
start_fake gd fake_gandi.py --token-file "$TEST_TMP/token" --domain example.com --forbidden-domain other.example \
  --broken-domain broken.example --record 'example.com:_acme-challenge.a:"unrelated value"'
GD=$FAKE_URL
API=$GD/v5/livedns

hook() { fake_get "$GD" "$1"; }
no_violations() { no_fake_violations "$GD" Gandi; }
# rrset NAME: the values of that RRset of example.com (sorted, one a line) and its TTL last.
rrset() {
  hook records | "$PYTHON3" -c 'import json,sys
for r in json.load(sys.stdin):
    if r["domain"] == "example.com" and r["rrset_name"] == sys.argv[1]: print("\n".join(sorted(r["rrset_values"]))); print(r["rrset_ttl"])' "$1"
}

GDO=(--type gandi --opt "api-url=$API" --secret api-token:env:GD_TOKEN --fqdn "$NAME." --zone example.com.)
V1=GSPvmLS2Kz0V3RgVnuLc8l-a8MHe5Kd2JxHdD6BnzUk
V2=KMy8Wj0A3HxXVrHnT9pQ8l1bAc0Uy3nZ7xGkq2WoP4s

step "present two values in two runs: merged into the RRset the other value is in, its TTL kept"
expect_ok driver present "${GDO[@]}" --value "$V1"
expect_ok driver present "${GDO[@]}" --value "$V2"
assert_eq "$(rrset _acme-challenge.a)" "$(printf '%s\n' "\"$V1\"" "\"$V2\"" '"unrelated value"' | sort; echo 10800)" \
  "the RRset after present"
assert_contains "$(hook requests)" "PUT /v5/livedns/domains/example.com/records/_acme-challenge.a/TXT"
no_violations

step "cleanup in another process: exactly our values go, the other stays; again is fine"
expect_ok driver cleanup "${GDO[@]}" --value "$V1" --value "$V2"
assert_eq "$(rrset _acme-challenge.a)" "$(printf '%s\n' '"unrelated value"' 10800)" "the RRset after cleanup"
expect_ok driver cleanup "${GDO[@]}" --value "$V1"
no_violations

step "a new RRset at the apex gets 300 s of TTL at least; cleanup deletes it when only ours was there"
expect_ok driver present --type gandi --opt "api-url=$API" --secret api-token:env:GD_TOKEN --fqdn example.com. \
  --zone example.com. --value "$V1"
assert_eq "$(rrset @)" "$(printf '%s\n' "\"$V1\"" 300)" "the apex RRset"
expect_ok driver cleanup --type gandi --opt "api-url=$API" --secret api-token:env:GD_TOKEN --fqdn example.com. \
  --zone example.com. --value "$V1"
assert_eq "$(rrset @)" "" "the apex RRset after cleanup"
assert_contains "$(hook requests)" "DELETE /v5/livedns/domains/example.com/records/@/TXT"
no_violations

step "a bad token, or one without the right to the domain: exit 8 with Gandi's message, the token never printed"
export GD_BAD_TOKEN="pat_wrong$RANDOM$RANDOM"
expect_exit 8 driver present --type gandi --opt "api-url=$API" --secret api-token:env:GD_BAD_TOKEN \
  --fqdn "$NAME." --zone example.com. --value "$V1"
assert_contains "$ERR" "Gandi rejected the personal access token (HTTP 401)"
assert_not_contains "$ERR" "$GD_BAD_TOKEN"
expect_exit 8 driver present --type gandi --opt "api-url=$API" --secret api-token:env:GD_TOKEN \
  --fqdn _acme-challenge.other.example. --zone other.example. --value "$V1"
assert_contains "$ERR" "Gandi rejected the personal access token (HTTP 403): Access was denied to this resource. (Forbidden)"
assert_not_contains "$ERR" "$GD_TOKEN"

step "an unknown domain: exit 8 naming it; a malformed answer: exit 8; an API that does not answer: exit 6"
expect_exit 8 driver present --type gandi --opt "api-url=$API" --secret api-token:env:GD_TOKEN \
  --fqdn _acme-challenge.nosuch.example. --zone nosuch.example. --value "$V1"
assert_contains "$ERR" "nosuch.example.: domain not found in Gandi LiveDNS"
expect_exit 8 driver present --type gandi --opt "api-url=$API" --secret api-token:env:GD_TOKEN \
  --fqdn _acme-challenge.broken.example. --zone broken.example. --value "$V1"
assert_contains "$ERR" "Gandi answered HTTP 200 without a JSON object"
expect_exit 6 driver present --type gandi --opt "api-url=http://127.0.0.1:$CLOSED_PORT/v5/livedns" \
  --secret api-token:env:GD_TOKEN --fqdn "$NAME." --zone example.com. --value "$V1"
assert_contains "$ERR" "127.0.0.1:$CLOSED_PORT"
assert_eq "$(rrset _acme-challenge.a)" "$(printf '%s\n' '"unrelated value"' 10800)" "the RRset at the end"
no_violations

step "dns add and dns show --json: the token is kept by its variable's name, never shown"
new_vault
expect_ok certctl dns add gd --provider gandi --api-url "$API" --api-token-env GD_TOKEN
expect_ok certctl dns show gd --json
json_check 'd["type"] == "gandi" and d["secrets"] == {"api-token": "env:GD_TOKEN"} and d["options"]["api-url"] == "'"$API"'"'
assert_not_contains "$OUT" "$GD_TOKEN"

step "end to end: issue a wildcard and its apex through pebble; sealed, under --debug, no secret anywhere"
start_fake gde fake_gandi.py --token-file "$TEST_TMP/token" --domain example.test --bind "$BIND_SERVER" \
  --tsig-file "$TEST_TMP/tsig"
GDE=$FAKE_URL
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" --allow-wildcard
expect_ok certctl account register --ca pebble --email dns@example.com --agree-tos
expect_ok certctl dns add gde --provider gandi --api-url "$GDE/v5/livedns" --api-token-file "$TEST_TMP/token"
expect_ok certctl issue gdwild --domain example.test --san '*.example.test' --ca pebble --dns gde
expect_ok certctl show gdwild --json
json_check 'd["status"] == "active" and d["issue"]["dns"] == "gde" and sorted(d["sans"]) == ["*.example.test"]'
assert_eq "$(fake_get "$GDE" records | "$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 0 "RRsets left at the API"
assert_eq "$(dns_txt "$BIND_SERVER" _acme-challenge.example.test.)" "" "TXT left in the zone"
dns_api_no_leaks gde www.example.test "$GD_TOKEN"
no_fake_violations "$GDE" Gandi
