#!/usr/bin/env bash
# export (PEM files), export-pfx (modern and --legacy PKCS#12, read back by openssl and
# keytool), generated PKCS#12 passwords, records with an external CSR, and show --pem key.
source "$(dirname "$0")/lib.sh"

new_vault "$TEST_TMP/vault"
issue_record web web.example --san www.web.example --key-type rsa2048
expect_ok certctl issue web   # version 2: the chain and key are those of the current version
W=$TEST_TMP/work
mkdir -p "$W"

# key_matches_cert KEY CERT: the private key is the certificate's.
key_matches_cert() {
  local key=$1 cert=$2
  assert_eq "$(openssl pkey -in "$key" -pubout)" "$(openssl x509 -in "$cert" -noout -pubkey)" "public key of $key vs $cert"
}

step "export --dir: cert.pem chain.pem fullchain.pem (0644), key.pem (0600), all readable by openssl"
expect_ok certctl export web --dir "$W/out"
for f in cert.pem chain.pem fullchain.pem; do assert_mode "$W/out/$f" 644; done
assert_mode "$W/out/key.pem" 600
assert_eq "$(find "$W/out" -type f | sort | xargs -n1 basename | tr '\n' ' ')" "cert.pem chain.pem fullchain.pem key.pem " \
  "files written by export"
expect_ok openssl pkey -in "$W/out/key.pem" -noout
expect_ok openssl x509 -in "$W/out/cert.pem" -noout
expect_ok openssl x509 -in "$W/out/chain.pem" -noout
expect_ok openssl crl2pkcs7 -nocrl -certfile "$W/out/fullchain.pem"
key_matches_cert "$W/out/key.pem" "$W/out/cert.pem"
assert_eq "$(cat "$W/out/cert.pem" "$W/out/chain.pem")" "$(cat "$W/out/fullchain.pem")" "fullchain.pem = cert.pem + chain.pem"
assert_eq "$(cert_serial "$W/out/cert.pem")" "$(record_serial web)" "serial of the exported certificate"
capture "$W/root.pem" certctl ca local export-root
expect_ok openssl verify -CAfile "$W/root.pem" -untrusted "$W/out/chain.pem" "$W/out/cert.pem"
expect_ok certctl show web --pem key
assert_eq "$OUT" "$(cat "$W/out/key.pem")" "key.pem vs show --pem key"
# Again into the same directory: the files are replaced, modes kept.
expect_ok certctl export web --dir "$W/out" --version 1
assert_mode "$W/out/key.pem" 600
expect_ok certctl show web --json
assert_eq "$(cert_serial "$W/out/cert.pem")" "$(json_get 'd["history"][0]["serial_hex"]')" "serial of export --version 1"
key_matches_cert "$W/out/key.pem" "$W/out/cert.pem"
expect_exit 10 certctl export web --dir "$W/out3" --version 7
expect_exit 10 certctl export nosuch --dir "$W/out4"

step "export-pfx --password-file: AES-256-CBC and a SHA-256 MAC"
(umask 077 && printf 'pfx pass word\n' >"$W/pfx.pass")
expect_ok certctl export-pfx web --out "$W/web.pfx" --password-file "$W/pfx.pass"
assert_eq "$OUT" "" "stdout of export-pfx with --password-file"
assert_mode "$W/web.pfx" 600
expect_ok openssl pkcs12 -in "$W/web.pfx" -info -noout -passin "file:$W/pfx.pass"
assert_contains "$ERR" "MAC: sha256" "openssl pkcs12 -info"
assert_contains "$ERR" "AES-256-CBC" "openssl pkcs12 -info"
assert_not_contains "$ERR" "3DES" "openssl pkcs12 -info"
expect_ok openssl pkcs12 -in "$W/web.pfx" -nodes -passin "file:$W/pfx.pass" -out "$W/web.pfx.pem"
openssl pkey -in "$W/web.pfx.pem" -out "$W/pfx-key.pem"
openssl x509 -in "$W/web.pfx.pem" -out "$W/pfx-cert.pem"
key_matches_cert "$W/pfx-key.pem" "$W/pfx-cert.pem"
capture "$W/current.pem" certctl show web --pem cert
assert_eq "$(openssl x509 -in "$W/pfx-cert.pem" -outform DER | sha256sum)" "$(openssl x509 -in "$W/current.pem" -outform DER | sha256sum)" \
  "certificate in the PFX"
assert_eq "$(grep -c 'BEGIN CERTIFICATE' "$W/web.pfx.pem")" 2 "certificates in the PFX (leaf + chain)"
expect_exit 1 openssl pkcs12 -in "$W/web.pfx" -info -noout -passin pass:wrong

