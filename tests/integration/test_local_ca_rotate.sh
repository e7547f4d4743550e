#!/usr/bin/env bash
# The local CA over years: a root with name constraints and an intermediate that signs leaves;
# `ca local rotate --intermediate` and `--root` with an overlap in which old and new chains both
# verify (openssl verify, with CRLs); renew moves certificates to the new chain; names outside
# the constraints are refused.
source "$(dirname "$0")/lib.sh"

use_vault "$TEST_TMP/vault"
expect_ok certctl init --scrypt-n 1024
W=$TEST_TMP/work
mkdir -p "$W"

# chain_of NAME: the record's cert.pem and chain.pem into $W/NAME.pem and $W/NAME-chain.pem.
chain_of() {
  capture "$W/$1.pem" certctl show "$1" --pem cert
  capture "$W/$1-chain.pem" certctl show "$1" --pem chain
}
# verifies ROOTS NAME [openssl options...]: openssl verify NAME's leaf with its own chain.
verifies() {
  local roots=$1 name=$2
  shift 2
  expect_ok openssl verify "$@" -CAfile "$roots" -untrusted "$W/$name-chain.pem" "$W/$name.pem"
  assert_contains "$OUT" "$W/$name.pem: OK"
}
issuer_cn() { openssl x509 -in "$1" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p' | head -1; }

step "ca local init --permit/--exclude: a root (pathlen 1) and an intermediate (pathlen 0), both constrained"
expect_exit 2 certctl ca local init --permit 'not a name!'
assert_one_line_error
assert_contains "$ERR" "--permit"
expect_exit 2 certctl ca local init --permit 10.0.0.0/33
expect_exit 9 certctl ca local export-root   # nothing was made
expect_ok certctl ca local init --permit example.internal --permit 10.0.0.0/8 --exclude bad.example.internal
expect_exit 9 certctl ca local init
assert_contains "$ERR" "already exists"
capture "$W/root1.pem" certctl ca local export-root
expect_ok openssl x509 -in "$W/root1.pem" -noout -text
for want in "X509v3 Name Constraints: critical" "DNS:example.internal" "IP:10.0.0.0/255.0.0.0" "DNS:bad.example.internal" \
  "CA:TRUE, pathlen:1" "Certificate Sign, CRL Sign"; do
  assert_contains "$OUT" "$want"
done
if command -v keytool >/dev/null; then
  expect_ok keytool -printcert -file "$W/root1.pem"
  assert_contains "$OUT" "NameConstraints"
  assert_contains "$OUT" "example.internal"
fi
expect_ok certctl ca local show --json
json_check '[c["kind"] for c in d["certificates"]] == ["root", "intermediate"]'
json_check '[c["state"] for c in d["certificates"]] == ["current", "current"]'
json_check '[c["path_len"] for c in d["certificates"]] == [1, 0]'
json_check 'all(c["permitted"] == ["example.internal", "10.0.0.0/8"] and c["excluded"] == ["bad.example.internal"] for c in d["certificates"])'
expect_ok certctl ca local show
assert_contains "$OUT" "Intermediate 1"

step "leaves are signed by the intermediate; chain.pem is the intermediate (no root); fullchain = leaf + intermediate"
issue_record a a.example.internal --san 10.1.2.3
chain_of a
assert_eq "$(grep -c 'BEGIN CERTIFICATE' "$W/a-chain.pem")" 1 "certificates in chain.pem"
assert_eq "$(issuer_cn "$W/a-chain.pem")" "certctl local CA Intermediate 1" "a's chain"
verifies "$W/root1.pem" a -x509_strict
expect_exit 2 openssl verify -CAfile "$W/root1.pem" "$W/a.pem"   # the intermediate is needed
expect_ok certctl export a --dir "$W/a-out"
assert_eq "$(cat "$W/a-out/fullchain.pem")" "$(cat "$W/a-out/cert.pem" "$W/a-out/chain.pem")" "fullchain"

step "a name outside the constraints (or excluded) is refused with a clear error, nothing issued"
for n in www.example.com bad.example.internal 192.168.1.1; do
  expect_ok certctl create "out-$n" --domain "$n"
  expect_ok certctl csr "out-$n"
  expect_exit 7 certctl issue "out-$n"
  assert_one_line_error
  assert_contains "$ERR" "'$n' is"
  expect_ok certctl show "out-$n" --json
  json_check 'd["serial_hex"] is None'
  expect_ok certctl delete "out-$n" --yes
done

step "CRL of the intermediate: openssl -crl_check rejects a revoked leaf and accepts the others"
issue_record gone gone.example.internal
chain_of gone
expect_ok certctl revoke gone --reason keyCompromise --yes
capture "$W/crl1.pem" certctl ca local crl
expect_ok openssl crl -in "$W/crl1.pem" -noout -text
assert_contains "$OUT" "Issuer: CN = certctl local CA Intermediate 1"
expect_exit 2 openssl verify -crl_check -CRLfile "$W/crl1.pem" -CAfile "$W/root1.pem" -untrusted "$W/gone-chain.pem" "$W/gone.pem"
assert_contains "$OUT$ERR" "revoked"
verifies "$W/root1.pem" a -crl_check -CRLfile "$W/crl1.pem"

step "rotate --intermediate: a new intermediate; old and new leaves both verify during the overlap"
expect_exit 2 certctl ca local rotate
assert_contains "$ERR" "--root or --intermediate"
expect_exit 2 certctl ca local rotate --root --intermediate
expect_exit 2 certctl ca local rotate --intermediate --days 99999
expect_exit 2 certctl ca local rotate --intermediate --days 5000   # outlives the root
assert_contains "$ERR" "outlive the root"
expect_ok certctl ca local rotate --intermediate --overlap 10
assert_contains "$OUT" "Intermediate 2"
expect_ok certctl ca local show --json
json_check '[(c["kind"], c["id"], c["state"]) for c in d["certificates"]] == [("root", 1, "current"), ("intermediate", 1, "retiring"), ("intermediate", 2, "current")]'
json_check 'd["certificates"][1]["retire_at"] is not None and d["certificates"][2]["permitted"] == ["example.internal", "10.0.0.0/8"]'
issue_record b b.example.internal
chain_of b
assert_eq "$(issuer_cn "$W/b-chain.pem")" "certctl local CA Intermediate 2" "b's chain"
verifies "$W/root1.pem" a
verifies "$W/root1.pem" b -x509_strict
capture "$W/root-again.pem" certctl ca local export-root
assert_eq "$(cat "$W/root-again.pem")" "$(cat "$W/root1.pem")" "the root after rotate --intermediate"
# Both intermediates' CRLs (and the root's) for -crl_check_all.
capture "$W/crls.pem" certctl ca local crl --all
assert_eq "$(grep -c 'BEGIN X509 CRL' "$W/crls.pem")" 3 "CRLs from crl --all"
verifies "$W/root1.pem" a -crl_check_all -CRLfile "$W/crls.pem"
verifies "$W/root1.pem" b -crl_check_all -CRLfile "$W/crls.pem"

step "renew moves the record of the old intermediate to the new chain; the others are not due"
A1=$(record_serial a)
B1=$(record_serial b)
expect_ok certctl renew --json
json_check '{i["name"]: i["outcome"] for i in d["items"]} == {"a": "renewed"}'
json_check '"the local CA rotated" in d["items"][0]["reason"]'
assert_ne "$(record_serial a)" "$A1" "a's serial after renew"
assert_eq "$(record_serial b)" "$B1" "b's serial after renew"
chain_of a
assert_eq "$(issuer_cn "$W/a-chain.pem")" "certctl local CA Intermediate 2" "a's chain after renew"
verifies "$W/root1.pem" a
expect_ok certctl renew --json
json_check 'd["items"] == []'

step "rotate --root: a new root and intermediate; export-root --all publishes both roots; both chains verify"
expect_exit 2 certctl ca local rotate --intermediate --intermediate-days 10
expect_ok certctl ca local rotate --root --overlap 30
assert_contains "$OUT" "Root 2"
assert_contains "$OUT" "Intermediate 3"
capture "$W/root2.pem" certctl ca local export-root
assert_ne "$(cat "$W/root2.pem")" "$(cat "$W/root1.pem")" "the current root after rotate --root"
expect_ok openssl x509 -in "$W/root2.pem" -noout -text
assert_contains "$OUT" "DNS:example.internal"   # the constraints go to the new root
capture "$W/roots.pem" certctl ca local export-root --all
assert_eq "$(grep -c 'BEGIN CERTIFICATE' "$W/roots.pem")" 2 "roots from export-root --all"
expect_ok certctl ca local show --json
json_check '[(c["kind"], c["id"], c["state"]) for c in d["certificates"]] == [("root", 1, "retiring"), ("intermediate", 1, "retiring"), ("intermediate", 2, "retiring"), ("root", 2, "current"), ("intermediate", 3, "current")]'
issue_record c c.example.internal
chain_of c
assert_eq "$(issuer_cn "$W/c-chain.pem")" "certctl local CA Intermediate 3" "c's chain"
verifies "$W/roots.pem" a
verifies "$W/roots.pem" b
verifies "$W/roots.pem" c -x509_strict
verifies "$W/root2.pem" c
expect_exit 2 openssl verify -CAfile "$W/root1.pem" -untrusted "$W/c-chain.pem" "$W/c.pem"
capture "$W/crls.pem" certctl ca local crl --all
verifies "$W/roots.pem" b -crl_check_all -CRLfile "$W/crls.pem"
verifies "$W/roots.pem" c -crl_check_all -CRLfile "$W/crls.pem"

step "renew moves a and b to the new root's chain; c stays"
C1=$(record_serial c)
expect_ok certctl renew --json
json_check 'sorted(i["name"] for i in d["items"] if i["outcome"] == "renewed") == ["a", "b"]'
assert_eq "$(record_serial c)" "$C1" "c's serial"
for n in a b; do
  chain_of "$n"
  assert_eq "$(issuer_cn "$W/$n-chain.pem")" "certctl local CA Intermediate 3" "$n's chain after renew"
  verifies "$W/root2.pem" "$n"
done

step "after the overlap: export-root --all is the current root only; show says retired"
LATER=$(date -u -d '+40 days' +%Y-%m-%dT%H:%M:%SZ)
expect_ok env CERTCTL_NOW="$LATER" "$CERTCTL_BIN" ca local show --json
json_check '[c["state"] for c in d["certificates"]] == ["retired", "retired", "retired", "current", "current"]'
expect_ok env CERTCTL_NOW="$LATER" "$CERTCTL_BIN" ca local export-root --all
assert_eq "$OUT" "$(cat "$W/root2.pem")" "export-root --all after the overlap"
assert_vault_private

step "a vault made before intermediates (root.pem + key.enc only) keeps issuing; rotate --intermediate migrates it"
if file_backend; then
  use_vault "$TEST_TMP/old"
  expect_ok certctl init --scrypt-n 1024
  expect_ok certctl ca local init --cn "old CA"
  L=$CERTCTL_VAULT/ca/local   # rearranged into the layout of a vault made before intermediates
  mv "$L/roots/1.pem" "$L/root.pem"
  mv "$L/roots/1.key.enc" "$L/key.enc"
  rm -r "$L/roots" "$L/intermediates" "$L/state.txt"
  capture "$W/old-root.pem" certctl ca local export-root
  issue_record old old.example
  chain_of old
  assert_eq "$(issuer_cn "$W/old-chain.pem")" "old CA" "the chain of a root-only vault is the root"
  verifies "$W/old-root.pem" old
  expect_ok certctl ca local show --json
  json_check '[(c["kind"], c["id"], c["state"]) for c in d["certificates"]] == [("root", 1, "current")]'
  expect_ok certctl renew --json
  json_check 'd["items"] == []'
  capture "$W/old-crl.pem" certctl ca local crl
  verifies "$W/old-root.pem" old -crl_check -CRLfile "$W/old-crl.pem"
  expect_ok certctl ca local rotate --intermediate
  assert_contains "$OUT" "old CA Intermediate 1"
  assert_eq "$(sed -n 3p "$L/state.txt")" "root 1 0 legacy" "the state file names the old root"
  assert_eq "$(certctl ca local export-root)" "$(cat "$W/old-root.pem")" "the root after the migration"
  verifies "$W/old-root.pem" old   # issued before: still verifies
  expect_ok certctl renew --json
  json_check '[(i["name"], i["outcome"]) for i in d["items"]] == [("old", "renewed")]'
  chain_of old
  assert_eq "$(issuer_cn "$W/old-chain.pem")" "old CA Intermediate 1" "old's chain after renew"
  verifies "$W/old-root.pem" old -x509_strict
  assert_vault_private
fi
