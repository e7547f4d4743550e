#!/usr/bin/env bash
# Keys at rest, unlock failures, unsafe permissions, AAD binding of key files, rekey, key-file
# vaults, no passphrase on the command line, input validation, and one-line errors.
source "$(dirname "$0")/lib.sh"

new_vault "$TEST_TMP/vault"
issue_record web web.example --key-type rsa2048
issue_record api api.example --key-type ec384
W=$TEST_TMP/work
mkdir -p "$W"

step "key.enc holds no plaintext key"
for name in web api; do
  enc=$CERTCTL_VAULT/certs/$name/v1/key.enc
  expect_ok certctl show "$name" --pem key
  printf '%s\n' "$OUT" >"$W/$name.key"
  openssl pkey -in "$W/$name.key" -outform DER -out "$W/$name.der" 2>/dev/null ||
    fail "show $name --pem key is not a private key: $OUT"
  python3 - "$enc" "$W/$name.der" "$W/$name.key" <<'EOF' || fail "$enc holds key material in the clear"
import sys
enc = open(sys.argv[1], "rb").read()
der = open(sys.argv[2], "rb").read()
pem = open(sys.argv[3], "rb").read()
assert enc[:4] == b"CCK1", enc[:4]
assert b"PRIVATE KEY" not in enc
assert der not in enc, "DER of the key is in key.enc"
# Nor any 16-byte window of the DER or of a base64 line of the PEM.
for i in range(0, len(der) - 16, 8):
    assert der[i:i + 16] not in enc, f"DER bytes {i}..{i + 16} are in key.enc"
for line in pem.splitlines():
    if len(line) >= 16 and not line.startswith(b"-----"):
        assert line not in enc, line
EOF
  pass
done
if grep -rl 'PRIVATE KEY' "$CERTCTL_VAULT" >/dev/null; then
  fail "a file in the vault contains 'PRIVATE KEY': $(grep -rl 'PRIVATE KEY' "$CERTCTL_VAULT")"
fi
pass

step "wrong passphrase: exit 5, one line, nothing changed"
new_passphrase_file "$W/wrong.pass" "not the passphrase"
expect_ok certctl create drafty --domain drafty.example
DIGEST=$(vault_digest)
wrong() { expect_exit 5 certctl --passphrase-file "$W/wrong.pass" "$@"; assert_contains "$ERR" "wrong passphrase" "stderr of $1"; }
wrong show web --pem key
assert_eq "$OUT" "" "stdout of show --pem key with a wrong passphrase"
wrong issue web
wrong csr drafty
wrong export-pfx web --out "$W/x.pfx" --password-file "$W/wrong.pass"
wrong export web --dir "$W/x"
wrong vault rekey --new-passphrase-file "$W/wrong.pass"
wrong ca local init
expect_exit 5 env CERTCTL_PASSPHRASE="also wrong" "$CERTCTL_BIN" show api --pem key
assert_contains "$ERR" "wrong passphrase"
[[ ! -e $W/x.pfx && ! -e $W/x/key.pem ]] || fail "a command with a wrong passphrase wrote files"
pass
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after wrong passphrases"
# CERTCTL_PASSPHRASE comes before CERTCTL_PASSPHRASE_FILE, --passphrase-file before both.
expect_ok env CERTCTL_PASSPHRASE="correct horse battery staple" CERTCTL_PASSPHRASE_FILE="$W/wrong.pass" \
  "$CERTCTL_BIN" show web --pem key
expect_exit 5 env CERTCTL_PASSPHRASE="wrong" "$CERTCTL_BIN" show web --pem key
expect_ok env CERTCTL_PASSPHRASE="wrong" "$CERTCTL_BIN" --passphrase-file "$CERTCTL_PASSPHRASE_FILE" show web --pem key

step "unsafe vault permissions: refused"
DIGEST=$(vault_digest)
for mode in 777 770 707 720 702; do
  chmod "$mode" "$CERTCTL_VAULT"
  expect_exit 5 certctl list
  assert_contains "$ERR" "writable by group or others" "the error for a vault of mode $mode"
  expect_exit 5 certctl show web --pem key
  expect_exit 5 certctl create other --domain other.example
  chmod 700 "$CERTCTL_VAULT"
