#!/usr/bin/env bash
# Vault scale benchmark: build vaults of 1,000 and 10,000 real certificates (local CA), then
# time `list`, `list --json` and `show` on each and print wall time and peak RSS.
# Target (issue 2): `list` of 10,000 records well under a second, memory that does not
# balloon with the vault. Target (issue 13): `list --json` of 10,000 records <= 0.3 s and
# <= 25 MiB (streamed: one record and one JSON object at a time).
# usage: bash bench/vault_bench.sh [SIZES...]     (default: 1000 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh
bash tests/build.sh --target certctl --target certctl_bench_vault >/dev/null

if [ $# -gt 0 ]; then sizes=("$@"); else sizes=(1000 10000); fi
certctl=$PWD/build/certctl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CERTCTL_PASSPHRASE=bench-passphrase NO_COLOR=1

echo "certctl vault benchmark on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
for n in "${sizes[@]}"; do
  vault=$work/vault-$n
  ./build/certctl_bench_vault "$vault" "$n"
  du=$(du -sh "$vault" | cut -f1)
  echo "--- $n records ($du on disk)"
  python3 bench/measure.py "list ($n)" 5 -- "$certctl" --vault "$vault" list
  python3 bench/measure.py "list --json ($n)" 5 -- "$certctl" --vault "$vault" list --json
  python3 bench/measure.py "list --status active --expiring-within 30 ($n)" 5 -- \
    "$certctl" --vault "$vault" list --status active --expiring-within 30
  python3 bench/measure.py "show site-00001 ($n)" 5 -- "$certctl" --vault "$vault" show site-00001
  python3 bench/measure.py "show site-00001 --json ($n)" 5 -- "$certctl" --vault "$vault" show site-00001 --json
done
