#!/usr/bin/env bash
# Where the unlock secret comes from, and `renew` checking it on every run: a missing or
# unreadable passphrase file, or no source at all without a terminal, fails even when nothing
# is due; systemd credentials ($CREDENTIALS_DIRECTORY/certctl.passphrase, certctl.key) unlock
# below the options and variables.
source "$(dirname "$0")/lib.sh"

new_vault "$TEST_TMP/vault"
issue_record web web.example   # 90 days from the local CA: nothing is due today
pass_file=$CERTCTL_PASSPHRASE_FILE
due=$(($(date +%s) + 80 * 86400))   # inside the last third of its lifetime

step "renew with nothing due: silent and 0 when the passphrase file is there"
expect_ok certctl renew
assert_eq "$OUT$ERR" "" "renew's output with nothing due"

step "a missing passphrase file fails renew with nothing due, as it fails an unlock"
missing=$TEST_TMP/no-such.pass
rc_unlock=0
env CERTCTL_PASSPHRASE_FILE="$missing" "$CERTCTL_BIN" show web --pem key </dev/null >/dev/null 2>&1 || rc_unlock=$?
[[ $rc_unlock != 0 ]] || fail "show --pem key with a missing passphrase file exited 0"
expect_exit "$rc_unlock" env CERTCTL_PASSPHRASE_FILE="$missing" "$CERTCTL_BIN" renew
assert_contains "$ERR" "$missing"
expect_exit "$rc_unlock" env -u CERTCTL_PASSPHRASE_FILE "$CERTCTL_BIN" renew --passphrase-file "$missing"
assert_contains "$ERR" "$missing"
expect_exit "$rc_unlock" env CERTCTL_PASSPHRASE_FILE="$missing" "$CERTCTL_BIN" renew --dry-run
# Checked before anything else is done: a due record is not touched either.
expect_exit "$rc_unlock" env CERTCTL_PASSPHRASE_FILE="$missing" CERTCTL_NOW="$due" "$CERTCTL_BIN" renew
expect_ok certctl show web --json
json_check 'd["version"] == 1'

step "an empty passphrase file fails renew the same way"
: >"$TEST_TMP/empty.pass"
expect_exit 4 env CERTCTL_PASSPHRASE_FILE="$TEST_TMP/empty.pass" "$CERTCTL_BIN" renew
assert_contains "$ERR" "empty.pass"

step "no unlock source and no terminal: renew fails with nothing due (usage, exit 2)"
expect_exit 2 env -u CERTCTL_PASSPHRASE_FILE "$CERTCTL_BIN" renew
assert_contains "$ERR" "passphrase"
assert_contains "$ERR" "no terminal"
# Commands that need no unlock are unaffected.
expect_ok env -u CERTCTL_PASSPHRASE_FILE "$CERTCTL_BIN" list

step "an unreadable passphrase file fails renew with nothing due"
if [[ $(id -u) == 0 ]]; then
  # Root reads any file: run certctl as nobody, with a vault and passphrase file of its own.
  command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed to run certctl as nobody"
  as_nobody() { setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups env HOME="$nb" "$@"; }
  nb=$TEST_TMP/nobody
  chmod 0711 "$TEST_TMP"
  mkdir -m 0700 "$nb"
  chown nobody "$nb"
  # A copy nobody can run: the build tree may sit in a directory only root may enter.
  nb_bin=$TEST_TMP/certctl-for-nobody
  cp "$CERTCTL_BIN" "$nb_bin"
  chmod 0755 "$nb_bin"
  # shellcheck disable=SC2016 # $HOME of nobody's shell
  as_nobody sh -c 'umask 077; printf "%s\n" "another passphrase" >"$HOME/pass"'
  expect_ok as_nobody env CERTCTL_VAULT="$nb/vault" CERTCTL_PASSPHRASE_FILE="$nb/pass" "$nb_bin" init --scrypt-n 1024
  expect_ok as_nobody env CERTCTL_VAULT="$nb/vault" CERTCTL_PASSPHRASE_FILE="$nb/pass" "$nb_bin" renew
  chmod 000 "$nb/pass"
  expect_exit 4 as_nobody env CERTCTL_VAULT="$nb/vault" CERTCTL_PASSPHRASE_FILE="$nb/pass" "$nb_bin" renew
  assert_contains "$ERR" "$nb/pass"
  assert_one_line_error
