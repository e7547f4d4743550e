#!/usr/bin/env bash
# renew and check, on the local CA with a moved clock (CERTCTL_NOW): what is due, new keys,
# --reuse-key, silence when nothing is due, backoff after failures, dry runs that write
# nothing, two overlapping runs renewing each certificate once, and the monitoring exits.
source "$(dirname "$0")/lib.sh"

new_vault
NOW=$(date +%s)
at() { echo $((NOW + $1 * 86400)); }
for n in alpha beta gamma; do issue_record "$n" "$n.example"; done   # 90 days, the default
expect_ok certctl edit gamma --renew-days 10

# check_exit CODE ARGS...: `check` exits CODE (monitoring codes, stdout only) -> $OUT.
check_exit() {
  local want=$1 rc=0
  shift
  OUT=$(env "$@" </dev/null 2>"$TEST_TMP/check.err") || rc=$?
  ((rc == want)) || fail "$* exited $rc, expected $want: $OUT $(cat "$TEST_TMP/check.err")"
  [[ ! -s $TEST_TMP/check.err ]] || fail "check wrote to stderr: $(cat "$TEST_TMP/check.err")"
  [[ $(wc -l <<<"$OUT") -eq 1 ]] || fail "check printed more than one line: $OUT"
  pass
}

step "nothing due: silent, exit 0"
expect_ok env CERTCTL_NOW="$(at 1)" "$CERTCTL_BIN" renew
assert_eq "$OUT$ERR" "" "output of renew with nothing due"
# With nothing due the vault is never unlocked (no key derivation: cheap for cron), but every
# run checks the unlock source: with none and no terminal, a cron job fails on its first night
# (issue 12; it used to pass until the first certificate fell due).
expect_exit 2 env -u CERTCTL_PASSPHRASE_FILE CERTCTL_NOW="$(at 1)" "$CERTCTL_BIN" renew
assert_contains "$ERR" "no terminal"
expect_exit 2 env -u CERTCTL_PASSPHRASE_FILE CERTCTL_NOW="$(at 65)" "$CERTCTL_BIN" renew
assert_contains "$ERR" "passphrase"
expect_ok env CERTCTL_NOW="$(at 1)" "$CERTCTL_BIN" renew --json
json_check 'd["checked"] == 3 and d["renewed"] == 0 and d["failed"] == 0 and d["items"] == []'

step "check: OK, WARNING, CRITICAL by days left; a Prometheus file"
check_exit 0 CERTCTL_NOW="$(at 1)" "$CERTCTL_BIN" check
assert_contains "$OUT" "CERTCTL OK - 3 certificate(s)"
check_exit 1 CERTCTL_NOW="$(at 75)" "$CERTCTL_BIN" check
assert_contains "$OUT" "CERTCTL WARNING - 3 certificate(s) expire within 21 days"
check_exit 2 CERTCTL_NOW="$(at 85)" "$CERTCTL_BIN" check --prometheus "$TEST_TMP/certctl.prom"
assert_contains "$OUT" "CERTCTL CRITICAL"
assert_mode "$TEST_TMP/certctl.prom" 644
grep -q '^certctl_certificate_days_remaining{name="alpha",domain="alpha.example"} 5$' "$TEST_TMP/certctl.prom" ||
  fail "days remaining of alpha in the Prometheus file: $(cat "$TEST_TMP/certctl.prom")"
grep -q '^certctl_certificate_status{name="beta",status="active"} 1$' "$TEST_TMP/certctl.prom" || fail "status of beta"
grep -q '^certctl_certificate_last_issue_success{name="gamma"} 1$' "$TEST_TMP/certctl.prom" || fail "last issue of gamma"
pass
check_exit 1 CERTCTL_NOW="$(at 85)" "$CERTCTL_BIN" check --warn-days 30 --crit-days 2
check_exit 3 CERTCTL_VAULT="$TEST_TMP/nowhere" "$CERTCTL_BIN" check
assert_contains "$OUT" "CERTCTL UNKNOWN"
if pg_backend; then
  # A schema that is no vault, in the same database.
  check_exit 3 CERTCTL_VAULT_SCHEMA=nowhere "$CERTCTL_BIN" check
  assert_contains "$OUT" "CERTCTL UNKNOWN"
