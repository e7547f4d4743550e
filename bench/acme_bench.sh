#!/usr/bin/env bash
# ACME issuance benchmark against Let's Encrypt's test CA pebble (loopback), side by side with
# lego (Debian package) doing the same work in the same run:
#   - one certificate end to end, ec256 and rsa2048 (http-01, account already registered);
#   - 20 certificates: certctl creates 20 records and issues them in one `issue` run (orders in
#     parallel over one account session per worker); lego runs once per certificate.
# Prints median wall time (3 runs), peak RSS and the ratio certctl/lego.
# Target (issue 3): certctl at most as slow as lego on one certificate, clearly faster on 20.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh --test
source bench/lib.sh
bench_need lego time
bash tests/build.sh --target certctl >/dev/null

export CERTCTL_BIN=$PWD/build/certctl
bench_dir=$PWD/bench
# lib.sh gives a temp dir cleaned on exit and kills background processes; pebble.sh starts
# pebble + challtestsrv on free loopback ports.
source tests/integration/lib.sh
source tests/integration/pebble.sh
pebble_start

runs=${RUNS:-3}
export CERTCTL_VAULT=$TEST_TMP/vault CERTCTL_PASSPHRASE=bench NO_COLOR=1
certctl init --scrypt-n 16384 -q
certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" -q
certctl account register --ca pebble --email bench@example.com --agree-tos -q
lego_path=$TEST_TMP/lego
export LEGO_CA_CERTIFICATES=$PEBBLE_CA_BUNDLE
lego_base=(lego --server "$PEBBLE_DIR_URL" --email bench@example.com --accept-tos --path "$lego_path"
  --http --http.port "127.0.0.1:$PEBBLE_HTTP_PORT")
"${lego_base[@]}" --domains warmup.lego.example.test run >/dev/null 2>&1   # registers lego's account
http=(--http-port "$PEBBLE_HTTP_PORT" --http-address 127.0.0.1)

measure() { python3 "$bench_dir/measure.py" --machine "$@"; }

# One certificate: certctl's one-step form (record, key, CSR, order) vs `lego run`.
one_certctl() { measure "$1" "$runs" -- "$CERTCTL_BIN" -q issue "$2-{run}" --domain "$2-{run}.certctl.example.test" \
  --key-type "$3" --ca pebble "${http[@]}"; }
one_lego() { measure "$1" "$runs" -- "${lego_base[@]}" --key-type "$3" --domains "$2-{run}.lego.example.test" run; }

# Twenty certificates.
cat >"$TEST_TMP/twenty-certctl.sh" <<SCRIPT
set -e
names=""
for i in \$(seq 1 20); do
  n=t\$1-\$i
  "$CERTCTL_BIN" -q create "\$n" --domain "\$n.certctl.example.test" --ca pebble
  "$CERTCTL_BIN" -q csr "\$n"
  names="\$names \$n"
done
"$CERTCTL_BIN" -q issue \$names --parallel 4 --http-port $PEBBLE_HTTP_PORT --http-address 127.0.0.1
SCRIPT
cat >"$TEST_TMP/twenty-lego.sh" <<SCRIPT
set -e
for i in \$(seq 1 20); do
  $(printf '%q ' "${lego_base[@]}") --domains "t\$1-\$i.lego.example.test" run >/dev/null 2>&1
done
SCRIPT

declare -A wall rss
record() { read -r label w r; wall[$label]=$w; rss[$label]=$r; }
record < <(one_certctl c-ec one-ec ec256)
record < <(one_lego l-ec one-ec ec256)
record < <(one_certctl c-rsa one-rsa rsa2048)
record < <(one_lego l-rsa one-rsa rsa2048)
record < <(measure c-20 "$runs" -- bash "$TEST_TMP/twenty-certctl.sh" "{run}")
record < <(measure l-20 "$runs" -- bash "$TEST_TMP/twenty-lego.sh" "{run}")

printf '\nACME issuance against pebble (loopback, http-01, PEBBLE_VA_NOSLEEP=1), median of %s runs, %s cores\n' "$runs" "$(nproc)"
printf '%-28s %12s %10s %12s %10s %10s\n' work "certctl s" "MiB" "lego s" "MiB" "ratio"
row() {
  printf '%-28s %12.3f %10.1f %12.3f %10.1f %10.2f\n' "$1" "${wall[$2]}" "${rss[$2]}" "${wall[$3]}" "${rss[$3]}" \
    "$(python3 -c "print(${wall[$2]} / ${wall[$3]})")"
}
row "one certificate, ec256" c-ec l-ec
row "one certificate, rsa2048" c-rsa l-rsa
row "20 certificates" c-20 l-20
echo "(ratio = certctl time / lego time; below 1 means certctl is faster)"
CHECKS=1
