#!/usr/bin/env bash
# Import a certificate and key made elsewhere (here by openssl: root -> intermediate -> leaf),
# then export PEM files and PKCS#12 (PFX) files. Shows PEM and DER input, a certificate file
# holding the whole chain, a refused mismatched key, a directory imported in one run, and
# --replace.
# Nothing outside a temporary directory is touched. Run with CERTCTL=/path/to/certctl to use
# a binary that is not on PATH.
set -euo pipefail

certctl=${CERTCTL:-certctl}
work=$(mktemp -d)                  # mode 0700
trap 'rm -rf "$work"' EXIT
cd "$work"

step() { printf '\n== %s\n' "$*"; }
# Show each certctl command (on stderr, so that pipes and $(...) get only its output).
run() { { printf '$ certctl'; printf ' %q' "$@"; printf '\n'; } >&2; "$certctl" "$@"; }

export CERTCTL_VAULT=$work/vault
export CERTCTL_PASSPHRASE_FILE=$work/passphrase
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$CERTCTL_PASSPHRASE_FILE")
run init

step "Make a small PKI with openssl"
ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
ec_key root.key
openssl req -x509 -new -key root.key -out root.pem -days 3650 -subj "/CN=Example Root CA"

ec_key int.key
openssl req -new -key int.key -out int.csr -subj "/CN=Example Issuing CA"
cat >int.ext <<'EOF'
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -set_serial "0x$(openssl rand -hex 8)" \
  -days 1825 -extfile int.ext -out int.pem

cat >leaf.ext <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:shop.example.test, DNS:www.shop.example.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
leaf() {  # leaf KEY CERT: a fresh key and a 90-day certificate signed by the intermediate
  ec_key "$1"
  openssl req -new -key "$1" -subj "/CN=shop.example.test" |
    openssl x509 -req -CA int.pem -CAkey int.key -set_serial "0x$(openssl rand -hex 8)" \
      -days 90 -extfile leaf.ext -out "$2"
}
leaf shop.key shop.pem
openssl verify -CAfile root.pem -untrusted int.pem shop.pem

step "Import the certificate, its key and the chain"
run import shop --cert shop.pem --key shop.key --chain int.pem
run show shop

step "A certificate file holding the whole chain is split (the key may be DER)"
cat shop.pem int.pem >shop-bundle.pem
openssl pkey -in shop.key -outform DER -out shop.key.der
run import shop-bundle --cert shop-bundle.pem --key shop.key.der
run show shop-bundle --pem chain | openssl x509 -noout -subject

step "A key that does not match the certificate is refused (exit status 4)"
ec_key other.key
if run import wrong --cert shop.pem --key other.key; then
  echo "unexpected: the mismatched key was accepted" >&2
  exit 1
else
  echo "refused with exit status $?"
fi

step "Export PEM files"
run export shop --dir out
ls -l out
openssl verify -CAfile root.pem -untrusted out/chain.pem out/cert.pem

step "Export PFX: AES-256-CBC with our password, then legacy 3DES with a generated one"
(umask 077 && printf '%s\n' "pfx-$(date +%s)" >pfx-password)
run export-pfx shop --out shop.pfx --password-file pfx-password --friendly-name shop.example.test
openssl pkcs12 -in shop.pfx -passin file:pfx-password -nokeys -noout -info

# Without --password-file a password is generated and printed once, on standard output
# (with -q, nothing else is printed there).
legacy_password=$(run -q export-pfx shop --out shop-legacy.pfx --legacy)
openssl pkcs12 -in shop-legacy.pfx -passin "pass:$legacy_password" -nokeys -noout -info

step "A directory of certificates in one run: NAME.crt + NAME.key, or one combined PEM (HAProxy)"
mkdir certs
leaf certs/api.key certs/api.crt
leaf blog.key blog.pem
cat blog.pem int.pem blog.key >certs/blog.pem
run import --dir certs
run list

step "A renewed certificate from the same CA: --replace adds version 2"
leaf shop2.key shop2.pem
openssl x509 -in shop2.pem -outform DER -out shop2.der
run import shop --cert shop2.der --key shop2.key --chain int.pem --replace
run show shop --version 1 --pem cert | openssl x509 -noout -serial
run show shop --pem cert | openssl x509 -noout -serial
run list

step "Done; everything in $work is removed on exit"
