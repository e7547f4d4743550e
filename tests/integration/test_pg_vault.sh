#!/usr/bin/env bash
# A vault in PostgreSQL (--vault postgresql://..., tests/support/pg.sh starts a real server):
# the lifecycle commands against it, the errors for a database that is not reachable, not a
# certctl vault, newer than this certctl or behind the wrong TLS root, and renewals from four
# hosts at once against pebble: each due certificate renewed exactly once, the work split, a
# renewer killed mid-run whose claims another host takes after their TTL.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../support/pg.sh"
source "$(dirname "$0")/pebble.sh"

unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGPASSFILE PGSERVICE PGSSLMODE PGOPTIONS
pg_start
export CERTCTL_PASSPHRASE_FILE=$TEST_TMP/vault.pass
new_passphrase_file "$CERTCTL_PASSPHRASE_FILE"
export CERTCTL_VAULT=$PG_URL

step "init creates the vault in the database; the lifecycle runs against it"
expect_ok certctl init --scrypt-n 1024
assert_contains "$ERR" "postgresql database postgres"
assert_not_contains "$ERR" "postgresql://"
expect_exit 9 certctl init --scrypt-n 1024
assert_contains "$ERR" "a vault already exists here"
expect_ok certctl ca local init
issue_record web web.example.test --san www.web.example.test
expect_ok certctl list --json
json_check '[r["name"] for r in d] == ["web"] and d[0]["status"] == "active"'
expect_ok certctl issue web
expect_ok certctl show web --json
json_check 'd["version"] == 2 and len(d["history"]) == 1'
expect_ok certctl export web --dir "$TEST_TMP/out"
openssl x509 -in "$TEST_TMP/out/cert.pem" -noout -checkhost www.web.example.test | grep -q 'does match' ||
  fail "the exported certificate does not match its name"
pass
expect_ok certctl revoke web --yes --reason superseded
expect_ok certctl audit verify --json
json_check 'd["intact"] is True and d["keyed"] >= 5'
# The database holds ciphertext only: no private key in the clear anywhere in the schema.
pg_query "SELECT encode(data, 'escape') FROM certctl.kv" >"$TEST_TMP/kv.txt"
grep -q 'PRIVATE KEY' "$TEST_TMP/kv.txt" && fail "a private key is stored in the clear in the database"
grep -q 'certs/web/v1/key.enc' < <(pg_query "SELECT key FROM certctl.kv") || fail "no sealed key in the kv table"
pass
# Each audit line names the host.
expect_ok env CERTCTL_HOST=auditor "$CERTCTL_BIN" create other --domain other.example.test
pg_query "SELECT encode(line, 'escape') FROM certctl.logs WHERE log = 'audit.log' ORDER BY seq DESC LIMIT 1" |
  grep -q '"host":"auditor"' || fail "the audit line does not name the host"
pass

step "vault copy: PostgreSQL to a directory and back into another schema; every field equal, every key opens"
issue_record copyme copyme.example.test
expect_ok certctl vault copy --to "$TEST_TMP/copy-dir"
assert_mode "$TEST_TMP/copy-dir" 700
expect_ok certctl vault copy --vault "$TEST_TMP/copy-dir" --to "$PG_URL" --to-schema roundtrip
expect_exit 9 certctl vault copy --to "$TEST_TMP/copy-dir"
assert_contains "$ERR" "holds a vault already"
# One clock for every reading, so the days remaining agree.
export CERTCTL_NOW=$(date +%s)
for v in "$PG_URL" "$TEST_TMP/copy-dir" "$PG_URL roundtrip"; do
  url=${v% roundtrip} schema=certctl
  [[ $v == *" roundtrip" ]] && schema=roundtrip
  tag=$(printf '%s' "$v" | tr -c 'a-zA-Z0-9' '_')
  expect_ok certctl --vault "$url" --vault-schema "$schema" list --json
  printf '%s\n' "$OUT" >"$TEST_TMP/list.$tag"
  for n in web other copyme; do
    expect_ok certctl --vault "$url" --vault-schema "$schema" show "$n" --json
    printf '%s\n' "$OUT" >"$TEST_TMP/show.$n.$tag"
  done
  rm -rf "$TEST_TMP/exp.$tag"
  expect_ok certctl --vault "$url" --vault-schema "$schema" export copyme --dir "$TEST_TMP/exp.$tag"
  [[ $(openssl pkey -in "$TEST_TMP/exp.$tag/key.pem" -pubout) == $(openssl x509 -in "$TEST_TMP/exp.$tag/cert.pem" -noout -pubkey) ]] ||
    fail "the key exported from $v does not match its certificate"
  pass
  expect_ok certctl --vault "$url" --vault-schema "$schema" audit verify --json
  json_check 'd["intact"] is True'
