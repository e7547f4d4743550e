#!/usr/bin/env bash
# The httpreq DNS provider against tests/support/fake_httpreq.py, a loopback endpoint of lego's
# httpreq protocol that checks every request against its documentation (POST to
# {endpoint}/present and /cleanup under the endpoint's path, Content-Type: application/json, a
# JSON object of exactly fqdn (absolute, trailing dot) and value, HTTP basic authentication) and
# mirrors the values it keeps into a BIND9 zone; any violation fails the test. Driven through
# certctl_dns_driver: two values at one name in two runs, cleanup in a third, a wrong password
# (401), an endpoint error quoted, an endpoint that does not answer; then `dns add` and
# `dns show --json`.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dns_api.sh"

dns_api_start

export HR_PASSWORD="pw$RANDOM$RANDOM$RANDOM"
(umask 077 && printf 'acme:%s\n' "$HR_PASSWORD" >"$TEST_TMP/auth")
NAME=_acme-challenge.a.example.test
start_fake hr fake_httpreq.py --prefix /acme/dns --auth-file "$TEST_TMP/auth" \
  --record "$NAME.:unrelated value" --fail _acme-challenge.broken.example.test. \
  --bind "$BIND_SERVER" --tsig-file "$TEST_TMP/tsig"
HR=$FAKE_URL/acme/dns

hook() { fake_get "$FAKE_URL" "$1"; }
no_violations() { no_fake_violations "$FAKE_URL" httpreq; }
# values_at FQDN: the values the fake keeps at FQDN (with its dot), sorted, one a line.
values_at() {
  hook records | "$PYTHON3" -c 'import json,sys; print("\n".join(sorted(r["value"] for r in json.load(sys.stdin) if r["fqdn"]==sys.argv[1])))' "$1"
}
served() { dns_txt "$BIND_SERVER" "$NAME." | sort; }

HRO=(--type httpreq --opt "endpoint=$HR/" --opt username=acme --secret password:env:HR_PASSWORD --fqdn "$NAME." --zone example.test.)
V1=GSPvmLS2Kz0V3RgVnuLc8l-a8MHe5Kd2JxHdD6BnzUk
V2=KMy8Wj0A3HxXVrHnT9pQ8l1bAc0Uy3nZ7xGkq2WoP4s

step "present two values in two runs: POST under the endpoint's path, the values published"
expect_ok driver present "${HRO[@]}" --value "$V1"
expect_ok driver present "${HRO[@]}" --value "$V2"
assert_eq "$(values_at "$NAME.")" "$(printf '%s\n' "$V1" "$V2" 'unrelated value' | sort)" "values after present"
assert_eq "$(served)" "$(printf '%s\n' "$V1" "$V2" | sort)" "TXT served after present"
assert_contains "$(hook requests)" "POST /acme/dns/present"
no_violations

step "cleanup in a third process removes only its values; again is not an error"
expect_ok driver cleanup "${HRO[@]}" --value "$V1" --value "$V2"
assert_eq "$(values_at "$NAME.")" 'unrelated value' "values after cleanup"
assert_eq "$(served)" "" "TXT served after cleanup"
assert_contains "$(hook requests)" "POST /acme/dns/cleanup"
expect_ok driver cleanup "${HRO[@]}" --value "$V1"
no_violations

step "a wrong password: exit 8 with the endpoint's answer, the password never printed"
export HR_BAD="bad$RANDOM$RANDOM$RANDOM"
expect_exit 8 driver present --type httpreq --opt "endpoint=$HR" --opt username=acme --secret password:env:HR_BAD \
  --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "$HR: the httpreq endpoint rejected the username and password (HTTP 401): unauthorized"
assert_not_contains "$ERR" "$HR_BAD"
expect_exit 8 driver present --type httpreq --opt "endpoint=$HR" --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "refused the request (HTTP 401); it may want a username and password: unauthorized"

step "an endpoint error is quoted; an endpoint that does not answer: exit 6; options checked: exit 2"
expect_exit 8 driver present "${HRO[@]:0:8}" --fqdn _acme-challenge.broken.example.test. --zone example.test. --value "$V1"
assert_contains "$ERR" "_acme-challenge.broken.example.test.: the httpreq endpoint answered POST $HR/present with HTTP 500: backend exploded"
expect_exit 6 driver present --type httpreq --opt "endpoint=http://127.0.0.1:$CLOSED_PORT/acme/dns" --opt username=acme \
  --secret password:env:HR_PASSWORD --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "127.0.0.1:$CLOSED_PORT"
expect_exit 2 driver present --type httpreq --opt "endpoint=$HR" --opt username=acme --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "username and password go together"
expect_exit 2 driver present --type httpreq --opt "endpoint=ftp://127.0.0.1/x" --fqdn "$NAME." --zone example.test. --value "$V1"
assert_eq "$(values_at "$NAME.")" 'unrelated value' "values after the failures"
assert_eq "$(hook records | "$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1 "values anywhere"
no_violations

step "dns add and dns show --json: the password named, never shown"
new_vault
expect_ok certctl dns add hook --provider httpreq --endpoint "$HR" --username acme --password-env HR_PASSWORD
expect_ok certctl dns show hook --json
json_check 'd["type"] == "httpreq" and d["secrets"] == {"password": "env:HR_PASSWORD"}'
json_check 'd["options"]["endpoint"] == "'"$HR"'" and d["options"]["username"] == "acme"'
assert_not_contains "$OUT" "$HR_PASSWORD"
expect_exit 2 certctl dns add hook2 --provider httpreq --username acme --password-env HR_PASSWORD

step "secrets sealed with --*-file, and a --debug run: no secret in the trace, the output or the vault"
(umask 077 && printf '%s\n' "$HR_PASSWORD" >"$TEST_TMP/hr-password")
expect_ok certctl dns add hooks --provider httpreq --endpoint "$HR" --username acme --password-file "$TEST_TMP/hr-password"
dns_api_no_leaks hooks www.example.test "$HR_PASSWORD"
