#!/usr/bin/env bash
# A tech zone on another server: example.test is served by BIND9 (recursion on, pebble's VA
# resolves through it), tech.test by Knot, and BIND forwards tech.test queries to Knot. The
# record's _acme-challenge names are CNAMEs into tech.test; certctl writes the TXT records with
# RFC 2136 to Knot only (the key for example.test is never used), checks propagation through
# BIND, and pebble validates through the CNAME.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dns_servers.sh"
source "$(dirname "$0")/pebble.sh"

DNS_SOA_MINIMUM=0 knot_start     # no negative caching of tech.test names at BIND
BIND_RECURSION=1 BIND_TECH_FORWARD="127.0.0.1 port $KNOT_PORT" bind_start
PEBBLE_DNS_SERVER=$BIND_SERVER pebble_start
export KNOT_SECRET=$KNOT_KEY_SECRET CERTCTL_DNS_RESOLVER=$BIND_SERVER

step "set-up: the CNAMEs live in example.test at BIND, their targets in tech.test at Knot"
new_vault
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" --tech-zone tech.test
expect_ok certctl account register --ca pebble --email tech@example.com --agree-tos
# The provider writes to Knot; the tech zone comes from the CA profile.
expect_ok certctl dns add knot --provider rfc2136 --server "$KNOT_SERVER" --key-name "$KNOT_KEY_NAME" \
  --tsig-secret-env KNOT_SECRET
expect_ok certctl create shop --domain shop.example.test --san www.shop.example.test --ca pebble
expect_ok certctl csr shop
expect_exit 8 certctl issue shop --dns knot
assert_contains "$ERR" "_acme-challenge.shop.example.test. CNAME shop-example-test.tech.test."
assert_contains "$ERR" "_acme-challenge.www.shop.example.test. CNAME www-shop-example-test.tech.test."
dns_nsupdate "$BIND_SERVER" "$BIND_KEY_FILE" \
  "update add _acme-challenge.shop.example.test. 60 CNAME shop-example-test.tech.test." \
  "update add _acme-challenge.www.shop.example.test. 60 CNAME www-shop-example-test.tech.test."
expect_ok certctl dns check shop
# A one-step issue that waits for its delegation keeps the record it created (renew finishes it
# once the CNAME is there), unlike one that failed.
expect_exit 8 certctl issue shop2 --domain shop2.example.test --ca pebble --dns knot
assert_contains "$ERR" "_acme-challenge.shop2.example.test. CNAME shop2-example-test.tech.test."
expect_ok certctl show shop2 --json
json_check 'd["status"] == "pending" and "CNAME" in d["last_error"]'
expect_ok certctl delete shop2 --yes

step "issued through the CNAMEs: TXT records only at Knot, in tech.test"
expect_ok certctl renew shop --json
json_check '[(i["name"], i["outcome"]) for i in d["items"]] == [("shop", "renewed")]'
expect_ok certctl show shop --json
json_check 'd["status"] == "active" and d["issue"]["dns"] == "knot"'
grep -q "adding an RR at '_acme-challenge.shop.example.test' CNAME" "$BIND_DIR/named.log" ||
  fail "BIND did not log the CNAME update (is update logging on?)"
! grep -q "adding an RR at .* TXT" "$BIND_DIR/named.log" ||
  fail "BIND got a TXT update: $(grep 'adding an RR at .* TXT' "$BIND_DIR/named.log")"
grep -q "\[tech.test.\] DDNS" "$KNOT_DIR/knotd.log" || fail "Knot logged no update of tech.test: $(tail -n 20 "$KNOT_DIR/knotd.log")"
pass
assert_eq "$(dns_txt "$KNOT_SERVER" shop-example-test.tech.test.)" "" "TXT left at Knot"
assert_eq "$(dns_txt "$KNOT_SERVER" _acme-challenge.shop.example.test.)" "" "TXT at Knot's own example.test"