done
first=$(printf '%s' "$PG_URL" | tr -c 'a-zA-Z0-9' '_')
for v in "$TEST_TMP/copy-dir" "$PG_URL roundtrip"; do
  tag=$(printf '%s' "$v" | tr -c 'a-zA-Z0-9' '_')
  cmp -s "$TEST_TMP/list.$first" "$TEST_TMP/list.$tag" ||
    fail "list --json differs in the copy $v: $(diff "$TEST_TMP/list.$first" "$TEST_TMP/list.$tag" | head -20)"
  for n in web other copyme; do
    cmp -s "$TEST_TMP/show.$n.$first" "$TEST_TMP/show.$n.$tag" || fail "show $n --json differs in the copy $v"
  done
  pass
done
unset CERTCTL_NOW

step "bad databases: each a one-line error naming it, exit 5, nothing written"
CLOSED=$(free_ports 1)
expect_exit 5 env CERTCTL_VAULT="postgresql://postgres@127.0.0.1:$CLOSED/postgres" "$CERTCTL_BIN" list
assert_one_line_error
assert_contains "$ERR" "cannot connect"
expect_exit 5 certctl list --vault-schema nothere
assert_contains "$ERR" "is not a certctl vault"
pg_psql "CREATE ROLE fleet LOGIN PASSWORD 'right-password-7'" "GRANT ALL ON SCHEMA certctl TO fleet" \
  "GRANT ALL ON ALL TABLES IN SCHEMA certctl TO fleet" "GRANT ALL ON ALL SEQUENCES IN SCHEMA certctl TO fleet"
FLEET_URL="postgresql://fleet@127.0.0.1:$PG_PORT/postgres"
expect_exit 5 env CERTCTL_VAULT="$FLEET_URL" PGPASSWORD=wrong-password-3 "$CERTCTL_BIN" list
assert_one_line_error
assert_not_contains "$ERR" "wrong-password-3"
expect_ok env CERTCTL_VAULT="$FLEET_URL" PGPASSWORD=right-password-7 "$CERTCTL_BIN" list
(umask 077 && printf '127.0.0.1:%s:postgres:fleet:right-password-7\n' "$PG_PORT" >"$TEST_TMP/pgpass")
expect_ok env CERTCTL_VAULT="$FLEET_URL" PGPASSFILE="$TEST_TMP/pgpass" "$CERTCTL_BIN" list
expect_ok env CERTCTL_VAULT="$PG_URL?sslmode=verify-full&sslrootcert=$PG_CA" "$CERTCTL_BIN" list
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -keyout "$TEST_TMP/other.key" -out "$TEST_TMP/other-ca.crt" 2>/dev/null || fail "openssl req"
expect_exit 5 env CERTCTL_VAULT="$PG_URL?sslmode=verify-full&sslrootcert=$TEST_TMP/other-ca.crt" "$CERTCTL_BIN" list
assert_one_line_error
# A vault written by a newer certctl: refused before anything is written.
expect_ok certctl init --scrypt-n 1024 --vault-schema newer
pg_psql "UPDATE newer.schema_version SET version = 99"
rows=$(pg_query "SELECT count(*) FROM newer.kv")
expect_exit 5 certctl create x --domain x.example.test --vault-schema newer
assert_contains "$ERR" "newer certctl"
assert_eq "$(pg_query "SELECT count(*) FROM newer.kv")" "$rows" "rows after the refused command"

