#!/usr/bin/env bash
# `certctl migrate certbot`, `lego` and `acme.sh`: stores the real certbot and lego (Debian
# packages) made against pebble, and an acme.sh store laid out as acme.sh writes one from lego's:
# the plan of a dry run, then every certificate with its key and chain in the vault, the ones
# whose validation translates managed (same CA, certbot's ACME account, its settings), the rest
# imported with the command to take them over; the source untouched; a forced renewal of each
# managed record through pebble on the migrated account (the ARI id a renewal names in
# `replaces` is checked as stored: pebble 2.4 offers no renewalInfo).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pebble.sh"

for tool in certbot lego; do
  command -v "$tool" >/dev/null 2>&1 && continue
  [[ ${CI:-} == true ]] && fail "$tool is required (CI=true): install the Debian package '$tool' (tests/deps.sh --test)"
  echo "SKIP $TEST_NAME: $tool is not installed (Debian package '$tool')"
  exit 0
done
export PEBBLE_WFE_NONCEREJECT=0
pebble_start
new_vault
CB=$TEST_TMP/certbot
certbot_run() {
  REQUESTS_CA_BUNDLE=$PEBBLE_CA_BUNDLE certbot --config-dir "$CB/config" --work-dir "$CB/work" \
    --logs-dir "$CB/logs" certonly -n --agree-tos -m ops@example.test --server "$PEBBLE_DIR_URL" \
    --standalone --http-01-address 127.0.0.1 --http-01-port "$PEBBLE_HTTP_PORT" "$@" \
    >>"$TEST_TMP/certbot.log" 2>&1 || fail "certbot $*: $(tail -5 "$TEST_TMP/certbot.log")"
  pass
}
# store_digest: every file and link of certbot's store with its content.
store_digest() { (cd "$CB" && find . -printf '%p %l %m\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

step "a certbot store: standalone ecdsa with a deploy hook, rsa with reuse-key and a pre-hook, one whose authenticator certctl lacks"
certbot_run -d one.example.test --key-type ecdsa --deploy-hook "echo one >>$TEST_TMP/deployed.log"
certbot_run --cert-name two -d two.example.test -d www.two.example.test --key-type rsa --reuse-key --pre-hook true
certbot_run -d three.example.test
# certbot's nginx plugin is not installed here; the renewal file says it as certbot writes it.
sed -i 's/^authenticator = standalone/authenticator = nginx/' "$CB/config/renewal/three.example.test.conf"
before=$(store_digest)
ACCOUNT_URL=$("$PYTHON3" -c 'import json,glob,sys; print(json.load(open(glob.glob(sys.argv[1] + "/config/accounts/*/*/*/regr.json")[0]))["uri"])' "$CB")
[[ $ACCOUNT_URL == https://* ]] || fail "no account URL in certbot's store: $ACCOUNT_URL"

step "--dry-run prints the plan and changes nothing (no passphrase asked)"
expect_ok env -u CERTCTL_PASSPHRASE_FILE -u CERTCTL_PASSPHRASE "$CERTCTL_BIN" migrate certbot "$CB/config" --dry-run \
  --ca-bundle "$PEBBLE_CA_BUNDLE"
PROFILE=$(sed -n "s/^add CA profile '\([^']*\)'.*/\1/p" <<<"$OUT")
[[ $PROFILE == certbot-127.0.0.1-* ]] || fail "the plan adds no profile for pebble: $OUT"
assert_contains "$OUT" "import ACME account $ACCOUNT_URL for CA '$PROFILE'"
assert_contains "$OUT" "one.example.test: renews here with CA '$PROFILE'"
assert_contains "$OUT" "two: renews here with CA '$PROFILE'"
assert_contains "$OUT" "three.example.test: imported only (certbot's 'nginx' authenticator"
assert_contains "$OUT" "two: note: its pre_hook 'true' runs once per renew run"
expect_ok certctl list --json
json_check 'd == []'
expect_ok certctl ca list --json
json_check 'not any(p["name"].startswith("certbot-") for p in d)'

step "migrate: managed and imported records, keys and chains as certbot had them, the account, the source untouched"
expect_ok certctl migrate certbot "$CB/config" --ca-bundle "$PEBBLE_CA_BUNDLE"
assert_contains "$ERR" "2 managed, 1 imported, 0 skipped, 0 failed"
assert_eq "$(store_digest)" "$before" "certbot's store after the migration"
expect_ok certctl list --json
json_check '{r["name"]: (r["source"], r["ca"]) for r in d} == {"one.example.test": ("managed", "'"$PROFILE"'"), "two": ("managed", "'"$PROFILE"'"), "three.example.test": ("imported", None)}'
json_check '{r["name"]: r["sans"] for r in d}["two"] == ["www.two.example.test"]'
expect_ok certctl show one.example.test --json
json_check 'd["issue"]["challenge"] == "http-01" and d["issue"]["http_port"] == '"$PEBBLE_HTTP_PORT"' and d["issue"]["http_address"] == "127.0.0.1"'
json_check 'd["issue"]["deploy_hook"] == "echo one >>'"$TEST_TMP"'/deployed.log" and d["key_type"] == "ec256" and d["has_csr"] is True'
expect_ok certctl show two --json
json_check 'd["issue"]["reuse_key"] is True and d["key_type"] == "rsa2048"'
for n in one.example.test two three.example.test; do
  expect_ok certctl export "$n" --dir "$TEST_TMP/exp-$n"
  cmp -s "$TEST_TMP/exp-$n/key.pem" <(openssl pkey -in "$CB/config/live/$n/privkey.pem") ||
    [[ $(openssl pkey -in "$TEST_TMP/exp-$n/key.pem" -pubout) == $(openssl pkey -in "$CB/config/live/$n/privkey.pem" -pubout) ]] ||
    fail "$n: the vault's key is not certbot's"
  cmp -s "$TEST_TMP/exp-$n/cert.pem" "$CB/config/live/$n/cert.pem" || fail "$n: the certificate differs from certbot's"
  pass
done
# Its ARI identifier (RFC 9773: base64url(AKI keyIdentifier) "." base64url(serial)), so a
# renewal at a CA with renewalInfo names the certificate it replaces (pebble 2.4 has none).
expected_ari=$("$PYTHON3" - "$CB/config/live/one.example.test/cert.pem" <<'PY'
import base64, sys
from cryptography import x509
c = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
aki = c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
n = c.serial_number
serial = n.to_bytes((n.bit_length() + 8) // 8, "big")
b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
print(b(aki) + "." + b(serial))
PY
)
expect_ok certctl show one.example.test --json
json_check 'd["ari"]["cert_id"] == "'"$expected_ari"'" and d["issued_by"] == "'"$PROFILE"'"'
expect_ok certctl account show --ca "$PROFILE" --json
json_check 'd["url"] == "'"$ACCOUNT_URL"'"'

step "a forced renewal of each managed record through pebble, on certbot's account, replacing the old certificate"
accounts_before=$(grep -c 'POST /sign-me-up' "$PEBBLE_LOG" || true)
old_one=$(record_serial one.example.test)
hooks_before=$(wc -l <"$TEST_TMP/deployed.log")  # certbot ran it once at its own issuance
expect_ok certctl renew one.example.test two --force --json
json_check 'sorted((i["name"], i["outcome"]) for i in d["items"]) == [("one.example.test", "renewed"), ("two", "renewed")]'
[[ $(record_serial one.example.test) != "$old_one" ]] || fail "one.example.test was not renewed"
pass
assert_eq "$(grep -c 'POST /sign-me-up' "$PEBBLE_LOG" || true)" "$accounts_before" "new ACME accounts during the renewals"
expect_ok certctl orders one.example.test --json
json_check '[(o["type"], o["status"]) for o in d] == [("renew", "valid")]'
assert_eq "$(wc -l <"$TEST_TMP/deployed.log")" "$((hooks_before + 1))" "runs of certbot's deploy hook, once more by certctl after the renewal"
expect_ok certctl show two --json
json_check 'd["version"] == 2'

step "again: everything is in the vault already, nothing changes; bad directories are clear errors"
expect_ok certctl migrate certbot "$CB/config" --ca-bundle "$PEBBLE_CA_BUNDLE"
assert_contains "$ERR" "0 managed, 0 imported, 3 skipped, 0 failed"
expect_exit 10 certctl migrate certbot "$TEST_TMP/nowhere"
assert_contains "$ERR" "no certbot config directory here"
mkdir "$TEST_TMP/empty"
expect_exit 4 certctl migrate certbot "$TEST_TMP/empty"
assert_contains "$ERR" "not a certbot config directory"

step "certbot's DNS plugins: dns-rfc2136 becomes a DNS provider from its credentials file, secrets sealed"
# The real store, with one renewal file switched to the rfc2136 plugin as certbot writes it.
CBD=$TEST_TMP/certbot-dns
cp -a "$CB/config" "$CBD"
printf 'dns_rfc2136_server = 127.0.0.1\ndns_rfc2136_port = 5353\ndns_rfc2136_name = certbot-key.\ndns_rfc2136_secret = %s\ndns_rfc2136_algorithm = HMAC-SHA256\n' \
  "c2VjcmV0LWZyb20tY2VydGJvdA==" >"$TEST_TMP/rfc2136.ini"
chmod 600 "$TEST_TMP/rfc2136.ini"
sed -i "s|^authenticator = nginx|authenticator = dns-rfc2136\ndns_rfc2136_credentials = $TEST_TMP/rfc2136.ini\ndns_rfc2136_propagation_seconds = 20|" \
  "$CBD/renewal/three.example.test.conf"
new_vault "$TEST_TMP/vault-certbot-dns"
expect_ok certctl migrate certbot "$CBD" --dry-run --ca-bundle "$PEBBLE_CA_BUNDLE"
assert_contains "$OUT" "add DNS provider 'certbot-rfc2136' (rfc2136) from $TEST_TMP/rfc2136.ini"
assert_contains "$OUT" "three.example.test: renews here with CA"
assert_contains "$OUT" "--propagation-wait 20"
assert_not_contains "$OUT$ERR" "c2VjcmV0LWZyb20tY2VydGJvdA==" "the plan"
expect_ok certctl migrate certbot "$CBD" --ca-bundle "$PEBBLE_CA_BUNDLE"
assert_contains "$ERR" "3 managed, 0 imported, 0 skipped, 0 failed"
assert_not_contains "$OUT$ERR" "c2VjcmV0LWZyb20tY2VydGJvdA==" "migrate's output"
expect_ok certctl dns show certbot-rfc2136 --json
json_check 'd["type"] == "rfc2136" and d["options"] == {"server": "127.0.0.1:5353", "key-name": "certbot-key.", "algorithm": "hmac-sha256"} and d["secrets"] == {"tsig-secret": "sealed"}'
expect_ok certctl show three.example.test --json
json_check 'd["issue"]["challenge"] == "dns-01" and d["issue"]["dns"] == "certbot-rfc2136" and d["source"] == "managed"'
if file_backend; then
  ! grep -rq "c2VjcmV0LWZyb20tY2VydGJvdA==" "$CERTCTL_VAULT" || fail "the TSIG secret is in the vault in clear"
  pass
fi
use_vault "$TEST_TMP/vault"

step "lego, into a vault of its own: the directory URL and challenge it was run with; renewed here on lego's account"
LG=$TEST_TMP/lego
LEGO_CA_CERTIFICATES=$PEBBLE_CA_BUNDLE lego --server "$PEBBLE_DIR_URL" --email lego@example.test --accept-tos \
  --path "$LG" --http --http.port "127.0.0.1:$PEBBLE_HTTP_PORT" -d lego.example.test -d www.lego.example.test run \
  >"$TEST_TMP/lego.log" 2>&1 || fail "lego: $(tail -5 "$TEST_TMP/lego.log")"
lego_before=$(cd "$LG" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
LEGO_ACCOUNT=$("$PYTHON3" -c 'import json,glob,sys; print(json.load(open(glob.glob(sys.argv[1] + "/accounts/*/*/account.json")[0]))["registration"]["uri"])' "$LG")
new_vault "$TEST_TMP/vault-lego"
# Without the challenge it was run with, the plan imports it and says what to give.
expect_ok certctl migrate lego "$LG" --dry-run --server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE"
assert_contains "$OUT" "lego.example.test: imported only (lego keeps no challenge settings"
expect_ok certctl migrate lego --path "$LG" --server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" \
  --challenge http-01 --http-address 127.0.0.1 --http-port "$PEBBLE_HTTP_PORT"
assert_contains "$ERR" "1 managed, 0 imported, 0 skipped, 0 failed"
assert_eq "$(cd "$LG" && find . -type f -print0 | sort -z | xargs -0 sha256sum)" "$lego_before" "lego's store after the migration"
expect_ok certctl show lego.example.test --json
json_check 'd["source"] == "managed" and d["ca"].startswith("lego-127.0.0.1-") and d["sans"] == ["www.lego.example.test"] and d["has_chain"] is True'
json_check 'd["issue"]["http_port"] == '"$PEBBLE_HTTP_PORT"
LEGO_PROFILE=$(json_get 'd["ca"]')
expect_ok certctl account show --ca "$LEGO_PROFILE" --json
json_check 'd["url"] == "'"$LEGO_ACCOUNT"'"'
accounts_before=$(grep -c 'POST /sign-me-up' "$PEBBLE_LOG" || true)
expect_ok certctl export lego.example.test --dir "$TEST_TMP/exp-lego"
[[ $(openssl pkey -in "$TEST_TMP/exp-lego/key.pem" -pubout) == $(openssl pkey -in "$LG/certificates/lego.example.test.key" -pubout) ]] ||
  fail "the vault's key is not lego's"
pass
expect_ok certctl renew lego.example.test --force --json
json_check '[(i["name"], i["outcome"]) for i in d["items"]] == [("lego.example.test", "renewed")]'
assert_eq "$(grep -c 'POST /sign-me-up' "$PEBBLE_LOG" || true)" "$accounts_before" "new ACME accounts during lego's renewal"

step "acme.sh: a store laid out as acme.sh writes one (from lego's certificate and account); renewed here on that account"
AS=$TEST_TMP/acme.sh
D=$AS/lego.example.test_ecc
mkdir -p "$D" "$AS/ca/127.0.0.1/dir"
# acme.sh keeps the leaf in <domain>.cer and the issuers in ca.cer.
"$PYTHON3" - "$LG/certificates/lego.example.test.crt" "$D/lego.example.test.cer" "$D/ca.cer" <<'PY'
import re, sys
blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", open(sys.argv[1]).read(), re.S)
open(sys.argv[2], "w").write(blocks[0])
open(sys.argv[3], "w").write("".join(blocks[1:]))
PY
cp "$LG/certificates/lego.example.test.key" "$D/lego.example.test.key"
b64() { printf '__ACME_BASE64__START_%s__ACME_BASE64__END_' "$(printf '%s' "$1" | base64 -w0)"; }
cat >"$D/lego.example.test.conf" <<CONF
Le_Domain='lego.example.test'
Le_Alt='www.lego.example.test'
Le_Webroot='no,no'
Le_PreHook=''
Le_PostHook='$(b64 "echo post")'
Le_RenewHook=''
Le_API='$PEBBLE_DIR_URL'
Le_Keylength='ec-256'
Le_HTTPPort='$PEBBLE_HTTP_PORT'
Le_LocalAddress='127.0.0.1'
Le_ReloadCmd='$(b64 "echo reloaded >>$TEST_TMP/acmesh-reload.log")'
CONF
cp "$LG/accounts/"*/lego@example.test/keys/lego@example.test.key "$AS/ca/127.0.0.1/dir/account.key"
printf "ACCOUNT_URL='%s'\n" "$LEGO_ACCOUNT" >"$AS/ca/127.0.0.1/dir/ca.conf"
new_vault "$TEST_TMP/vault-acmesh"
expect_ok certctl migrate acme.sh "$AS" --ca-bundle "$PEBBLE_CA_BUNDLE"
assert_contains "$ERR" "1 managed, 0 imported, 0 skipped, 0 failed"
assert_contains "$OUT" "its Le_PostHook 'echo post' runs once per renew run"
expect_ok certctl show lego.example.test --json
json_check 'd["source"] == "managed" and d["ca"].startswith("acme.sh-127.0.0.1-") and d["has_chain"] is True'
json_check 'd["issue"]["http_port"] == '"$PEBBLE_HTTP_PORT"' and d["issue"]["http_address"] == "127.0.0.1"'
json_check 'd["issue"]["deploy_hook"] == "echo reloaded >>'"$TEST_TMP"'/acmesh-reload.log"'
expect_ok certctl account show --ca "$(json_get 'd["ca"]')" --json
json_check 'd["url"] == "'"$LEGO_ACCOUNT"'"'
accounts_before=$(grep -c 'POST /sign-me-up' "$PEBBLE_LOG" || true)
expect_ok certctl renew lego.example.test --force --json
json_check '[(i["name"], i["outcome"]) for i in d["items"]] == [("lego.example.test", "renewed")]'
assert_eq "$(grep -c 'POST /sign-me-up' "$PEBBLE_LOG" || true)" "$accounts_before" "new ACME accounts during acme.sh's renewal"
assert_eq "$(cat "$TEST_TMP/acmesh-reload.log")" "reloaded" "acme.sh's reloadcmd, run by certctl after the renewal"
