#!/usr/bin/env bash
# HTML report benchmark (issue 15): `certctl report --html` on vaults of 1,000 and 10,000 real
# certificates (local CA, bench/make_vault.cpp): wall time and peak RSS of writing the page, its
# size, and how long headless Chromium takes to load it from a file URL, run its script and
# paint the first frame (the page's own performance.now(), ms since navigation start).
# Targets: 10,000 records render in under a second; the page stays under 5 MB.
# certbot, lego and acme.sh have no report to compare with.
# usage: bash bench/report_bench.sh [SIZES...]     (default: 1000 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bash tests/deps.sh
bench_need chromium
bash tests/build.sh --target certctl --target certctl_bench_vault >/dev/null

if [ $# -gt 0 ]; then sizes=("$@"); else sizes=(1000 10000); fi
certctl=$PWD/build/certctl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CERTCTL_PASSPHRASE=bench-passphrase NO_COLOR=1

# Chromium, kept off the network: every request goes to a closed loopback port.
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# chromium_ms PAGE: "SCRIPT_DONE/FIRST_FRAME" in ms, from a copy of the page whose script also
# notes the time of the first animation frame.
chromium_ms() {
  python3 -c '
import sys
page = open(sys.argv[1]).read()
end = "})();\n</script>"
hook = "requestAnimationFrame(function () { document.body.setAttribute(\"data-frame-ms\", String(Math.round(performance.now()))); });\n"
assert page.count(end) == 1
open(sys.argv[2], "w").write(page.replace(end, hook + end))' "$1" "$1.timed.html"
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --user-data-dir="$work/profile" --proxy-server="http://127.0.0.1:$closed" \
    --proxy-bypass-list="<-loopback>" --virtual-time-budget=5000 --dump-dom "file://$1.timed.html" 2>/dev/null |
    python3 -c '
import re, sys
dom = sys.stdin.read()
get = lambda k: re.search(k + r"=\"(\d+)\"", dom).group(1)
print(get("data-ready-ms") + "/" + get("data-frame-ms"))'
}

echo "certctl report benchmark on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
for n in "${sizes[@]}"; do
  vault=$work/vault-$n
  ./build/certctl_bench_vault "$vault" "$n"
  echo "--- $n records"
  python3 bench/measure.py "report --html ($n)" 5 -- "$certctl" --vault "$vault" -q report --html "$work/report-$n.html"
  size=$(stat -c %s "$work/report-$n.html")
  echo "page size ($n): $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.2f", s / 1048576 }') MiB)"
  runs=()
  for _ in 1 2 3 4 5; do runs+=("$(chromium_ms "$work/report-$n.html")"); done
  median=$(printf '%s\n' "${runs[@]}" | sort -t/ -k2 -n | sed -n 3p)
  echo "chromium ($n): script done / first frame, ms since navigation: median ${median} (runs: ${runs[*]})"
done
