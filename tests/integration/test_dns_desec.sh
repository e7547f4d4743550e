#!/usr/bin/env bash
# The desec DNS provider against tests/support/fake_desec.py, a loopback stand-in that checks
# every request against deSEC's public API documentation (Token authorization, owns_qname, RRset
# URLs with "@" for the apex and their trailing slash, quoted TXT records, fields and types) and
# answers as documented; any violation fails the test. Driven through certctl_dns_driver: values
# merged into an RRset others share, the domain's minimum TTL, cleanup in another process that
# leaves the others' value, the apex, a bad token, a name no domain holds, an API that does not
# answer.
source "$(dirname "$0")/lib.sh"

: "${CERTCTL_DNS_DRIVER:?set CERTCTL_DNS_DRIVER to the certctl_dns_driver binary}"
require_tool curl
driver() { "$CERTCTL_DNS_DRIVER" "$@"; }
reserve_closed_port

export DS_TOKEN="ds$RANDOM$RANDOM$RANDOM"
(umask 077 && printf '%s\n' "$DS_TOKEN" >"$TEST_TMP/token")
NAME=_acme-challenge.a.example.com
start_fake ds fake_desec.py --token-file "$TEST_TMP/token" --domain example.com=3600 --domain sub.example.com=60 \
  --rrset 'example.com:_acme-challenge.a:"unrelated value"'
DS=$FAKE_URL
API=$DS/api/v1

hook() { fake_get "$DS" "$1"; }
no_violations() { no_fake_violations "$DS" deSEC; }
# rrset DOMAIN SUBNAME: the records of that RRset (sorted, one a line) and its TTL last.
rrset() {
  hook records | "$PYTHON3" -c 'import json,sys
for r in json.load(sys.stdin):
    if r["domain"] == sys.argv[1] and r["subname"] == sys.argv[2]: print("\n".join(sorted(r["records"]))); print(r["ttl"])' "$1" "$2"
}

DSO=(--type desec --opt "api-url=$API" --secret api-token:env:DS_TOKEN --fqdn "$NAME." --zone example.com.)
V1=GSPvmLS2Kz0V3RgVnuLc8l-a8MHe5Kd2JxHdD6BnzUk
V2=KMy8Wj0A3HxXVrHnT9pQ8l1bAc0Uy3nZ7xGkq2WoP4s

step "present two values in two runs: merged into the RRset the other value is in"
expect_ok driver present "${DSO[@]}" --value "$V1"
expect_ok driver present "${DSO[@]}" --value "$V2"
assert_eq "$(rrset example.com _acme-challenge.a)" "$(printf '%s\n' "\"$V1\"" "\"$V2\"" '"unrelated value"' | sort; echo 3600)" \
  "the RRset after present"
no_violations

step "cleanup in another process: exactly our values go, the other stays"
expect_ok driver cleanup "${DSO[@]}" --value "$V1" --value "$V2"
assert_eq "$(rrset example.com _acme-challenge.a)" "$(printf '%s\n' '"unrelated value"' 3600)" "the RRset after cleanup"
expect_ok driver cleanup "${DSO[@]}" --value "$V1"
no_violations

step "a new RRset at a domain's apex gets the domain's minimum TTL or ours, whichever is higher; cleanup deletes it"
expect_ok driver present --type desec --opt "api-url=$API" --secret api-token:env:DS_TOKEN --fqdn sub.example.com. \
  --zone sub.example.com. --ttl 120 --value "$V1"
assert_eq "$(rrset sub.example.com '')" "$(printf '%s\n' "\"$V1\"" 120)" "the apex RRset"
assert_contains "$(hook requests)" "GET /api/v1/domains/sub.example.com/rrsets/@/TXT/"
expect_ok driver cleanup --type desec --opt "api-url=$API" --secret api-token:env:DS_TOKEN --fqdn sub.example.com. \
  --zone sub.example.com. --value "$V1"
assert_eq "$(rrset sub.example.com '')" "" "the apex RRset after cleanup"
no_violations

step "a bad token: exit 8 with deSEC's detail, the token never printed"
export DS_BAD_TOKEN="wrong$RANDOM$RANDOM"
expect_exit 8 driver present --type desec --opt "api-url=$API" --secret api-token:env:DS_BAD_TOKEN \
  --fqdn "$NAME." --zone example.com. --value "$V1"
assert_contains "$ERR" "deSEC rejected the API token (HTTP 401): Invalid token."
assert_not_contains "$ERR" "$DS_BAD_TOKEN"

step "a name no domain holds: exit 8 naming it; an API that does not answer: exit 6"
expect_exit 8 driver present --type desec --opt "api-url=$API" --secret api-token:env:DS_TOKEN \
  --fqdn _acme-challenge.nosuch.example. --zone nosuch.example. --value "$V1"
assert_contains "$ERR" "_acme-challenge.nosuch.example.: no domain of the deSEC account holds this name"
expect_exit 6 driver present --type desec --opt "api-url=http://127.0.0.1:$CLOSED_PORT/api/v1" \
  --secret api-token:env:DS_TOKEN --fqdn "$NAME." --zone example.com. --value "$V1"
assert_contains "$ERR" "127.0.0.1:$CLOSED_PORT"
assert_eq "$(rrset example.com _acme-challenge.a)" "$(printf '%s\n' '"unrelated value"' 3600)" "the RRset at the end"
no_violations
