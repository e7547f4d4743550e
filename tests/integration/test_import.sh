#!/usr/bin/env bash
# import: certificates and keys made by openssl (RSA and EC, self-signed and root ->
# intermediate -> leaf, PEM and DER, PKCS#8 and traditional keys, full chains), the metadata
# read from them, the refusals (each leaving the vault byte-identical), and --replace.
source "$(dirname "$0")/lib.sh"

M=$TEST_TMP/material
mkdir -p "$M"
cd "$M"

step "make keys and certificates with openssl"
cat >ext.cnf <<'EOF'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:chain.example, DNS:www.chain.example, IP:198.51.100.7
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_noakid]
basicConstraints = critical, CA:FALSE
subjectAltName = DNS:noakid.example
[rsaleaf]
basicConstraints = critical, CA:FALSE
subjectAltName = DNS:rsa-chain.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
ossl() { openssl "$@" >/dev/null 2>"$M/openssl.err" || fail "openssl $*: $(cat "$M/openssl.err")"; }
# root (EC P-384) -> intermediate (EC P-256) -> leaf (EC P-256)
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout root.key -out root.pem \
  -subj "/CN=Import Test Root" -days 3650 -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign"
ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key -out int.csr \
  -subj "/CN=Import Test Intermediate"
ossl x509 -req -in int.csr -CA root.pem -CAkey root.key -set_serial 0x1001 -days 1000 \
  -extfile ext.cnf -extensions ca -out int.pem
ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj "/CN=chain.example"
# A serial with a leading zero nibble.
ossl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -set_serial 0x0ABCDEF0123 -days 60 \
  -extfile ext.cnf -extensions leaf -out leaf.pem
ossl verify -CAfile root.pem -untrusted int.pem leaf.pem
# An RSA leaf under the same intermediate.
ossl req -new -newkey rsa:2048 -nodes -keyout rsaleaf.key -out rsaleaf.csr -subj "/CN=rsa-chain.example"
ossl x509 -req -in rsaleaf.csr -CA int.pem -CAkey int.key -days 45 -extfile ext.cnf -extensions rsaleaf -out rsaleaf.pem
# A second intermediate with the same name but another key: does not link to the leaves.
ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int2.key -out int2.csr \
  -subj "/CN=Import Test Intermediate"
ossl x509 -req -in int2.csr -CA root.pem -CAkey root.key -set_serial 0x1002 -days 1000 \
  -extfile ext.cnf -extensions ca -out int2.pem
# A leaf without key identifiers, so only the signature tells the two intermediates apart.
ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout noakid.key -out noakid.csr -subj "/CN=noakid.example"
ossl x509 -req -in noakid.csr -CA int.pem -CAkey int.key -days 30 -extfile ext.cnf -extensions leaf_noakid -out noakid.pem
# An unrelated root.
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.pem \
  -subj "/CN=Other Root" -days 100 -addext "basicConstraints=critical,CA:TRUE"
# Self-signed RSA and EC leaves.
ossl req -x509 -newkey rsa:2048 -nodes -keyout self-rsa.key -out self-rsa.pem -subj "/CN=self-rsa.example" -days 30 \
  -addext "subjectAltName=DNS:self-rsa.example,DNS:alt.self-rsa.example"
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout self-ec.key -out self-ec.pem \
  -subj "/CN=self-ec.example" -days 20 -addext "subjectAltName=DNS:self-ec.example"
# Other encodings.
ossl x509 -in self-rsa.pem -outform DER -out self-rsa.der
ossl rsa -in self-rsa.key -traditional -out self-rsa.trad.pem
ossl rsa -in self-rsa.key -traditional -outform DER -out self-rsa.trad.der
ossl pkey -in self-ec.key -outform DER -out self-ec.p8.der
ossl pkey -in leaf.key -traditional -out leaf.trad.pem
ossl x509 -in leaf.pem -outform DER -out leaf.der
cat leaf.pem int.pem >fullchain.pem
cat leaf.pem int.pem root.pem >fullchain-root.pem
grep -q 'BEGIN RSA PRIVATE KEY' self-rsa.trad.pem || fail "no traditional RSA key"
grep -q 'BEGIN EC PRIVATE KEY' leaf.trad.pem || fail "no traditional EC key"
grep -q 'BEGIN PRIVATE KEY' leaf.key || fail "no PKCS#8 EC key"
pass

new_vault "$TEST_TMP/vault"