fi
check_exit 3 "$CERTCTL_BIN" check --warn-days 1 --crit-days 5

step "dry run at the threshold: validates, writes nothing"
expect_ok certctl list   # refresh the record cache, so the digest below covers only renew
DIGEST=$(vault_digest)
expect_ok env CERTCTL_NOW="$(at 65)" "$CERTCTL_BIN" renew --dry-run --json
json_check '[(i["name"], i["outcome"]) for i in d["items"]] == [("alpha", "validated"), ("beta", "validated")] and d["dry_run"]'
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after renew --dry-run"

step "due at the threshold (last third of 90 days; gamma's own 10): renewed with a new key"
expect_ok certctl show alpha --pem key
KEY1=$OUT
expect_ok env CERTCTL_NOW="$(at 65)" "$CERTCTL_BIN" renew --json
json_check '[(i["name"], i["outcome"]) for i in d["items"]] == [("alpha", "renewed"), ("beta", "renewed")]'
json_check 'all("threshold 30" in i["reason"] for i in d["items"])'
expect_ok certctl show alpha --json
json_check 'd["version"] == 2 and d["history"][0]["reason"] == "renewed" and d["status"] == "active"'
expect_ok certctl show alpha --pem key
[[ $OUT != "$KEY1" ]] || fail "renewal kept the old key"
pass
expect_ok certctl show alpha --version 1 --pem key
assert_eq "$OUT" "$KEY1" "the old key stays in the history"
expect_ok certctl show gamma --json
json_check 'd["version"] == 1'
# Renewed just now: not due again.
expect_ok env CERTCTL_NOW="$(at 65)" "$CERTCTL_BIN" renew
assert_eq "$OUT$ERR" "" "output of a second renew"

step "--reuse-key keeps the key and is remembered"
expect_ok certctl show gamma --pem key
GKEY=$OUT
expect_ok env CERTCTL_NOW="$(at 82)" "$CERTCTL_BIN" renew gamma --reuse-key
expect_ok certctl show gamma --pem key
assert_eq "$OUT" "$GKEY" "gamma's key after renew --reuse-key"
expect_ok certctl show gamma --json
json_check 'd["issue"]["reuse_key"] is True and d["version"] == 2'
expect_ok env CERTCTL_NOW="$(at 82)" "$CERTCTL_BIN" renew gamma
assert_contains "$ERR" "not due"

step "imported certificates are not renewed"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TEST_TMP/imp.key" \
  -out "$TEST_TMP/imp.pem" -days 10 -subj "/CN=imported.example" 2>/dev/null
expect_ok certctl import imp --cert "$TEST_TMP/imp.pem" --key "$TEST_TMP/imp.key"
expect_ok env CERTCTL_NOW="$(at 9)" "$CERTCTL_BIN" renew imp
assert_contains "$ERR" "imported"
expect_ok certctl show imp --json
json_check 'd["version"] == 1'

step "failures back off: attempts and next attempt kept in the record"
# A local CA whose root lives 30 days refuses 90-day certificates: a CA failure (exit 7).
use_vault "$TEST_TMP/short-vault"
expect_ok certctl init --scrypt-n 1024
expect_ok certctl ca local init --days 30
expect_ok certctl create down --domain down.example
expect_ok certctl csr down
expect_exit 7 certctl renew down
assert_contains "$ERR" "intermediate expires before the requested 90 days"   # the intermediate lives as long as its 30-day root
expect_ok certctl show down --json
json_check 'd["status"] == "error" and d["attempts"] == 1 and d["next_attempt"] is not None and d["last_error"]'
expect_ok certctl renew      # backing off: not retried, so nothing failed
assert_eq "$OUT$ERR" "" "output of renew while backing off"
expect_ok certctl show down --json
json_check 'd["attempts"] == 1'
expect_exit 7 env CERTCTL_NOW="$(( $(date +%s) + 1900 ))" "$CERTCTL_BIN" renew
expect_ok certctl show down --json
json_check 'd["attempts"] == 2'
expect_exit 7 certctl renew down --force   # --force ignores the backoff
expect_ok certctl show down --json
json_check 'd["attempts"] == 3'
use_vault "$TEST_TMP/vault"

