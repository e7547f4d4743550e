#!/usr/bin/env bash
# report --html: the page certctl writes, loaded in headless Chromium from a file URL. The DOM
# after the page's script ran (--dump-dom) must hold the expected rows and counts, the sorting
# and filtering (driven by the URL's #...) must work, markup in a subject stays text, and the
# page must make no network request (Chromium's traffic goes to a recording proxy on loopback;
# a control page shows the proxy sees what a page fetches). A screenshot is kept as a test
# artefact: <build dir>/test-artifacts/report.png.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pebble.sh"

CHROMIUM=$(command -v chromium || true)
[[ -n $CHROMIUM ]] || fail "chromium is not installed (tests/deps.sh --test installs it)"
ARTIFACTS=$(dirname "$CERTCTL_BIN")/test-artifacts
mkdir -p "$ARTIFACTS"
W=$TEST_TMP/work
mkdir -p "$W"

# The recording proxy: every connection Chromium makes is logged (first request line) and answered 404.
read -r PROXY_PORT < <(free_ports 1)
"$PYTHON3" -S - "$PROXY_PORT" "$W/proxy.log" <<'EOF' &
import socket, sys, threading
port, log = int(sys.argv[1]), sys.argv[2]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(16)
def serve(c):
    with c:
        c.settimeout(5)
        try: first = c.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
        except Exception: first = "(no request line)"
        with open(log, "a") as f: f.write(first + "\n")
        try: c.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        except Exception: pass
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
BACKGROUND_PIDS+=($!)
: >"$W/proxy.log"
for _ in $(seq 50); do (echo >"/dev/tcp/127.0.0.1/$PROXY_PORT") 2>/dev/null && break; sleep 0.1; done