done
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after refusals for permissions"
chmod 750 "$CERTCTL_VAULT"   # readable by the group is not writable
expect_ok certctl list
chmod 700 "$CERTCTL_VAULT"
for sub in certs ca/local; do
  chmod 777 "$CERTCTL_VAULT/$sub"
  expect_exit 5 certctl list
  assert_contains "$ERR" "$CERTCTL_VAULT/$sub" "the error names the unsafe directory $sub"
  assert_contains "$ERR" "writable by group or others"
  chmod 700 "$CERTCTL_VAULT/$sub"
done
expect_ok certctl list
mkdir -m 777 "$W/open"
chmod 777 "$W/open"   # mkdir -m is subject to nothing, but be explicit
expect_exit 5 env CERTCTL_VAULT="$W/open" "$CERTCTL_BIN" init --scrypt-n 1024
assert_contains "$ERR" "writable by group or others"
[[ ! -e $W/open/config.toml ]] || fail "init made a vault in a world-writable directory"
pass
expect_exit 5 env CERTCTL_VAULT="$W/no-vault" "$CERTCTL_BIN" list
assert_contains "$ERR" "certctl init"

step "key.enc is bound to its record (AAD)"
cp "$CERTCTL_VAULT/certs/web/v1/key.enc" "$W/web.enc"
cp "$CERTCTL_VAULT/certs/api/v1/key.enc" "$W/api.enc"
cp "$W/api.enc" "$CERTCTL_VAULT/certs/web/v1/key.enc"
cp "$W/web.enc" "$CERTCTL_VAULT/certs/api/v1/key.enc"
expect_exit 5 certctl show web --pem key
assert_contains "$ERR" "web/v1/key.enc" "the error for a swapped key file"
assert_eq "$OUT" "" "stdout of show --pem key with a swapped key file"
expect_exit 5 certctl show api --pem key
expect_exit 5 certctl export-pfx web --out "$W/swapped.pfx" --password-file "$W/wrong.pass"
cp "$CERTCTL_VAULT/ca/local/roots/1.key.enc" "$CERTCTL_VAULT/certs/web/v1/key.enc"
expect_exit 5 certctl show web --pem key
# A flipped byte or a truncated file fails the same way.
python3 - "$W/web.enc" "$CERTCTL_VAULT/certs/web/v1/key.enc" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 0x01
open(sys.argv[2], "wb").write(bytes(b))
EOF
expect_exit 5 certctl show web --pem key
head -c 20 "$W/web.enc" >"$CERTCTL_VAULT/certs/web/v1/key.enc"
expect_exit 5 certctl show web --pem key
cp "$W/web.enc" "$CERTCTL_VAULT/certs/web/v1/key.enc"
cp "$W/api.enc" "$CERTCTL_VAULT/certs/api/v1/key.enc"
expect_ok certctl show web --pem key
expect_ok certctl show api --pem key

step "a key file given to a passphrase vault is refused as such"
expect_exit 5 certctl --key-file "$CERTCTL_PASSPHRASE_FILE" show web --pem key
assert_contains "$ERR" "unlocked with a passphrase, not a key file"

