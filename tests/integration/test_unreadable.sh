#!/usr/bin/env bash
# One damaged record never hides the others: list, check and vault info name it, skip it and
# serve the rest; the record cache and times from outside cannot make the vault unreadable.
source "$(dirname "$0")/lib.sh"

new_vault "$TEST_TMP/vault"
issue_record good good.example
issue_record bad bad.example
issue_record other other.example
expect_ok certctl list

step "a corrupt record.toml is named and skipped"
echo 'x = [' >>"$CERTCTL_VAULT/certs/bad/record.toml"
expect_exit 5 certctl list
assert_contains "$OUT" "good"
assert_contains "$OUT" "other"
assert_not_contains "$OUT" "bad.example"
assert_contains "$ERR" "bad"
assert_contains "$ERR" "record.toml"
expect_exit 5 certctl list --json
json_check 'sorted(r["name"] for r in d) == ["good", "other"]'
expect_exit 5 certctl vault info
assert_contains "$OUT" "unreadable: 1 (bad)"
# check: monitoring codes, one line on stdout, nothing on stderr.
rc=0
OUT=$("$CERTCTL_BIN" check </dev/null 2>"$TEST_TMP/check.err") || rc=$?
assert_eq "$rc" 2 "check exit code"
[[ ! -s $TEST_TMP/check.err ]] || fail "check wrote to stderr: $(cat "$TEST_TMP/check.err")"
assert_contains "$OUT" "CERTCTL CRITICAL"
assert_contains "$OUT" "unreadable: bad"
# The readable records are still shown one by one; the bad one is an error naming its file.
expect_ok certctl show good
expect_exit 5 certctl show bad
assert_contains "$ERR" "certs/bad/record.toml"

step "renew renews every other due record and exits non-zero naming the unreadable one"
later=$(($(date +%s) + 80 * 86400))   # inside the last third of the 90-day certificates
# renew_rc CODE ARGS...: renew prints a line per record, so more than one stderr line is fine.
renew_rc() {
  local want=$1 rc=0
  shift
  OUT=$(env CERTCTL_NOW="$later" "$CERTCTL_BIN" renew "$@" </dev/null 2>"$TEST_TMP/renew.err") || rc=$?
  ERR=$(cat "$TEST_TMP/renew.err")
  assert_eq "$rc" "$want" "exit code of renew $*"
  assert_not_contains "$ERR" "terminate called" "renew's stderr"
}
renew_rc 5 --json
assert_contains "$ERR" "bad: skipped"
json_check '[u["name"] for u in d["unreadable"]] == ["bad"]'
json_check 'sorted(i["name"] for i in d["items"] if i["outcome"] == "renewed") == ["good", "other"]'
expect_ok certctl show good --json
json_check 'd["version"] == 2'
# Naming only readable records: the damaged one is none of this run's business.
renew_rc 0 other --force
renew_rc 5 bad
assert_contains "$ERR" "certs/bad/record.toml"

step "a record cache whose count is a lie reads as empty and is rebuilt"
printf 'CCRC\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x40\x00\x00\x00\x00' >"$CERTCTL_VAULT/cache/records.bin"
expect_exit 5 certctl list --json
json_check 'sorted(r["name"] for r in d) == ["good", "other"]'
