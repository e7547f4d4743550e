#!/usr/bin/env bash
# Migration benchmark (issue 12): a certbot store and a lego store of N certificates each, made
# by the real clients against pebble, each migrated by one `certctl migrate` (one process, one
# unlock) into a vault of its own; then a forced renewal of every migrated record through pebble
# on the migrated ACME account (`renew --force`, one run per vault). Printed: the time the
# clients took to issue the stores, the time and peak memory of each migration, the records it
# made (managed/imported), and how many renewals succeeded and in what time.
# usage: bash bench/migrate_bench.sh [N]     (default: 200)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh --test
source bench/lib.sh
bench_need certbot lego
bench_certctl
PEBBLE_WFE_NONCEREJECT=0 pebble_start
n=${1:-200}
export CERTCTL_PASSPHRASE=bench NO_COLOR=1
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }
count() { python3 -c "import json,sys; d=json.load(sys.stdin); print(sum(1 for x in d $1))"; }

echo "certctl migration benchmark, $n certificates per store, on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"

CB=$TEST_TMP/certbot
start=$(now)
for i in $(seq -f '%04g' 1 "$n"); do
  REQUESTS_CA_BUNDLE=$PEBBLE_CA_BUNDLE certbot --config-dir "$CB/config" --work-dir "$CB/work" --logs-dir "$CB/logs" \
    certonly -n --agree-tos -m ops@example.test --server "$PEBBLE_DIR_URL" --standalone \
    --http-01-address 127.0.0.1 --http-01-port "$PEBBLE_HTTP_PORT" -d "cb-$i.example.test" >>"$TEST_TMP/certbot.log" 2>&1 ||
    { echo "certbot failed: $(tail -3 "$TEST_TMP/certbot.log")" >&2; exit 1; }
done
printf '%-46s %8s s\n' "certbot: $n certificates issued" "$(since "$start")"

LG=$TEST_TMP/lego
start=$(now)
for i in $(seq -f '%04g' 1 "$n"); do
  LEGO_CA_CERTIFICATES=$PEBBLE_CA_BUNDLE lego --server "$PEBBLE_DIR_URL" --email lego@example.test --accept-tos \
    --path "$LG" --http --http.port "127.0.0.1:$PEBBLE_HTTP_PORT" -d "lg-$i.example.test" run >>"$TEST_TMP/lego.log" 2>&1 ||
    { echo "lego failed: $(tail -3 "$TEST_TMP/lego.log")" >&2; exit 1; }
done
printf '%-46s %8s s\n' "lego: $n certificates issued" "$(since "$start")"

# migrate_one NAME ARGS...: one migration into a vault of its own, measured; then every record renewed.
migrate_one() {
  local name=$1
  shift
  export CERTCTL_VAULT=$TEST_TMP/vault-$name
  certctl init --scrypt-n 16384 -q
  read -r _ secs mib < <(python3 bench/measure.py --machine "migrate-$name" 1 -- "$CERTCTL_BIN" -q migrate "$name" "$@")
  local list managed imported
  list=$(certctl list --json)
  managed=$(count 'if x["source"] == "managed"' <<<"$list")
  imported=$(count 'if x["source"] == "imported"' <<<"$list")
  printf '%-46s %8.2f s  %6.1f MiB peak  %d managed, %d imported\n' "certctl migrate $name ($n certificates)" \
    "$secs" "$mib" "$managed" "$imported"
  local started renewed
  started=$(now)
  certctl renew --force --parallel 8 --json >"$TEST_TMP/renew-$name.json" 2>"$TEST_TMP/renew-$name.err" || true
  renewed=$(python3 -c 'import json,sys; print(sum(1 for i in json.load(open(sys.argv[1]))["items"] if i["outcome"] == "renewed"))' \
    "$TEST_TMP/renew-$name.json")
  printf '%-46s %8s s  %d of %d renewed\n' "renew --force of the migrated $name records" "$(since "$started")" "$renewed" "$n"
}
migrate_one certbot "$CB/config" --ca-bundle "$PEBBLE_CA_BUNDLE"
migrate_one lego --path "$LG" --server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" --challenge http-01 \
  --http-address 127.0.0.1 --http-port "$PEBBLE_HTTP_PORT"