step "vault rekey: the old passphrase stops working, records untouched"
certs_digest() { vault_digest "$CERTCTL_VAULT/certs"; }
CERTS=$(certs_digest)
CA=$(vault_digest "$CERTCTL_VAULT/ca")
RECORD_SUMS=$(cd "$CERTCTL_VAULT/certs" && sha256sum ./*/record.toml)
OLD_CONFIG=$(cat "$CERTCTL_VAULT/config.toml")
OLD_PASS=$CERTCTL_PASSPHRASE_FILE
new_passphrase_file "$W/new.pass" "a brand new passphrase"
expect_ok certctl vault rekey --new-passphrase-file "$W/new.pass" --scrypt-n 1024
assert_eq "$(certs_digest)" "$CERTS" "digest of certs/ after rekey"
assert_eq "$(cd "$CERTCTL_VAULT/certs" && sha256sum ./*/record.toml)" "$RECORD_SUMS" "record.toml digests after rekey"
assert_eq "$(vault_digest "$CERTCTL_VAULT/ca")" "$CA" "digest of ca/ after rekey"
assert_ne "$(cat "$CERTCTL_VAULT/config.toml")" "$OLD_CONFIG" "config.toml after rekey"
assert_contains "$(tail -1 "$CERTCTL_VAULT/audit.log")" '"action":"rekey"' "audit.log after rekey"
expect_exit 5 certctl show web --pem key
assert_contains "$ERR" "wrong passphrase" "the old passphrase after rekey"
export CERTCTL_PASSPHRASE_FILE=$W/new.pass
expect_ok certctl show web --pem key
assert_eq "$OUT" "$(cat "$W/web.key")" "the key after rekey"
expect_ok certctl issue api
expect_ok certctl show api --pem key
assert_eq "$OUT" "$(cat "$W/api.key")" "the re-issued key after rekey"
# Rekey with CERTCTL_NEW_PASSPHRASE, back to the first passphrase.
expect_ok env CERTCTL_NEW_PASSPHRASE="$(cat "$OLD_PASS")" "$CERTCTL_BIN" vault rekey --scrypt-n 1024
expect_exit 5 certctl show web --pem key
expect_ok certctl --passphrase-file "$OLD_PASS" show web --pem key
export CERTCTL_PASSPHRASE_FILE=$OLD_PASS
# Rekey with no new secret and no terminal: refused, nothing changed.
DIGEST=$(vault_digest)
expect_exit 2 certctl vault rekey
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after a rekey without a new secret"

step "key-file vault"
use_vault "$TEST_TMP/kvault"
unset CERTCTL_PASSPHRASE_FILE
expect_ok certctl init --generate-key-file "$W/vault.key"
assert_mode "$W/vault.key" 600
[[ $(stat -c %s "$W/vault.key") -ge 32 ]] || fail "generated key file is shorter than 32 bytes"
pass
grep -qE "^method = ['\"]key-file['\"]$" "$CERTCTL_VAULT/config.toml" || fail "config.toml of a key-file vault: $(cat "$CERTCTL_VAULT/config.toml")"
pass
expect_ok env CERTCTL_KEY_FILE="$W/vault.key" "$CERTCTL_BIN" ca local init
export CERTCTL_KEY_FILE=$W/vault.key
issue_record kf kf.example
expect_ok certctl show kf --pem key
expect_ok certctl vault info --json
json_check 'd["unlock_method"] == "key-file"'
unset CERTCTL_KEY_FILE
DIGEST=$(vault_digest)
expect_exit 5 certctl --passphrase-file "$OLD_PASS" show kf --pem key
assert_contains "$ERR" "key file" "the error for a passphrase on a key-file vault"
expect_exit 5 env CERTCTL_PASSPHRASE="correct horse battery staple" "$CERTCTL_BIN" issue kf
head -c 32 /dev/urandom >"$W/other.key"
expect_exit 5 certctl --key-file "$W/other.key" show kf --pem key
assert_contains "$ERR" "wrong key file"
expect_exit 10 certctl --key-file "$W/missing.key" show kf --pem key
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after failed key-file unlocks"
expect_ok certctl --key-file "$W/vault.key" show kf --pem key
# init refuses a key file shorter than 32 bytes.
head -c 16 /dev/urandom >"$W/short.key"
expect_exit 4 env CERTCTL_VAULT="$W/short-vault" "$CERTCTL_BIN" init --key-file "$W/short.key"
[[ ! -e $W/short-vault/config.toml ]] || fail "init made a vault with a short key file"
pass
# Rekey from a key file to a passphrase.
expect_ok certctl --key-file "$W/vault.key" vault rekey --new-passphrase-file "$W/new.pass" --scrypt-n 1024
# The key file is not used any more: certctl says the vault now wants a passphrase.
expect_exit 5 certctl --key-file "$W/vault.key" show kf --pem key
assert_contains "$ERR" "unlocked with a passphrase, not a key file"
assert_eq "$OUT" "" "stdout of show --pem key with the old key file"
expect_ok certctl --passphrase-file "$W/new.pass" show kf --pem key
use_vault "$TEST_TMP/vault" "$OLD_PASS"

