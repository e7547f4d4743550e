#!/usr/bin/env bash
# Crash safety and locking: certctl killed with SIGKILL in the middle of writes leaves a vault
# that reads back consistently, and two writers running at once both get all their work done.
source "$(dirname "$0")/lib.sh"

ITERATIONS=${CERTCTL_CRASH_ITERATIONS:-30}
new_vault "$TEST_TMP/vault"
W=$TEST_TMP/work
mkdir -p "$W"

step "set up: a managed record and an imported one (two alternating certificates and keys)"
issue_record managed managed.example --key-type ec256
# imp-a is issued by a CA and imported with --chain; imp-b is self-signed, with no chain.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/imp-ca.key" -out "$W/imp-ca.pem" \
  -subj "/CN=Crash Test CA" -days 30 -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null ||
  fail "openssl could not make a CA"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/imp-a.key" -out "$W/imp-a.csr" \
  -subj "/CN=imported.example" 2>/dev/null || fail "openssl could not make a CSR"
printf 'subjectAltName=DNS:imported.example\n' >"$W/imp-a.ext"
openssl x509 -req -in "$W/imp-a.csr" -CA "$W/imp-ca.pem" -CAkey "$W/imp-ca.key" -days 20 -extfile "$W/imp-a.ext" \
  -out "$W/imp-a.pem" 2>/dev/null || fail "openssl could not issue imp-a"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/imp-b.key" -out "$W/imp-b.pem" \
  -subj "/CN=imported.example" -days 30 -addext "subjectAltName=DNS:imported.example" 2>/dev/null ||
  fail "openssl could not make the certificate to import"
IMPORT_a=(--cert "$W/imp-a.pem" --chain "$W/imp-ca.pem" --key "$W/imp-a.key")
IMPORT_b=(--cert "$W/imp-b.pem" --key "$W/imp-b.key")
expect_ok certctl import imported "${IMPORT_a[@]}"

# check_consistent NAME: the record reads back (show --json parses), list works, and the stored
# certificate, chain and key are the ones the record describes. Sets VERSION and SERIAL.
check_consistent() {
  local name=$1
  expect_ok certctl show "$name" --json
  read -r VERSION SERIAL < <(python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
assert d["status"] == "active" and d["version"] >= 1 and d["serial_hex"], d
print(d["version"], d["serial_hex"])' <<<"$OUT") || fail "show $name --json after a kill: $OUT"
  pass
  expect_ok certctl list
  assert_contains "$OUT" "$name" "list after a kill"
  # list (served from the record cache) agrees with show.
  expect_ok certctl list --json
  json_check '[r["serial_hex"] for r in d if r["name"] == "'"$name"'"] == ["'"$SERIAL"'"]'
  expect_ok certctl show "$name" --pem cert
  printf '%s\n' "$OUT" >"$W/cert.pem"
  openssl x509 -in "$W/cert.pem" -noout -serial -issuer -subject -pubkey >"$W/cert.facts" 2>/dev/null ||
    fail "show $name --pem cert is not a certificate after a kill: $OUT"
  assert_eq "$(norm_serial "$(grep '^serial=' "$W/cert.facts")")" "$SERIAL" "$name: serial of the stored certificate vs the record"
  local issuer subject
  issuer=$(sed -n 's/^issuer=//p' "$W/cert.facts")
  subject=$(sed -n 's/^subject=//p' "$W/cert.facts")
  # The chain is the certificate's issuer, or absent for a self-signed certificate.
  if [[ $issuer == "$subject" ]]; then
    expect_exit 10 certctl show "$name" --pem chain
  else
    expect_ok certctl show "$name" --pem chain
    assert_eq "$(openssl x509 -noout -subject <<<"$OUT" | sed 's/^subject=//')" "$issuer" "$name: chain vs the certificate's issuer"
  fi
  expect_ok certctl show "$name" --pem key
  assert_eq "$(openssl pkey -pubout <<<"$OUT")" "$(sed -n '/BEGIN PUBLIC KEY/,$p' "$W/cert.facts")" \
    "$name: stored key vs stored certificate"
}

# How long one write takes here: the kills are spread over that time, so they land before,
# during and after the writes.
check_consistent managed
t0=$EPOCHREALTIME
expect_ok certctl -q issue managed
expect_ok certctl -q import imported --replace "${IMPORT_b[@]}"
t1=$EPOCHREALTIME
WRITE_MS=$(( (${t1/./} - ${t0/./}) / 2000 ))
MAX_DELAY_MS=$(( WRITE_MS > 40 ? WRITE_MS : 40 ))
echo "    one write takes ~${WRITE_MS} ms; kills after 0..${MAX_DELAY_MS} ms"

step "SIGKILL during issue / import --replace, $ITERATIONS times"
killed=0
finished=0
changed=0
declare -A VERSION_OF SERIAL_OF
for name in managed imported; do
  check_consistent "$name"
  VERSION_OF[$name]=$VERSION
  SERIAL_OF[$name]=$SERIAL
done
for ((i = 1; i <= ITERATIONS; i++)); do
  if ((i % 2)); then
    name=managed
    cmd=(issue managed)
  else
    name=imported
    # Never the certificate in place, so a new version always has a new serial and key.
    k=$([[ ${SERIAL_OF[imported]} == "$(cert_serial "$W/imp-a.pem")" ]] && echo b || echo a)
    if [[ $k == a ]]; then cmd=(import imported --replace "${IMPORT_a[@]}"); else cmd=(import imported --replace "${IMPORT_b[@]}"); fi
  fi
  v_before=${VERSION_OF[$name]}
  s_before=${SERIAL_OF[$name]}
  delay_ms=$((RANDOM % (MAX_DELAY_MS + 1)))
  "$CERTCTL_BIN" -q "${cmd[@]}" </dev/null >/dev/null 2>"$W/bg.err" &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -KILL "$pid" 2>/dev/null || true
  rc=0
  { wait "$pid"; } 2>/dev/null || rc=$?
  case $rc in
    137) killed=$((killed + 1)) ;;
    0) finished=$((finished + 1)) ;;
    *) fail "iteration $i: certctl ${cmd[*]} failed on its own (exit $rc): $(cat "$W/bg.err")" ;;
  esac
  check_consistent "$name"
  # Either the old version or exactly one new one, never anything in between.
  if [[ $VERSION == "$v_before" ]]; then
    assert_eq "$SERIAL" "$s_before" "iteration $i: serial of an unchanged version"
  else
    changed=$((changed + 1))
    assert_eq "$VERSION" "$((v_before + 1))" "iteration $i: version after a kill"
    assert_ne "$SERIAL" "$s_before" "iteration $i: serial of a new version"
  fi
  if ((rc == 0)); then
    assert_eq "$VERSION" "$((v_before + 1))" "iteration $i: version after a command that finished"
  fi
  VERSION_OF[$name]=$VERSION
  SERIAL_OF[$name]=$SERIAL
