#!/usr/bin/env bash
# Fleet benchmark (issue 11): the PostgreSQL vault side by side with the file vault, measured in
# the same run.
#   1. `list`, `list --json` and a no-op `renew` over N records (default 10,000), each vault
#      holding the same records (the PostgreSQL one is a `vault copy` of the file one).
#      Targets: PostgreSQL within 3x of the file vault; no-op renew of 10,000 under 1 s.
#   2. Renewal of M due certificates (default 500) from pebble on one PostgreSQL vault by 1, 2
#      and 4 renewer processes at once (each with its own CERTCTL_HOST), dns-01 through pebble's
#      challenge test server. Target: 4 renewers at least 2.5x the throughput of one.
#   3. An agent service (`certctl agent`, no passphrase) and AGENT_ROUNDS (default 20) new
#      versions committed one after another: the time from each committing command's return
#      to the new files on the host (an upper bound less the command's own exit).
#      Target: within 2 s.
# PostgreSQL (tests/support/pg.sh) and pebble (tests/integration/pebble.sh) run on loopback and
# are stopped by PID at the end.
# usage: bash bench/fleet_bench.sh [RECORDS [DUE]]    (RUNS=5 for part 1)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash tests/deps.sh --test
bash tests/build.sh --target certctl --target certctl_bench_vault >/dev/null

records=${1:-10000}
due=${2:-500}
runs=${RUNS:-5}
export CERTCTL_BIN=$root/build/certctl
# The test helpers give a private temp dir, PostgreSQL, pebble and clean-up on exit.
source tests/integration/lib.sh
source tests/support/pg.sh
source tests/integration/pebble.sh
export CERTCTL_PASSPHRASE=bench-passphrase NO_COLOR=1
measure() { python3 "$root/bench/measure.py" --machine "$@"; }

echo "certctl fleet benchmark on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
pg_start

echo "--- 1. $records records: file vault vs PostgreSQL vault (median of $runs runs)"
file_vault=$TEST_TMP/file-vault
"$root/build/certctl_bench_vault" "$file_vault" "$records"
"$CERTCTL_BIN" --vault "$file_vault" vault copy --to "$PG_URL" --to-schema bench >/dev/null 2>&1 ||
  fail "vault copy to PostgreSQL failed"
# The bench vault leaves one record in 50 pending: a first renew issues those, so the runs
# measured after it have nothing due.
"$CERTCTL_BIN" --vault "$file_vault" renew >/dev/null 2>&1 || fail "warm-up renew (file) failed"
"$CERTCTL_BIN" --vault "$PG_URL" --vault-schema bench renew >/dev/null 2>&1 || fail "warm-up renew (pg) failed"
printf '%-34s %10s %10s %10s %10s %8s\n' "work" "file s" "file MiB" "pg s" "pg MiB" "pg/file"
for work in "list" "list --json" "renew"; do
  # shellcheck disable=SC2086
  read -r _ fs fm < <(measure "file" "$runs" -- "$CERTCTL_BIN" --vault "$file_vault" $work 2>>"$TEST_TMP/measure.err")
  # shellcheck disable=SC2086
  read -r _ ps pm < <(measure "pg" "$runs" -- "$CERTCTL_BIN" --vault "$PG_URL" --vault-schema bench $work 2>>"$TEST_TMP/measure.err")
  printf '%-34s %10s %10s %10s %10s %8s\n' "$work ($records)" "$fs" "$fm" "$ps" "$pm" \
    "$(python3 -c "print(f'{$ps / max($fs, 1e-9):.2f}x')")"
done

echo "--- 2. $due due certificates from pebble: 1, 2 and 4 renewers on one PostgreSQL vault"
export PEBBLE_WFE_NONCEREJECT=0
pebble_start
export CERTCTL_VAULT=$PG_URL CERTCTL_VAULT_SCHEMA=fleet
"$CERTCTL_BIN" init --scrypt-n 1024 >/dev/null 2>&1 || fail "init on PostgreSQL failed"
"$CERTCTL_BIN" ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" >/dev/null 2>&1
"$CERTCTL_BIN" account register --ca pebble --email bench@example.com --agree-tos >/dev/null 2>&1
write_dns_hook "$TEST_TMP/hook.sh" "$TEST_TMP/hook.log"
names=()
for ((i = 0; i < due; i++)); do
  n=$(printf 'r%04d' "$i")
  names+=("$n")
  "$CERTCTL_BIN" create "$n" --domain "$n.fleet.bench.example" --ca pebble >/dev/null 2>&1
  "$CERTCTL_BIN" csr "$n" >/dev/null 2>&1
