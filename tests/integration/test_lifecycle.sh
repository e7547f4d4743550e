#!/usr/bin/env bash
# End to end: init, local CA, create -> csr -> issue -> re-issue, list/show output and JSON,
# colour, every key type, delete, and the audit and order logs.
source "$(dirname "$0")/lib.sh"

step "init: vault directory 0700, files 0600 (PostgreSQL: nothing granted to PUBLIC)"
use_vault "$TEST_TMP/vault"
expect_ok certctl init --scrypt-n 1024
vault_has config.toml || fail "init wrote no config.toml"
assert_vault_private
expect_exit 9 certctl init --scrypt-n 1024
assert_contains "$ERR" "exists" "init on an existing vault"

step "ca local init"
expect_ok certctl ca local init --cn "Test Root"
assert_contains "$OUT" "CN=Test Root"
expect_ok certctl ca local export-root
ROOT_PEM=$OUT
openssl x509 -noout -subject <<<"$ROOT_PEM" | grep -q "Test Root" || fail "export-root is not the root certificate"
pass
printf '%s\n' "$ROOT_PEM" >"$TEST_TMP/root.pem"
expect_ok certctl ca local export-root --out "$TEST_TMP/root2.pem"
cmp -s "$TEST_TMP/root.pem" "$TEST_TMP/root2.pem" || fail "export-root --out differs from stdout"
assert_mode "$TEST_TMP/root2.pem" 644

step "create: a draft without key files"
expect_ok certctl create web --domain example.test --san bücher.example --san 192.0.2.1 --san www.example.test \
  --org "Example Org" --country DE
vault_has certs/web/record.toml || fail "create wrote no record.toml"
DRAFT_FILES=$(vault_keys certs/web/ | grep -E '/(key\.enc|csr\.pem|cert\.pem)$' || true)
[[ -z $DRAFT_FILES ]] || fail "a draft has key/CSR/cert files: $(vault_keys certs/web/)"
pass
expect_ok certctl show web --json
json_check 'd["status"] == "draft" and d["has_key"] is False and d["has_csr"] is False'
json_check 'd["sans"] == ["xn--bcher-kva.example", "192.0.2.1", "www.example.test"]'
json_check 'd["serial_hex"] is None and d["not_after"] is None and d["days_remaining"] is None'

step "issue on a draft: exit 9, names the next step"
DIGEST=$(vault_digest)
expect_exit 9 certctl issue web
assert_contains "$ERR" "certctl csr web" "the error for issue on a draft"
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after a refused issue"

step "csr: pending, key encrypted, CSR verifies"
expect_ok certctl csr web
expect_ok certctl show web --json
json_check 'd["status"] == "pending" and d["has_key"] is True and d["has_csr"] is True and d["version"] == 1'
{ vault_has -s certs/web/v1/key.enc && vault_has -s certs/web/v1/csr.pem; } || fail "csr did not write v1/key.enc and v1/csr.pem"
expect_ok certctl show web --pem csr
printf '%s\n' "$OUT" >"$TEST_TMP/web.csr"
expect_ok openssl req -in "$TEST_TMP/web.csr" -noout -verify
assert_contains "$ERR$OUT" "verify OK" "openssl req -verify"
expect_ok openssl req -in "$TEST_TMP/web.csr" -noout -text
assert_contains "$OUT" "DNS:xn--bcher-kva.example" "CSR text"
assert_contains "$OUT" "IP Address:192.0.2.1" "CSR text"

step "issue: active, verifies against the local root, carries every SAN"
expect_ok certctl issue web
expect_ok certctl show web --json
json_check 'd["status"] == "active" and d["version"] == 1 and d["days_remaining"] in (89, 90)'
json_check 'd["issuer"] == "CN=Test Root Intermediate 1" and d["source"] == "managed"'
SERIAL1=$(json_get 'd["serial_hex"]')
expect_ok certctl show web --pem cert
printf '%s\n' "$OUT" >"$TEST_TMP/web1.pem"
expect_ok certctl show web --pem chain
printf '%s\n' "$OUT" >"$TEST_TMP/web-chain.pem"
expect_ok certctl show web --pem fullchain
FULLCHAIN=$OUT
assert_eq "$(grep -c 'BEGIN CERTIFICATE' <<<"$FULLCHAIN")" \
  "$(($(grep -c 'BEGIN CERTIFICATE' "$TEST_TMP/web1.pem") + $(grep -c 'BEGIN CERTIFICATE' "$TEST_TMP/web-chain.pem")))" \
  "certificates in fullchain = cert + chain"
