#!/usr/bin/env bash
# Cron-path benchmark: `certctl renew` with nothing due and `certctl check` over vaults of
# 1,000 and 10,000 certificates, side by side with `certbot renew` and `certbot certificates`
# over the same number of lineages (Debian package certbot), with wall time, peak RSS and the
# ratio certctl/certbot.
# Target (issue 5): at least 20x faster than certbot at 1,000, cost growing no worse than
# linearly. Target (issue 13): a no-op `renew` over 10,000 records <= 0.2 s and <= 25 MiB (records
# are walked one at a time, and only those the run may act on are kept).
# usage: bash bench/renew_bench.sh [SIZES...]   (default: 1000 10000; RUNS=3)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh
source bench/lib.sh
bench_need certbot openssl
bash tests/build.sh --target certctl --target certctl_bench_vault >/dev/null

if [ $# -gt 0 ]; then sizes=("$@"); else sizes=(1000 10000); fi
runs=${RUNS:-3}
certctl=$PWD/build/certctl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CERTCTL_PASSPHRASE=bench-passphrase NO_COLOR=1

# certbot lineages: the layout certbot itself writes (renewal/*.conf, archive/, live/ links),
# each holding a 90-day certificate, so `certbot renew` finds nothing due.
make_certbot_lineages() {
  local dir=$1 n=$2 i name
  mkdir -p "$dir/config/renewal" "$dir/config/archive" "$dir/config/live" "$dir/work" "$dir/logs"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/key.pem" \
    -out "$dir/cert.pem" -days 90 -subj "/CN=bench.example" 2>/dev/null
  for ((i = 0; i < n; i++)); do
    name=site-$i.bench.example
    mkdir -p "$dir/config/archive/$name" "$dir/config/live/$name"
    cp "$dir/cert.pem" "$dir/config/archive/$name/cert1.pem"
    cp "$dir/cert.pem" "$dir/config/archive/$name/chain1.pem"
    cat "$dir/cert.pem" "$dir/cert.pem" >"$dir/config/archive/$name/fullchain1.pem"
    cp "$dir/key.pem" "$dir/config/archive/$name/privkey1.pem"
    for f in cert chain fullchain privkey; do ln -s "../../archive/$name/${f}1.pem" "$dir/config/live/$name/$f.pem"; done
    cat >"$dir/config/renewal/$name.conf" <<CONF
version = 2.1.0
archive_dir = $dir/config/archive/$name
cert = $dir/config/live/$name/cert.pem
privkey = $dir/config/live/$name/privkey.pem
chain = $dir/config/live/$name/chain.pem
fullchain = $dir/config/live/$name/fullchain.pem

[renewalparams]
authenticator = standalone
server = https://127.0.0.1:1/dir
key_type = ecdsa
CONF
  done
}

measure() { python3 bench/measure.py --machine "$@"; }
declare -A wall rss
record() { read -r label w r; wall[$label]=$w; rss[$label]=$r; }

for n in "${sizes[@]}"; do
  vault=$work/vault-$n
  ./build/certctl_bench_vault "$vault" "$n" 2>/dev/null
  "$certctl" --vault "$vault" -q renew >/dev/null   # issues the records the generator left pending
  "$certctl" --vault "$vault" list >/dev/null       # warms the record cache, as any earlier run would
  make_certbot_lineages "$work/certbot-$n" "$n"
  cb=(certbot --config-dir "$work/certbot-$n/config" --work-dir "$work/certbot-$n/work"
    --logs-dir "$work/certbot-$n/logs" --non-interactive)
  record < <(measure "c-renew-$n" "$runs" -- "$certctl" --vault "$vault" renew)
  record < <(measure "c-check-$n" "$runs" -- "$certctl" --vault "$vault" check)
  record < <(measure "c-list-$n" "$runs" -- "$certctl" --vault "$vault" list)
  record < <(measure "b-renew-$n" "$runs" -- "${cb[@]}" renew)
  record < <(measure "b-certs-$n" "$runs" -- "${cb[@]}" certificates)
  rm -rf "$work/certbot-$n" "$vault"
done

printf '\ncron path: nothing due (median of %s runs, %s cores)\n' "$runs" "$(nproc)"
printf '%-34s %10s %9s %10s %9s %9s\n' work "certctl s" "MiB" "certbot s" "MiB" "speed-up"
row() {
  printf '%-34s %10.3f %9.1f %10.3f %9.1f %8.1fx\n' "$1" "${wall[$2]}" "${rss[$2]}" "${wall[$3]}" "${rss[$3]}" \
    "$(python3 -c "print(${wall[$3]} / ${wall[$2]})")"
}
for n in "${sizes[@]}"; do
  row "renew, $n certificates" "c-renew-$n" "b-renew-$n"
  row "check vs certbot certificates, $n" "c-check-$n" "b-certs-$n"
  row "list vs certbot certificates, $n" "c-list-$n" "b-certs-$n"
done
echo "(speed-up = certbot time / certctl time)"