# browse URL ARGS...: headless Chromium on URL, all its traffic (loopback too) through the proxy,
# so nothing it does leaves this machine.
browse() {
  local url=$1
  shift
  timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --disable-sync \
    --disable-background-networking --disable-component-update --disable-default-apps --disable-extensions \
    --disable-client-side-phishing-detection --disable-domain-reliability --no-pings --disable-breakpad \
    --disable-features=NetworkTimeServiceQuerying,OptimizationHints,Translate,MediaRouter,AutofillServerCommunication \
    --user-data-dir="$W/profile" --proxy-server="http://127.0.0.1:$PROXY_PORT" --proxy-bypass-list="<-loopback>" \
    --virtual-time-budget=3000 "$@" "$url" 2>>"$W/chromium.err"
}
# page_requests: the proxy's log without the browser's own background requests (its component
# updater and account service still call home despite the flags above; they reach only the proxy).
page_requests() {
  grep -Ev '^(CONNECT |[A-Z]+ https?://)(accounts\.google\.com|update\.googleapis\.com|clients[0-9]*\.google\.com|redirector\.gvt1\.com)[:/]' \
    "$W/proxy.log" || true
}
# dom URL: the DOM after the scripts ran, in $DOM.
dom() {
  DOM=$(browse "$1" --dump-dom) || fail "chromium --dump-dom $1 failed: $(tail -5 "$W/chromium.err")"
  pass
}
# visible_names: the inventory rows the script did not hide, in page order.
visible_names() {
  python3 -c '
import re, sys
body = sys.stdin.read().split("<table id=" + chr(34) + "certs", 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
for tr in re.findall(r"<tr ([^>]*)><td>([^<]*)</td>", body):
    if "hidden" not in tr[0]: print(tr[1])' <<<"$DOM" | tr '\n' ' '
}

step "a vault with active, expiring, expired, draft, failed records and one with markup in its subject"
new_vault "$TEST_TMP/vault"
NOW=$(date +%s)
expect_ok certctl issue web --domain web.example --san www.web.example --days 80
expect_ok certctl issue soon --domain soon.example --days 12
expect_ok env CERTCTL_NOW=$((NOW - 40 * 86400)) "$CERTCTL_BIN" issue old --domain old.example --days 30
expect_ok certctl create evil --domain evil.example --org '<script>document.title="owned"</script>' \
  --ou '<img src=x onerror=alert(1)>'
pebble_start
expect_ok certctl create waiting --domain waiting.example
expect_ok certctl csr waiting
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE"
expect_ok certctl account register --ca pebble --email ops@example.test --agree-tos
expect_ok certctl create broken --domain broken.example.test --ca pebble
expect_ok certctl csr broken
# Nothing answers http-01 on this port: the order fails, the record is in error.
expect_exit 7 certctl issue broken --http-port "$(free_ports 1)" --http-address 127.0.0.1
expect_ok certctl show broken --json
json_check 'd["status"] == "error" and d["last_error"]'

step "report --html writes one page; bad arguments change nothing"
expect_ok certctl report --html "$W/report.html"
assert_mode "$W/report.html" 644
assert_contains "$ERR" "wrote $W/report.html"
expect_exit 2 certctl report
assert_contains "$ERR" "--html"
expect_exit 2 certctl report --html "$W/x.html" --days 5
[[ ! -e $W/x.html ]] || fail "a refused report wrote its file"
pass
expect_exit 4 certctl report --html "$W/missing/dir/x.html"
assert_contains "$ERR" "$W/missing/dir/x.html"
T=$(date +%s)
expect_ok env CERTCTL_NOW="$T" "$CERTCTL_BIN" report --html -
assert_contains "$OUT" "<!DOCTYPE html>"
printf "%s\n" "$OUT" >"$W/stdout.html"
expect_ok env CERTCTL_NOW="$T" "$CERTCTL_BIN" report --html "$W/same-time.html"
assert_eq "$(cmp "$W/stdout.html" "$W/same-time.html" 2>&1 && echo same)" "same" "report --html - vs the file"

step "the DOM in Chromium: rows, counts, statuses, days, failed and pending sections"
dom "file://$W/report.html"
assert_contains "$DOM" 'data-ready-ms="'
assert_eq "$(visible_names)" "broken evil old soon waiting web " "rows shown, in vault order"
assert_contains "$DOM" '<span id="shown">6</span> of <span id="total">6</span>'
assert_contains "$DOM" 'id="count-total"><b>6</b>'
assert_contains "$DOM" 'id="count-active"><b>2</b>'
assert_contains "$DOM" 'id="count-expired"><b>1</b>'
assert_contains "$DOM" 'id="count-error"><b>1</b>'
assert_contains "$DOM" 'id="count-draft"><b>1</b>'
assert_contains "$DOM" 'id="count-pending"><b>1</b>'
assert_contains "$DOM" 'id="count-soon"><b>1</b>'
assert_contains "$DOM" '<tr data-s="expired" data-src="managed"><td>old</td>'
assert_contains "$DOM" '<td class="crit">-1'  # expired 10 days ago
python3 - "$DOM" <<'EOF' || fail "timeline bars"
import re, sys
bars = re.findall(r'<rect class="bar (\w+)" data-day="(\d+)" data-n="(\d+)"', sys.argv[1])
got = sorted((int(d), c, n) for c, d, n in bars)
# soon (12 days) and web (80 days); a day more or less by where the run's seconds fall
assert len(got) == 2 and got[0][0] in (11, 12) and got[0][1:] == ("warn", "1") and got[1][0] in (79, 80) and got[1][1:] == ("ok", "1"), bars
EOF
pass
python3 - "$DOM" <<'EOF' || fail "the failed section"
import sys
dom = sys.argv[1]
failed = dom.split('<section id="failed">', 1)[1].split("</section>", 1)[0]
assert '<span class="n">1</span>' in failed and "<td>broken</td>" in failed and "broken.example.test" in failed, failed[:800]
orders = dom.split('<section id="orders">', 1)[1].split("</section>", 1)[0]
assert "<td>broken</td>" in orders and "<td>pebble</td>" in orders, orders[:800]
pending = dom.split('<section id="pending">', 1)[1].split("</section>", 1)[0]
assert '<span class="n">2</span>' in pending and "<td>evil</td>" in pending and "<td>waiting</td>" in pending, pending[:800]
EOF
pass

step "markup in a subject renders as text"
assert_contains "$DOM" 'O=&lt;script&gt;document.title="owned"&lt;/script&gt;'
assert_contains "$DOM" 'OU=&lt;img src=x onerror=alert(1)&gt;'
assert_contains "$DOM" '<title>certctl report: 6 certificates</title>'
assert_eq "$(grep -o '<script[^>]*>' <<<"$DOM" | tr '\n' ' ')" '<script type="application/json" id="inventory-data"> <script> ' \
  "script elements in the DOM: the page's data and its code, none from a subject"
assert_eq "$(grep -c '<img' <<<"$DOM" || true)" 0 "img elements in the DOM"

step "filtering and sorting in the page (state in the URL after #)"
dom "file://$W/report.html#status=active"
assert_eq "$(visible_names)" "soon web " "rows with status=active"
assert_contains "$DOM" '<span id="shown">2</span>'
dom "file://$W/report.html#q=WWW.WEB"
assert_eq "$(visible_names)" "web " "rows matching the text www.web"
dom "file://$W/report.html#within=30"
assert_eq "$(visible_names)" "old soon " "rows expiring within 30 days (or expired)"
dom "file://$W/report.html#within=0"
assert_eq "$(visible_names)" "old " "expired rows"
dom "file://$W/report.html#sort=days&dir=asc"
assert_eq "$(visible_names)" "old soon web broken evil waiting " "rows by days left, ascending (no certificate last)"
assert_contains "$DOM" 'data-k="days" data-t="num" tabindex="0" aria-sort="ascending"'
dom "file://$W/report.html#sort=name&page=2"
assert_eq "$(visible_names)" "broken evil " "the first page of 2 rows"
assert_contains "$DOM" '<span id="shown">6</span>'
assert_contains "$DOM" '<p id="more"><button'
dom "file://$W/report.html#sort=name&page=20"
assert_contains "$DOM" '<p id="more" hidden=""><button'
dom "file://$W/report.html#sort=name&dir=desc&source=managed"
assert_eq "$(visible_names)" "web waiting soon old evil broken " "rows by name, descending"

step "no network request: the page loads nothing, while a control page that does is seen by the proxy"
: >"$W/proxy.log"
dom "file://$W/report.html"
assert_eq "$(page_requests)" "" "requests the report page made"
printf '<!DOCTYPE html><img src="http://canary.invalid/pixel.png"><p>control</p>\n' >"$W/control.html"
dom "file://$W/control.html"
assert_contains "$(page_requests)" "GET http://canary.invalid/pixel.png"

step "discovered certificates: where they were seen, and a place still serving an old version"
mkdir -p "$W/served"
expect_ok certctl show web --pem fullchain
printf '%s\n' "$OUT" >"$W/served/web.pem"
expect_ok certctl issue web --days 80   # version 2: the file still holds version 1
expect_ok certctl discover files "$W/served"
expect_ok certctl list --source discovered --json
SEEN=$(json_get 'd[0]["name"]')
expect_ok certctl report --html "$W/report.html"
dom "file://$W/report.html"
python3 - "$DOM" "$SEEN" "$W/served/web.pem" <<'EOF2' || fail "the discovered section"
import sys
dom, seen, path = sys.argv[1:]
d = dom.split('<section id="discovered">', 1)[1].split("</section>", 1)[0]
assert '<span class="n">1</span>' in d, d[:600]
assert f"<td>file:{path}</td><td>{seen}</td>" in d, d[:1200]
assert 'web v1 <b class="err old">old: current is v2</b>' in d, d[:1200]
EOF2
pass
dom "file://$W/report.html#source=discovered"
assert_eq "$(visible_names)" "$SEEN " "rows with source=discovered"
assert_contains "$DOM" 'id="count-total"><b>7</b>'

step "a screenshot, kept as a test artefact"
rm -f "$ARTIFACTS/report.png"
browse "file://$W/report.html" --screenshot="$ARTIFACTS/report.png" --window-size=1400,1000 >/dev/null ||
  fail "chromium --screenshot failed: $(tail -5 "$W/chromium.err")"
python3 - "$ARTIFACTS/report.png" <<'EOF' || fail "the screenshot is not a 1400x1000 PNG of a page"
import os, struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24])
assert (w, h) == (1400, 1000), (w, h)
assert len(data) > 20000, f"{len(data)} bytes: a blank page?"
EOF
pass
echo "screenshot: $ARTIFACTS/report.png ($(stat -c %s "$ARTIFACTS/report.png") bytes)"