done
echo "    $killed killed ($((changed - finished)) of them after the commit), $finished finished before the kill"
((killed > 0)) || fail "no command was killed in $ITERATIONS iterations: the test did not exercise a crash"
pass

step "after the crashes: the vault still works"
check_consistent managed
check_consistent imported
expect_ok certctl issue managed
check_consistent managed
expect_ok certctl import imported --replace "${IMPORT_a[@]}"
check_consistent imported
expect_ok certctl show managed --json
json_check 'all(h["serial_hex"] for h in d["history"]) and len(d["history"]) == d["version"] - 1'
for log in audit.log orders.log; do
  python3 -c '
import json, sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    json.loads(line)
' "$CERTCTL_VAULT/$log" || fail "$log has a line that is not JSON after the crashes"
  pass
done
# A kill between the append and audit.head leaves the head one line behind, never a broken chain.
expect_ok certctl audit verify
assert_contains "$OUT" "intact"

step "files of an interrupted write do not leak into the next version"
# The state a SIGKILL leaves between writing a new version's files and saving record.toml is
# made here directly, so this does not depend on where a random kill lands.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/oca.key" -out "$W/oca.pem" \
  -subj "/CN=Orphan Test CA" -days 30 -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/oleaf.key" -out "$W/oleaf.csr" \
  -subj "/CN=orphan.example" 2>/dev/null
printf 'subjectAltName=DNS:orphan.example\n' >"$W/oleaf.ext"
openssl x509 -req -in "$W/oleaf.csr" -CA "$W/oca.pem" -CAkey "$W/oca.key" -days 20 -extfile "$W/oleaf.ext" \
  -out "$W/oleaf.pem" 2>/dev/null || fail "openssl could not make the leaf to import"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/oself.key" -out "$W/oself.pem" \
  -subj "/CN=orphan.example" -days 20 -addext "subjectAltName=DNS:orphan.example" 2>/dev/null
