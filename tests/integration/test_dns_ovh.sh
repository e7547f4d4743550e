#!/usr/bin/env bash
# The ovh DNS provider against tests/support/fake_ovh.py, a loopback stand-in that checks every
# request against OVH's public API v1 documentation (method, path, query, the X-Ovh-* headers,
# Content-Type, JSON fields and types, names relative to the zone, TXT targets unquoted, refresh
# after changes), recomputes each request's signature and takes a timestamp only near its own
# /auth/time (its clock runs an hour ahead of the host's); any violation fails the test. The
# fake applies records to a BIND9 zone (nsupdate) only when the zone is refreshed. Driven through
# certctl_dns_driver: two values at one name in two runs, cleanup in a third, a wrong consumer
# key, a wrong application secret, an unknown zone, a malformed answer, an API that does not
# answer; then `dns add` and `dns show --json`.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dns_api.sh"

dns_api_start

export OVH_AS="as$RANDOM$RANDOM$RANDOM" OVH_CK="ck$RANDOM$RANDOM$RANDOM"
OVH_AK=ak7Hq2Xw
(umask 077 && printf '%s:%s:%s\n' "$OVH_AK" "$OVH_AS" "$OVH_CK" >"$TEST_TMP/credentials")
NAME=_acme-challenge.a.example.test
start_fake ovh fake_ovh.py --credentials-file "$TEST_TMP/credentials" --zone example.test --clock-offset 3600 \
  --garbage-zone broken.test --record "example.test:_acme-challenge.a:unrelated value" \
  --bind "$BIND_SERVER" --tsig-file "$TEST_TMP/tsig"
OVH=$FAKE_URL/1.0

hook() { fake_get "$FAKE_URL" "$1"; }
no_violations() { no_fake_violations "$FAKE_URL" OVH; }
# targets_at SUB: the targets of the fake's TXT records at SUB (relative), sorted, one a line.
targets_at() {
  hook records | "$PYTHON3" -c 'import json,sys; print("\n".join(sorted(r["target"] for r in json.load(sys.stdin) if r["subDomain"]==sys.argv[1])))' "$1"
}
served() { dns_txt "$BIND_SERVER" "$NAME." | sort; }

OVO=(--type ovh --opt "endpoint=$OVH" --opt "application-key=$OVH_AK" --secret application-secret:env:OVH_AS
  --secret consumer-key:env:OVH_CK --fqdn "$NAME." --zone example.test.)
V1=GSPvmLS2Kz0V3RgVnuLc8l-a8MHe5Kd2JxHdD6BnzUk
V2=KMy8Wj0A3HxXVrHnT9pQ8l1bAc0Uy3nZ7xGkq2WoP4s

step "present two values in two runs, each applied with a refresh"
expect_ok driver present "${OVO[@]}" --value "$V1"
expect_ok driver present "${OVO[@]}" --value "$V2"
assert_eq "$(targets_at _acme-challenge.a)" "$(printf '%s\n' "$V1" "$V2" 'unrelated value' | sort)" "records after present"
assert_eq "$(hook pending)" "[]" "changes not applied"
assert_eq "$(served)" "$(printf '%s\n' "$V1" "$V2" | sort)" "TXT served after present"
assert_eq "$(hook requests | grep -o 'GET /1.0/auth/time' | wc -l)" 2 "one /auth/time per run"
no_violations

step "cleanup in a third process: the records at the name read one by one, only ours deleted"
expect_ok driver cleanup "${OVO[@]}" --value "$V1" --value "$V2"
assert_eq "$(targets_at _acme-challenge.a)" 'unrelated value' "records after cleanup"
assert_contains "$(hook requests)" "GET /1.0/domain/zone/example.test/record?fieldType=TXT&subDomain=_acme-challenge.a"
assert_eq "$(hook pending)" "[]" "changes not applied"
assert_eq "$(served)" "" "TXT served after cleanup"
expect_ok driver cleanup "${OVO[@]}" --value "$V1"  # again: nothing left to delete, not an error
no_violations