else
  chmod 000 "$pass_file"
  expect_exit 4 certctl renew
  assert_contains "$ERR" "$pass_file"
  chmod 600 "$pass_file"
fi

step "a systemd credential unlocks when no option or variable names a secret"
creds=$TEST_TMP/credentials
mkdir -m 0700 "$creds"
cp "$pass_file" "$creds/certctl.passphrase"
expect_ok env -u CERTCTL_PASSPHRASE_FILE CREDENTIALS_DIRECTORY="$creds" "$CERTCTL_BIN" renew
expect_ok env -u CERTCTL_PASSPHRASE_FILE CREDENTIALS_DIRECTORY="$creds" "$CERTCTL_BIN" show web --pem key
assert_contains "$OUT" "PRIVATE KEY"
# A due record renews with it (the credential really unlocks the vault).
expect_ok env -u CERTCTL_PASSPHRASE_FILE CREDENTIALS_DIRECTORY="$creds" CERTCTL_NOW="$due" "$CERTCTL_BIN" renew
expect_ok certctl show web --json
json_check 'd["version"] == 2'
# The variables come first: a wrong credential does not matter while the file is named ...
new_passphrase_file "$TEST_TMP/wrong.pass" "not the passphrase"
cp "$TEST_TMP/wrong.pass" "$creds/certctl.passphrase"
expect_ok env CREDENTIALS_DIRECTORY="$creds" "$CERTCTL_BIN" show web --pem key
# ... and a wrong file named by the variable is used, not the right credential.
cp "$pass_file" "$creds/certctl.passphrase"
expect_exit 5 env CERTCTL_PASSPHRASE_FILE="$TEST_TMP/wrong.pass" CREDENTIALS_DIRECTORY="$creds" "$CERTCTL_BIN" show web --pem key
# An empty credential is named like a file; a directory without one is no source.
: >"$creds/certctl.passphrase"
expect_exit 4 env -u CERTCTL_PASSPHRASE_FILE CREDENTIALS_DIRECTORY="$creds" "$CERTCTL_BIN" renew
assert_contains "$ERR" "$creds/certctl.passphrase"
rm "$creds/certctl.passphrase"
expect_exit 2 env -u CERTCTL_PASSPHRASE_FILE CREDENTIALS_DIRECTORY="$creds" "$CERTCTL_BIN" renew

step "a key-file vault: certctl.key from the credentials directory"
use_vault "$TEST_TMP/kvault"
unset CERTCTL_PASSPHRASE_FILE
expect_ok certctl init --generate-key-file "$TEST_TMP/vault.key" --scrypt-n 1024
expect_ok env CERTCTL_KEY_FILE="$TEST_TMP/vault.key" "$CERTCTL_BIN" ca local init
expect_ok env CERTCTL_KEY_FILE="$TEST_TMP/vault.key" "$CERTCTL_BIN" issue kweb -d kweb.example
kcreds=$TEST_TMP/kcredentials
mkdir -m 0700 "$kcreds"
expect_exit 5 env CREDENTIALS_DIRECTORY="$kcreds" "$CERTCTL_BIN" renew
assert_contains "$ERR" "key file"
cp "$TEST_TMP/vault.key" "$kcreds/certctl.key"
expect_ok env CREDENTIALS_DIRECTORY="$kcreds" "$CERTCTL_BIN" renew
expect_ok env CREDENTIALS_DIRECTORY="$kcreds" "$CERTCTL_BIN" show kweb --pem key
assert_contains "$OUT" "PRIVATE KEY"
expect_ok env CREDENTIALS_DIRECTORY="$kcreds" CERTCTL_NOW="$due" "$CERTCTL_BIN" renew
expect_ok certctl show kweb --json
json_check 'd["version"] == 2'
# A passphrase credential does not unlock a key-file vault.
rm "$kcreds/certctl.key"
cp "$pass_file" "$kcreds/certctl.passphrase"
expect_exit 5 env CREDENTIALS_DIRECTORY="$kcreds" "$CERTCTL_BIN" renew