expect_ok openssl verify -x509_strict -CAfile <(certctl ca local export-root) -untrusted "$TEST_TMP/web-chain.pem" \
  "$TEST_TMP/web1.pem"
assert_contains "$OUT" ": OK"
expect_ok openssl verify -CAfile <(certctl ca local export-root) -untrusted <(printf '%s\n' "$FULLCHAIN") \
  "$TEST_TMP/web1.pem"
expect_ok openssl x509 -in "$TEST_TMP/web1.pem" -noout -text
CERT_TEXT=$OUT
for san in DNS:example.test DNS:xn--bcher-kva.example DNS:www.example.test "IP Address:192.0.2.1"; do
  assert_contains "$CERT_TEXT" "$san" "the certificate's SANs"
done
assert_contains "$CERT_TEXT" "Subject: C = DE, O = Example Org, CN = example.test" "the certificate subject"
assert_eq "$(cert_serial "$TEST_TMP/web1.pem")" "$SERIAL1" "record serial vs certificate serial"
# Certificate and CSR are for the key in the vault.
assert_eq "$(openssl x509 -in "$TEST_TMP/web1.pem" -noout -pubkey)" \
  "$(openssl req -in "$TEST_TMP/web.csr" -noout -pubkey)" "certificate public key vs CSR public key"

step "show --json: every field, consistent with openssl"
expect_ok certctl show web --json
json_check 'all(k in d for k in ["name","domain","sans","status","ca","not_before","not_after","days_remaining",
  "auto_renew_days","serial_hex","serial_dec","fingerprint_sha256","fingerprint_sha1","fingerprint_md5","issuer",
  "key_type","key_size","signature_algorithm","source","version","created","updated","csr_created","issued",
  "expires","renewed","revoked","subject","history","certificate"])'
json_check 'int(d["serial_dec"]) == int(d["serial_hex"], 16)'
json_check 'd["key_type"] == "ec256" and d["key_size"] == 256'
json_check 'd["subject"]["organization"] == "Example Org" and d["subject"]["country"] == "DE"'
json_check 'd["history"] == [] and d["renewed"] is None and d["revoked"] is None'
json_check 'd["expires"] == d["not_after"] and d["created"].endswith("Z")'
for md in md5 sha1 sha256; do
  fp=$(openssl x509 -in "$TEST_TMP/web1.pem" -noout -fingerprint "-$md" | cut -d= -f2)
  assert_eq "$(json_get "d[\"fingerprint_$md\"]")" "$fp" "fingerprint_$md vs openssl"