step "a wrong consumer key, a wrong application secret: exit 8 with OVH's message, no secret printed"
export OVH_BAD="bad$RANDOM$RANDOM$RANDOM"
expect_exit 8 driver present --type ovh --opt "endpoint=$OVH" --opt "application-key=$OVH_AK" \
  --secret application-secret:env:OVH_AS --secret consumer-key:env:OVH_BAD --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "OVH rejected the application key, application secret or consumer key (HTTP 403): This credential does not exist"
assert_not_contains "$ERR" "$OVH_BAD"
assert_not_contains "$ERR" "$OVH_AS"
expect_exit 8 driver present --type ovh --opt "endpoint=$OVH" --opt "application-key=$OVH_AK" \
  --secret application-secret:env:OVH_BAD --secret consumer-key:env:OVH_CK --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "OVH rejected the application key, application secret or consumer key (HTTP 400): Invalid signature"
assert_not_contains "$ERR" "$OVH_BAD"
assert_not_contains "$ERR" "$OVH_CK"

step "an unknown zone: exit 8 naming it; a malformed answer: exit 8; an API that does not answer: exit 6"
expect_exit 8 driver present --type ovh --opt "endpoint=$OVH" --opt "application-key=$OVH_AK" \
  --secret application-secret:env:OVH_AS --secret consumer-key:env:OVH_CK \
  --fqdn _acme-challenge.nosuch.example. --zone nosuch.example. --value "$V1"
assert_contains "$ERR" "nosuch.example.: zone not found in the OVH account"
expect_exit 8 driver present --type ovh --opt "endpoint=$OVH" --opt "application-key=$OVH_AK" \
  --secret application-secret:env:OVH_AS --secret consumer-key:env:OVH_CK \
  --fqdn _acme-challenge.broken.test. --zone broken.test. --value "$V1"
assert_contains "$ERR" "OVH answered HTTP 200 without JSON: <html>"
expect_exit 6 driver present --type ovh --opt "endpoint=http://127.0.0.1:$CLOSED_PORT/1.0" --opt "application-key=$OVH_AK" \
  --secret application-secret:env:OVH_AS --secret consumer-key:env:OVH_CK --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "127.0.0.1:$CLOSED_PORT"
expect_exit 2 driver present --type ovh --opt "endpoint=ovh-mars" --opt "application-key=$OVH_AK" \
  --secret application-secret:env:OVH_AS --secret consumer-key:env:OVH_CK --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "neither an OVH region"
assert_eq "$(hook records | "$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1 "records after the failures"
assert_eq "$(hook pending)" "[]" "changes not applied"
no_violations

step "dns add and dns show --json: the secrets named, never shown"
new_vault
expect_ok certctl dns add ovh1 --provider ovh --endpoint "$OVH" --application-key "$OVH_AK" \
  --application-secret-env OVH_AS --consumer-key-env OVH_CK
expect_ok certctl dns show ovh1 --json
json_check 'd["type"] == "ovh" and d["secrets"] == {"application-secret": "env:OVH_AS", "consumer-key": "env:OVH_CK"}'
json_check 'd["options"]["application-key"] == "'"$OVH_AK"'" and d["options"]["endpoint"] == "'"$OVH"'"'
assert_not_contains "$OUT" "$OVH_AS"
assert_not_contains "$OUT" "$OVH_CK"
expect_exit 2 certctl dns add ovh2 --provider ovh --application-key "$OVH_AK" --consumer-key-env OVH_CK

step "secrets sealed with --*-file, and a --debug run: no secret in the trace, the output or the vault"
(umask 077 && printf '%s\n' "$OVH_AS" >"$TEST_TMP/as" && printf '%s\n' "$OVH_CK" >"$TEST_TMP/ck")
expect_ok certctl dns add ovhs --provider ovh --endpoint "$OVH" --application-key "$OVH_AK" \
  --application-secret-file "$TEST_TMP/as" --consumer-key-file "$TEST_TMP/ck"
dns_api_no_leaks ovhs www.example.test "$OVH_AS" "$OVH_CK"