step "four hosts renew at once: every due certificate exactly once, the work split"
export PEBBLE_AUTHZREUSE=0
# Every newOrder request pebble logs is then an order (a rejected nonce would repeat one).
export PEBBLE_WFE_NONCEREJECT=0
pebble_start
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE"
expect_ok certctl account register --ca pebble --email fleet@example.com --agree-tos
write_dns_hook "$TEST_TMP/real-hook.sh" "$TEST_TMP/hook.log"
# The hook every record keeps: the real one, except that while $TEST_TMP/slow exists a
# present for f1 or f2 hangs (its PID noted) until killed.
cat >"$TEST_TMP/hook.sh" <<EOF
#!/bin/sh
if [ -e '$TEST_TMP/slow' ] && [ "\$1" = present ]; then
  case "\$2" in *f1.fleet.example.test*|*f2.fleet.example.test*) echo \$\$ >>'$TEST_TMP/slow.pids'; exec sleep 60 ;; esac
fi
if [ -e '$TEST_TMP/pause' ] && [ "\$1" = present ]; then
  case "\$2" in *f5.fleet.example.test*) touch '$TEST_TMP/paused'; sleep 4 ;; esac
fi
exec '$TEST_TMP/real-hook.sh' "\$@"
EOF
chmod 755 "$TEST_TMP/hook.sh"
N=100
names=()
for i in $(seq 1 $N); do names+=("f$i"); done
for n in "${names[@]}"; do
  expect_ok certctl create "$n" --domain "$n.fleet.example.test" --ca pebble
  expect_ok certctl csr "$n"
done
expect_ok certctl issue "${names[@]}" --parallel 4 --dns "exec:$TEST_TMP/hook.sh"
orders_before=$(grep -c 'POST /order-plz' "$PEBBLE_LOG" || true)
pids=()
for h in 1 2 3 4; do
  CERTCTL_HOST=host$h "$CERTCTL_BIN" renew "${names[@]}" --force --json --parallel 3 \
    >"$TEST_TMP/renew$h.json" 2>"$TEST_TMP/renew$h.err" </dev/null &
  pids+=($!)
done
for h in 1 2 3 4; do
  wait "${pids[$((h - 1))]}" || fail "renewer host$h failed: $(cat "$TEST_TMP/renew$h.err")"
done
pass
"$PYTHON3" - "$TEST_TMP" "$N" <<'EOF' || fail "the renewals were not split exactly once"
import json, sys
tmp, n = sys.argv[1], int(sys.argv[2])
by = {}
hosts = set()
for h in range(1, 5):
    d = json.load(open(f"{tmp}/renew{h}.json"))
    for i in d["items"]:
        if i["outcome"] == "renewed":
            by.setdefault(i["name"], []).append(h)
            hosts.add(h)
dup = {k: v for k, v in by.items() if len(v) > 1}
assert not dup, f"renewed more than once: {dup}"
assert len(by) == n, f"renewed {len(by)} of {n}"
assert len(hosts) >= 2, f"one host did all the work: {hosts}"
print("    renewals per host:", {h: sum(1 for v in by.values() if v[0] == h) for h in sorted(hosts)})
EOF
pass
orders_after=$(grep -c 'POST /order-plz' "$PEBBLE_LOG" || true)
assert_eq "$((orders_after - orders_before))" "$N" "new orders at the CA during the renewals"
expect_ok certctl list --json
json_check "sorted(r['name'] for r in d if r['name'].startswith('f') and r['version'] == 2 and r['status'] == 'active') == sorted('f%d' % i for i in range(1, $N + 1))"
expect_ok certctl orders --json
json_check 'len({o.get("host") for o in d if o["type"] == "renew"} - {None}) >= 2'