done
sigalg=$(openssl x509 -in "$TEST_TMP/web1.pem" -noout -text | sed -n 's/^ *Signature Algorithm: //p' | head -1)
assert_eq "$(json_get 'd["signature_algorithm"]')" "$sigalg" "signature_algorithm vs openssl"
not_after=$(date -u -d "$(openssl x509 -in "$TEST_TMP/web1.pem" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
assert_eq "$(json_get 'd["not_after"]')" "$not_after" "not_after vs openssl"
expect_ok certctl show web
for label in "serial (dec)" "serial (hex)" md5 sha1 sha256 "signature" "not after" "issuer" "key size"; do
  assert_contains "$OUT" "$label" "show (text)"
done

step "edit: new names of an issued record wait for its next certificate; nothing is issued"
expect_ok certctl edit web --domain other.example
assert_contains "$ERR" "its next certificate gets a new key and CSR for other.example"
expect_ok certctl show web --json
json_check 'd["domain"] == "other.example" and d["version"] == 1 and d["serial_hex"] == "'"$SERIAL1"'" and d["status"] == "active"'
# Back to the names it was issued for: its CSR matches again, so a re-issue keeps the key.
expect_ok certctl edit web --domain example.test
expect_exit 9 certctl csr web
expect_ok certctl edit web --renew-days 10
expect_ok certctl show web --json
json_check 'd["renew_days"] == 10 and d["auto_renew_days"] == 10 and d["status"] == "active" and d["domain"] == "example.test"'

step "re-issue: version 2, version 1 kept in the history"
expect_ok certctl issue web --days 30
expect_ok certctl show web --json
json_check 'd["version"] == 2 and d["days_remaining"] in (29, 30) and d["status"] == "active"'
SERIAL2=$(json_get 'd["serial_hex"]')
assert_ne "$SERIAL2" "$SERIAL1" "serials of version 1 and 2"
json_check 'len(d["history"]) == 1 and d["history"][0]["version"] == 1 and d["history"][0]["serial_hex"] == "'"$SERIAL1"'"'
json_check 'd["renewed"] is not None'
expect_ok certctl show web --version 1 --pem cert
printf '%s\n' "$OUT" >"$TEST_TMP/web-v1.pem"
cmp -s "$TEST_TMP/web-v1.pem" "$TEST_TMP/web1.pem" || fail "show --version 1 --pem cert is not the first certificate"
pass
assert_eq "$(cert_serial "$TEST_TMP/web-v1.pem")" "$SERIAL1" "serial of show --version 1"
expect_ok certctl show web --pem cert
printf '%s\n' "$OUT" >"$TEST_TMP/web2.pem"
assert_eq "$(cert_serial "$TEST_TMP/web2.pem")" "$SERIAL2" "serial of the current certificate"
# The same key is kept across a re-issue.
assert_eq "$(openssl x509 -in "$TEST_TMP/web2.pem" -noout -pubkey)" \
  "$(openssl x509 -in "$TEST_TMP/web1.pem" -noout -pubkey)" "public key of version 1 and 2"
expect_exit 10 certctl show web --version 3 --pem cert
expect_exit 10 certctl show nosuch

step "list: table, --status, --expiring-within, --json"
expect_ok certctl create drafty --domain draft.example
expect_ok certctl create pend --domain pending.example --renew-days 5
expect_ok certctl csr pend
issue_record long long.example
expect_ok certctl issue long --days 365
expect_ok certctl list
read -r -a header <<<"$(head -1 <<<"$OUT")"
assert_eq "${header[*]}" "NAME DOMAIN CA STATUS DAYS AUTO-RENEW" "list table header"
assert_eq "$(wc -l <<<"$OUT")" 5 "list lines (header + 4 records)"
row=$(grep '^web ' <<<"$OUT") || fail "list has no row for web: $OUT"
read -r -a cols <<<"$row"
assert_eq "${cols[0]} ${cols[1]} ${cols[2]} ${cols[3]}" "web example.test (+3) local" "web row name/domain/ca"
assert_eq "${cols[4]}" active "web row status"
[[ ${cols[5]} =~ ^(29|30)$ ]] || fail "web row days: ${cols[5]}"
assert_eq "${cols[6]}" 10d "web row auto-renew"
assert_eq "${#cols[@]}" 7 "web row columns"
assert_contains "$(grep '^drafty ' <<<"$OUT")" draft "drafty row"
assert_contains "$(grep '^pend ' <<<"$OUT")" pending "pend row"
for st in draft pending active; do
  expect_ok certctl list --status "$st" --json
  json_check 'len(d) > 0 and all(r["status"] == "'"$st"'" for r in d)'
done
expect_ok certctl list --status draft
assert_eq "$(tail -n +2 <<<"$OUT" | awk '{print $1}')" drafty "list --status draft"
expect_ok certctl list --status active
assert_eq "$(tail -n +2 <<<"$OUT" | awk '{print $1}' | sort | tr '\n' ' ')" "long web " "list --status active"
expect_exit 0 certctl list --status expired
assert_not_contains "$OUT" web "list --status expired (now)"
expect_exit 2 certctl list --status bogus
assert_contains "$ERR" "draft, pending, active, expired, error or revoked" "the error for an unknown status"

expect_ok certctl list --json
json_check 'isinstance(d, list) and sorted(r["name"] for r in d) == ["drafty", "long", "pend", "web"]'
json_check 'all(set(["name","domain","sans","status","ca","not_before","not_after","days_remaining",
  "auto_renew_days","serial_hex","fingerprint_sha256","issuer","key_type","source"]) <= set(r) for r in d)'
