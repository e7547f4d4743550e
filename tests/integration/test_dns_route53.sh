#!/usr/bin/env bash
# The route53 DNS provider against tests/support/fake_route53.py, a loopback stand-in that
# checks every request against the Route 53 API reference (paths, query parameters, the
# ChangeResourceRecordSets XML, quoted TXT values, change ids) and recomputes each request's
# AWS Signature Version 4 from the secret key it knows (a wrong one is 403
# SignatureDoesNotMatch, as AWS answers); any violation fails the test. First driven through
# certctl_dns_driver with credentials from the options, the AWS environment variables and a
# shared credentials file profile (zones paged past a private one, two values at one name in one
# record set, cleanup in another process, a busy zone retried, a bad secret, an unknown zone, a
# malformed answer, an API that does not answer), then end to end: `dns add` and `issue --dns`
# through pebble, whose VA resolves through a BIND9 the fake mirrors its record sets into.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dns_api.sh"

dns_api_start --pebble
# Nothing from the environment of whoever runs the test.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_SHARED_CREDENTIALS_FILE
export HOME=$TEST_TMP/home
mkdir -p "$HOME"

AKID="AKIDCERTCTL$RANDOM"
export R53_SECRET="wJalrXUtnFEMI/K7MDENG+bPxRfiCY$RANDOM$RANDOM"
printf '%s\n' "$AKID" >"$TEST_TMP/akid"
(umask 077 && printf '%s\n' "$R53_SECRET" >"$TEST_TMP/secret")
(umask 077 && printf '[default]\naws_access_key_id = AKIDWRONG\naws_secret_access_key = wrong\n\n[certctl]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
  "$AKID" "$R53_SECRET" >"$TEST_TMP/credentials")
NAME=_acme-challenge.a.example.test
# Zones come sorted by name, then id: a private example.test first, one per page.
start_fake r53 fake_route53.py --access-key-file "$TEST_TMP/akid" --secret-file "$TEST_TMP/secret" \
  --private-zone example.test:ZAPRIVATE --zone example.test:ZEXAMPLE1 --zone a.example.test:ZSUB1 \
  --zone example.org:ZORG1 --zone-page-size 1 --busy 1 \
  --record "ZEXAMPLE1:$NAME:unrelated value" --bind "$BIND_SERVER" --tsig-file "$TEST_TMP/tsig"
R53=$FAKE_URL

hook() { fake_get "$R53" "$1"; }
# values_at NAME: the values of the fake's TXT set at NAME (absolute), sorted, one a line.
values_at() {
  hook records | "$PYTHON3" -c 'import json,sys; print("\n".join(sorted(v for r in json.load(sys.stdin) if r["name"]==sys.argv[1] for v in r["values"])))' "$1"
}
no_violations() { no_fake_violations "$R53" "Route 53"; }

AT=(--type route53 --opt "api-url=$R53" --fqdn "$NAME." --zone example.test.)
OPTS=("${AT[@]}" --opt "access-key-id=$AKID" --secret secret-access-key:env:R53_SECRET)
V1=GSPvmLS2Kz0V3RgVnuLc8l-a8MHe5Kd2JxHdD6BnzUk
V2=KMy8Wj0A3HxXVrHnT9pQ8l1bAc0Uy3nZ7xGkq2WoP4s

step "credentials from the options: present (a busy zone retried); zones paged past a private one"
expect_ok driver present "${OPTS[@]}" --value "$V1"
assert_eq "$(values_at "$NAME.")" "$(printf '%s\n' "$V1" 'unrelated value' | sort)" "values after present"
assert_contains "$(hook requests)" "/2013-04-01/hostedzonesbyname?dnsname=example.test&maxitems=100"
assert_contains "$(hook requests)" "/2013-04-01/hostedzonesbyname?dnsname=example.test.&hostedzoneid=ZEXAMPLE1&maxitems=100"
assert_contains "$(hook requests)" "/2013-04-01/hostedzonesbyname?dnsname=a.example.test.&hostedzoneid=ZSUB1&maxitems=100"
assert_contains "$(hook requests)" "GET /2013-04-01/change/"
no_violations

