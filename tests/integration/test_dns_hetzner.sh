#!/usr/bin/env bash
# The hetzner DNS provider against tests/support/fake_hetzner.py, a loopback stand-in for the DNS
# part of the Hetzner Cloud API that checks every request against Hetzner's public API
# documentation (method, path, Bearer token, Content-Type, JSON fields and types, RRSet names
# relative to the zone with "@" for the apex, TXT values as quoted character-strings, an existing
# RRSet's TTL kept) and answers as documented, with actions that stay "running" until polled; any
# violation fails the test. First driven through certctl_dns_driver (two values at one name in two
# runs, cleanup in another process, action polling, a bad token, an unknown zone, a malformed
# answer, an API that does not answer), then end to end: `dns add` and `issue --dns` through
# pebble, whose VA resolves through a BIND9 the fake mirrors its records into.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dns_api.sh"

dns_api_start --pebble

export HZ_TOKEN="hz$RANDOM$RANDOM$RANDOM$RANDOM"
(umask 077 && printf '%s\n' "$HZ_TOKEN" >"$TEST_TMP/token")
NAME=_acme-challenge.a.example.test
start_fake hz fake_hetzner.py --token-file "$TEST_TMP/token" --zone example.test --broken-zone broken.test \
  --action-polls 2 --record 'example.test:_acme-challenge.a:"unrelated value"' \
  --bind "$BIND_SERVER" --tsig-file "$TEST_TMP/tsig"
HZ=$FAKE_URL
API=$HZ/v1

hook() { fake_get "$HZ" "$1"; }
# values_at NAME: the fake's TXT values at NAME (relative), sorted, one a line.
values_at() {
  hook records | "$PYTHON3" -c 'import json,sys; print("\n".join(sorted(r["value"] for r in json.load(sys.stdin) if r["name"]==sys.argv[1])))' "$1"
}
no_violations() { no_fake_violations "$HZ" Hetzner; }

HZO=(--type hetzner --opt "api-url=$API" --secret api-token:env:HZ_TOKEN --fqdn "$NAME." --zone example.test.)
V1=GSPvmLS2Kz0V3RgVnuLc8l-a8MHe5Kd2JxHdD6BnzUk
V2=KMy8Wj0A3HxXVrHnT9pQ8l1bAc0Uy3nZ7xGkq2WoP4s

step "present two values in two runs, each action polled until done; cleanup in a third removes only them"
expect_ok driver present "${HZO[@]}" --value "$V1"
expect_ok driver present "${HZO[@]}" --value "$V2"
assert_eq "$(values_at _acme-challenge.a)" "$(printf '%s\n' "\"$V1\"" "\"$V2\"" '"unrelated value"' | sort)" "values after present"
assert_contains "$(hook requests)" "POST /v1/zones/example.test/rrsets/_acme-challenge.a/TXT/actions/add_records"
assert_contains "$(hook requests)" "GET /v1/actions/"
# (the preloaded value lives only in the fake; what certctl added is mirrored into BIND)
assert_eq "$(dns_txt "$BIND_SERVER" "$NAME.")" "$(printf '%s\n' "$V1" "$V2" | sort)" "TXT in the zone"
expect_ok driver cleanup "${HZO[@]}" --value "$V1" --value "$V2"
assert_eq "$(values_at _acme-challenge.a)" '"unrelated value"' "values after cleanup"
assert_contains "$(hook requests)" "POST /v1/zones/example.test/rrsets/_acme-challenge.a/TXT/actions/remove_records"
expect_ok driver cleanup "${HZO[@]}" --value "$V1"  # again: nothing left to remove, not an error
no_violations

step "the zone's apex is named @; an RRSet left empty is deleted"
expect_ok driver present --type hetzner --opt "api-url=$API" --secret api-token:env:HZ_TOKEN --fqdn example.test. \
  --zone example.test. --value "$V1"
assert_eq "$(values_at @)" "\"$V1\"" "the apex RRSet"
expect_ok driver cleanup --type hetzner --opt "api-url=$API" --secret api-token:env:HZ_TOKEN --fqdn example.test. \
  --zone example.test. --value "$V1"
assert_eq "$(values_at @)" "" "the apex RRSet after cleanup"
no_violations

step "a bad token: exit 8 with Hetzner's message, the token never printed"
export HZ_BAD_TOKEN="wrong$RANDOM$RANDOM"
expect_exit 8 driver present --type hetzner --opt "api-url=$API" --secret api-token:env:HZ_BAD_TOKEN \
  --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "Hetzner rejected the API token (HTTP 401): unable to authenticate (unauthorized)"
assert_not_contains "$ERR" "$HZ_BAD_TOKEN"

step "an unknown zone: exit 8 naming it; a malformed answer: exit 8; an API that does not answer: exit 6"
expect_exit 8 driver present --type hetzner --opt "api-url=$API" --secret api-token:env:HZ_TOKEN \
  --fqdn _acme-challenge.nosuch.example. --zone nosuch.example. --value "$V1"
assert_contains "$ERR" "nosuch.example.: zone not found in the Hetzner project"
expect_exit 8 driver present --type hetzner --opt "api-url=$API" --secret api-token:env:HZ_TOKEN \
  --fqdn _acme-challenge.broken.test. --zone broken.test. --value "$V1"
assert_contains "$ERR" "Hetzner answered HTTP 200 without a JSON object"
expect_exit 6 driver present --type hetzner --opt "api-url=http://127.0.0.1:$CLOSED_PORT/v1" \
  --secret api-token:env:HZ_TOKEN --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "127.0.0.1:$CLOSED_PORT"
assert_eq "$(values_at _acme-challenge.a)" '"unrelated value"' "values after the failures"
no_violations

step "end to end: dns add, then issue a wildcard and its apex through pebble"
new_vault
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" --allow-wildcard
expect_ok certctl account register --ca pebble --email dns@example.com --agree-tos
expect_ok certctl dns add hz --provider hetzner --api-url "$API" --api-token-env HZ_TOKEN --ttl 60
expect_ok certctl dns show hz --json
json_check 'd["type"] == "hetzner" and d["secrets"] == {"api-token": "env:HZ_TOKEN"}'
assert_not_contains "$OUT" "$HZ_TOKEN"
expect_ok certctl issue hzwild --domain example.test --san '*.example.test' --ca pebble --dns hz
expect_ok certctl show hzwild --json
json_check 'd["status"] == "active" and d["issue"]["dns"] == "hz" and sorted(d["sans"]) == ["*.example.test"]'
# Every value it added is gone from the API and from the zone.
assert_eq "$(hook records | "$PYTHON3" -c 'import json,sys; print(len([r for r in json.load(sys.stdin) if r["name"] != "_acme-challenge.a"]))')" 0 \
  "records left at the API"
assert_eq "$(dns_txt "$BIND_SERVER" _acme-challenge.example.test.)" "" "TXT left in the zone"
no_violations

step "secrets sealed with --*-file, and a --debug run: no secret in the trace, the output or the vault"
expect_ok certctl dns add hzs --provider hetzner --api-url "$API" --api-token-file "$TEST_TMP/token"
dns_api_no_leaks hzs www.example.test "$HZ_TOKEN"