# 1. import --replace with a chain killed before the record was saved, then one without a chain.
expect_ok certctl import orphan --cert "$W/oleaf.pem" --chain "$W/oca.pem" --key "$W/oleaf.key"
R=$CERTCTL_VAULT/certs/orphan
mkdir -m 700 "$R/v2"
cp -p "$R/v1/key.enc" "$R/v1/cert.pem" "$R/v1/chain.pem" "$R/v2/"
check_consistent orphan
assert_eq "$VERSION" 1 "version of the record with an uncommitted v2"
expect_ok certctl import orphan --replace --cert "$W/oself.pem" --key "$W/oself.key"
check_consistent orphan
assert_eq "$VERSION" 2 "version after import --replace"
expect_exit 10 certctl show orphan --pem chain
expect_ok certctl show orphan --pem fullchain
assert_eq "$(grep -c 'BEGIN CERTIFICATE' <<<"$OUT")" 1 "certificates in the fullchain of a self-signed import"
expect_ok certctl export orphan --dir "$W/orphan-out"
[[ ! -e $W/orphan-out/chain.pem ]] || fail "export of a self-signed import wrote the chain of an interrupted import"
pass
assert_eq "$(grep -c 'BEGIN CERTIFICATE' "$W/orphan-out/fullchain.pem")" 1 "certificates in the exported fullchain.pem"
expect_ok certctl show orphan --version 1 --pem chain
assert_eq "$(openssl x509 -noout -subject <<<"$OUT")" "subject=CN = Orphan Test CA" "chain of version 1"
# 2. csr killed before the record was saved, then an external CSR for the record.
expect_ok certctl create orphan-ext --domain orphan-ext.example
expect_ok certctl csr orphan-ext
R=$CERTCTL_VAULT/certs/orphan-ext
cp -rp "$R/v1" "$W/killed-csr"
expect_ok certctl edit orphan-ext --domain orphan-ext2.example   # back to draft: the CSR and key are dropped
expect_ok certctl show orphan-ext --json
json_check 'd["status"] == "draft" and d["has_key"] is False'
v_next=$(($(json_get 'd["version"]') + 1))
cp -rp "$W/killed-csr" "$R/v$v_next"   # a key sealed for this record, never committed
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/oext.key" -out "$W/oext.csr" \
  -subj "/CN=orphan-ext2.example" -addext "subjectAltName=DNS:orphan-ext2.example" 2>/dev/null
expect_ok certctl csr orphan-ext --csr-file "$W/oext.csr"
expect_ok certctl issue orphan-ext
expect_ok certctl show orphan-ext --json
json_check 'd["status"] == "active" and d["source"] == "external-csr" and d["has_key"] is False'
expect_ok certctl export orphan-ext --dir "$W/orphan-ext-out"
[[ -f $W/orphan-ext-out/cert.pem && ! -e $W/orphan-ext-out/key.pem ]] ||
  fail "export of an external-CSR record after an interrupted csr: $(ls "$W/orphan-ext-out")"
pass
expect_exit 9 certctl export-pfx orphan-ext --out "$W/orphan-ext.pfx" --password-file "$CERTCTL_PASSPHRASE_FILE"
expect_exit 9 certctl show orphan-ext --pem key

step "two concurrent writers, 15 records each"
writer() {
  local prefix=$1 n
  for ((n = 1; n <= 15; n++)); do
    if ! { "$CERTCTL_BIN" -q create "$prefix-$n" --domain "$prefix-$n.example" </dev/null &&
      "$CERTCTL_BIN" -q csr "$prefix-$n" </dev/null &&
      "$CERTCTL_BIN" -q issue "$prefix-$n" </dev/null; }; then
      echo "writer $prefix: record $prefix-$n failed" >&2
      return 1
    fi
  done
}
writer left 2>"$W/left.err" &
left=$!
BACKGROUND_PIDS+=("$left")
writer right 2>"$W/right.err" &
right=$!
BACKGROUND_PIDS+=("$right")
wait "$left" || fail "writer 'left' failed: $(cat "$W/left.err")"
pass
wait "$right" || fail "writer 'right' failed: $(cat "$W/right.err")"
pass
expect_ok certctl list --json
json_check 'len([r for r in d if r["name"].startswith(("left-", "right-"))]) == 30'
json_check 'all(r["status"] == "active" for r in d if r["name"].startswith(("left-", "right-")))'
json_check 'all(r["domain"] == r["name"] + ".example" for r in d if r["name"].startswith(("left-", "right-")))'
json_check 'sorted(r["name"] for r in d if r["name"].startswith(("left-", "right-"))) == sorted(
  f"{p}-{n}" for p in ("left", "right") for n in range(1, 16))'
pairs=$(json_get '"\n".join(r["name"] + " " + r["serial_hex"] for r in d if r["name"].startswith(("left-", "right-")))')
checked=0
while read -r name serial; do
  checked=$((checked + 1))
  expect_ok certctl show "$name" --pem cert
  facts=$(openssl x509 -noout -serial -ext subjectAltName <<<"$OUT" 2>&1) || fail "$name: stored certificate: $facts"
  assert_eq "$(norm_serial "$(head -1 <<<"$facts")")" "$serial" "$name: serial of the stored certificate vs the record"
  assert_contains "$facts" "DNS:$name.example" "$name: SANs of the stored certificate"
done <<<"$pairs"
assert_eq "$checked" 30 "records whose certificate was checked"
# Every serial is different.
expect_ok certctl list --json
json_check 'len(set(r["serial_hex"] for r in d if r["serial_hex"])) == len([r for r in d if r["serial_hex"]])'
# One audit entry and one order per issuance of the writers.
assert_eq "$(grep -cE '"action":"issue","certificate":"(left|right)-' "$CERTCTL_VAULT/audit.log")" 30 \
  "issue entries of the writers in audit.log"
assert_eq "$(grep -cE '"name":"(left|right)-[0-9]+","ca":"local","type":"issue","status":"valid"' "$CERTCTL_VAULT/orders.log")" 30 \
  "orders of the writers in orders.log"
# Concurrent appenders keep one chain.
expect_ok certctl audit verify
assert_contains "$OUT" "intact"
