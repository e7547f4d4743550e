#!/usr/bin/env bash
# Hosts and their own keys: `agent enroll` makes a host key (0600 in a 0700 directory, never
# overwritten without --force, only the public key line on stdout), openssl reads it as the
# same X25519 key; `host add` (from a file or stdin, without the passphrase), `host list`
# (--json), `host remove`; bad public keys, duplicates and unknown hosts; nothing secret printed
# or stored in the vault.
source "$(dirname "$0")/lib.sh"

# stdin_run INPUT_FILE cmd...: like expect_exit's capture, with stdin from INPUT_FILE; sets RC.
stdin_run() {
  local input=$1
  shift
  RC=0
  "$@" <"$input" >"$TEST_TMP/.out" 2>"$TEST_TMP/.err" || RC=$?
  OUT=$(cat "$TEST_TMP/.out")
  ERR=$(cat "$TEST_TMP/.err")
}

# b64url of a file's last 32 bytes (the raw key at the end of an X25519 SubjectPublicKeyInfo).
raw_b64url() { tail -c 32 "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }

AGENT=$TEST_TMP/agent-host
mkdir -m 700 "$AGENT"

step "agent enroll: a key file of mode 0600 in a new 0700 directory, one public key line on stdout"
KEY=$AGENT/state/certctl/host.key
expect_ok certctl agent enroll --key-file "$KEY"
PUB=$OUT
[[ $PUB =~ ^certctl-host-x25519:[A-Za-z0-9_-]{43}$ ]] || fail "enroll printed '$PUB', not one public key line"
pass
assert_eq "$(printf '%s\n' "$OUT" | wc -l)" 1 "lines on stdout"
assert_contains "$ERR" "certctl host add "
assert_contains "$ERR" "--public-key -"
assert_mode "$KEY" 600
assert_mode "$(dirname "$KEY")" 700
assert_mode "$AGENT/state/certctl" 700
printf '%s\n' "$PUB" >"$TEST_TMP/web1.pub"

step "the key file is PKCS#8 PEM that openssl reads as the same X25519 key"
expect_ok openssl pkey -in "$KEY" -noout -text
assert_contains "$OUT" "X25519 Private-Key"
openssl pkey -in "$KEY" -pubout -outform DER -out "$TEST_TMP/web1.spki" 2>/dev/null || fail "openssl pkey -pubout"
assert_eq "certctl-host-x25519:$(raw_b64url "$TEST_TMP/web1.spki")" "$PUB" "public key from openssl"
KEY_BODY=$(sed -n 2p "$KEY")
assert_not_contains "$PUB$ERR" "$KEY_BODY" "enroll output"

step "enroll refuses to overwrite a key (State, exit 9) unless --force; the file stays as it was"
BEFORE=$(sha256sum "$KEY")
expect_exit 9 certctl agent enroll --key-file "$KEY"
assert_contains "$ERR" "$KEY"
assert_contains "$ERR" "--force"
assert_eq "$OUT" "" "stdout of a refused enroll"
assert_eq "$(sha256sum "$KEY")" "$BEFORE" "key after a refused enroll"
ln -s "$KEY" "$AGENT/state/certctl/link.key"
expect_exit 9 certctl agent enroll --key-file "$AGENT/state/certctl/link.key"
expect_exit 4 certctl agent enroll --key-file "$AGENT/state/certctl/link.key" --force
assert_eq "$(sha256sum "$KEY")" "$BEFORE" "key after enroll at a symlink"
mkdir -m 755 "$AGENT/open"
expect_exit 4 certctl agent enroll --key-file "$AGENT/open/host.key"
assert_contains "$ERR" "$AGENT/open"
assert_contains "$ERR" "0755"
[[ ! -e $AGENT/open/host.key ]] || fail "enroll wrote a key into a directory open to others"
pass
cp -p "$KEY" "$TEST_TMP/old.key"
expect_ok certctl agent enroll --key-file "$KEY" --force
assert_ne "$OUT" "$PUB" "public key after --force"
assert_mode "$KEY" 600
cp -p "$TEST_TMP/old.key" "$KEY"   # keep web1's key for the checks below

step "the default key file: \${XDG_STATE_HOME:-~/.local/state}/certctl/agent/host.key (as root /var/lib/certctl/agent)"
expect_ok certctl agent enroll --help
assert_contains "$OUT" "/var/lib/certctl/agent/host.key"
if [[ $(id -u) != 0 ]]; then
  expect_ok env XDG_STATE_HOME="$TEST_TMP/xdg-state" "$CERTCTL_BIN" agent enroll
  assert_mode "$TEST_TMP/xdg-state/certctl/agent/host.key" 600
  assert_mode "$TEST_TMP/xdg-state/certctl/agent" 700
  expect_ok certctl agent enroll
  assert_mode "$HOME/.local/state/certctl/agent/host.key" 600
fi

step "host add from a file and from stdin, without the passphrase; audited"
new_vault
unset CERTCTL_PASSPHRASE_FILE  # nothing below may need to unlock the vault
expect_ok certctl host add web1 --public-key "$TEST_TMP/web1.pub" --labels web,eu
assert_contains "$ERR" "host 'web1' added"
expect_ok certctl agent enroll --key-file "$AGENT/web2.key"
printf '%s\n' "$OUT" >"$TEST_TMP/web2.pub"
WEB2=$OUT
stdin_run "$TEST_TMP/web2.pub" certctl host add web2 --public-key -
assert_eq "$RC" 0 "host add --public-key - exit code (stderr: $ERR)"
# The enroll | host add pipe.
certctl agent enroll --key-file "$AGENT/db.key" 2>/dev/null | certctl host add db --public-key - --labels db 2>/dev/null ||
  fail "agent enroll | host add --public-key -"
pass
assert_mode "$CERTCTL_VAULT/hosts/web1.toml" 600
assert_contains "$(cat "$CERTCTL_VAULT/audit.log")" '"action":"host-add"'

step "host list and --json"
expect_ok certctl host list
assert_contains "$OUT" "web1"
assert_contains "$OUT" "web,eu"
assert_contains "$OUT" "$PUB"
assert_contains "$OUT" "$WEB2"
expect_ok certctl host list --json
json_check '[h["name"] for h in d] == ["db", "web1", "web2"]'
json_check 'd[1]["public_key"] == "'"$PUB"'" and d[1]["labels"] == ["web", "eu"] and d[2]["labels"] == []'
json_check 'all(h["created"].endswith("Z") and set(h) == {"name", "created", "public_key", "labels"} for h in d)'

step "bad public keys: Input (exit 4), one line naming the input, nothing stored"
DIGEST=$(vault_digest)
printf 'certctl-host-x25519:abc\n' >"$TEST_TMP/short.pub"
expect_exit 4 certctl host add x --public-key "$TEST_TMP/short.pub"
assert_contains "$ERR" "certctl: $TEST_TMP/short.pub: "
printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE host\n' >"$TEST_TMP/ssh.pub"
expect_exit 4 certctl host add x --public-key "$TEST_TMP/ssh.pub"
assert_contains "$ERR" "$TEST_TMP/ssh.pub: not a certctl host public key"
expect_exit 4 certctl host add x --public-key "$KEY"
assert_contains "$ERR" "this is a private key"
assert_not_contains "$ERR" "$KEY_BODY" "error for a private key given as public"
expect_exit 4 certctl host add x --public-key "$TEST_TMP/missing.pub"
assert_contains "$ERR" "$TEST_TMP/missing.pub"
printf '%s\n%s\n' "$PUB" "$PUB" >"$TEST_TMP/two.pub"
expect_exit 4 certctl host add x --public-key "$TEST_TMP/two.pub"
stdin_run /dev/null certctl host add x --public-key -
assert_eq "$RC" 4 "host add from an empty stdin"
assert_one_line_error
assert_contains "$ERR" "certctl: stdin: "
expect_exit 2 certctl host add "bad/name" --public-key "$TEST_TMP/web1.pub"
expect_exit 2 certctl host add x --public-key "$TEST_TMP/web1.pub" --labels "ok,b@d"
assert_contains "$ERR" "--labels"
expect_exit 2 certctl host add x
assert_eq "$(vault_digest)" "$DIGEST" "vault after refused host add"

step "a duplicate name is a State error (exit 9); the stored key stays"
expect_exit 9 certctl host add web1 --public-key "$TEST_TMP/web2.pub"
assert_contains "$ERR" "host 'web1'"
assert_eq "$(vault_digest)" "$DIGEST" "vault after a duplicate host add"

step "host remove: asks without --yes, NotFound (exit 10) for an unknown host"
expect_exit 1 certctl host remove web2
assert_contains "$ERR" "--yes"
expect_exit 10 certctl host remove nosuch --yes
assert_contains "$ERR" "host 'nosuch'"
assert_eq "$(vault_digest)" "$DIGEST" "vault after refused host remove"
expect_ok certctl host remove web2 --yes
assert_contains "$ERR" "host 'web2' removed"
[[ ! -e $CERTCTL_VAULT/hosts/web2.toml ]] || fail "hosts/web2.toml is still there"
pass
assert_contains "$(cat "$CERTCTL_VAULT/audit.log")" '"action":"host-remove"'
expect_ok certctl host list --json
json_check '[h["name"] for h in d] == ["db", "web1"]'
expect_exit 10 certctl host remove web2 --yes

step "nothing secret in the vault or its logs"
for f in "$KEY" "$AGENT/web2.key" "$AGENT/db.key"; do
  body=$(sed -n 2p "$f")
  if grep -rqF -- "$body" "$CERTCTL_VAULT"; then fail "a host private key is in the vault"; fi
  pass
done