json_check '[r for r in d if r["name"] == "web"][0]["serial_hex"] == "'"$SERIAL2"'"'
json_check '[r for r in d if r["name"] == "web"][0]["sans"] == ["xn--bcher-kva.example", "192.0.2.1", "www.example.test"]'
json_check '[r for r in d if r["name"] == "web"][0]["key_type"] == "ec256"'
json_check '[r for r in d if r["name"] == "web"][0]["source"] == "managed"'
json_check '[r for r in d if r["name"] == "web"][0]["issuer"] == "CN=Test Root Intermediate 1"'
json_check '[r for r in d if r["name"] == "web"][0]["fingerprint_sha256"].count(":") == 31'
json_check '[r for r in d if r["name"] == "drafty"][0]["not_after"] is None'
json_check '[r for r in d if r["name"] == "drafty"][0]["serial_hex"] is None'
json_check '[r for r in d if r["name"] == "pend"][0]["auto_renew_days"] == 5'
json_check 'all(r["not_before"] is None or (r["not_before"].endswith("Z") and "T" in r["not_before"]) for r in d)'

expect_ok certctl list --expiring-within 31
assert_eq "$(tail -n +2 <<<"$OUT" | awk '{print $1}')" web "list --expiring-within 31 now"
expect_ok certctl list --expiring-within 10
assert_eq "$OUT" "" "list --expiring-within 10 now (nothing matches)"
# Move the clock (read-only commands only): 25 days on, the 30-day web certificate has about
# 5 days left; 80 days on, a 90-day certificate would have 10 days left.
issue_record ninety ninety.example
NOW=$(date +%s)
# list refreshes the derived record cache (cache/records.bin, certctl-vault(5)) after a change;
# once it is current, reading the vault at any time changes nothing.
expect_ok certctl list
DIGEST=$(vault_digest)
expect_ok env CERTCTL_NOW=$((NOW + 80 * 86400)) "$CERTCTL_BIN" list --expiring-within 30 --json
json_check 'sorted(r["name"] for r in d) == ["ninety", "web"]'
json_check '[r for r in d if r["name"] == "ninety"][0]["days_remaining"] in (9, 10)'
json_check '[r for r in d if r["name"] == "ninety"][0]["status"] == "active"'
json_check '[r for r in d if r["name"] == "web"][0]["status"] == "expired"'
expect_ok env CERTCTL_NOW=$((NOW + 80 * 86400)) "$CERTCTL_BIN" list --expiring-within 30
assert_contains "$OUT" ninety
assert_not_contains "$OUT" long
expect_ok certctl list --expiring-within 30 --json
json_check '[r["name"] for r in d] == ["web"]'
FUTURE=$(date -u -d "@$((NOW + 91 * 86400))" +%Y-%m-%dT%H:%M:%SZ)
expect_ok env CERTCTL_NOW="$FUTURE" "$CERTCTL_BIN" show ninety --json
json_check 'd["status"] == "expired" and d["stored_status"] == "active" and d["days_remaining"] < 0'
expect_ok env CERTCTL_NOW="$FUTURE" "$CERTCTL_BIN" list --status expired
assert_eq "$(tail -n +2 <<<"$OUT" | awk '{print $1}' | sort | tr '\n' ' ')" "ninety web " "list --status expired in 91 days"
expect_ok env CERTCTL_NOW="$FUTURE" "$CERTCTL_BIN" list --status active
assert_eq "$(tail -n +2 <<<"$OUT" | awk '{print $1}')" long "list --status active in 91 days"
expect_exit 4 env CERTCTL_NOW=yesterday "$CERTCTL_BIN" list
assert_contains "$ERR" "CERTCTL_NOW" "the error for a bad CERTCTL_NOW"
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after read-only commands"

