#!/usr/bin/env bash
# The aliyun DNS provider against tests/support/fake_aliyun.py, a loopback stand-in for the
# Alibaba Cloud DNS (Alidns) RPC API 2015-01-09 that checks every request against its public
# documentation (GET /, the common parameters, Alibaba's percent-encoding, a fresh Timestamp, a
# nonce never used before, the HMAC-SHA1 signature recomputed with the known AccessKey secret,
# each Action's parameters, RR relative to the domain, paging bounds) and answers as documented;
# any violation fails the test. First driven through certctl_dns_driver (paging of domains and
# records, two values at one name, cleanup in another process, a bad secret, an unknown AccessKey
# ID, an unknown domain, a TTL below the edition's floor, a malformed answer, an API that does not
# answer), then end to end: `dns add` and `issue --dns` through pebble, whose VA resolves through
# a BIND9 the fake mirrors its records into.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dns_api.sh"

dns_api_start --pebble

KEY_ID="LTAI5t$RANDOM$RANDOM"
export ALI_SECRET="aliSecret$RANDOM$RANDOM$RANDOM"
(umask 077 && printf '%s:%s\n' "$KEY_ID" "$ALI_SECRET" >"$TEST_TMP/key")
NAME=_acme-challenge.a.example.test
# Domains that match the keyword "example.test" and list before it, so finding it takes three
# pages of one domain each.
start_fake ali fake_aliyun.py --key-file "$TEST_TMP/key" --domain aexample.test --domain b.example.test \
  --domain example.test --page-size 1 --record "example.test:_acme-challenge.a:unrelated value" \
  --bind "$BIND_SERVER" --tsig-file "$TEST_TMP/tsig"
ALI=$FAKE_URL

hook() { fake_get "$ALI" "$1"; }
# values_at RR: the values of the fake's TXT records at RR (relative), sorted, one a line.
values_at() {
  hook records | "$PYTHON3" -c 'import json,sys; print("\n".join(sorted(r["Value"] for r in json.load(sys.stdin) if r["RR"]==sys.argv[1])))' "$1"
}
no_violations() { no_fake_violations "$ALI" "Alibaba Cloud DNS"; }

AO=(--type aliyun --opt "api-url=$ALI" --opt "access-key-id=$KEY_ID" --secret access-key-secret:env:ALI_SECRET
  --fqdn "$NAME." --zone example.test.)
V1=GSPvmLS2Kz0V3RgVnuLc8l-a8MHe5Kd2JxHdD6BnzUk
V2=KMy8Wj0A3HxXVrHnT9pQ8l1bAc0Uy3nZ7xGkq2WoP4s

step "present two values in two runs; cleanup in a third finds them page by page and deletes only them"
expect_ok driver present "${AO[@]}" --value "$V1"
expect_ok driver present "${AO[@]}" --value "$V2"
assert_eq "$(values_at _acme-challenge.a)" "$(printf '%s\n' "$V1" "$V2" 'unrelated value' | sort)" "records after present"
assert_contains "$(hook requests)" "Action=DescribeDomains&Format=JSON&KeyWord=example.test&PageNumber=3&PageSize=100"
assert_contains "$(hook requests)" "TTL=600"
hook throttle >/dev/null  # throttled once: signed afresh and tried again a second later
expect_ok driver present "${AO[@]}" --value "$V1"  # again, in another run: DomainRecordDuplicate is fine
expect_ok driver cleanup "${AO[@]}" --value "$V1" --value "$V2"
assert_eq "$(values_at _acme-challenge.a)" 'unrelated value' "records after cleanup"
assert_contains "$(hook requests)" "Action=DescribeSubDomainRecords&DomainName=example.test&Format=JSON&PageNumber=3&PageSize=100"
expect_ok driver cleanup "${AO[@]}" --value "$V1"  # again: nothing left to delete, not an error
assert_not_contains "$(hook requests)" "$ALI_SECRET"
no_violations