step "credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY: a second value joins the same set"
expect_ok env AWS_ACCESS_KEY_ID="$AKID" AWS_SECRET_ACCESS_KEY="$R53_SECRET" "$CERTCTL_DNS_DRIVER" present "${AT[@]}" --value "$V2"
assert_eq "$(values_at "$NAME.")" "$(printf '%s\n' "$V1" "$V2" 'unrelated value' | sort)" "values after the second present"
assert_eq "$(hook records | "$PYTHON3" -c 'import json,sys; print(len([r for r in json.load(sys.stdin) if r["name"]==sys.argv[1]]))' "$NAME.")" 1 \
  "record sets at the name"
# (the preloaded value is only at the API: the fake mirrors what changes)
assert_eq "$(dns_txt "$BIND_SERVER" "$NAME." | sort)" "$(printf '%s\n' "$V1" "$V2" | sort)" "TXT in BIND"
no_violations

step "credentials from a shared credentials file profile: cleanup in a third run removes only its values"
expect_ok env AWS_SHARED_CREDENTIALS_FILE="$TEST_TMP/credentials" "$CERTCTL_DNS_DRIVER" cleanup "${AT[@]}" --opt profile=certctl \
  --value "$V1" --value "$V2"
assert_eq "$(values_at "$NAME.")" 'unrelated value' "values after cleanup"
expect_ok env AWS_SHARED_CREDENTIALS_FILE="$TEST_TMP/credentials" AWS_PROFILE=certctl "$CERTCTL_DNS_DRIVER" cleanup "${AT[@]}" --value "$V1"
no_violations

step "the last value removed deletes the set; cleanup again is not an error"
expect_ok driver present "${OPTS[@]}" --fqdn _acme-challenge.b.example.test. --value "$V1"
assert_eq "$(values_at _acme-challenge.b.example.test.)" "$V1" "values at b"
expect_ok driver cleanup "${OPTS[@]}" --fqdn _acme-challenge.b.example.test. --value "$V1"
assert_eq "$(values_at _acme-challenge.b.example.test.)" "" "values at b after cleanup"
expect_ok driver cleanup "${OPTS[@]}" --fqdn _acme-challenge.b.example.test. --value "$V1"
no_violations

step "no credentials anywhere: exit 2 naming where certctl looked; a missing profile names the file"
expect_exit 2 driver present "${AT[@]}" --value "$V1"
assert_contains "$ERR" "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and the shared credentials file $HOME/.aws/credentials cannot be read"
expect_exit 2 env AWS_SHARED_CREDENTIALS_FILE="$TEST_TMP/credentials" "$CERTCTL_DNS_DRIVER" present "${AT[@]}" --opt profile=nosuch --value "$V1"
assert_contains "$ERR" "$TEST_TMP/credentials: no profile 'nosuch' in the shared credentials file"
assert_not_contains "$ERR" "$R53_SECRET"

step "temporary credentials: the session token is sent and signed (a fake that requires one)"
export R53_TOKEN="FwoGZXIvYXdzEXAMPLE$RANDOM$RANDOM/token+"
(umask 077 && printf '%s\n' "$R53_TOKEN" >"$TEST_TMP/token")
start_fake r53tok fake_route53.py --access-key-file "$TEST_TMP/akid" --secret-file "$TEST_TMP/secret" \
  --token-file "$TEST_TMP/token" --zone example.test:ZTOK1 --pending-polls 0
TOK=(--type route53 --opt "api-url=$FAKE_URL" --fqdn "$NAME." --zone example.test.)
expect_ok env AWS_ACCESS_KEY_ID="$AKID" AWS_SECRET_ACCESS_KEY="$R53_SECRET" AWS_SESSION_TOKEN="$R53_TOKEN" \
  "$CERTCTL_DNS_DRIVER" present "${TOK[@]}" --value "$V1"
expect_ok "$CERTCTL_DNS_DRIVER" cleanup "${TOK[@]}" --opt "access-key-id=$AKID" --secret secret-access-key:env:R53_SECRET \
  --secret session-token:env:R53_TOKEN --value "$V1"
expect_exit 8 "$CERTCTL_DNS_DRIVER" present "${TOK[@]}" --opt "access-key-id=$AKID" --secret secret-access-key:env:R53_SECRET \
  --value "$V1"
assert_contains "$ERR" "(HTTP 403): InvalidClientTokenId"
assert_eq "$(fake_get "$FAKE_URL" history | "$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 2 "changes with the token"
no_fake_violations "$FAKE_URL" "Route 53"