step "a renewer killed mid-run: another host renews its claims after the lease TTL, none twice"
# host-slow's orders hang in the hook until it is killed; host-fast finds them claimed, and
# after the TTL renews them.
victims=(f1 f2)
touch "$TEST_TMP/slow"
CERTCTL_HOST=host-slow "$CERTCTL_BIN" renew "${victims[@]}" --force --parallel 2 --lease-ttl 3 \
  >/dev/null 2>"$TEST_TMP/slow.err" </dev/null &
slow=$!
for _ in $(seq 1 100); do [[ $(wc -l 2>/dev/null <"$TEST_TMP/slow.pids" || echo 0) -ge 2 ]] && break; sleep 0.1; done
[[ $(wc -l 2>/dev/null <"$TEST_TMP/slow.pids" || echo 0) -ge 2 ]] || fail "the slow renewer never reached its hook: $(cat "$TEST_TMP/slow.err")"
kill -KILL "$slow"
wait "$slow" 2>/dev/null || true
while read -r p; do kill -KILL "$p" 2>/dev/null || true; done <"$TEST_TMP/slow.pids"
rm "$TEST_TMP/slow"
expect_ok env CERTCTL_HOST=host-fast "$CERTCTL_BIN" renew "${victims[@]}" --force --json
json_check '[(i["name"], i["outcome"]) for i in d["items"]] == [("f1", "skipped"), ("f2", "skipped")]'
assert_contains "$ERR" "claimed by another host"
sleep 3.5
expect_ok env CERTCTL_HOST=host-fast "$CERTCTL_BIN" renew "${victims[@]}" --force --json
json_check '[(i["name"], i["outcome"]) for i in d["items"]] == [("f1", "renewed"), ("f2", "renewed")]'
for n in "${victims[@]}"; do
  expect_ok certctl show "$n" --json
  json_check 'd["version"] == 3 and len(d["history"]) == 2'
done

step "the database stopped mid-run: exit 5 naming it, nothing lost; after a restart the run completes"
expect_ok certctl show f5 --json
v5=$(json_get 'd["version"]')
touch "$TEST_TMP/pause"
# Its claim stays in the database until its TTL (it cannot release it there): 3 s here.
CERTCTL_HOST=host-cut "$CERTCTL_BIN" renew f5 --force --lease-ttl 3 >/dev/null 2>"$TEST_TMP/cut.err" </dev/null &
cut=$!
for _ in $(seq 1 100); do [[ -e $TEST_TMP/paused ]] && break; sleep 0.05; done
[[ -e $TEST_TMP/paused ]] || fail "the renewal never reached its hook: $(cat "$TEST_TMP/cut.err")"
pg_down
rc=0
wait "$cut" || rc=$?
rm "$TEST_TMP/pause"
assert_eq "$rc" "5" "exit status of a renew whose database went away mid-run"
grep -q "postgresql database postgres" "$TEST_TMP/cut.err" || fail "the error does not name the database: $(cat "$TEST_TMP/cut.err")"
grep -q "Traceback\|terminate called\|Aborted" "$TEST_TMP/cut.err" && fail "a crash: $(cat "$TEST_TMP/cut.err")"
pass
pg_up
expect_ok certctl show f5 --json
json_check "d['version'] == $v5"
sleep 3
expect_ok certctl renew f5 --force --json
json_check '[(i["name"], i["outcome"]) for i in d["items"]] == [("f5", "renewed")]'

step "the database stopped: one line naming it, exit 5, nothing lost; after a restart the run completes"
expect_ok certctl show f3 --json
v3=$(json_get 'd["version"]')
pg_down
expect_exit 5 certctl renew f3 --force
assert_one_line_error
assert_contains "$ERR" "postgresql database postgres"
pg_up
expect_ok certctl show f3 --json
json_check "d['version'] == $v3"
expect_ok certctl renew f3 --force --json
json_check '[(i["name"], i["outcome"]) for i in d["items"]] == [("f3", "renewed")]'
