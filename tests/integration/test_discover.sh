#!/usr/bin/env bash
# discover: certificates found at TLS servers (openssl s_server on loopback: one serving a
# certificate of certctl's local CA, which links to its record; one that answers by SNI; one
# restarted with another certificate) and a closed port; then a file tree of PEM, DER,
# PKCS#12 without and with a password, a CA bundle, junk and a damaged file. list --source,
# show (seen at, linked, old versions still served), check, renew (never touches them), and
# the commands that refuse them. Prints how long 3 servers and a /28 of closed ports take.
# Last, nginx: a TLS 1.2-only and a TLS 1.3-only server, two names by SNI on one port.
source "$(dirname "$0")/lib.sh"

M=$TEST_TMP/material
mkdir -p "$M"
cd "$M"
ossl() { openssl "$@" >/dev/null 2>"$M/openssl.err" || fail "openssl $*: $(cat "$M/openssl.err")"; }

# leaf NAME CN DAYS: NAME.key and NAME.pem, a P-256 leaf for CN signed by the test root.
leaf() {
  ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"
  printf 'basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:%s\n' "$2" >"$1.ext"
  ossl x509 -req -in "$1.csr" -CA root.pem -CAkey root.key -days "$3" -extfile "$1.ext" -out "$1.pem"
}

step "certificates: a test root, leaves, and a record issued by the local CA"
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem \
  -subj "/CN=Discover Test Root" -days 3650 -addext "basicConstraints=critical,CA:TRUE"
leaf a a.example.test 300
leaf b b.example.test 200
leaf c1 c.example.test 100
leaf c2 c.example.test 3
new_vault
issue_record web web.example.test
expect_ok certctl export web --dir "$M/web"

