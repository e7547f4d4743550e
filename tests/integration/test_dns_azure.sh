#!/usr/bin/env bash
# The azure DNS provider against tests/support/fake_azure.py, a loopback stand-in for Microsoft
# Entra ID's token endpoint and the Azure DNS REST API (2018-05-01) that checks every request
# against Microsoft's public documentation (the client-credentials form, tenant, client, secret
# and scope; Bearer tokens it issued; api-version; paths; JSON fields and types; If-Match and
# If-None-Match etags, 412 when they do not hold) and answers as documented; any violation fails
# the test. First driven through certctl_dns_driver (the zone found in the subscription's paged
# list, values merged into a record set others share, a concurrent change answered 412 and
# retried, cleanup in another process, the apex, a bad secret, an unknown zone and resource group,
# an unreachable API, a malformed answer), then end to end: `dns add` and `issue --dns` through
# pebble, whose VA resolves through a BIND9 the fake mirrors its record sets into.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dns_api.sh"

dns_api_start --pebble

export AZ_SECRET="Az8Q~$RANDOM$RANDOM$RANDOM.secret"
(umask 077 && printf '%s\n' "$AZ_SECRET" >"$TEST_TMP/secret")
NAME=_acme-challenge.a.example.test
# Three zones sort before example.test and one page holds one zone: the lookup reads four pages.
start_fake az fake_azure.py --tenant tenant-1 --client-id app-1 --secret-file "$TEST_TMP/secret" \
  --subscription sub-1 --zone rg-a:aaa.test --zone rg-b:bbb.test --zone rg-c:ccc.test --zone rg-dns:example.test \
  --zone rg-bad:garbled.test --garbled garbled.test --page-size 1 --race 1 --resource "http://127.0.0.1:$CLOSED_PORT" \
  --record "example.test:_acme-challenge.a:unrelated value" --bind "$BIND_SERVER" --tsig-file "$TEST_TMP/tsig"
AZ=$FAKE_URL

hook() { fake_get "$AZ" "$1"; }
# values_at NAME: the values of the fake's TXT record set at NAME in example.test, sorted.
values_at() {
  hook records | "$PYTHON3" -c 'import json,sys
for r in json.load(sys.stdin):
    if r["zone"] == "example.test" and r["name"] == sys.argv[1]: print("\n".join(sorted(r["values"])))' "$1"
}
no_violations() { no_fake_violations "$AZ" "Azure DNS / Microsoft Entra ID"; }

AZC=(--type azure --opt "api-url=$AZ" --opt "login-url=$AZ" --opt tenant-id=tenant-1 --opt client-id=app-1
  --opt subscription-id=sub-1 --secret client-secret:env:AZ_SECRET)
AZO=("${AZC[@]}" --fqdn "$NAME." --zone example.test.)
V1=GSPvmLS2Kz0V3RgVnuLc8l-a8MHe5Kd2JxHdD6BnzUk
V2=KMy8Wj0A3HxXVrHnT9pQ8l1bAc0Uy3nZ7xGkq2WoP4s

step "present two values in two runs: the zone found page by page, merged into the set the other value is in"
expect_ok driver present "${AZO[@]}" --value "$V1"
expect_ok driver present "${AZO[@]}" --value "$V2"
assert_eq "$(values_at _acme-challenge.a)" "$(printf '%s\n' "$V1" "$V2" 'unrelated value' | sort)" "the record set after present"
assert_eq "$(dns_txt "$BIND_SERVER" "$NAME.")" "$(printf '%s\n' "$V1" "$V2" 'unrelated value' | sort)" "TXT in the zone"
requests=$(hook requests)
assert_contains "$requests" "GET /subscriptions/sub-1/providers/Microsoft.Network/dnszones?api-version=2018-05-01&\$skipToken=3"
# --race 1: the first write met a concurrent change (412), was read again and written again.
assert_eq "$(grep -o "PUT /subscriptions/sub-1/resourceGroups/rg-dns/providers/Microsoft.Network/dnsZones/example.test/TXT/_acme-challenge.a" <<<"$requests" | wc -l)" 3 \
  "PUTs (one answered 412)"
assert_eq "$(grep -o 'POST /tenant-1/oauth2/v2.0/token' <<<"$requests" | wc -l)" 2 "token requests (one per run)"
no_violations

step "cleanup in another process (with resource-group): exactly our values go, the other stays; again is fine"
expect_ok driver cleanup "${AZO[@]}" --opt resource-group=rg-dns --value "$V1" --value "$V2"
assert_eq "$(values_at _acme-challenge.a)" 'unrelated value' "the record set after cleanup"
assert_eq "$(dns_txt "$BIND_SERVER" "$NAME.")" 'unrelated value' "TXT in the zone after cleanup"
assert_contains "$(hook requests)" "GET /subscriptions/sub-1/resourceGroups/rg-dns/providers/Microsoft.Network/dnsZones/example.test?api-version=2018-05-01"
expect_ok driver cleanup "${AZO[@]}" --opt resource-group=rg-dns --value "$V1"
no_violations

