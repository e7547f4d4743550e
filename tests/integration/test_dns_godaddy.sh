#!/usr/bin/env bash
# The godaddy DNS provider against tests/support/fake_godaddy.py, a loopback stand-in that checks
# every request against GoDaddy's public Domains API v1 documentation (method, path, offset/limit,
# "sso-key KEY:SECRET", Content-Type, the record array's fields and types, names relative to the
# domain with "@" for the apex, TXT data unquoted, the 600-second minimum TTL) and answers as
# documented; any violation fails the test. First driven through certctl_dns_driver (two values
# at one name beside another's, paging, cleanup in another process, rejected credentials, an
# account without API access, an unknown domain, a malformed answer, an API that does not
# answer), then end to end: `dns add` and `issue --dns` through pebble, whose VA resolves
# through a BIND9 the fake mirrors its records into.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dns_api.sh"

dns_api_start --pebble

export GD_KEY="gdk$RANDOM$RANDOM$RANDOM" GD_SECRET="gds$RANDOM$RANDOM$RANDOM"
export GD_DENIED_KEY="gdd$RANDOM$RANDOM$RANDOM"
(umask 077 && printf '%s:%s\n' "$GD_KEY" "$GD_SECRET" >"$TEST_TMP/auth")
(umask 077 && printf '%s:%s\n' "$GD_DENIED_KEY" "$GD_SECRET" >"$TEST_TMP/denied")
NAME=_acme-challenge.a.example.test
start_fake gd fake_godaddy.py --auth-file "$TEST_TMP/auth" --denied-file "$TEST_TMP/denied" --domain example.test \
  --malformed broken.test --page-size 1 --record "example.test:_acme-challenge.a:unrelated value" \
  --bind "$BIND_SERVER" --tsig-file "$TEST_TMP/tsig"
GD=$FAKE_URL

hook() { fake_get "$GD" "$1"; }
# data_at NAME: the data of the fake's TXT records at NAME (relative), sorted, one a line.
data_at() {
  hook records | "$PYTHON3" -c 'import json,sys; print("\n".join(sorted(r["data"] for r in json.load(sys.stdin) if r["name"]==sys.argv[1])))' "$1"
}
ttls_at() {
  hook records | "$PYTHON3" -c 'import json,sys; print(" ".join(str(r["ttl"]) for r in sorted(json.load(sys.stdin), key=lambda r: r["data"]) if r["name"]==sys.argv[1]))' "$1"
}
no_violations() { no_fake_violations "$GD" GoDaddy; }

CRED=(--secret api-key:env:GD_KEY --secret api-secret:env:GD_SECRET)
GDO=(--type godaddy --opt "api-url=$GD" "${CRED[@]}" --fqdn "$NAME." --zone example.test.)
V1=GSPvmLS2Kz0V3RgVnuLc8l-a8MHe5Kd2JxHdD6BnzUk
V2=KMy8Wj0A3HxXVrHnT9pQ8l1bAc0Uy3nZ7xGkq2WoP4s

step "present two values in two runs beside another's; cleanup in a third reads page by page and removes only them"
expect_ok driver present "${GDO[@]}" --value "$V1"
expect_ok driver present "${GDO[@]}" --value "$V2"
assert_eq "$(data_at _acme-challenge.a)" "$(printf '%s\n' "$V1" "$V2" 'unrelated value' | sort)" "records after present"
assert_eq "$(ttls_at _acme-challenge.a)" "600 600 3600" "TTLs (ours raised to GoDaddy's minimum, the other's kept)"
assert_eq "$(dns_txt "$BIND_SERVER" "$NAME." | sort)" "$(printf '%s\n' "$V1" "$V2" | sort)" "TXT in the zone (what the fake mirrored)"
expect_ok driver cleanup "${GDO[@]}" --value "$V1" --value "$V2"
assert_eq "$(data_at _acme-challenge.a)" 'unrelated value' "records after cleanup"
assert_contains "$(hook requests)" "GET /v1/domains/example.test/records/TXT/_acme-challenge.a?offset=2&limit=500"
assert_contains "$(hook requests)" "PUT /v1/domains/example.test/records/TXT/_acme-challenge.a"
expect_ok driver cleanup "${GDO[@]}" --value "$V1"  # again: nothing left to remove, not an error
no_violations

step "a name of ours alone: cleanup deletes its TXT records; again is not an error"
expect_ok driver present --type godaddy --opt "api-url=$GD" "${CRED[@]}" --fqdn _acme-challenge.b.example.test. \
  --zone example.test. --value "$V1"
