#!/usr/bin/env bash
# dns-01 benchmark: one certificate for 3 names, each `_acme-challenge` a CNAME into a tech zone,
# records written with RFC 2136 + TSIG into BIND9 on loopback, pebble's VA resolving through
# that BIND (recursion on). certctl (`issue --dns` with a stored rfc2136 provider) side by side
# with lego (Debian package, `--dns rfc2136`, same server and key) in the same run.
# Prints median wall time (3 runs), peak RSS and the ratio certctl/lego.
# The figure to beat (../shared/TESTING.md, this machine): lego 27 s for this work.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh --test
source bench/lib.sh
bench_need lego time
bench_certctl
source tests/integration/dns_servers.sh
BIND_RECURSION=1 bind_start
PEBBLE_DNS_SERVER=$BIND_SERVER pebble_start

runs=${RUNS:-3}
export CERTCTL_VAULT=$TEST_TMP/vault CERTCTL_PASSPHRASE=bench NO_COLOR=1 BIND_SECRET=$BIND_KEY_SECRET
certctl init --scrypt-n 16384 -q
certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" -q
certctl account register --ca pebble --email bench@example.com --agree-tos -q
certctl dns add tech --provider rfc2136 --server "$BIND_SERVER" --key-name "$BIND_KEY_NAME" \
  --tsig-secret-env BIND_SECRET --tech-zone tech.test -q

# The delegations, made once for every name either client will use.
cmds=()
for tool in certctl lego; do
  for ((run = 0; run <= runs; run++)); do
    for n in a b c; do
      name=$n$run-$tool.example.test
      cmds+=("update add _acme-challenge.$name. 60 CNAME ${name//./-}.tech.test.")
    done
  done
done
dns_nsupdate "$BIND_SERVER" "$BIND_KEY_FILE" "${cmds[@]}"

lego_path=$TEST_TMP/lego
export LEGO_CA_CERTIFICATES=$PEBBLE_CA_BUNDLE RFC2136_NAMESERVER=$BIND_SERVER \
  RFC2136_TSIG_KEY=$BIND_KEY_NAME RFC2136_TSIG_SECRET=$BIND_KEY_SECRET RFC2136_TSIG_ALGORITHM=hmac-sha256. \
  RFC2136_PROPAGATION_TIMEOUT=120 RFC2136_TTL=60
lego_base=(lego --server "$PEBBLE_DIR_URL" --email bench@example.com --accept-tos --path "$lego_path"
  --dns rfc2136 --dns.resolvers "$BIND_SERVER" --dns.disable-cp --key-type ec256)
# --dns.disable-cp: lego would resolve the zone's NS host names through the system resolver (not
# loopback) and ask them on port 53; certctl checks propagation at --dns-resolver instead.
"${lego_base[@]}" --domains a0-lego.example.test run >/dev/null 2>&1 || {
  echo "lego could not issue the warm-up certificate: $("${lego_base[@]}" --domains a0-lego.example.test run 2>&1 | tail -n 3)" >&2
  exit 1
}
certctl -q --dns-resolver "$BIND_SERVER" issue warm --domain a0-certctl.example.test --ca pebble --dns tech

measure() { python3 "$bench_dir/measure.py" --machine "$@"; }
declare -A wall rss
record() { read -r label w r; wall[$label]=$w; rss[$label]=$r; }
record < <(measure certctl "$runs" -- "$CERTCTL_BIN" -q --dns-resolver "$BIND_SERVER" issue "three-{run}" \
  --domain "a{run}-certctl.example.test" --san "b{run}-certctl.example.test" --san "c{run}-certctl.example.test" \
  --ca pebble --dns tech)
record < <(measure lego "$runs" -- "${lego_base[@]}" --domains "a{run}-lego.example.test" \
  --domains "b{run}-lego.example.test" --domains "c{run}-lego.example.test" run)

printf '\ndns-01 via RFC 2136 into BIND9, 3 names each CNAMEd into a tech zone, pebble (PEBBLE_VA_NOSLEEP=1)\n'
printf 'median of %s runs, %s cores\n' "$runs" "$(nproc)"
printf '%-36s %12s %10s %12s %10s %10s\n' work "certctl s" "MiB" "lego s" "MiB" "ratio"
printf '%-36s %12.3f %10.1f %12.3f %10.1f %10.4f\n' "3 names, dns-01, tech-zone CNAMEs" "${wall[certctl]}" \
  "${rss[certctl]}" "${wall[lego]}" "${rss[lego]}" "$(python3 -c "print(${wall[certctl]} / ${wall[lego]})")"
echo "(ratio = certctl time / lego time; below 1 means certctl is faster)"
echo "(lego runs with --dns.disable-cp and polls its resolver; certctl asks the server directly)"
CHECKS=1