step "the apex: a new record set (If-None-Match: *) with our TTL, deleted by cleanup"
expect_ok driver present "${AZC[@]}" --opt resource-group=rg-dns --fqdn example.test. --zone example.test. --ttl 120 --value "$V1"
assert_eq "$(values_at @)" "$V1" "the apex record set"
assert_eq "$(hook records | "$PYTHON3" -c 'import json,sys; print([r["ttl"] for r in json.load(sys.stdin) if r["name"] == "@"])')" "[120]" "its TTL"
expect_ok driver cleanup "${AZC[@]}" --opt resource-group=rg-dns --fqdn example.test. --zone example.test. --value "$V1"
assert_eq "$(values_at @)" "" "the apex record set after cleanup"
assert_contains "$(hook requests)" "DELETE /subscriptions/sub-1/resourceGroups/rg-dns/providers/Microsoft.Network/dnsZones/example.test/TXT/@?api-version=2018-05-01"
no_violations

step "a bad client secret: exit 8 with Entra ID's AADSTS message, the secret never printed"
export AZ_BAD_SECRET="Wrong~$RANDOM$RANDOM"
expect_exit 8 driver present --type azure --opt "api-url=$AZ" --opt "login-url=$AZ" --opt tenant-id=tenant-1 \
  --opt client-id=app-1 --opt subscription-id=sub-1 --secret client-secret:env:AZ_BAD_SECRET --fqdn "$NAME." \
  --zone example.test. --value "$V1"
assert_contains "$ERR" "Microsoft Entra ID rejected the client credentials of client-id app-1 (HTTP 401 invalid_client): AADSTS7000215: Invalid client secret provided."
assert_not_contains "$ERR" "$AZ_BAD_SECRET"
assert_not_contains "$ERR" "$AZ_SECRET"
expect_exit 8 driver present "${AZO[@]}" --opt tenant-id=tenant-2 --value "$V1"
assert_contains "$ERR" "refused the token request for tenant tenant-2 (HTTP 400 invalid_request): AADSTS90002: Tenant 'tenant-2' not found."

step "an unknown zone or resource group: exit 8 naming it; an API that does not answer: exit 6; a malformed answer: exit 8"
expect_exit 8 driver present "${AZC[@]}" --fqdn _acme-challenge.nosuch.example. --zone nosuch.example. --value "$V1"
assert_contains "$ERR" "nosuch.example.: zone not found in subscription sub-1 (5 DNS zones listed"
expect_exit 8 driver present "${AZO[@]}" --opt resource-group=rg-nope --value "$V1"
assert_contains "$ERR" "example.test.: resource group 'rg-nope' not found in subscription sub-1 (Azure: ResourceGroupNotFound: Resource group 'rg-nope' could not be found.)"
expect_exit 8 driver present "${AZO[@]}" --opt resource-group=rg-a --value "$V1"
assert_contains "$ERR" "example.test.: zone not found in resource group 'rg-a' of subscription sub-1 (Azure: ResourceNotFound: "
expect_exit 6 driver present "${AZC[@]}" --opt "login-url=http://127.0.0.1:$CLOSED_PORT" --fqdn "$NAME." \
  --zone example.test. --value "$V1"
assert_contains "$ERR" "127.0.0.1:$CLOSED_PORT"
expect_exit 6 driver present "${AZC[@]}" --opt "api-url=http://127.0.0.1:$CLOSED_PORT" --fqdn "$NAME." \
  --zone example.test. --value "$V1"
assert_contains "$ERR" "127.0.0.1:$CLOSED_PORT"
expect_exit 8 driver present "${AZC[@]}" --opt resource-group=rg-bad --fqdn _acme-challenge.garbled.test. \
  --zone garbled.test. --value "$V1"
assert_contains "$ERR" "Azure DNS answered HTTP 200 without a JSON object: <html>"
assert_eq "$(values_at _acme-challenge.a)" 'unrelated value' "the record set after the failures"
assert_eq "$(hook records | "$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1 "record sets after the failures"
no_violations

step "end to end: dns add, then issue a wildcard and its apex through pebble"
new_vault
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" --allow-wildcard
expect_ok certctl account register --ca pebble --email dns@example.com --agree-tos
expect_ok certctl dns add az --provider azure --api-url "$AZ" --login-url "$AZ" --tenant-id tenant-1 \
  --client-id app-1 --subscription-id sub-1 --resource-group rg-dns --client-secret-env AZ_SECRET --ttl 30
expect_ok certctl dns show az --json
json_check 'd["type"] == "azure" and d["secrets"] == {"client-secret": "env:AZ_SECRET"} and d["options"]["client-id"] == "app-1"'
assert_not_contains "$OUT" "$AZ_SECRET"
expect_ok certctl issue azwild --domain example.test --san '*.example.test' --ca pebble --dns az
expect_ok certctl show azwild --json
json_check 'd["status"] == "active" and d["issue"]["dns"] == "az" and sorted(d["sans"]) == ["*.example.test"]'
# Every record set it created is gone from the API and from the zone.
assert_eq "$(hook records | "$PYTHON3" -c 'import json,sys; print(len([r for r in json.load(sys.stdin) if r["name"] != "_acme-challenge.a"]))')" 0 \
  "record sets left at the API"
assert_eq "$(dns_txt "$BIND_SERVER" _acme-challenge.example.test.)" "" "TXT left in the zone"
no_violations

step "secrets sealed with --*-file, and a --debug run: no secret in the trace, the output or the vault"
expect_ok certctl dns add azs --provider azure --api-url "$AZ" --login-url "$AZ" --tenant-id tenant-1 \
  --client-id app-1 --subscription-id sub-1 --resource-group rg-dns --client-secret-file "$TEST_TMP/secret"
dns_api_no_leaks azs www.example.test "$AZ_SECRET"