step "two renew runs at once renew each certificate exactly once"
DUE=$(at 150)
env CERTCTL_NOW="$DUE" "$CERTCTL_BIN" renew >"$TEST_TMP/r1.out" 2>&1 &
P1=$!
env CERTCTL_NOW="$DUE" "$CERTCTL_BIN" renew >"$TEST_TMP/r2.out" 2>&1 &
P2=$!
wait "$P1" || fail "first renew failed: $(cat "$TEST_TMP/r1.out")"
wait "$P2" || fail "second renew failed: $(cat "$TEST_TMP/r2.out")"
pass
expect_ok certctl orders --json
json_check '[e["name"] for e in d if e["type"] == "renew"].count("alpha") == 2'   # at 65 days and now
json_check '[e["name"] for e in d if e["type"] == "renew"].count("beta") == 2'
expect_ok certctl show alpha --json
json_check 'd["version"] == 3'

step "deploy: files and hook after issue and each renewal; pre/post hooks; a failed deploy is retried"
use_vault "$TEST_TMP/vault"
DEP=$TEST_TMP/deploy
LOG=$TEST_TMP/hooks.log
expect_ok certctl create site --domain site.example --san www.site.example
expect_ok certctl csr site
expect_ok certctl issue site --deploy-dir "$DEP/site" \
  --deploy-hook "echo \"deploy \$CERTCTL_NAME [\$CERTCTL_DOMAINS] \$CERTCTL_SERIAL \$CERTCTL_KEY_PATH \${CERTCTL_PASSPHRASE_FILE:-nosecret}\" >>'$LOG'"
assert_mode "$DEP/site/cert.pem" 644
assert_mode "$DEP/site/key.pem" 600
expect_ok certctl show site --json
SERIAL1=$(json_get 'd["serial_hex"]')
assert_eq "$(cert_serial "$DEP/site/cert.pem")" "$SERIAL1" "the deployed certificate"
assert_eq "$(cat "$LOG")" "deploy site [site.example www.site.example] $SERIAL1 $DEP/site/key.pem nosecret" "the deploy hook's view"
# The deployed key belongs to the deployed certificate.
assert_eq "$(openssl pkey -in "$DEP/site/key.pem" -pubout)" "$(openssl x509 -in "$DEP/site/cert.pem" -noout -pubkey)" \
  "deployed key and certificate"
: >"$LOG"
# A renewal deploys again; a failing run-wide deploy hook marks the record and exits 11.
expect_exit 11 env CERTCTL_NOW="$(at 300)" "$CERTCTL_BIN" renew site --pre-hook "echo pre >>'$LOG'" \
  --post-hook "echo post >>'$LOG'" --deploy-hook "echo extra >>'$LOG'; exit 3"
assert_contains "$ERR" "exited 3"
expect_ok certctl show site --json
json_check 'd["deploy_failed"] is True and d["status"] == "active" and d["version"] == 2'
SERIAL2=$(json_get 'd["serial_hex"]')
assert_eq "$(cert_serial "$DEP/site/cert.pem")" "$SERIAL2" "the renewed certificate was written before the hook failed"
assert_eq "$(tr '\n' ' ' <"$LOG")" "pre deploy site [site.example www.site.example] $SERIAL2 $DEP/site/key.pem nosecret extra post " \
  "hook order: pre, record hook, run-wide hook, post"
