#!/usr/bin/env bash
# Alternate chains (RFC 8555 7.4.2, Link rel="alternate"): pebble with one alternate root;
# --preferred-chain picks the chain that names the given issuer, and the default is kept
# without it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pebble.sh"

PEBBLE_ALTERNATE_ROOTS=1 pebble_start
HTTP=(--http-port "$PEBBLE_HTTP_PORT" --http-address 127.0.0.1)
use_vault "$TEST_TMP/vault"
expect_ok certctl init --scrypt-n 1024
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE"
expect_ok certctl account register --ca pebble --email chains@example.com --agree-tos

# The two roots and their common names.
for i in 0 1; do
  curl -sf --cacert "$PEBBLE_CA_BUNDLE" "$PEBBLE_MGMT/roots/$i" >"$TEST_TMP/root$i.pem" || fail "no root $i from pebble"
done
cn_of() { openssl x509 -noout -subject -nameopt multiline -in "$1" | sed -n 's/^ *commonName *= *//p'; }
ROOT0_CN=$(cn_of "$TEST_TMP/root0.pem")
ROOT1_CN=$(cn_of "$TEST_TMP/root1.pem")
[[ -n $ROOT0_CN && -n $ROOT1_CN && $ROOT0_CN != "$ROOT1_CN" ]] || fail "pebble did not offer two distinct roots"
pass

chain_verifies_to() {  # NAME ROOTFILE: the stored chain leads to that root
  expect_ok certctl show "$1" --pem cert
  printf '%s\n' "$OUT" >"$TEST_TMP/$1.pem"
  expect_ok certctl show "$1" --pem chain
  printf '%s\n' "$OUT" >"$TEST_TMP/$1-chain.pem"
  expect_ok openssl verify -CAfile "$2" -untrusted "$TEST_TMP/$1-chain.pem" "$TEST_TMP/$1.pem"
}

step "default chain"
expect_ok certctl issue plain --domain plain.example.test --ca pebble "${HTTP[@]}"
chain_verifies_to plain "$TEST_TMP/root0.pem"

step "--preferred-chain picks the alternate chain, and is kept for later issues"
expect_ok certctl issue alt --domain alt.example.test --ca pebble "${HTTP[@]}" --preferred-chain "$ROOT1_CN"
chain_verifies_to alt "$TEST_TMP/root1.pem"
expect_exit 2 openssl verify -CAfile "$TEST_TMP/root0.pem" -untrusted "$TEST_TMP/alt-chain.pem" "$TEST_TMP/alt.pem"
expect_ok certctl show alt --json
json_check 'd["issue"]["preferred_chain"] == "'"$ROOT1_CN"'"'
expect_ok certctl issue alt
chain_verifies_to alt "$TEST_TMP/root1.pem"

step "a preferred issuer no chain has: the default chain"
expect_ok certctl issue other --domain other.example.test --ca pebble "${HTTP[@]}" --preferred-chain "No Such Root"
chain_verifies_to other "$TEST_TMP/root0.pem"
