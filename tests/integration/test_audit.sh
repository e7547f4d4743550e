#!/usr/bin/env bash
# certctl audit [--json] [--since] [--action] [--record]: the listing, with old action names
# (show-key, export, export-pfx) matching their new ones.
# certctl audit verify: the audit log's HMAC chain through the CLI. An intact log exits 0; lines
# written without the vault key are reported as unverifiable until a keyed line seals them;
# an edited, removed, moved or cut line exits 5 naming it; logs from before the chain verify.
source "$(dirname "$0")/lib.sh"

new_vault
LOG=$CERTCTL_VAULT/audit.log

step "help and usage"
expect_ok certctl audit verify --help
assert_contains "$OUT" "edited, removed, inserted or moved"
expect_ok certctl audit
assert_contains "$OUT" "ca-local-init"
expect_ok certctl help audit
expect_exit 2 certctl audit --since yesterday
assert_contains "$ERR" "--since"
expect_exit 2 certctl audit --since 99999999999d
expect_exit 2 certctl audit --action ''

step "an intact log: every line keyed"
expect_ok certctl audit verify
assert_contains "$OUT" "audit.log: 2 line(s): 2 keyed"
assert_contains "$OUT" "intact"
grep -q '"seq":2,"chain":"k1:[0-9a-f]\{64\}"}$' "$LOG" || fail "the second line is not keyed: $(cat "$LOG")"
pass

step "create does not unlock: its line is unverifiable, then sealed by issue"
expect_ok env -u CERTCTL_PASSPHRASE_FILE "$CERTCTL_BIN" create web --domain web.example
grep -q '"seq":3,"chain":"u1:' "$LOG" || fail "create's line is not marked as written without the key"
pass
expect_ok certctl audit verify --json
json_check 'd["intact"] and d["keyed"] == 2 and d["unverifiable"] == 1 and d["unverifiable_from"] == 3'
expect_ok certctl audit verify
assert_contains "$OUT" "unverifiable: line 3 was written without the vault key"
assert_contains "$OUT" "intact up to line 2; the rest unverifiable"
expect_ok certctl csr web
expect_ok certctl issue web
expect_ok certctl audit verify --json
json_check 'd["intact"] and d["sealed"] == 1 and d["unverifiable"] == 0 and d["problems"] == []'
cp "$LOG" "$TEST_TMP/audit.good"
cp "$CERTCTL_VAULT/audit.head" "$TEST_TMP/head.good"
restore() { cp "$TEST_TMP/audit.good" "$LOG"; cp "$TEST_TMP/head.good" "$CERTCTL_VAULT/audit.head"; }

step "an edited line: exit 5, naming its number, time and action"
sed -i '4s/"certificate":"web"/"certificate":"bew"/' "$LOG"
expect_exit 5 certctl audit verify
assert_contains "$ERR" "audit.log: the chain is broken at line 4"
assert_contains "$ERR" "csr"
assert_contains "$OUT" "line 4 ("
assert_contains "$OUT" "BROKEN: 1 problem(s)"
expect_exit 5 certctl audit verify --json
json_check '[(p["line"], p["action"]) for p in d["problems"]] == [(4, "csr")] and not d["intact"]'
restore

step "a removed line"
sed -i '2d' "$LOG"
expect_exit 5 certctl audit verify
assert_contains "$ERR" "line 2"
assert_contains "$ERR" "missing before it"
restore

step "two lines swapped"
python3 - "$LOG" <<'EOF'
import sys
p = sys.argv[1]
lines = open(p).read().splitlines(True)
lines[1], lines[2] = lines[2], lines[1]
open(p, "w").write("".join(lines))
EOF
expect_exit 5 certctl audit verify --json
json_check '[p["line"] for p in d["problems"]] == [2, 3]'
restore

step "the last lines cut off"
head -n 3 "$TEST_TMP/audit.good" >"$LOG"
expect_exit 5 certctl audit verify
assert_contains "$ERR" "lines cut from the end"
restore
expect_ok certctl audit verify

step "a log from before the chain: its lines are unchained (before v1), then bound"
use_vault "$TEST_TMP/old"
expect_ok certctl init --scrypt-n 1024
# As an older certctl left it: one line, no chain, no audit.head.
printf '%s\n' '{"time":"2026-01-01T00:00:00Z","user":"a","action":"create","certificate":"x","details":{}}' >"$TEST_TMP/old/audit.log"
rm "$TEST_TMP/old/audit.head"
expect_ok certctl audit verify --json
json_check 'd["intact"] and d["unchained"] == 1 and d["keyed"] == 0'
expect_ok certctl ca local init
expect_ok certctl audit verify
assert_contains "$OUT" "1 unchained (before v1)"
assert_contains "$OUT" "intact"
sed -i '1s/"x"/"y"/' "$TEST_TMP/old/audit.log"
expect_exit 5 certctl audit verify
assert_contains "$ERR" "line 2"