step "export-pfx --legacy: 3DES and a SHA-1 MAC"
expect_ok certctl export-pfx web --out "$W/web-legacy.pfx" --password-file "$W/pfx.pass" --legacy --friendly-name "Web Legacy"
assert_mode "$W/web-legacy.pfx" 600
if openssl pkcs12 -in "$W/web-legacy.pfx" -info -noout -passin "file:$W/pfx.pass" >/dev/null 2>&1; then
  expect_ok openssl pkcs12 -in "$W/web-legacy.pfx" -info -noout -passin "file:$W/pfx.pass"
else
  expect_ok openssl pkcs12 -legacy -in "$W/web-legacy.pfx" -info -noout -passin "file:$W/pfx.pass"
fi
assert_contains "$ERR" "MAC: sha1" "openssl pkcs12 -info --legacy"
assert_contains "$ERR" "pbeWithSHA1And3-KeyTripleDES-CBC" "openssl pkcs12 -info --legacy"
assert_not_contains "$ERR" "AES" "openssl pkcs12 -info --legacy"
expect_ok openssl pkcs12 -in "$W/web-legacy.pfx" -nokeys -passin "file:$W/pfx.pass"
assert_contains "$OUT" "friendlyName: Web Legacy" "bag attributes of the legacy PFX"

step "keytool opens both PFX files and shows the friendly name"
if command -v keytool >/dev/null; then
  expect_ok keytool -list -storetype PKCS12 -keystore "$W/web.pfx" -storepass:file "$W/pfx.pass"
  assert_contains "$OUT" "1 entry" "keytool -list (modern)"
  assert_contains "$OUT" "web, " "keytool alias (modern, default friendly name)"
  assert_contains "$OUT" "PrivateKeyEntry" "keytool -list (modern)"
  fp=$(openssl x509 -in "$W/current.pem" -noout -fingerprint -sha256 | cut -d= -f2)
  assert_contains "$OUT" "$fp" "keytool fingerprint (modern)"
  expect_ok keytool -list -storetype PKCS12 -keystore "$W/web-legacy.pfx" -storepass:file "$W/pfx.pass"
  assert_contains "${OUT,,}" "web legacy, " "keytool alias (legacy)"
  assert_contains "$OUT" "PrivateKeyEntry" "keytool -list (legacy)"
  assert_contains "$OUT" "$fp" "keytool fingerprint (legacy)"
  expect_exit 1 keytool -list -storetype PKCS12 -keystore "$W/web.pfx" -storepass wrong-password
else
  [[ ${CI:-} != true ]] || fail "keytool is not installed (install default-jdk-headless); required under CI=true"
  echo "SKIP: keytool not installed; the PKCS#12 files were not checked with Java"
fi

