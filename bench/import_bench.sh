#!/usr/bin/env bash
# Bulk import benchmark (issue 12): N certificates with their keys (made with openssl, each its
# own EC key) imported into a new vault by one `certctl import --dir` (one process, one unlock),
# against one `certctl import` process per certificate (measured on a sample, per certificate).
# certbot, lego and acme.sh have no import, so the comparison is with certctl's own per-file path.
# Target: 1,000 certificates in under 10 s.
# usage: bash bench/import_bench.sh [N] [SAMPLE]     (default: 1000 50)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh
bash tests/build.sh --target certctl >/dev/null

n=${1:-1000}
sample=${2:-50}
certctl=$PWD/build/certctl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CERTCTL_PASSPHRASE=bench-passphrase NO_COLOR=1

echo "certctl bulk import benchmark on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
mkdir "$work/in"
openssl ecparam -name prime256v1 -out "$work/p256" 2>/dev/null
for i in $(seq -f '%05g' 1 "$n"); do
  openssl req -x509 -newkey "ec:$work/p256" -nodes -keyout "$work/in/site-$i.key" -out "$work/in/site-$i.crt" \
    -subj "/CN=site-$i.example.test" -addext "subjectAltName=DNS:site-$i.example.test,DNS:www.site-$i.example.test" \
    -days 90 2>/dev/null
done
echo "--- $n certificates with keys made"

for r in 0 1 2; do "$certctl" --vault "$work/dir$r" init >/dev/null 2>&1; done
out=$(python3 bench/measure.py --machine "import --dir ($n)" 3 -- "$certctl" -q --vault "$work/dir{run}" import --dir "$work/in")
read -r _ _ _ dir_s dir_mib <<<"$out"
for r in 0 1 2; do
  got=$("$certctl" --vault "$work/dir$r" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
  [ "$got" -eq "$n" ] || { echo "vault dir$r holds $got records, not $n" >&2; exit 1; }
done
printf '%-44s %8.2f s  %6.1f MiB peak  (%.1f ms per certificate)\n' "import --dir, $n certificates" "$dir_s" "$dir_mib" \
  "$(python3 -c "print($dir_s * 1000 / $n)")"

"$certctl" --vault "$work/single" init >/dev/null 2>&1
start=$(date +%s.%N)
for i in $(seq -f '%05g' 1 "$sample"); do
  "$certctl" -q --vault "$work/single" import "site-$i" --cert "$work/in/site-$i.crt" --key "$work/in/site-$i.key"
done
end=$(date +%s.%N)
per=$(python3 -c "print(($end - $start) / $sample)")
printf '%-44s %8.2f s  (%.1f ms per certificate; %d would take %.1f s)\n' "one import process each, $sample certificates" \
  "$(python3 -c "print($end - $start)")" "$(python3 -c "print($per * 1000)")" "$n" "$(python3 -c "print($per * $n)")"
printf 'ratio: one process each / import --dir = %.1fx per certificate\n' "$(python3 -c "print($per * $n / $dir_s)")"