assert_eq "$(data_at _acme-challenge.b)" "$V1" "records at b"
expect_ok driver cleanup --type godaddy --opt "api-url=$GD" "${CRED[@]}" --fqdn _acme-challenge.b.example.test. \
  --zone example.test. --value "$V1"
assert_eq "$(data_at _acme-challenge.b)" "" "records at b after cleanup"
assert_contains "$(hook requests)" "DELETE /v1/domains/example.test/records/TXT/_acme-challenge.b"
no_violations

step "rejected credentials: exit 8 with GoDaddy's message, neither key nor secret printed"
export GD_BAD_SECRET="wrong$RANDOM$RANDOM"
expect_exit 8 driver present --type godaddy --opt "api-url=$GD" --secret api-key:env:GD_KEY \
  --secret api-secret:env:GD_BAD_SECRET --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "GoDaddy rejected the API key and secret (HTTP 401): UNABLE_TO_AUTHENTICATE"
assert_not_contains "$ERR" "$GD_BAD_SECRET"
assert_not_contains "$ERR" "$GD_KEY"

step "an account without access to the API: exit 8 saying so"
expect_exit 8 driver present --type godaddy --opt "api-url=$GD" --secret api-key:env:GD_DENIED_KEY \
  --secret api-secret:env:GD_SECRET --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "(HTTP 403): ACCESS_DENIED: Authenticated user is not allowed access (GoDaddy gives access"
assert_not_contains "$ERR" "$GD_SECRET"

step "a domain the account does not have: exit 8 naming it; a malformed answer: exit 8; no answer: exit 6"
expect_exit 8 driver present --type godaddy --opt "api-url=$GD" "${CRED[@]}" \
  --fqdn _acme-challenge.nosuch.example. --zone nosuch.example. --value "$V1"
assert_contains "$ERR" "nosuch.example.: zone not found in the GoDaddy account"
expect_exit 8 driver present --type godaddy --opt "api-url=$GD" "${CRED[@]}" \
  --fqdn _acme-challenge.broken.test. --zone broken.test. --value "$V1"
assert_contains "$ERR" "GoDaddy answered HTTP 200 without JSON: <html>"
expect_exit 6 driver present --type godaddy --opt "api-url=http://127.0.0.1:$CLOSED_PORT" "${CRED[@]}" \
  --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "127.0.0.1:$CLOSED_PORT"
assert_eq "$(data_at _acme-challenge.a)" 'unrelated value' "records after the failures"
assert_eq "$(hook records | "$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1 "records at the API"
no_violations

step "end to end: dns add, then issue a wildcard and its apex through pebble"
new_vault
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" --allow-wildcard
expect_ok certctl account register --ca pebble --email dns@example.com --agree-tos
expect_ok certctl dns add gd --provider godaddy --api-url "$GD" --api-key-env GD_KEY --api-secret-env GD_SECRET
expect_ok certctl dns show gd --json
json_check 'd["type"] == "godaddy" and d["secrets"] == {"api-key": "env:GD_KEY", "api-secret": "env:GD_SECRET"}'
assert_not_contains "$OUT" "$GD_KEY"
assert_not_contains "$OUT" "$GD_SECRET"
expect_ok certctl issue gdwild --domain example.test --san '*.example.test' --ca pebble --dns gd
expect_ok certctl show gdwild --json
json_check 'd["status"] == "active" and d["issue"]["dns"] == "gd" and sorted(d["sans"]) == ["*.example.test"]'
# Every record it wrote is gone from the API and from the zone.
assert_eq "$(hook records | "$PYTHON3" -c 'import json,sys; print(len([r for r in json.load(sys.stdin) if r["name"] != "_acme-challenge.a"]))')" 0 \
  "records left at the API"
assert_eq "$(dns_txt "$BIND_SERVER" _acme-challenge.example.test.)" "" "TXT left in the zone"
no_violations

step "secrets sealed with --*-file, and a --debug run: no secret in the trace, the output or the vault"
(umask 077 && printf '%s\n' "$GD_KEY" >"$TEST_TMP/gd-key" && printf '%s\n' "$GD_SECRET" >"$TEST_TMP/gd-secret")
expect_ok certctl dns add gds --provider godaddy --api-url "$GD" --api-key-file "$TEST_TMP/gd-key" \
  --api-secret-file "$TEST_TMP/gd-secret"
dns_api_no_leaks gds www.example.test "$GD_KEY" "$GD_SECRET"