step "colour: none on a pipe or with NO_COLOR, forced with CLICOLOR_FORCE"
ESC=$'\e'
OUT=$(certctl list | cat)
assert_not_contains "$OUT" "$ESC" "list on a pipe"
OUT=$(CLICOLOR_FORCE=1 "$CERTCTL_BIN" list | cat)
assert_contains "$OUT" "${ESC}[" "list with CLICOLOR_FORCE=1"
OUT=$(CLICOLOR_FORCE=1 "$CERTCTL_BIN" --no-color list | cat)
assert_not_contains "$OUT" "$ESC" "list --no-color with CLICOLOR_FORCE=1"
OUT=$(NO_COLOR=1 "$CERTCTL_BIN" show web | cat)
assert_not_contains "$OUT" "$ESC" "show with NO_COLOR"
if command -v script >/dev/null; then
  # On a terminal (a pty from script(1)) colour is on unless NO_COLOR or TERM=dumb.
  OUT=$(TERM=xterm script -qec "$(printf '%q' "$CERTCTL_BIN") list" /dev/null </dev/null)
  assert_contains "$OUT" "${ESC}[" "list on a terminal"
  OUT=$(TERM=xterm NO_COLOR=1 script -qec "$(printf '%q' "$CERTCTL_BIN") list" /dev/null </dev/null)
  assert_contains "$OUT" "web" "list on a terminal with NO_COLOR"
  assert_not_contains "$OUT" "$ESC" "list on a terminal with NO_COLOR"
  OUT=$(TERM=dumb script -qec "$(printf '%q' "$CERTCTL_BIN") list" /dev/null </dev/null)
  assert_not_contains "$OUT" "$ESC" "list on a terminal with TERM=dumb"
fi

step "every key type issues (rsa2048 rsa3072 rsa4096 ec256 ec384)"
declare -A BITS=([rsa2048]=2048 [rsa3072]=3072 [rsa4096]=4096 [ec256]=256 [ec384]=384)
for kt in rsa2048 rsa3072 rsa4096 ec256 ec384; do
  issue_record "kt-$kt" "$kt.example" --key-type "$kt"
  expect_ok certctl show "kt-$kt" --json
  json_check 'd["key_type"] == "'"$kt"'" and d["key_size"] == '"${BITS[$kt]}"' and d["status"] == "active"'
  capture "$TEST_TMP/kt.pem" certctl show "kt-$kt" --pem cert
  capture "$TEST_TMP/kt-chain.pem" certctl show "kt-$kt" --pem chain
  expect_ok openssl verify -CAfile "$TEST_TMP/root.pem" -untrusted "$TEST_TMP/kt-chain.pem" "$TEST_TMP/kt.pem"
  expect_ok openssl x509 -in "$TEST_TMP/kt.pem" -noout -text
  assert_contains "$OUT" "Public-Key: (${BITS[$kt]} bit)" "key size of kt-$kt"
  if [[ $kt == rsa* ]]; then assert_contains "$OUT" "rsaEncryption"; else assert_contains "$OUT" "id-ecPublicKey"; fi
done
expect_exit 4 certctl create kt-bad --domain bad.example --key-type rsa1024
assert_contains "$ERR" "rsa2048, rsa3072, rsa4096, ec256, ec384" "the error for an unknown key type"

step "delete: refused without --yes and a terminal, done with --yes"
DIGEST=$(vault_digest)
expect_exit 1 certctl delete web
assert_contains "$ERR" "--yes"
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after a refused delete"
expect_ok certctl show web --json
expect_ok certctl delete web --yes
if file_backend; then
  [[ ! -e $CERTCTL_VAULT/certs/web ]] || fail "delete --yes left $CERTCTL_VAULT/certs/web"
else
  [[ -z $(vault_keys certs/web/) ]] || fail "delete --yes left $(vault_keys certs/web/)"
fi
pass
expect_exit 10 certctl show web
expect_ok certctl list --json
json_check '"web" not in [r["name"] for r in d] and "long" in [r["name"] for r in d]'
expect_exit 10 certctl delete web --yes

step "every file 0600, every directory 0700 (PostgreSQL: nothing granted to PUBLIC)"
assert_vault_private

step "audit.log: JSON lines, no key material"
AUDIT=$(vault_file audit.log)
if grep -q 'PRIVATE KEY' "$AUDIT"; then fail "audit.log contains 'PRIVATE KEY'"; fi
pass
python3 - "$AUDIT" <<'EOF' || fail "audit.log is not valid JSON lines with time, user, action, certificate"
import json, re, sys
actions = []
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    e = json.loads(line)
    for k in ("time", "user", "action", "certificate"):
        assert k in e, f"line {n}: no {k}: {line}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["time"]), line
    assert e["user"], line
    assert isinstance(e.get("details", {}), dict), line
    actions.append((e["action"], e["certificate"]))
for want in [("init", ""), ("ca-local-init", ""), ("create", "web"), ("csr", "web"), ("issue", "web"),
             ("edit", "web"), ("delete", "web")]:
    assert want in actions, f"no audit entry {want}: {actions}"
assert actions.count(("issue", "web")) == 2, actions
EOF
pass

