#!/usr/bin/env bash
# certctl policy set|show|check and the issuance policy in every command it checks: a hard rule
# refuses create, edit, csr, issue (also the one-step form), import and migrate with exit 12,
# one line naming the rule and the value, and nothing written but the audit line (the vault
# compared before and after); a soft rule warns and goes on; a renewal that now violates a rule
# fails that record only; a damaged policy.toml is a Config error (exit 3) naming the file.
source "$(dirname "$0")/lib.sh"

new_vault
# The vault's state without the audit log (a refusal is audited, nothing else is written).
state() { DIGEST_EXCLUDE="audit.log audit.head" vault_digest; }
# refused RULE cmd...: exit 12, one line naming the rule, the vault as it was, the refusal audited.
refused() {
  local rule=$1
  shift
  local before hard_before
  before=$(state)
  hard_before=$(grep -c '"action":"certificate.policy_hard_fail"' "$CERTCTL_VAULT/audit.log" || true)
  expect_exit 12 "$@"
  assert_contains "$ERR" "certctl: policy rule $rule: "
  assert_eq "$(state)" "$before" "the vault after a refused $(_cmdline "$@")"
  [[ $(grep -c '"action":"certificate.policy_hard_fail"' "$CERTCTL_VAULT/audit.log") -gt $hard_before ]] ||
    fail "the refusal of $(_cmdline "$@") is not in audit.log"
  pass
}

step "help, and an empty policy"
expect_ok certctl policy --help
assert_contains "$OUT" "check"
expect_ok certctl policy set --help
assert_contains "$OUT" "--deny-name"
expect_exit 2 certctl policy
expect_ok certctl policy show
assert_contains "$OUT" "no policy"
expect_ok certctl policy show --json
json_check 'all(v is None for v in d.values()) and "name-deny" in d and len(d) == 9'

step "policy set: rules and severities; audited as policy.updated"
expect_ok certctl policy set --deny-name .evil.test --deny-name '*.Bad.Test' --allow-ca local --key-types ec256,rsa3072 \
  --min-rsa-bits 3072 --max-local-days 60 --require-subject o --wildcard deny --soft subject-required
assert_contains "$OUT" "name-deny         hard  .evil.test, .bad.test"
expect_ok certctl policy show --json
json_check 'd["name-deny"] == {"severity": "hard", "values": [".evil.test", ".bad.test"]}'
json_check 'd["key-types"]["values"] == ["ec256", "rsa3072"] and d["rsa-min-bits"]["value"] == 3072'
json_check 'd["subject-required"] == {"severity": "soft", "values": ["o"]} and d["wildcard"]["value"] == "deny"'
json_check 'd["name-allow"] is None and d["ec-min-bits"] is None'
expect_ok certctl audit --action policy.updated --json
assert_contains "$OUT" '"rules":"name-deny(hard) ca-allow(hard) key-types(hard) rsa-min-bits(hard) local-max-days(hard) subject-required(soft) wildcard(hard)"'

step "policy set: bad rules and values are usage errors that change nothing"
before=$(vault_digest)
expect_exit 2 certctl policy set --deny-name 'a b.test'
assert_contains "$ERR" "--deny-name"
expect_exit 2 certctl policy set --soft name-denny
assert_contains "$ERR" "no policy rule 'name-denny'"
expect_exit 2 certctl policy set --min-rsa-bits 1024
expect_exit 2 certctl policy set --key-types dsa
expect_exit 2 certctl policy set --hard ec-min-bits
assert_contains "$ERR" "ec-min-bits is not set"
expect_exit 2 certctl policy set
assert_eq "$(vault_digest)" "$before" "the vault after refused policy changes"

step "policy check: proposed values and records, exit 12 on a hard violation, nothing written"
before=$(vault_digest)
expect_exit 12 certctl policy check --domain www.evil.test --org Example --days 30
assert_eq "$ERR" "certctl: policy rule name-deny: www.evil.test matches denied pattern .evil.test"
assert_contains "$OUT" "hard: policy rule name-deny"
expect_ok certctl policy check --domain ok.test --days 30
assert_contains "$OUT" "soft: policy rule subject-required: subject field o is required but empty"
expect_ok certctl policy check --domain ok.test --org Example --days 30
assert_contains "$OUT" "allowed"
expect_exit 12 certctl policy check --domain '*.ok.test' --org Example --key-type rsa2048 --json
json_check 'not d["allowed"] and [v["rule"] for v in d["violations"]] == ["key-types", "rsa-min-bits", "local-max-days", "wildcard"]'
expect_exit 12 certctl policy check --domain ok.test --org Example --ca letsencrypt --days 30
assert_contains "$ERR" "policy rule ca-allow: CA 'letsencrypt' is not allowed"
expect_exit 2 certctl policy check
assert_eq "$(vault_digest)" "$before" "the vault after policy check"

step "create: refused by a hard rule; a soft one warns and goes on"
refused name-deny certctl create bad --domain ok.test --san www.evil.test --org Example
assert_eq "$ERR" "certctl: policy rule name-deny: www.evil.test matches denied pattern .evil.test"
refused name-deny certctl create bad --domain x.sub.bad.test --org Example
refused wildcard certctl create bad --domain '*.ok.test' --org Example
refused key-types certctl create bad --domain ok.test --org Example --key-type ec384
expect_ok certctl create web --domain web.test
assert_contains "$ERR" "certctl: warning: policy rule subject-required: subject field o is required but empty"
expect_ok certctl audit --action certificate.policy_soft_fail --record web --json
json_check 'd["details"]["rule"] == "subject-required" and d["record"] == "web"'

