#!/usr/bin/env bash
# Robustness (issue 10): settings that cannot work, an unwritable audit log, leftovers of
# killed runs, names from certificates, permissions inside the vault, imports that should not
# pass. Every refusal is one line, the documented exit code, and leaves the vault unchanged.
source "$(dirname "$0")/lib.sh"

new_vault "$TEST_TMP/vault"
W=$TEST_TMP/work
mkdir -p "$W"

step "responder settings are checked when parsed, whatever the CA"
expect_ok certctl create web --domain web.example
before=$(vault_digest)
expect_exit 2 certctl issue web --challenge http-01 --http-port 70000
assert_contains "$ERR" "--http-port"
expect_exit 2 certctl issue web --challenge http-01 --http-port 0
assert_contains "$ERR" "--http-port"
expect_exit 2 certctl issue web --challenge tls-alpn-01 --tls-port 65536
assert_contains "$ERR" "--tls-port"
expect_exit 2 certctl issue web --http-address 999.0.0.1
assert_contains "$ERR" "--http-address"
assert_contains "$ERR" "999.0.0.1"
expect_exit 2 certctl issue web --http-address example.com
assert_contains "$ERR" "--http-address"
assert_eq "$(vault_digest)" "$before" "vault after refused responder settings"
expect_ok certctl csr web
expect_ok certctl issue web --http-address ::1 --http-port 8080 --tls-port 8443
expect_ok certctl show web --json
json_check 'd["issue"]["http_port"] == 8080 and d["issue"]["http_address"] == "::1" and d["issue"]["tls_port"] == 8443'