# Not due any more, but its deploy is retried; success clears the mark.
: >"$LOG"
expect_ok env CERTCTL_NOW="$(at 300)" "$CERTCTL_BIN" renew site --json
json_check '[(i["name"], i["outcome"]) for i in d["items"]] == [("site", "deployed")]'
expect_ok certctl show site --json
json_check 'd["deploy_failed"] is False and d["version"] == 2'
assert_contains "$(cat "$LOG")" "deploy site"
# A failing pre hook renews nothing.
expect_exit 11 env CERTCTL_NOW="$(at 600)" "$CERTCTL_BIN" renew site --pre-hook "exit 4"
expect_ok certctl show site --json
json_check 'd["version"] == 2'

step "deploy targets: files by path pattern with modes for a CA's records; target hooks; bad input"
new_vault "$TEST_TMP/targets-vault"
TGT=$TEST_TMP/targets
TLOG=$TEST_TMP/targets.log
issue_record one one.example
DIGEST=$(vault_digest)
expect_exit 2 certctl deploy add rel --fullchain relative/path.pem
assert_contains "$ERR" "absolute"
expect_exit 2 certctl deploy add loose --key "$TGT/k.pem" --key-mode 0644
assert_contains "$ERR" "--key-mode"
expect_exit 2 certctl deploy add nothing
expect_exit 10 certctl deploy add wrongca --ca nosuch-ca --fullchain "$TGT/x.pem"
expect_exit 10 certctl deploy remove nosuch
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after refused deploy commands"
expect_ok certctl deploy add web --ca local --fullchain "$TGT/{name}/fullchain.pem" --key "$TGT/{name}/key.pem" \
  --mode 0640 --key-mode 0600 --hook "echo \"target \$CERTCTL_DEPLOY_TARGET \$CERTCTL_NAME \$CERTCTL_FULLCHAIN_PATH\" >>'$TLOG'" \
  --pre-hook "echo pre-web >>'$TLOG'" --post-hook "echo post-web >>'$TLOG'"
expect_ok certctl deploy add elsewhere --ca letsencrypt --cert "$TGT/le/{name}.pem"
expect_ok certctl deploy list --json
json_check '[(t["name"], t["cas"], t["mode"], t["key_mode"]) for t in d] == [("elsewhere", ["letsencrypt"], "0644", "0600"), ("web", ["local"], "0640", "0600")]'
# An issue deploys through every target that covers the record.
expect_ok certctl issue one
SERIAL=$(record_serial one)
assert_mode "$TGT/one/fullchain.pem" 640
assert_mode "$TGT/one/key.pem" 600
assert_eq "$(cert_serial "$TGT/one/fullchain.pem")" "$(norm_serial "$SERIAL")" "the target's fullchain"
assert_eq "$(openssl pkey -in "$TGT/one/key.pem" -pubout 2>/dev/null)" \
  "$(openssl x509 -in "$TGT/one/fullchain.pem" -noout -pubkey)" "the target's key belongs to its certificate"
[[ ! -e $TGT/le ]] || fail "a target for another CA was written"
pass
assert_eq "$(cat "$TLOG")" "target web one $TGT/one/fullchain.pem" "the target hook's view"
# A renewal runs the target's pre and post hooks around it.
: >"$TLOG"
expect_ok env CERTCTL_NOW="$(at 80)" "$CERTCTL_BIN" renew one
assert_eq "$(tr '\n' ' ' <"$TLOG")" "pre-web target web one $TGT/one/fullchain.pem post-web " "target hooks of a renewal"
assert_eq "$(cert_serial "$TGT/one/fullchain.pem")" "$(norm_serial "$(record_serial one)")" "the renewed fullchain"
assert_ne "$(record_serial one)" "$SERIAL" "serial after renewal"
# deploy run: deploys now, without renewing.
rm -rf "$TGT/one"
: >"$TLOG"
expect_ok certctl deploy run one
assert_eq "$(cert_serial "$TGT/one/fullchain.pem")" "$(norm_serial "$(record_serial one)")" "the fullchain after deploy run"
assert_eq "$(cat "$TLOG")" "target web one $TGT/one/fullchain.pem" "the target hook after deploy run"
expect_exit 10 certctl deploy run nosuch
expect_ok certctl deploy remove web
expect_ok certctl deploy list --json
json_check '[t["name"] for t in d] == ["elsewhere"]'