step "a wrong secret key: exit 8 with Route 53's SignatureDoesNotMatch, the secret never printed"
export R53_BAD_SECRET="wJalrXUtnFEMIwrong$RANDOM$RANDOM"
expect_exit 8 driver present "${AT[@]}" --opt "access-key-id=$AKID" --secret secret-access-key:env:R53_BAD_SECRET --value "$V1"
assert_contains "$ERR" "Route 53 rejected the AWS credentials (access key $AKID from the options) (HTTP 403): SignatureDoesNotMatch: The request signature we calculated does not match"
assert_not_contains "$ERR" "$R53_BAD_SECRET"
expect_exit 8 env AWS_ACCESS_KEY_ID=AKIDUNKNOWN AWS_SECRET_ACCESS_KEY="$R53_SECRET" "$CERTCTL_DNS_DRIVER" present "${AT[@]}" --value "$V1"
assert_contains "$ERR" "(HTTP 403): InvalidClientTokenId: The security token included in the request is invalid."
assert_not_contains "$ERR" "$R53_SECRET"

step "an unknown zone: exit 8 naming it; a malformed answer: exit 8; an API that does not answer: exit 6"
expect_exit 8 driver present "${OPTS[@]}" --fqdn _acme-challenge.nosuch.example. --zone nosuch.example. --value "$V1"
assert_contains "$ERR" "nosuch.example.: no public hosted zone of this name in the Route 53 account"
expect_exit 8 driver present "${OPTS[@]}" --opt hosted-zone-id=ZNOSUCH --value "$V1"
assert_contains "$ERR" "NoSuchHostedZone: No hosted zone found with ID: ZNOSUCH"
expect_exit 8 driver present "${OPTS[@]}" --opt "api-url=$R53/_test/html" --value "$V1"
assert_contains "$ERR" "Route 53 answered HTTP 200 without a <ListHostedZonesByNameResponse> document: <html>"
expect_exit 6 driver present "${OPTS[@]}" --opt "api-url=http://127.0.0.1:$CLOSED_PORT" --value "$V1"
assert_contains "$ERR" "127.0.0.1:$CLOSED_PORT"
assert_eq "$(values_at "$NAME.")" 'unrelated value' "values after the failures"
no_violations

step "end to end: dns add (credentials at use time), then issue a wildcard and its apex through pebble"
new_vault
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" --allow-wildcard
expect_ok certctl account register --ca pebble --email dns@example.com --agree-tos
expect_ok certctl dns add r53opt --provider route53 --api-url "$R53" --access-key-id "$AKID" --secret-access-key-env R53_SECRET
expect_ok certctl dns show r53opt --json
json_check 'd["type"] == "route53" and d["secrets"] == {"secret-access-key": "env:R53_SECRET"}'
assert_not_contains "$OUT" "$R53_SECRET"
expect_ok certctl dns add r53 --provider route53 --api-url "$R53" --profile certctl --ttl 30
expect_ok env AWS_SHARED_CREDENTIALS_FILE="$TEST_TMP/credentials" "$CERTCTL_BIN" issue r53wild --domain example.test \
  --san '*.example.test' --ca pebble --dns r53
expect_ok certctl show r53wild --json
json_check 'd["status"] == "active" and d["issue"]["dns"] == "r53" and sorted(d["sans"]) == ["*.example.test"]'
# Both values (wildcard and apex) went into the one set at _acme-challenge.example.test; all gone now.
assert_contains "$(hook requests)" "rrset?name=_acme-challenge.example.test.&type=TXT&maxitems=1"
assert_eq "$(hook history | "$PYTHON3" -c 'import json,sys; print(max(len(c[3]) for b in json.load(sys.stdin) for c in b["changes"] if c[1]=="_acme-challenge.example.test." and c[0]=="CREATE"))')" 2 \
  "values in the set at _acme-challenge.example.test"
assert_eq "$(hook records | "$PYTHON3" -c 'import json,sys; print(len([r for r in json.load(sys.stdin) if r["name"] != sys.argv[1]]))' "$NAME.")" 0 \
  "record sets left at the API"
assert_eq "$(dns_txt "$BIND_SERVER" _acme-challenge.example.test.)" "" "TXT left in the zone"
no_violations

step "secrets sealed with --*-file, and a --debug run: no secret in the trace, the output or the vault"
expect_ok certctl dns add r53s --provider route53 --api-url "$R53" --access-key-id "$AKID" --secret-access-key-file "$TEST_TMP/secret"
dns_api_no_leaks r53s www.example.test "$R53_SECRET"