step "listing: time, action, record, details; --json lines; --action, --since, --record; old names"
use_vault "$TEST_TMP/list"
expect_ok env CERTCTL_NOW=2027-01-01T00:00:00Z "$CERTCTL_BIN" init --scrypt-n 1024
expect_ok env CERTCTL_NOW=2027-01-01T00:00:00Z "$CERTCTL_BIN" ca local init
for n in a b; do
  expect_ok env CERTCTL_NOW=2027-01-02T00:00:00Z "$CERTCTL_BIN" create "$n" --domain "$n.example"
  expect_ok env CERTCTL_NOW=2027-01-02T00:00:00Z "$CERTCTL_BIN" csr "$n"
  expect_ok env CERTCTL_NOW=2027-01-02T00:00:00Z "$CERTCTL_BIN" issue "$n"
done
expect_ok env CERTCTL_NOW=2027-01-03T00:00:00Z "$CERTCTL_BIN" show a --pem key
expect_ok env CERTCTL_NOW=2027-01-03T00:00:00Z "$CERTCTL_BIN" export a --dir "$TEST_TMP/exp"
new_passphrase_file "$TEST_TMP/pfx.pass" "pfx password"
expect_ok env CERTCTL_NOW=2027-01-03T00:00:00Z "$CERTCTL_BIN" export-pfx b --out "$TEST_TMP/b.p12" --password-file "$TEST_TMP/pfx.pass"
LOG=$TEST_TMP/list/audit.log
expect_ok certctl audit
assert_eq "$(wc -l <<<"$OUT")" "$(wc -l <"$LOG")" "listed lines"
assert_contains "$OUT" "2027-01-03T00:00:00Z  certificate.key_viewed"
assert_contains "$OUT" "certificate.pfx_exported        b"
expect_ok certctl audit --json
python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
es = [json.loads(l) for l in lines]
assert [e["seq"] for e in es] == list(range(1, len(es) + 1)), es
assert {"seq", "time", "user", "host", "action", "record", "details"} <= set(es[0]), es[0]
assert [e["action"] for e in es if e["record"] == "a"] == ["create", "csr", "issue", "certificate.key_viewed", "certificate.pem_exported"], es
' <<<"$OUT" || fail "audit --json: $OUT"
pass
expect_ok certctl audit --action 'certificate.*' --json
assert_eq "$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["action"] for l in sys.stdin))' <<<"$OUT")" \
  "certificate.key_viewed certificate.pem_exported certificate.pfx_exported" "--action certificate.*"
expect_ok certctl audit --action certificate.pem_exported --action create
assert_eq "$(wc -l <<<"$OUT")" 3 "lines of two exact actions"
expect_ok certctl audit --since 2027-01-02T12:00:00Z
assert_eq "$(wc -l <<<"$OUT")" 3 "lines since 2027-01-02T12:00"
expect_ok env CERTCTL_NOW=2027-01-03T06:00:00Z "$CERTCTL_BIN" audit --since 1d
assert_eq "$(wc -l <<<"$OUT")" 3 "lines of the last day"
expect_ok env CERTCTL_NOW=2027-01-03T06:00:00Z "$CERTCTL_BIN" audit --since 48h --record b
assert_eq "$(wc -l <<<"$OUT")" 4 "lines of record b in the last 48 hours"
expect_ok certctl audit --action nothing.such
assert_eq "$OUT" "" "no line matches"

step "old names (before the rename) still verify, list and match the new ones"
# As an earlier certctl wrote them (old action names); lines cannot be added inside the chain,
# so they go before it begins, as a log from before the rename would hold them under its chain.
use_vault "$TEST_TMP/oldnames"
expect_ok certctl init --scrypt-n 1024
{
  printf '%s\n' '{"time":"2026-06-01T00:00:00Z","user":"a","action":"show-key","certificate":"w","details":{"version":"1"}}'
  printf '%s\n' '{"time":"2026-06-01T00:00:01Z","user":"a","action":"export","certificate":"w","details":{"dir":"/x"}}'
  printf '%s\n' '{"time":"2026-06-01T00:00:02Z","user":"a","action":"export-pfx","certificate":"w","details":{"file":"/x.p12"}}'
} >"$TEST_TMP/oldnames/audit.log"
rm "$TEST_TMP/oldnames/audit.head"
expect_ok certctl ca local init
expect_ok certctl audit verify
assert_contains "$OUT" "intact"
expect_ok certctl audit --action 'certificate.*'
assert_eq "$(wc -l <<<"$OUT")" 3 "old lines matched by certificate.*"
assert_contains "$OUT" "show-key"
expect_ok certctl audit --action certificate.pfx_exported --json
json_check 'd["action"] == "export-pfx" and d["seq"] is None and d["details"] == {"file": "/x.p12"}'
expect_ok certctl audit --action export
assert_eq "$(wc -l <<<"$OUT")" 1 "the old name, exactly"

step "verify needs the vault key"
new_passphrase_file "$TEST_TMP/wrong.pass" "not the passphrase"
expect_exit 5 env CERTCTL_PASSPHRASE_FILE="$TEST_TMP/wrong.pass" "$CERTCTL_BIN" audit verify
assert_contains "$ERR" "passphrase"