step "a wrong secret or an unknown AccessKey ID: exit 8 with Alibaba's Code and Message, the secret never printed"
export ALI_BAD_SECRET="wrongSecret$RANDOM$RANDOM"
expect_exit 8 driver present --type aliyun --opt "api-url=$ALI" --opt "access-key-id=$KEY_ID" \
  --secret access-key-secret:env:ALI_BAD_SECRET --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "Alibaba Cloud DNS rejected the AccessKey $KEY_ID (SignatureDoesNotMatch, HTTP 400): Specified signature is not matched"
assert_not_contains "$ERR" "$ALI_BAD_SECRET"
assert_not_contains "$ERR" "Signature="
expect_exit 8 driver present --type aliyun --opt "api-url=$ALI" --opt "access-key-id=LTAInosuchkey" \
  --secret access-key-secret:env:ALI_SECRET --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "rejected the AccessKey LTAInosuchkey (InvalidAccessKeyId.NotFound, HTTP 404): Specified access key is not found."
assert_not_contains "$ERR" "$ALI_SECRET"

step "a domain the account does not have: exit 8 naming it; a TTL below the floor; a malformed answer"
expect_exit 8 driver present --type aliyun --opt "api-url=$ALI" --opt "access-key-id=$KEY_ID" \
  --secret access-key-secret:env:ALI_SECRET --fqdn _acme-challenge.nosuch.example. --zone nosuch.example. --value "$V1"
assert_contains "$ERR" "nosuch.example.: zone not found among the domains of the Alibaba Cloud DNS account"
expect_exit 8 driver present "${AO[@]}" --opt min-ttl=60 --ttl 60 --value "$V1"
assert_contains "$ERR" "$NAME.: Alibaba Cloud DNS refused TTL 60: raise the provider's min-ttl to the lowest TTL this domain's edition allows (QuotaExceeded.TTL, HTTP 400)"
hook malform >/dev/null
expect_exit 8 driver present "${AO[@]}" --value "$V1"
assert_contains "$ERR" "without a JSON object"

step "an API that does not answer: exit 6 naming it"
expect_exit 6 driver present --type aliyun --opt "api-url=http://127.0.0.1:$CLOSED_PORT" --opt "access-key-id=$KEY_ID" \
  --secret access-key-secret:env:ALI_SECRET --fqdn "$NAME." --zone example.test. --value "$V1"
assert_contains "$ERR" "127.0.0.1:$CLOSED_PORT"
assert_not_contains "$ERR" "Signature="
assert_eq "$(values_at _acme-challenge.a)" 'unrelated value' "records after the failures"
no_violations

step "end to end: dns add, then issue a wildcard and its apex through pebble"
new_vault
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" --allow-wildcard
expect_ok certctl account register --ca pebble --email dns@example.com --agree-tos
expect_ok certctl dns add ali --provider aliyun --api-url "$ALI" --access-key-id "$KEY_ID" \
  --access-key-secret-env ALI_SECRET
expect_ok certctl dns show ali --json
json_check 'd["type"] == "aliyun" and d["secrets"] == {"access-key-secret": "env:ALI_SECRET"}'
assert_not_contains "$OUT" "$ALI_SECRET"
expect_ok certctl issue aliwild --domain example.test --san '*.example.test' --ca pebble --dns ali
expect_ok certctl show aliwild --json
json_check 'd["status"] == "active" and d["issue"]["dns"] == "ali" and sorted(d["sans"]) == ["*.example.test"]'
# Every record it created is gone from the API and from the zone.
assert_eq "$(hook records | "$PYTHON3" -c 'import json,sys; print(len([r for r in json.load(sys.stdin) if r["RR"] != "_acme-challenge.a"]))')" 0 \
  "records left at the API"
assert_eq "$(dns_txt "$BIND_SERVER" _acme-challenge.example.test.)" "" "TXT left in the zone"
no_violations

step "secrets sealed with --*-file, and a --debug run: no secret in the trace, the output or the vault"
(umask 077 && printf '%s\n' "$ALI_SECRET" >"$TEST_TMP/ali-secret")
expect_ok certctl dns add alis --provider aliyun --api-url "$ALI" --access-key-id "$KEY_ID" \
  --access-key-secret-file "$TEST_TMP/ali-secret"
dns_api_no_leaks alis www.example.test "$ALI_SECRET"