step "export-pfx without --password-file: a generated 24-character password, printed once"
expect_ok certctl export-pfx web --out "$W/gen.pfx"
assert_eq "$(wc -l <<<"$OUT")" 1 "lines on stdout"
GEN=$OUT
[[ ${#GEN} == 24 ]] || fail "generated password has ${#GEN} characters, expected 24: '$GEN'"
pass
[[ $GEN =~ ^[[:graph:]]+$ ]] || fail "generated password has spaces or control characters: '$GEN'"
pass
assert_not_contains "$ERR" "$GEN" "stderr of export-pfx (the password goes to stdout only)"
(umask 077 && printf '%s\n' "$GEN" >"$W/gen.pass")
expect_ok openssl pkcs12 -in "$W/gen.pfx" -info -noout -passin "file:$W/gen.pass"
if command -v keytool >/dev/null; then
  expect_ok keytool -list -storetype PKCS12 -keystore "$W/gen.pfx" -storepass:file "$W/gen.pass"
fi
expect_ok certctl export-pfx web --out "$W/gen2.pfx"
assert_ne "$OUT" "$GEN" "two generated passwords"
AUDIT=$(vault_file audit.log)
if grep -qF "$GEN" "$AUDIT"; then fail "audit.log holds the generated PKCS#12 password"; fi
pass

step "external CSR: issues, but no key to export"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/ext.key" -out "$W/ext.csr" \
  -subj "/CN=ext.example" -addext "subjectAltName=DNS:ext.example,DNS:www.ext.example" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/ext2.key" -out "$W/ext-wrong.csr" \
  -subj "/CN=ext.example" -addext "subjectAltName=DNS:ext.example,DNS:other.example" 2>/dev/null
expect_ok certctl create ext --domain ext.example --san www.ext.example
DIGEST=$(vault_digest)
expect_exit 4 certctl csr ext --csr-file "$W/ext-wrong.csr"
assert_contains "$ERR" "ext-wrong.csr" "the error for a CSR with other names"
assert_contains "$ERR" "www.ext.example" "the error for a CSR with other names"
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after a refused CSR"
expect_ok certctl csr ext --csr-file "$W/ext.csr"
expect_ok certctl show ext --json
json_check 'd["status"] == "pending" and d["source"] == "external-csr" and d["has_key"] is False'
expect_ok certctl issue ext
expect_ok certctl show ext --json
json_check 'd["status"] == "active" and d["source"] == "external-csr"'
capture "$W/ext.pem" certctl show ext --pem cert
key_matches_cert "$W/ext.key" "$W/ext.pem"
DIGEST=$(vault_digest)
expect_exit 9 certctl export-pfx ext --out "$W/ext.pfx" --password-file "$W/pfx.pass"
assert_contains "$ERR" "ext" "the refusal of export-pfx"
assert_contains "$ERR" "elsewhere" "the reason export-pfx is refused"
[[ ! -e $W/ext.pfx ]] || fail "a refused export-pfx wrote $W/ext.pfx"
pass
expect_exit 9 certctl show ext --pem key
assert_contains "$ERR" "private key"
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after refused key exports"
# export writes the certificate files, and no key.
expect_ok certctl export ext --dir "$W/ext-out"
[[ -f $W/ext-out/cert.pem && -f $W/ext-out/fullchain.pem && ! -e $W/ext-out/key.pem ]] ||
  fail "export of an external-CSR record: $(ls "$W/ext-out")"
pass

step "show --pem key: needs the passphrase, and is audited"
DIGEST=$(vault_digest)
expect_exit 2 env -u CERTCTL_PASSPHRASE_FILE "$CERTCTL_BIN" show web --pem key
assert_contains "$ERR" "passphrase" "the error without a passphrase"
assert_eq "$OUT" "" "stdout of a refused show --pem key"
expect_exit 2 env -u CERTCTL_PASSPHRASE_FILE "$CERTCTL_BIN" export-pfx web --out "$W/nopass.pfx" --password-file "$W/pfx.pass"
expect_exit 2 env -u CERTCTL_PASSPHRASE_FILE "$CERTCTL_BIN" export web --dir "$W/nopass"
[[ ! -e $W/nopass.pfx && ! -e $W/nopass/key.pem ]] || fail "a locked export wrote files"
pass
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after refused key reads"
# Read-only commands need no passphrase.
expect_ok env -u CERTCTL_PASSPHRASE_FILE "$CERTCTL_BIN" show web --pem cert
expect_ok env -u CERTCTL_PASSPHRASE_FILE "$CERTCTL_BIN" list
AUDIT=$(vault_file audit.log)
before=$(grep -c '"action":"certificate.key_viewed"' "$AUDIT" || true)
expect_ok certctl show web --pem key
assert_contains "$OUT" "BEGIN PRIVATE KEY"
expect_ok certctl --passphrase-file "$CERTCTL_PASSPHRASE_FILE" show web --pem key --version 1
AUDIT=$(vault_file audit.log)
after=$(grep -c '"action":"certificate.key_viewed"' "$AUDIT")
assert_eq "$after" "$((before + 2))" "certificate.key_viewed entries in audit.log"
tail -1 "$AUDIT" | python3 -c '
import json, sys
e = json.loads(sys.stdin.read())
assert e["action"] == "certificate.key_viewed" and e["certificate"] == "web", e' || fail "last audit entry is not certificate.key_viewed for web"
if grep -q 'PRIVATE KEY' "$AUDIT"; then fail "audit.log contains a private key"; fi
pass

step "--out never replaces a FIFO, a symlink or a device"
mkfifo "$W/out.fifo"
ln -s "$W/web.pfx" "$W/out.link"
before=$(sha256sum <"$W/web.pfx")
for out in "$W/out.fifo" "$W/out.link"; do
  expect_exit 4 certctl export-pfx web --out "$out" --password-file "$W/pfx.pass"
  assert_contains "$ERR" "$out"
done
[[ -p $W/out.fifo && -L $W/out.link ]] || fail "the FIFO or the symlink was replaced"
assert_eq "$(sha256sum <"$W/web.pfx")" "$before" "the symlink's target"
expect_exit 4 certctl ca local crl --out /dev/null
[[ -c /dev/null ]] || fail "/dev/null is no longer a device"
pass