done
"$CERTCTL_BIN" issue "${names[@]}" --parallel 8 --dns "exec:$TEST_TMP/hook.sh" >/dev/null 2>&1 ||
  fail "the first issuance of $due certificates failed"
printf '%-12s %10s %14s %10s\n' "renewers" "wall s" "certs/s" "vs 1"
base=""
for k in 1 2 4; do
  start=$(date +%s.%N)
  pids=()
  for ((h = 1; h <= k; h++)); do
    CERTCTL_HOST=bench$h "$CERTCTL_BIN" renew --force --parallel 4 --json >"$TEST_TMP/r$k.$h.json" 2>/dev/null </dev/null &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || fail "a renewer failed ($k renewers)"; done
  end=$(date +%s.%N)
  renewed=$(python3 - "$TEST_TMP" "$k" <<'EOF'
import json, sys
tmp, k = sys.argv[1], int(sys.argv[2])
names = []
for h in range(1, k + 1):
    names += [i["name"] for i in json.load(open(f"{tmp}/r{k}.{h}.json"))["items"] if i["outcome"] == "renewed"]
assert len(names) == len(set(names)), "a certificate was renewed twice"
print(len(names))
EOF
)
  [[ $renewed == "$due" ]] || fail "$k renewers renewed $renewed of $due"
  read -r wall rate < <(python3 -c "w = $end - $start; print(f'{w:.2f} {$due / w:.1f}')")
  [[ -n $base ]] || base=$rate
  printf '%-12s %10s %14s %10s\n' "$k" "$wall" "$rate" "$(python3 -c "print(f'{$rate / $base:.2f}x')")"
done

echo "--- 3. agent latency: from a commit to the new version deployed on the host (target: 2 s)"
export CERTCTL_VAULT_SCHEMA=agent
"$CERTCTL_BIN" init --scrypt-n 1024 >/dev/null 2>&1 || fail "init on PostgreSQL failed"
"$CERTCTL_BIN" ca local init >/dev/null 2>&1
"$CERTCTL_BIN" agent enroll --key-file "$TEST_TMP/agent/host.key" >"$TEST_TMP/agent.pub" 2>/dev/null
"$CERTCTL_BIN" host add bench-web --public-key "$TEST_TMP/agent.pub" >/dev/null 2>&1
"$CERTCTL_BIN" deploy add web --hosts bench-web --fullchain "$TEST_TMP/deployed/{name}.crt" \
  --key "$TEST_TMP/deployed/{name}.key" >/dev/null 2>&1
"$CERTCTL_BIN" create site --domain site.bench.example --key-policy hybrid >/dev/null 2>&1
"$CERTCTL_BIN" csr site >/dev/null 2>&1
"$CERTCTL_BIN" issue site >/dev/null 2>&1 || fail "the agent bench's first issue failed"
env -u CERTCTL_PASSPHRASE CERTCTL_HOST=bench-web "$CERTCTL_BIN" agent --key-file "$TEST_TMP/agent/host.key" \
  --interval 3600 >"$TEST_TMP/agent.log" 2>&1 </dev/null &
BACKGROUND_PIDS+=("$!")
python3 - "$CERTCTL_BIN" "$TEST_TMP/deployed/site.crt" "${AGENT_ROUNDS:-20}" <<'EOF'
import statistics, subprocess, sys, time
certctl, path, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
def content():
    try:
        return open(path, "rb").read()
    except OSError:
        return b""
deadline = time.monotonic() + 30
while not content() and time.monotonic() < deadline:
    time.sleep(0.01)
if not content():
    sys.exit("the agent never deployed the first version")
lat = []
for _ in range(rounds):
    before = content()
    subprocess.run([certctl, "issue", "site"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    committed = time.monotonic()  # issue returns after its commit
    while content() == before:
        if time.monotonic() - committed > 30:
            sys.exit("the agent did not deploy a new version within 30 s")
        time.sleep(0.002)
    lat.append(time.monotonic() - committed)
print(f"{'rounds':<10} {'min ms':>10} {'median ms':>10} {'max ms':>10} {'target ms':>10}")
print(f"{rounds:<10} {min(lat) * 1000:>10.1f} {statistics.median(lat) * 1000:>10.1f} {max(lat) * 1000:>10.1f} {2000:>10}")
EOF