step "orders.log: one line per issue"
# web x2, long x2, ninety x1, five key types: 10 issuances.
python3 - "$(vault_file orders.log)" <<'EOF' || fail "orders.log does not hold one JSON line per issuance"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(lines) == 10, len(lines)
for e in lines:
    for k in ("time", "name", "ca", "type", "status", "user", "duration_s"):
        assert k in e, e
    assert e["status"] == "valid" and e["ca"] == "local", e
names = [e["name"] for e in lines]
assert names.count("web") == 2 and names.count("long") == 2 and names.count("ninety") == 1, names
assert [e["type"] for e in lines if e["name"] == "web"] == ["issue", "reissue"], lines
EOF
pass

step "default scrypt cost"
use_vault "$TEST_TMP/vault-default"
expect_ok certctl init
expect_ok certctl vault info --json
json_check 'd["unlock_method"] == "passphrase" and d["kdf"] == "scrypt" and d["scrypt"]["n"] == 32768'
grep -qE '^n = 32768$' "$(vault_file config.toml)" || fail "config.toml of a default vault has no n = 32768"
pass
expect_ok certctl ca local init
issue_record dflt default.example

step "local CA revocation: revoke asks, then the CRL lists the serial with its reason"
issue_record gone gone.example
issue_record kept kept.example
expect_ok certctl show gone --json
GONE_SERIAL=$(json_get 'd["serial_hex"]')
expect_exit 1 certctl revoke gone --reason keyCompromise
expect_exit 2 certctl revoke gone --reason because --yes
expect_ok certctl revoke gone --reason keyCompromise --yes
expect_ok certctl show gone --json
json_check 'd["status"] == "revoked" and d["revoke_reason"] == "keyCompromise" and d["revoked"] is not None'
expect_exit 9 certctl revoke gone --yes
expect_exit 9 certctl issue gone
expect_ok certctl ca local crl
printf '%s\n' "$OUT" >"$TEST_TMP/local.crl"
expect_ok certctl ca local export-root --out "$TEST_TMP/local-root.pem"
# The CRL is the intermediate's (it signed the leaves): its signature checks with the chain.
expect_ok certctl show gone --pem chain
printf '%s\n' "$OUT" >"$TEST_TMP/local-chain.pem"
expect_ok openssl crl -in "$TEST_TMP/local.crl" -noout -text -CAfile <(cat "$TEST_TMP/local-root.pem" "$TEST_TMP/local-chain.pem")
assert_contains "$OUT$ERR" "verify OK" "the CRL's signature by the local intermediate"
crl_serials() { sed -n 's/^ *Serial Number: *//p' <<<"$OUT" | while read -r s; do norm_serial "$s"; done; }
assert_eq "$(crl_serials)" "$GONE_SERIAL" "the serials in the CRL"
assert_contains "$OUT" "Key Compromise" "the reason in the CRL"
expect_ok certctl show kept --json
KEPT_SERIAL=$(json_get 'd["serial_hex"]')
[[ $GONE_SERIAL != "$KEPT_SERIAL" ]] || fail "two certificates share a serial"
pass
# openssl verify with CRL checking rejects the revoked certificate and accepts the other.
for n in gone kept; do
  expect_ok certctl show "$n" --pem cert
  printf '%s\n' "$OUT" >"$TEST_TMP/$n.pem"
done
expect_exit 2 openssl verify -crl_check -CAfile "$TEST_TMP/local-root.pem" -untrusted "$TEST_TMP/local-chain.pem" \
  -CRLfile "$TEST_TMP/local.crl" "$TEST_TMP/gone.pem"
assert_contains "$OUT$ERR" "revoked"
expect_ok openssl verify -crl_check -CAfile "$TEST_TMP/local-root.pem" -untrusted "$TEST_TMP/local-chain.pem" \
  -CRLfile "$TEST_TMP/local.crl" "$TEST_TMP/kept.pem"

