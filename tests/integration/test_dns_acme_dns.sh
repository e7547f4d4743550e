#!/usr/bin/env bash
# The acme-dns DNS provider against tests/support/fake_acme_dns.py, a loopback stand-in for
# joohoi/acme-dns that checks the /update headers and JSON exactly and answers as acme-dns does
# ({"error": "forbidden"} with 401 for a wrong key). Driven through certctl_dns_driver.
source "$(dirname "$0")/lib.sh"

: "${CERTCTL_DNS_DRIVER:?set CERTCTL_DNS_DRIVER to the certctl_dns_driver binary}"
require_tool curl
driver() { "$CERTCTL_DNS_DRIVER" "$@"; }

USER_ID=c36f50e8-4632-44f0-83fe-e070fef28a10
SUB=8e5700ea-a4bf-41c7-8a77-e990661dcc6a
export ADNS_PASSWORD=htB9mR9DYgcu9bX_afHF62erXaH2TS7bg9KW3F7Z
(umask 077 && printf '{"username":"%s","password":"%s","subdomain":"%s"}\n' "$USER_ID" "$ADNS_PASSWORD" "$SUB" \
  >"$TEST_TMP/account.json")
start_fake adns fake_acme_dns.py --account-file "$TEST_TMP/account.json"
URL=$FAKE_URL
hook() { fake_get "$URL" "$1"; }
values() { hook "txt?subdomain=$SUB" | python3 -c 'import json,sys; print("\n".join(sorted(json.load(sys.stdin))))'; }
no_violations() { no_fake_violations "$URL" acme-dns; }

FQDN=$SUB.auth.acme-dns.test.
AD=(--type acme-dns --opt "api-url=$URL" --opt "username=$USER_ID" --opt "subdomain=$SUB"
  --secret password:env:ADNS_PASSWORD --fqdn "$FQDN" --zone auth.acme-dns.test.)
V1=GSPvmLS2Kz0V3RgVnuLc8l-a8MHe5Kd2JxHdD6BnzUk
V2=KMy8Wj0A3HxXVrHnT9pQ8l1bAc0Uy3nZ7xGkq2WoP4s
V3=Zq0r8GkWmS4nHc1xYv7bT2pL9aE5dJ3uF6oI0wQyR8k

step "present two values (a name and its wildcard) in one run: both kept"
started=$SECONDS
expect_ok driver present "${AD[@]}" --value "$V1" --value "$V2"
assert_eq "$(values)" "$(printf '%s\n' "$V1" "$V2" | sort)" "values held by acme-dns"
no_violations

step "cleanup is a no-op (acme-dns has no delete)"
expect_ok driver cleanup "${AD[@]}" --value "$V1" --value "$V2"
assert_eq "$(values)" "$(printf '%s\n' "$V1" "$V2" | sort)" "values after cleanup"
echo "    present/cleanup against the fake: $((SECONDS - started))s"

step "three values at once: refused before any request"
expect_exit 8 driver present "${AD[@]}" --value "$V1" --value "$V2" --value "$V3"
assert_one_line_error
assert_contains "$ERR" "only the last 2 TXT values"
assert_eq "$(values)" "$(printf '%s\n' "$V1" "$V2" | sort)" "values after the refused present"

step "a wrong password: exit 8 with acme-dns's error, the password never printed"
export ADNS_BAD=wrongwrongwrongwrongwrongwrongwrongwrong
expect_exit 8 driver present "${AD[@]/ADNS_PASSWORD/ADNS_BAD}" --value "$V3"
assert_one_line_error
assert_contains "$ERR" "acme-dns rejected user $USER_ID for subdomain $SUB (HTTP 401: forbidden)"
assert_not_contains "$ERR" "$ADNS_BAD"
assert_not_contains "$ERR" "$ADNS_PASSWORD"

step "a value acme-dns refuses: exit 8 with its error"
expect_exit 8 driver present "${AD[@]}" --value short
assert_contains "$ERR" "(HTTP 400: bad_txt)"
no_violations

step "a rolling update keeps the last two"
expect_ok driver present "${AD[@]}" --value "$V3"
assert_eq "$(values)" "$(printf '%s\n' "$V2" "$V3" | sort)" "values after a third update"

step "an https:// API with its own CA: refused without ca-bundle, used with it"
TLSD=$TEST_TMP/tls
mkdir -p "$TLSD"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TLSD/ca.key" -out "$TLSD/ca.pem" \
  -subj "/CN=certctl test acme-dns CA" -days 2 -addext basicConstraints=critical,CA:TRUE 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TLSD/key.pem" -out "$TLSD/leaf.csr" \
  -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$TLSD/leaf.ext"
openssl x509 -req -in "$TLSD/leaf.csr" -CA "$TLSD/ca.pem" -CAkey "$TLSD/ca.key" -CAcreateserial -days 2 \
  -extfile "$TLSD/leaf.ext" -out "$TLSD/cert.pem" 2>/dev/null
FAKE_TLS_CERT=$TLSD/cert.pem FAKE_TLS_KEY=$TLSD/key.pem start_fake adns-tls fake_acme_dns.py \
  --account-file "$TEST_TMP/account.json"
TLS_URL=${FAKE_URL/http:/https:}
TLS_AD=(--type acme-dns --opt "api-url=$TLS_URL" --opt "username=$USER_ID" --opt "subdomain=$SUB"
  --secret password:env:ADNS_PASSWORD --fqdn "$FQDN" --zone auth.acme-dns.test.)
expect_exit 6 driver present "${TLS_AD[@]}" --value "$V1"
assert_contains "$ERR" "$TLS_URL"
expect_ok driver present "${TLS_AD[@]}" --opt "ca-bundle=$TLSD/ca.pem" --value "$V1"
