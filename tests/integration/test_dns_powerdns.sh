#!/usr/bin/env bash
# The powerdns DNS provider against a real PowerDNS Authoritative server (pdns_server with the
# gsqlite3 backend) on loopback: values merge with a TXT value another client put at the same
# name, dig sees exactly what the API wrote, cleanup removes only ours, and the failures: a
# wrong API key, an unknown zone, an API URL where nothing listens.
# Driven through certctl_dns_driver (CERTCTL_DNS_DRIVER), the providers' test driver.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dns_servers.sh"

: "${CERTCTL_DNS_DRIVER:?set CERTCTL_DNS_DRIVER to the certctl_dns_driver binary}"
require_tool curl
require_tool dig
driver() { "$CERTCTL_DNS_DRIVER" "$@"; }

pdns_start
PDNS=$PDNS_DIR DNS_PORT=$PDNS_DNS_PORT API_PORT=$PDNS_API_PORT API_KEY=$PDNS_API_KEY API_URL=$PDNS_API_URL
api() { pdns_api "$@"; }
txt_at() { # txt_at NAME: the TXT values PowerDNS serves at NAME, sorted, one a line, unquoted
  dig @127.0.0.1 -p "$DNS_PORT" +short +norecurse +time=2 +tries=1 TXT "$1" | tr -d '"' | sort
}

step "zone example.test. created through the API"
api POST /zones '{"name":"example.test.","kind":"Native","nameservers":["ns1.example.test."]}' >"$PDNS/zone.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d.get("name")=="example.test." else 1)' \
  "$PDNS/zone.json" || fail "zone creation failed: $(cat "$PDNS/zone.json")"
pass

NAME=_acme-challenge.a.example.test.
V1=GSPvmLS2Kz0V3RgVnuLc8l-a8MHe5Kd2JxHdD6BnzUk
V2=KMy8Wj0A3HxXVrHnT9pQ8l1bAc0Uy3nZ7xGkq2WoP4s
# Someone else's TXT value at the same name (e.g. another ACME client's), via the API.
api PATCH /zones/example.test. \
  '{"rrsets":[{"name":"'$NAME'","type":"TXT","ttl":300,"changetype":"REPLACE","records":[{"content":"\"unrelated value\"","disabled":false}]}]}' \
  >/dev/null
assert_eq "$(txt_at $NAME)" "unrelated value" "TXT before present"

export PDNS_KEY=$API_KEY
PD=(--type powerdns --opt "api-url=$API_URL" --secret api-key:env:PDNS_KEY --fqdn "$NAME" --zone example.test.)

step "present two values, one at a time: both served, the unrelated value kept"
started=$SECONDS
expect_ok driver present "${PD[@]}" --value "$V1"
expect_ok driver present "${PD[@]}" --value "$V2"
assert_eq "$(txt_at $NAME)" "$(printf '%s\n' "$V1" "$V2" "unrelated value" | sort)" "TXT after present"
step "present again: nothing duplicated"
expect_ok driver present "${PD[@]}" --value "$V1" --value "$V2"
assert_eq "$(txt_at $NAME | wc -l)" 3 "number of TXT values after a repeated present"

step "cleanup removes exactly ours"
expect_ok driver cleanup "${PD[@]}" --value "$V1" --value "$V2"
assert_eq "$(txt_at $NAME)" "unrelated value" "TXT after cleanup"
expect_ok driver cleanup "${PD[@]}" --value "$V1" --value "$V2"
assert_eq "$(txt_at $NAME)" "unrelated value" "TXT after a repeated cleanup"

step "a name with only our value: cleanup deletes the rrset"
ONLY=_acme-challenge.b.example.test.
expect_ok driver present --type powerdns --opt "api-url=$API_URL" --secret api-key:env:PDNS_KEY \
  --fqdn "$ONLY" --zone example.test. --value "$V1"
assert_eq "$(txt_at $ONLY)" "$V1" "TXT at $ONLY"
expect_ok driver cleanup --type powerdns --opt "api-url=$API_URL" --secret api-key:env:PDNS_KEY \
  --fqdn "$ONLY" --zone example.test. --value "$V1"
assert_eq "$(txt_at $ONLY)" "" "TXT at $ONLY after cleanup"
api GET /zones/example.test. >"$PDNS/zone.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(1 if any(r["name"]==sys.argv[2] for r in d["rrsets"]) else 0)' \
  "$PDNS/zone.json" "$ONLY" || fail "rrset $ONLY still in the zone: $(cat "$PDNS/zone.json")"
pass
echo "    present/cleanup against pdns: $((SECONDS - started))s"

step "a wrong API key: exit 8, the key named as rejected, never printed"
export PDNS_BAD_KEY=not-the-key-$RANDOM
expect_exit 8 driver present --type powerdns --opt "api-url=$API_URL" --secret api-key:env:PDNS_BAD_KEY \
  --fqdn "$NAME" --zone example.test. --value "$V1"
assert_one_line_error
assert_contains "$ERR" "PowerDNS rejected the API key (HTTP 401)"
assert_contains "$ERR" "$API_URL"
assert_not_contains "$ERR" "$PDNS_BAD_KEY"

step "an unknown zone: exit 8 naming the zone"
expect_exit 8 driver present "${PD[@]/example.test./nosuch.test.}" --value "$V1"
assert_one_line_error
assert_contains "$ERR" "nosuch.test.: zone not found on PowerDNS server 'localhost'"

step "an API URL where nothing listens: exit 6, at once"
reserve_closed_port
t0=$(date +%s%N)
expect_exit 6 driver present --type powerdns --opt "api-url=http://127.0.0.1:$CLOSED_PORT" \
  --secret api-key:env:PDNS_KEY --fqdn "$NAME" --zone example.test. --value "$V1"
ms=$((($(date +%s%N) - t0) / 1000000))
assert_one_line_error
assert_contains "$ERR" "http://127.0.0.1:$CLOSED_PORT"
((ms < 3000)) || fail "an unreachable API took ${ms} ms to report"
pass

step "bad options: exit 2"
expect_exit 2 driver present --type powerdns --opt "api-url=127.0.0.1:$API_PORT" \
  --secret api-key:env:PDNS_KEY --fqdn "$NAME" --zone example.test. --value "$V1"
assert_one_line_error
expect_exit 2 driver present --type powerdns --opt "api-url=$API_URL" --fqdn "$NAME" --zone example.test. --value "$V1"
assert_contains "$ERR" "api-key"