step "edit on an issued record: new names and settings stored without issuing; the next issue uses them with a new key"
issue_record renamed renamed.example
expect_ok certctl show renamed --pem cert
printf '%s\n' "$OUT" >"$TEST_TMP/renamed1.pem"
SERIAL_R1=$(record_serial renamed)
expect_ok certctl edit renamed --san api.renamed.example --deploy-hook 'true reload' --fallback local --deploy-dir "$TEST_TMP/renamed-deploy"
assert_contains "$ERR" "its next certificate gets a new key and CSR for renamed.example, api.renamed.example"
expect_ok certctl show renamed --json
json_check 'd["version"] == 1 and d["serial_hex"] == "'"$SERIAL_R1"'" and d["sans"] == ["api.renamed.example"]'
json_check 'd["issue"]["deploy_hook"] == "true reload" and d["issue"]["fallback"] == ["local"]'
# Plain show prints the stored settings.
expect_ok certctl show renamed
assert_contains "$OUT" "deploy hook:         true reload"
assert_contains "$OUT" "fallback:            local"
assert_contains "$OUT" "deploy dir:          $TEST_TMP/renamed-deploy"
# Nothing was deployed or issued by the edit.
[[ ! -e $TEST_TMP/renamed-deploy ]] || fail "edit deployed"
pass
expect_ok certctl issue renamed
expect_ok certctl show renamed --pem cert
printf '%s\n' "$OUT" >"$TEST_TMP/renamed2.pem"
assert_contains "$(openssl x509 -in "$TEST_TMP/renamed2.pem" -noout -ext subjectAltName)" "DNS:api.renamed.example"
assert_ne "$(openssl x509 -in "$TEST_TMP/renamed2.pem" -noout -pubkey)" \
  "$(openssl x509 -in "$TEST_TMP/renamed1.pem" -noout -pubkey)" "public key after new names"
[[ -f $TEST_TMP/renamed-deploy/fullchain.pem ]] || fail "the edited --deploy-dir was not used by the next issue"
pass
# Clearing a setting is an edit too, and issues nothing.
expect_ok certctl edit renamed --deploy-hook ''
expect_ok certctl show renamed --json
json_check 'd["issue"]["deploy_hook"] is None and d["version"] == 2'
# Refused edits change nothing: a provider that does not exist, a revoked record.
DIGEST=$(vault_digest)
expect_exit 10 certctl edit renamed --dns no-such-provider
assert_contains "$ERR" "no-such-provider"
expect_exit 9 certctl edit gone --san x.example
assert_contains "$ERR" "is revoked"
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after refused edits"
# issue NAME --san on an existing record stores the names (as edit does) and issues with them.
expect_ok certctl issue renamed --san www.renamed.example
expect_ok certctl show renamed --pem cert
assert_contains "$(openssl x509 -noout -ext subjectAltName <<<"$OUT")" "DNS:www.renamed.example"
assert_not_contains "$(openssl x509 -noout -ext subjectAltName <<<"$OUT")" "api.renamed.example"
expect_ok certctl show renamed --json
json_check 'd["sans"] == ["www.renamed.example"] and d["version"] == 3'

step "an imported certificate put under management: edit --ca, then renew issues it here with a new key"
expect_ok certctl show kept --pem cert
printf '%s\n' "$OUT" >"$TEST_TMP/imp.pem"
expect_ok certctl show kept --pem key
printf '%s\n' "$OUT" >"$TEST_TMP/imp.key"
expect_ok certctl import imp --cert "$TEST_TMP/imp.pem" --key "$TEST_TMP/imp.key"
expect_exit 9 certctl issue imp
assert_contains "$ERR" "certctl edit imp --ca CA --challenge"
expect_exit 9 certctl csr imp
assert_contains "$ERR" "certctl edit imp --ca CA"
expect_ok certctl renew imp
assert_contains "$ERR$OUT" "or here after \`certctl edit imp --ca CA"
expect_exit 9 certctl edit imp --deploy-hook 'true'
assert_contains "$ERR" "put it under management first"
expect_exit 9 certctl issue imp --san other.example
assert_contains "$ERR" "put it under management first"
expect_ok certctl edit imp --ca local
assert_contains "$ERR" "it now renews here from CA 'local'"
expect_ok certctl renew imp --force
expect_ok certctl show imp --json
json_check 'd["source"] == "managed" and d["version"] == 2 and d["issued_by"] == "local" and d["has_csr"] is True'
json_check '[h["reason"] for h in d["history"]] == ["renewed"]'
expect_ok certctl show imp --pem cert
assert_ne "$(openssl x509 -noout -pubkey <<<"$OUT")" "$(openssl x509 -in "$TEST_TMP/imp.pem" -noout -pubkey)" "public key after the takeover renewal"