# serve VAR PORT ARGS...: openssl s_server on 127.0.0.1:PORT (pid in VAR), ready when it accepts.
serve() {
  local var=$1 port=$2 i
  shift 2
  openssl s_server -accept "127.0.0.1:$port" -quiet "$@" </dev/null >"$M/s_server.$port.log" 2>&1 &
  local pid=$!
  BACKGROUND_PIDS+=("$pid")
  printf -v "$var" '%s' "$pid"
  for ((i = 0; i < 250; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || fail "openssl s_server on $port ended: $(cat "$M/s_server.$port.log")"
    sleep 0.02
  done
  fail "openssl s_server on $port does not accept connections"
}
stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
# exit_with CODE cmd...: like expect_exit, for runs whose report is on stdout and whose failures
# are one stderr line each (or none, with --json).
exit_with() {
  local want=$1 rc=0
  shift
  "$@" </dev/null >"$TEST_TMP/.out" 2>"$TEST_TMP/.err" || rc=$?
  OUT=$(cat "$TEST_TMP/.out")
  ERR=$(cat "$TEST_TMP/.err")
  ((rc == want)) || fail "$* exited $rc, expected $want: $OUT $ERR"
  ! grep -qv '^certctl: ' <<<"$ERR" || [[ -z $ERR ]] || fail "$*: stderr has more than error lines: $ERR"
  pass
}

mapfile -t PORTS < <(free_ports 3)
PA=${PORTS[0]} PB=${PORTS[1]} PC=${PORTS[2]}
reserve_closed_port
serve PID_A "$PA" -cert "$M/web/cert.pem" -key "$M/web/key.pem" -cert_chain "$M/web/chain.pem"
serve PID_B "$PB" -cert a.pem -key a.key -cert_chain root.pem -servername b.example.test -cert2 b.pem -key2 b.key
serve PID_C "$PC" -cert c1.pem -key c1.key

step "discover tls: three servers and a closed port (exit 6, the others recorded)"
expect_exit 6 certctl -q discover tls "127.0.0.1:$PA" "127.0.0.1:$PB" "127.0.0.1:$PC" "127.0.0.1:$CLOSED_PORT"
assert_contains "$ERR" "127.0.0.1:$CLOSED_PORT"
assert_contains "$OUT" "tls://127.0.0.1:$PA"
assert_contains "$OUT" "tls-127.0.0.1-$PB"
assert_contains "$OUT" "web v"
assert_not_contains "$OUT" "tls-127.0.0.1-$CLOSED_PORT"
expect_exit 10 certctl show "tls-127.0.0.1-$CLOSED_PORT"
expect_ok certctl show "tls-127.0.0.1-$PA" --json
json_check 'd["source"] == "discovered" and d["seen_at"] == "tls://127.0.0.1:'"$PA"'" and d["linked_to"] == "web"'
json_check 'd["has_key"] is False and d["has_chain"] is True and d["first_seen"] == d["last_seen"]'
json_check 'd["tls_verify"] is not None and d["auto_renew"] is False'
expect_ok certctl show "tls-127.0.0.1-$PB" --json
json_check 'd["domain"] == "a.example.test"'
expect_ok certctl show "tls-127.0.0.1-$PB" --pem cert
assert_eq "$OUT" "$(cat a.pem)"
expect_ok certctl show "tls-127.0.0.1-$PB" --pem chain
assert_eq "$OUT" "$(cat root.pem)"

step "--sni: another certificate for another name is a place of its own"
expect_ok certctl discover tls "127.0.0.1:$PB" --sni b.example.test --json
json_check 'd["new"] == 1 and d["items"][0]["record"] == "tls-127.0.0.1-'"$PB"'-sni-b.example.test"'
json_check 'd["items"][0]["domain"] == "b.example.test" and d["items"][0]["result"] == "new"'
json_check 'd["items"][0]["place"] == "tls://127.0.0.1:'"$PB"'?sni=b.example.test"'

step "list --source discovered"
expect_ok certctl list --source discovered --json
json_check 'sorted(r["name"] for r in d) == sorted(["tls-127.0.0.1-'"$PA"'", "tls-127.0.0.1-'"$PB"'", "tls-127.0.0.1-'"$PB"'-sni-b.example.test", "tls-127.0.0.1-'"$PC"'"])'
expect_ok certctl list --source managed --json
json_check '[r["name"] for r in d] == ["web"]'
expect_exit 2 certctl list --source found
assert_contains "$ERR" "found"

step "seen again: only last seen changes; renewing web leaves 127.0.0.1:$PA serving the old version"
expect_ok certctl renew web --force
expect_ok certctl discover tls "127.0.0.1:$PA" --json
json_check 'd["seen_again"] == 1 and d["items"][0]["linked_current"] is False'
expect_ok certctl show "tls-127.0.0.1-$PA" --json
json_check 'd["version"] == 1 and d["history"] == []'
expect_ok certctl show web
assert_contains "$OUT" "served at:"
assert_contains "$OUT" "tls://127.0.0.1:$PA"
assert_contains "$OUT" "(old; current is v"
expect_ok certctl show web --json
json_check 'd["served_at"][0]["place"] == "tls://127.0.0.1:'"$PA"'" and d["served_at"][0]["current"] is False'

step "changed: a new certificate at the same place is a new version"
stop "$PID_C"
serve PID_C "$PC" -cert c2.pem -key c2.key
expect_ok certctl discover tls "127.0.0.1:$PC" --json
json_check 'd["changed"] == 1 and d["items"][0]["version"] == 2'
expect_ok certctl show "tls-127.0.0.1-$PC"
assert_contains "$OUT" "seen at:"
assert_contains "$OUT" "history:"
assert_contains "$OUT" "changed"

step "check and renew: discovered records are watched, never renewed"
exit_with 2 certctl check
assert_contains "$OUT" "CERTCTL CRITICAL"
assert_contains "$OUT" "tls-127.0.0.1-$PC"
BEFORE=$(certctl list --source discovered --json </dev/null | python3 -c 'import json,sys; print([(r["name"], r["version"]) for r in json.load(sys.stdin)])')
expect_ok certctl renew
expect_ok certctl renew --force
expect_ok certctl renew "tls-127.0.0.1-$PC"
assert_contains "$OUT$ERR" "discovered at tls://127.0.0.1:$PC"
AFTER=$(certctl list --source discovered --json </dev/null | python3 -c 'import json,sys; print([(r["name"], r["version"]) for r in json.load(sys.stdin)])')
assert_eq "$AFTER" "$BEFORE"

step "issue, csr, export and revoke refuse a discovered record (exit 9); delete forgets it"
for cmd in "issue" "csr" "revoke --yes"; do
  # shellcheck disable=SC2086 # the command and its flag
  expect_exit 9 certctl $cmd "tls-127.0.0.1-$PC"
  assert_contains "$ERR" "tls-127.0.0.1-$PC: was discovered at tls://127.0.0.1:$PC"
done
expect_exit 9 certctl export "tls-127.0.0.1-$PC" --dir "$M/out"
assert_contains "$ERR" "was discovered at"
expect_ok certctl delete "tls-127.0.0.1-$PC" --yes
expect_exit 10 certctl show "tls-127.0.0.1-$PC"

step "discover files: PEM, DER, PKCS#12 with and without a password, a trust store, junk, links"
T=$TEST_TMP/tree
mkdir -p "$T/etc/ssl" "$T/srv/app/deeper" "$T/empty"
cat a.pem root.pem >"$T/etc/ssl/site.pem"
openssl x509 -in b.pem -outform DER -out "$T/srv/app/b.der" 2>/dev/null
ossl pkcs12 -export -in c1.pem -inkey c1.key -out "$T/srv/app/open.p12" -passout pass:
ossl pkcs12 -export -in c2.pem -inkey c2.key -out "$T/srv/app/locked.pfx" -passout pass:secret
cat root.pem root.pem >"$T/etc/ssl/bundle.crt"
head -c 3000 /dev/urandom >"$T/srv/app/deeper/junk.bin"
echo "hello" >"$T/srv/app/readme.txt"
cp a.key "$T/etc/ssl/site.key"
ln -s "$T/etc/ssl/site.pem" "$T/srv/app/link.pem"
ln -s "$T" "$T/srv/app/deeper/loop"
expect_ok certctl discover files "$T" --json
json_check 'd["new"] == 3 and d["skipped"] == 2 and d["failed"] == 0'
json_check 'sorted(i["place"] for i in d["items"] if i["result"] == "new") == sorted(["file:'"$T"'/etc/ssl/site.pem", "file:'"$T"'/srv/app/b.der", "file:'"$T"'/srv/app/open.p12"])'
json_check '[i["place"] for i in d["items"] if i["result"] == "skipped"] == ["file:'"$T"'/etc/ssl/bundle.crt", "file:'"$T"'/srv/app/locked.pfx"]'
json_check 'all(i["record"].startswith("file-") for i in d["items"] if i["result"] == "new")'
expect_ok certctl discover files "$T"
assert_contains "$ERR" "3 seen again"
echo "-----BEGIN CERTIFICATE-----
AAAA
-----END CERTIFICATE-----" >"$T/srv/app/damaged.pem"
expect_exit 4 certctl -q discover files "$T"
assert_contains "$ERR" "damaged.pem"
expect_exit 10 certctl -q discover files "$TEST_TMP/nowhere"
expect_ok certctl list --source discovered --json
json_check 'len([r for r in d if r["name"].startswith("file-")]) == 3'

step "bad input changes nothing"
DIGEST=$(vault_digest)
expect_exit 2 certctl discover tls "10.0.0.0/16:443"
assert_contains "$ERR" "10.0.0.0/16:443"
expect_exit 2 certctl discover tls "127.0.0.1"
expect_exit 2 certctl discover tls "127.0.0.1:443" --parallel 65
expect_exit 2 certctl discover tls "127.0.0.1:443" --timeout 0
expect_exit 2 certctl discover tls
printf '# targets\n127.0.0.1:notaport\n' >"$M/targets.txt"
expect_exit 2 certctl discover tls --file "$M/targets.txt"
assert_eq "$(vault_digest)" "$DIGEST"

step "a server that accepts and never answers times out (--timeout 1), exit 6"
"$PYTHON3" -S -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(120)
' "$M/silent.port" </dev/null >/dev/null 2>&1 &
BACKGROUND_PIDS+=("$!")
for ((i = 0; i < 200; i++)); do [[ -s $M/silent.port ]] && break; sleep 0.02; done
SILENT=$(cat "$M/silent.port")
START=$(date +%s)
expect_exit 6 certctl -q discover tls "127.0.0.1:$SILENT" --timeout 1
assert_contains "$ERR" "timed out after 1000 ms"
(($(date +%s) - START <= 5)) || fail "the timeout of 1 s took $(($(date +%s) - START)) s"

step "timing: 3 servers and a /28 of closed ports on 127.0.0.x"
printf '127.0.0.1:%s\n127.0.0.1:%s  # b\n127.0.0.1:%s\n' "$PA" "$PB" "$PC" >"$M/targets.txt"
START=$(date +%s%N)
exit_with 6 certctl discover tls --file "$M/targets.txt" "127.0.0.0/28:$CLOSED_PORT" --timeout 2 --json
END=$(date +%s%N)
json_check 'd["failed"] == 16 and d["seen_again"] == 2 and d["new"] == 1 and len(d["items"]) == 19'
echo "    discover tls of 19 targets (3 servers, 16 closed): $(((END - START) / 1000000)) ms"

stop "$PID_A"
stop "$PID_B"
stop "$PID_C"

step "nginx: TLS 1.2 only and TLS 1.3 only servers, names by SNI on one port"
NGINX=$(command -v nginx || true)
[[ -n $NGINX ]] || fail "nginx is not installed (tests/deps.sh --test installs nginx-light)"
mapfile -t NPORTS < <(free_ports 2)
N12=${NPORTS[0]} N13=${NPORTS[1]}
leaf n1 one.nginx.test 60
leaf n2 two.nginx.test 90
mkdir -p "$M/nginx/logs"
cat >"$M/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $M/nginx/nginx.pid;
error_log $M/nginx/logs/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $M/nginx/tmp; proxy_temp_path $M/nginx/tmp; fastcgi_temp_path $M/nginx/tmp;
  uwsgi_temp_path $M/nginx/tmp; scgi_temp_path $M/nginx/tmp;
  server { listen 127.0.0.1:$N12 ssl; server_name one.nginx.test; ssl_protocols TLSv1.2;
           ssl_certificate $M/n1.pem; ssl_certificate_key $M/n1.key; return 204; }
  server { listen 127.0.0.1:$N13 ssl default_server; server_name one.nginx.test; ssl_protocols TLSv1.3;
           ssl_certificate $M/n1.pem; ssl_certificate_key $M/n1.key; return 204; }
  server { listen 127.0.0.1:$N13 ssl; server_name two.nginx.test; ssl_protocols TLSv1.3;
           ssl_certificate $M/n2.pem; ssl_certificate_key $M/n2.key; return 204; }
}
CONF
mkdir -p "$M/nginx/tmp"
"$NGINX" -p "$M/nginx" -c "$M/nginx/nginx.conf" </dev/null >"$M/nginx/logs/stdout.log" 2>&1 &
NGINX_PID=$!
BACKGROUND_PIDS+=("$NGINX_PID")
for ((i = 0; i < 250; i++)); do
  (exec 3<>"/dev/tcp/127.0.0.1/$N13") 2>/dev/null && break
  kill -0 "$NGINX_PID" 2>/dev/null || fail "nginx ended: $(cat "$M/nginx/logs/"*.log)"
  sleep 0.02
done
# openssl agrees on what each port speaks.
expect_ok openssl s_client -connect "127.0.0.1:$N12" -servername one.nginx.test -tls1_2 </dev/null
expect_exit 1 openssl s_client -connect "127.0.0.1:$N12" -servername one.nginx.test -tls1_3 </dev/null
expect_ok certctl discover tls "127.0.0.1:$N12" "127.0.0.1:$N13" --sni one.nginx.test --json
json_check 'd["new"] == 2 and d["failed"] == 0'
json_check 'sorted(i["domain"] for i in d["items"]) == ["one.nginx.test", "one.nginx.test"]'
expect_ok certctl discover tls "127.0.0.1:$N13" --sni two.nginx.test --json
json_check 'd["new"] == 1 and d["items"][0]["domain"] == "two.nginx.test"'
expect_ok certctl show "tls-127.0.0.1-$N13-sni-two.nginx.test" --json
json_check 'd["source"] == "discovered" and d["seen_at"] == "tls://127.0.0.1:'"$N13"'?sni=two.nginx.test"'
assert_eq "$(certctl show "tls-127.0.0.1-$N13-sni-two.nginx.test" --pem cert)" "$(cat n2.pem)" "the certificate nginx serves for two.nginx.test"
pass
stop "$NGINX_PID"