# check_imported NAME CERT_PEM KEY_TYPE: the record's metadata matches what openssl reads.
# Leaves the record's show --json in $OUT.
check_imported() {
  local name=$1 cert=$2 kt=$3
  # The stored certificate is the leaf given, byte for byte (as PEM).
  capture "$M/shown.pem" certctl show "$name" --pem cert
  assert_eq "$(openssl x509 -in "$M/shown.pem" -outform DER | sha256sum)" \
    "$(openssl x509 -in "$cert" -outform DER | sha256sum)" "$name stored certificate"
  # The stored key is the key of the certificate.
  capture "$M/shown.key" certctl show "$name" --pem key
  assert_eq "$(openssl pkey -in "$M/shown.key" -pubout)" "$(openssl x509 -in "$cert" -noout -pubkey)" "$name stored key"
  expect_ok certctl show "$name" --json
  json_check 'd["source"] == "imported" and d["status"] == "active" and d["version"] >= 1'
  json_check 'd["key_type"] == "'"$kt"'" and d["has_key"] is True'
  assert_eq "$(json_get 'd["serial_hex"]')" "$(norm_serial "$(openssl x509 -in "$cert" -noout -serial)")" "$name serial_hex vs openssl"
  json_check 'int(d["serial_dec"]) == int("'"$(openssl x509 -in "$cert" -noout -serial | cut -d= -f2)"'", 16)'
  assert_eq "$(json_get 'd["fingerprint_sha256"]')" \
    "$(openssl x509 -in "$cert" -noout -fingerprint -sha256 | cut -d= -f2)" "$name fingerprint_sha256 vs openssl"
  assert_eq "$(json_get 'd["fingerprint_sha1"]')" \
    "$(openssl x509 -in "$cert" -noout -fingerprint -sha1 | cut -d= -f2)" "$name fingerprint_sha1 vs openssl"
  assert_eq "$(json_get 'd["not_after"]')" \
    "$(date -u -d "$(openssl x509 -in "$cert" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)" "$name not_after vs openssl"
  assert_eq "$(json_get 'd["not_before"]')" \
    "$(date -u -d "$(openssl x509 -in "$cert" -noout -startdate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)" "$name not_before vs openssl"
  local issuer
  issuer=$(openssl x509 -in "$cert" -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//')
  assert_eq "$(json_get 'd["issuer"]')" "$issuer" "$name issuer vs openssl"
}

step "self-signed RSA: DER certificate, traditional PEM key"
expect_ok certctl import self-rsa --cert self-rsa.der --key self-rsa.trad.pem
check_imported self-rsa self-rsa.pem rsa2048
json_check 'd["domain"] == "self-rsa.example" and d["sans"] == ["alt.self-rsa.example"]'
expect_exit 10 certctl show self-rsa --pem chain   # nothing to show: no chain
assert_contains "$ERR" "chain"

step "self-signed RSA: PEM certificate, traditional DER key; PKCS#8 PEM key"
expect_ok certctl import self-rsa2 --cert self-rsa.pem --key self-rsa.trad.der
check_imported self-rsa2 self-rsa.pem rsa2048
expect_ok certctl import self-rsa3 --cert self-rsa.pem --key self-rsa.key
check_imported self-rsa3 self-rsa.pem rsa2048

step "self-signed EC P-384: PKCS#8 DER key"
expect_ok certctl import self-ec --cert self-ec.pem --key self-ec.p8.der --renew-days 7
check_imported self-ec self-ec.pem ec384
json_check 'd["renew_days"] == 7 and d["auto_renew_days"] == 7'

step "root -> intermediate -> leaf: full chain in --cert is split"
expect_ok certctl import chain-full --cert fullchain.pem --key leaf.key
check_imported chain-full leaf.pem ec256
json_check 'd["domain"] == "chain.example" and d["sans"] == ["www.chain.example", "198.51.100.7"]'
json_check 'd["serial_hex"] == "ABCDEF0123"'
expect_ok certctl show chain-full --pem cert
assert_eq "$(grep -c 'BEGIN CERTIFICATE' <<<"$OUT")" 1 "certificates in --pem cert of a split full chain"
expect_ok certctl show chain-full --pem chain
printf '%s\n' "$OUT" >"$M/shown-chain.pem"
assert_eq "$(grep -c 'BEGIN CERTIFICATE' "$M/shown-chain.pem")" 1 "certificates in --pem chain"
assert_eq "$(openssl x509 -in "$M/shown-chain.pem" -outform DER | sha256sum)" \
  "$(openssl x509 -in int.pem -outform DER | sha256sum)" "the split chain is the intermediate"
expect_ok certctl show chain-full --pem fullchain
printf '%s\n' "$OUT" >"$M/shown-full.pem"
expect_ok openssl verify -CAfile root.pem -untrusted "$M/shown-full.pem" "$M/shown-full.pem"

step "root -> intermediate -> leaf: DER leaf, traditional EC key, --chain with the root too"
cat int.pem root.pem >int-root.pem
expect_ok certctl import chain-der --cert leaf.der --key leaf.trad.pem --chain int-root.pem
check_imported chain-der leaf.pem ec256
expect_ok certctl show chain-der --pem chain
assert_eq "$(grep -c 'BEGIN CERTIFICATE' <<<"$OUT")" 2 "certificates in --pem chain (intermediate + root)"
expect_ok certctl import chain-root --cert fullchain-root.pem --key leaf.key
expect_ok certctl show chain-root --pem chain
assert_eq "$(grep -c 'BEGIN CERTIFICATE' <<<"$OUT")" 2 "certificates in the split chain of leaf+int+root"

step "RSA leaf under the intermediate, DER certificate with --chain"
openssl x509 -in rsaleaf.pem -outform DER -out rsaleaf.der
expect_ok certctl import rsa-chain --cert rsaleaf.der --chain int.pem --key rsaleaf.key
check_imported rsa-chain rsaleaf.pem rsa2048

step "list shows imported records"
expect_ok certctl list --json
json_check 'sorted(r["name"] for r in d if r["source"] == "imported") == ["chain-der", "chain-full", "chain-root", "rsa-chain", "self-ec", "self-rsa", "self-rsa2", "self-rsa3"]'

step "refusals leave the vault byte-identical"
DIGEST=$(vault_digest)
expect_no_change() {
  assert_eq "$(vault_digest)" "$DIGEST" "vault digest after: $*"
  expect_exit 10 certctl show bad --json
}
# A key that does not match the certificate.
expect_exit 4 certctl import bad --cert leaf.pem --chain int.pem --key self-ec.key
assert_contains "$ERR" "self-ec.key" "the error for a mismatched key"
assert_contains "$ERR" "does not match"
expect_no_change mismatched key
expect_exit 4 certctl import bad --cert self-rsa.pem --key rsaleaf.key
assert_contains "$ERR" "rsaleaf.key" "the error for a mismatched RSA key"
expect_no_change mismatched RSA key
# The issuer of the leaf must come first.
cat leaf.pem root.pem int.pem >wrong-order.pem
expect_exit 4 certctl import bad --cert wrong-order.pem --key leaf.key
assert_contains "$ERR" "wrong-order.pem" "the error for a chain in the wrong order"
assert_contains "$ERR" "certificate 1 (CN=Import Test Root)" "the error for a chain in the wrong order"
expect_no_change chain in the wrong order
cat root.pem int.pem >root-int.pem
expect_exit 4 certctl import bad --cert leaf.pem --chain root-int.pem --key leaf.key
assert_contains "$ERR" "root-int.pem"
assert_contains "$ERR" "CN=Import Test Root" "the error for --chain in the wrong order"
expect_no_change --chain in the wrong order
# Chains that do not link.
expect_exit 4 certctl import bad --cert leaf.pem --chain int2.pem --key leaf.key
assert_contains "$ERR" "int2.pem" "the error for a chain that does not link"
assert_contains "$ERR" "Import Test Intermediate"
expect_no_change intermediate with another key
expect_exit 4 certctl import bad --cert noakid.pem --chain int2.pem --key noakid.key
assert_contains "$ERR" "int2.pem" "the error for a chain that does not link (signature only)"
expect_no_change intermediate with another key, no key identifiers
cat int.pem other.pem >int-other.pem
expect_exit 4 certctl import bad --cert leaf.pem --chain int-other.pem --key leaf.key
assert_contains "$ERR" "certificate 2 (CN=Other Root)" "the error for a second chain certificate that does not link"
expect_no_change unrelated second chain certificate
expect_exit 4 certctl import bad --cert leaf.pem --chain other.pem --key leaf.key
assert_contains "$ERR" "CN=Other Root"
expect_no_change unrelated chain
# Garbage.
head -c 700 /dev/urandom >garbage.bin
printf -- '-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n' >bad-base64.pem
: >empty.pem
for f in garbage.bin bad-base64.pem empty.pem leaf.key; do
  expect_exit 4 certctl import bad --cert "$f" --key leaf.key
  assert_contains "$ERR" "$f" "the error for --cert $f"
  expect_no_change garbage certificate "$f"
done
for f in garbage.bin empty.pem leaf.pem; do
  expect_exit 4 certctl import bad --cert leaf.pem --key "$f"
  assert_contains "$ERR" "$f" "the error for --key $f"
  expect_no_change garbage key "$f"
done
expect_exit 4 certctl import bad --cert leaf.pem --key leaf.key --chain garbage.bin
assert_contains "$ERR" "garbage.bin"
expect_no_change garbage chain
# Missing files: not found.
expect_exit 10 certctl import bad --cert missing.pem --key leaf.key
assert_contains "$ERR" "missing.pem"
expect_no_change missing certificate
expect_exit 10 certctl import bad --cert leaf.pem --key missing.key
assert_contains "$ERR" "missing.key"
expect_no_change missing key
expect_exit 10 certctl import bad --cert leaf.pem --key leaf.key --chain missing-chain.pem
assert_contains "$ERR" "missing-chain.pem"
expect_no_change missing chain
# Bad names and options.
expect_exit 2 certctl import ../bad --cert leaf.pem --key leaf.key
expect_exit 2 certctl import bad --cert leaf.pem
expect_no_change bad command lines
# An existing name without --replace, and --replace of nothing.
expect_exit 9 certctl import chain-full --cert fullchain.pem --key leaf.key
assert_contains "$ERR" "--replace" "the error for importing onto an existing name"
expect_exit 10 certctl import bad --cert fullchain.pem --key leaf.key --replace
expect_no_change existing name without --replace
# A managed record cannot be replaced by an import.
expect_ok certctl create managed --domain managed.example
DIGEST=$(vault_digest)
expect_exit 9 certctl import managed --cert fullchain.pem --key leaf.key --replace
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after --replace onto a managed record"

step "--replace: a new version, the old one in the history"
OLD_SERIAL=$(record_serial chain-full)
ossl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -set_serial 0x7777 -days 90 \
  -extfile ext.cnf -extensions leaf -out leaf2.pem
expect_ok certctl import chain-full --replace --cert leaf2.pem --chain int.pem --key leaf.key
check_imported chain-full leaf2.pem ec256
json_check 'd["version"] == 2 and d["serial_hex"] == "7777"'
json_check 'len(d["history"]) == 1 and d["history"][0]["version"] == 1 and d["history"][0]["serial_hex"] == "'"$OLD_SERIAL"'"'
expect_ok certctl show chain-full --version 1 --pem cert
printf '%s\n' "$OUT" >"$M/v1.pem"
assert_eq "$(cert_serial "$M/v1.pem")" "$OLD_SERIAL" "serial of version 1 after --replace"
# A replacement with another key (a new key pair for the same names).
ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout leaf3.key -out leaf3.csr -subj "/CN=chain.example"
ossl x509 -req -in leaf3.csr -CA int.pem -CAkey int.key -set_serial 0x8888 -days 90 \
  -extfile ext.cnf -extensions leaf -out leaf3.pem
cat leaf3.pem int.pem >fullchain3.pem
expect_ok certctl import chain-full --replace --cert fullchain3.pem --key leaf3.key
check_imported chain-full leaf3.pem ec384
json_check 'd["version"] == 3 and [h["version"] for h in d["history"]] == [1, 2]'
# The old version keeps its own key.
expect_ok certctl show chain-full --version 1 --pem key
printf '%s\n' "$OUT" >"$M/v1.key"
assert_eq "$(openssl pkey -in "$M/v1.key" -pubout)" "$(openssl x509 -in leaf.pem -noout -pubkey)" "key of version 1"
# A refused --replace changes nothing.
DIGEST=$(vault_digest)
expect_exit 4 certctl import chain-full --replace --cert leaf2.pem --chain int.pem --key leaf3.key
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after a refused --replace"

step "audit.log records the imports and holds no key"
AUDIT=$(vault_file audit.log)
if grep -q 'PRIVATE KEY' "$AUDIT"; then fail "audit.log contains a private key"; fi
assert_eq "$(grep -c '"action":"import"' "$AUDIT")" 10 "import entries in audit.log"

step "--dir: every certificate file of a directory in one run; a file that cannot be imported fails alone"
B=$M/bulk
mkdir -p "$B"
cp fullchain.pem "$B/bulk-a.crt" && cp leaf.key "$B/bulk-a.key"         # leaf + chain, key beside it
cat rsaleaf.pem int.pem rsaleaf.key >"$B/bulk-b.pem"                      # HAProxy's combined file
cp self-rsa.der "$B/bulk-c.cer" && cp self-rsa.key "$B/bulk-c.key"       # DER certificate
cp self-ec.key "$B/bulk-key-only.pem"                                     # a key alone: not a certificate
cp leaf.pem "$B/bulk-d.crt"                                               # no key anywhere
cp self-ec.pem "$B/bulk-e.crt" && cp leaf.key "$B/bulk-e.key"            # a key of another certificate
cp self-ec.pem "$B/bad name.crt" && cp self-ec.key "$B/bad name.key"     # not a record name
cp self-ec.pem "$B/twice.crt" && cp self-ec.pem "$B/twice.pem" && cp self-ec.key "$B/twice.key"
printf 'not a certificate\n' >"$B/notes.txt"
source_before=$(cd "$B" && find . -print0 | sort -z | xargs -0 ls -ld --time-style=+%s.%N && find . -type f -print0 | sort -z | xargs -0 sha256sum)
rc=0
certctl import --dir "$B" >"$M/bulk.out" 2>"$M/bulk.err" || rc=$?
assert_eq "$rc" 4 "exit status of an --dir import with bad files (the first failure's)"
BERR=$(cat "$M/bulk.err")
assert_contains "$BERR" "bulk-d.crt: holds no private key and there is no bulk-d.key beside it"
assert_contains "$BERR" "bulk-e.key: this private key does not match the certificate in $B/bulk-e.crt"
assert_contains "$BERR" "bad name.crt: its name 'bad name': character ' ' not allowed"
assert_contains "$BERR" "2 certificate files are named 'twice'"
assert_contains "$BERR" "3 imported, 4 failed (from $B)"
assert_not_contains "$BERR" "bulk-key-only"
assert_not_contains "$BERR" "notes.txt"
expect_ok certctl list --json
json_check 'sorted(r["name"] for r in d if r["name"].startswith("bulk")) == ["bulk-a", "bulk-b", "bulk-c"]'
check_imported bulk-a leaf.pem ec256
json_check 'd["has_chain"] is True'
check_imported bulk-b rsaleaf.pem rsa2048
json_check 'd["has_chain"] is True'
check_imported bulk-c self-rsa.pem rsa2048
# The source directory is only read.
assert_eq "$(cd "$B" && find . -print0 | sort -z | xargs -0 ls -ld --time-style=+%s.%N && find . -type f -print0 | sort -z | xargs -0 sha256sum)" \
  "$source_before" "the source directory (names, modes, times, contents) after the import"

step "--dir again: existing records need --replace; a good directory exits 0"
G=$M/bulk-good
mkdir -p "$G"
cp "$B/bulk-a.crt" "$B/bulk-a.key" "$B/bulk-b.pem" "$G/"
DIGEST=$(vault_digest)
rc=0
certctl import --dir "$G" >"$M/bulk.out" 2>"$M/bulk.err" || rc=$?
assert_eq "$rc" 9 "exit status of --dir onto existing records"
assert_contains "$(cat "$M/bulk.err")" "bulk-a: exists already; pass --replace"
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after --dir onto existing records"
expect_ok certctl import --dir "$G" --replace
assert_contains "$ERR" "2 imported, 0 failed"
expect_ok certctl show bulk-b --json
json_check 'd["version"] == 2'
# The combined file works as --cert and --key of a single import too.
expect_ok certctl import combined --cert "$G/bulk-b.pem" --key "$G/bulk-b.pem"
check_imported combined rsaleaf.pem rsa2048

step "--dir refusals: usage before the vault is unlocked, a missing or empty directory"
DIGEST=$(vault_digest)
expect_exit 2 certctl import bulk-x --dir "$G"
assert_contains "$ERR" "--dir: names each record after its file"
expect_exit 2 certctl import --dir "$G" --cert leaf.pem
expect_exit 2 certctl import bulk-x --cert leaf.pem
assert_contains "$ERR" "--key: is required"
expect_exit 10 certctl import --dir "$M/no-such-dir"
assert_contains "$ERR" "no-such-dir"
mkdir -p "$M/empty"
expect_exit 10 certctl import --dir "$M/empty"
assert_contains "$ERR" "holds no certificate files"
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after refused --dir imports"