step "no passphrase on the command line"
for args in "--passphrase x list" "--passphrase=x list" "list --passphrase x" "init --passphrase x" \
  "vault rekey --new-passphrase x"; do
  # shellcheck disable=SC2086
  expect_exit 2 certctl $args
done
expect_ok certctl --help
assert_not_contains "$OUT" "--passphrase " "certctl --help"

step "bad input: domains, names, key types, CAs"
DIGEST=$(vault_digest)
for d in 'exa mple.com' '*.*.example.com' 'foo.*.example.com' 'ex_ample.com' '-lead.example.com' \
  'a..example.com' "$(printf 'x%.0s' {1..64}).example.com" '*' 'bad/slash.com'; do
  expect_exit 4 certctl create baddom --domain "$d"
  assert_contains "$ERR" "'$d'" "the error naming the domain '$d'"
  expect_exit 4 certctl create baddom --domain ok.example --san "$d"
  assert_contains "$ERR" "$d" "the error naming the SAN '$d'"
done
expect_exit 4 certctl edit drafty --renew-days 3 --san 'exa mple.com'
assert_contains "$ERR" "'exa mple.com'"
for n in '../x' 'a/b' '.hidden' '-dash' "$(printf 'n%.0s' {1..65})" 'sp ace' ''; do
  expect_exit 2 certctl create "$n" --domain ok.example
  expect_exit 2 certctl show "$n"
done
expect_exit 2 certctl create '../x' --domain ok.example
assert_contains "$ERR" "'../x'" "the error for the name '../x'"
expect_exit 4 certctl create badkt --domain ok.example --key-type rsa1024
assert_contains "$ERR" "rsa1024"
assert_contains "$ERR" "rsa2048, rsa3072, rsa4096, ec256, ec384" "the list of valid key types"
expect_exit 4 certctl ca local init --key-type dsa
assert_contains "$ERR" "rsa2048, rsa3072, rsa4096, ec256, ec384"
expect_exit 10 certctl create badca --domain ok.example --ca nosuch-ca
assert_contains "$ERR" "nosuch-ca" "the error for an unknown CA"
expect_exit 10 certctl issue web --ca nosuch-ca
assert_contains "$ERR" "nosuch-ca"
expect_exit 10 certctl show no-such-record
expect_exit 10 certctl issue no-such-record
expect_exit 10 certctl delete no-such-record --yes
expect_exit 2 certctl issue web --days 0
expect_exit 2 certctl create
expect_exit 2 certctl nosuchcommand
expect_exit 2 certctl show web --version 0
expect_exit 2 certctl show web --pem private
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after bad input"

step "corrupt vault files: one-line vault errors"
cp "$CERTCTL_VAULT/certs/web/record.toml" "$W/record.toml"
printf 'this is [not toml\n' >>"$CERTCTL_VAULT/certs/web/record.toml"
expect_exit 5 certctl show web
assert_contains "$ERR" "record.toml"
expect_exit 5 certctl list
cp "$W/record.toml" "$CERTCTL_VAULT/certs/web/record.toml"
cp "$CERTCTL_VAULT/config.toml" "$W/config.toml"
printf 'garbage\n' >"$CERTCTL_VAULT/config.toml"
expect_exit 3 certctl show web --pem key
assert_contains "$ERR" "config.toml"
cp "$W/config.toml" "$CERTCTL_VAULT/config.toml"
expect_ok certctl show web --pem key
assert_eq "$OUT" "$(cat "$W/web.key")" "the key after restoring the vault"