step "edit and csr: refused before they write"
refused name-deny certctl edit web --san www.evil.test
refused key-types certctl edit web --key-type ec384
expect_ok certctl create rsa --domain rsa.test --org Example --key-type rsa3072
expect_ok certctl policy set --key-types ec256
refused key-types certctl csr rsa
expect_ok certctl policy set --key-types ec256,rsa3072

step "issue: the local CA's days; the one-step form creates nothing"
expect_ok certctl csr web
refused local-max-days certctl issue web --days 90
expect_ok certctl issue web --days 60
refused name-deny certctl issue one --domain one.evil.test --days 30
expect_exit 10 certctl show one
# A batch prints a line per record and a summary; each record is refused, nothing created.
before=$(state)
rc=0
certctl issue one two --domain one.test --domain two.test </dev/null >"$TEST_TMP/batch.out" 2>"$TEST_TMP/batch.err" || rc=$?
assert_eq "$rc" 12 "exit status of a refused batch"
assert_eq "$(grep -c 'certctl: policy rule local-max-days: ' "$TEST_TMP/batch.err")" 2 "refusals of the batch"
assert_eq "$(state)" "$before" "the vault after a refused batch"
expect_exit 10 certctl show two

step "renew: a record the policy now refuses fails alone, with its error kept"
for n in r1 r2 r3; do
  expect_ok certctl create "$n" --domain "$n.test" --org Example
  expect_ok certctl csr "$n"
  expect_ok certctl issue "$n" --days 30
done
# (renew asks the local CA for 90 days, as issue does by default)
expect_ok certctl policy set --deny-name .evil.test --deny-name r2.test --clear local-max-days
rc=0
certctl renew r1 r2 r3 --force --json </dev/null >"$TEST_TMP/renew.out" 2>"$TEST_TMP/renew.err" || rc=$?
assert_eq "$rc" 12 "exit status of renew with one refused record"
assert_eq "$(grep '^certctl:' "$TEST_TMP/renew.err")" "certctl: policy rule name-deny: r2.test matches denied pattern r2.test" "renew's error lines"
OUT=$(cat "$TEST_TMP/renew.out")
json_check '{i["name"]: i["outcome"] for i in d["items"]} == {"r1": "renewed", "r2": "failed", "r3": "renewed"}'
expect_ok certctl show r2 --json
json_check 'd["status"] == "error" and "policy rule name-deny: r2.test matches denied pattern r2.test" in d["last_error"] and d["version"] == 1'
expect_ok certctl show r1 --json
json_check 'd["version"] == 2'

step "import and migrate: refused by the names and key of the certificate"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=www.evil.test \
  -addext subjectAltName=DNS:www.evil.test -days 30 -keyout "$TEST_TMP/evil.key" -out "$TEST_TMP/evil.crt" 2>/dev/null ||
  fail "openssl req"
refused name-deny certctl import evil --cert "$TEST_TMP/evil.crt" --key "$TEST_TMP/evil.key"
AS=$TEST_TMP/acme.sh
mkdir -p "$AS/www.evil.test_ecc"
cp "$TEST_TMP/evil.crt" "$AS/www.evil.test_ecc/www.evil.test.cer"
cp "$TEST_TMP/evil.key" "$AS/www.evil.test_ecc/www.evil.test.key"
printf "Le_Domain='www.evil.test'\nLe_Keylength='ec-256'\n" >"$AS/www.evil.test_ecc/www.evil.test.conf"
before=$(state)
expect_exit 4 certctl --quiet migrate acme.sh "$AS"
assert_contains "$OUT$ERR" "www.evil.test: failed: policy rule name-deny: www.evil.test matches denied pattern .evil.test"
assert_eq "$(state)" "$before" "the vault after a refused migration"
expect_exit 10 certctl show www.evil.test

step "a damaged policy.toml: Config (exit 3) naming the file"
cp "$CERTCTL_VAULT/policy.toml" "$TEST_TMP/policy.good"
printf '[name-deny\n' >"$CERTCTL_VAULT/policy.toml"
expect_exit 3 certctl create other --domain other.test
assert_contains "$ERR" "$CERTCTL_VAULT/policy.toml"
expect_exit 3 certctl policy show
printf '[name-deny]\nvalues = ["a b"]\n' >"$CERTCTL_VAULT/policy.toml"
expect_exit 3 certctl policy check --domain ok.test
assert_contains "$ERR" "policy.toml: [name-deny]"
cp "$TEST_TMP/policy.good" "$CERTCTL_VAULT/policy.toml"

step "--reset removes every rule (and the file)"
expect_ok certctl policy set --reset
expect_ok certctl policy show --json
json_check 'all(v is None for v in d.values())'
[[ ! -e $CERTCTL_VAULT/policy.toml ]] || fail "policy.toml is left after --reset"
pass
expect_ok certctl create bad --domain www.evil.test
expect_ok certctl audit verify
