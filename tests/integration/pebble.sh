# shellcheck shell=bash
# A throwaway ACME CA for the end-to-end tests: pebble and pebble-challtestsrv on free loopback
# ports, with their own TLS CA, in the test's temporary directory. Source after lib.sh.
#
#   pebble_start [NAME]   start an instance (PEBBLE_EAB=1: External Account Binding required, with
#                         the kid in PEBBLE_EAB_KID and its base64url HMAC key in the file
#                         PEBBLE_EAB_HMAC_FILE; PEBBLE_WFE_NONCEREJECT is left at pebble's
#                         default of 5% unless set; PEBBLE_DNS_SERVER=IP:PORT makes its VA
#                         resolve there instead of challtestsrv; PEBBLE_USE_HTTP_PORT=N makes its
#                         VA validate http-01 on port N). Exports, for the instance just started:
#                           PEBBLE_DIR_URL    https://127.0.0.1:PORT/dir
#                           PEBBLE_CA_BUNDLE  PEM of the CA that signed pebble's TLS certificate
#                           PEBBLE_MGMT       https://127.0.0.1:PORT (pebble's management API)
#                           CTS_MGMT          http://127.0.0.1:PORT (challtestsrv's management API)
#                           PEBBLE_HTTP_PORT  port pebble's VA connects to for http-01
#                           PEBBLE_TLS_PORT   port pebble's VA connects to for tls-alpn-01
#                           PEBBLE_LOG        pebble's log (one line per request it handles)
#                         The processes are killed when the script exits (lib.sh's EXIT trap kills
#                         exactly the PIDs in BACKGROUND_PIDS), or earlier by pebble_stop NAME.
#   pebble_root_pem FILE [INTERMEDIATE_FILE]
#                         the issuing root (mgmt /roots/0) into FILE and the intermediate
#                         (/intermediates/0) into INTERMEDIATE_FILE (default FILE minus .pem
#                         plus -intermediate.pem)
#   pebble_cert_status SERIAL_HEX [FIELD]
#                         FIELD (default Status: Valid or Revoked; Reason: the revocation reason
#                         code) from mgmt /cert-status-by-serial; any case, leading zeros allowed
#   (free_ports and reserve_closed_port live in lib.sh)
#   write_dns_hook FILE [LOG]
#                         a dns-01 exec hook (argv: present|cleanup FQDN VALUE) that sets and
#                         clears TXT records in challtestsrv and appends "ACTION FQDN VALUE" to LOG
#                         (default FILE.log)
#
# Without pebble installed the script is skipped (exit 0, "SKIP ..."), or fails when CI=true.

if ! command -v pebble >/dev/null 2>&1 || ! command -v pebble-challtestsrv >/dev/null 2>&1; then
  if [[ ${CI:-} == true ]]; then
    fail "pebble and pebble-challtestsrv are required (CI=true): install the Debian package 'pebble' (tests/deps.sh --test)"
  fi
  trap - EXIT
  rm -rf "$TEST_TMP"
  echo "SKIP $TEST_NAME: pebble is not installed (Debian package 'pebble'; tests/deps.sh --test)"
  exit 0
fi
require_tool curl
declare -p BACKGROUND_PIDS >/dev/null 2>&1 || fail "pebble.sh must be sourced after lib.sh"

declare -gA _PEBBLE_PIDS=()

# _pebble_tls DIR: a CA and a leaf for localhost/127.0.0.1 signed by it (ca.pem, cert.pem, key.pem).
_pebble_tls() {
  local d=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" \
    -subj "/CN=certctl test pebble TLS CA" -days 2 -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>"$d/openssl.log" ||
    fail "openssl could not make pebble's TLS CA: $(cat "$d/openssl.log")"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/key.pem" -out "$d/leaf.csr" \
    -subj "/CN=localhost" 2>>"$d/openssl.log" || fail "openssl could not make pebble's TLS key: $(cat "$d/openssl.log")"
  printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$d/leaf.ext"
  openssl x509 -req -in "$d/leaf.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
    -extfile "$d/leaf.ext" -out "$d/cert.pem" 2>>"$d/openssl.log" ||
    fail "openssl could not sign pebble's TLS certificate: $(cat "$d/openssl.log")"
}

# _pebble_wait_for URL PID LOG WHAT [CURL OPTIONS...]: until URL answers (at most ~10 s), while PID lives.
_pebble_wait_for() {
  local url=$1 pid=$2 log=$3 what=$4 i
  shift 4
  for ((i = 0; i < 200; i++)); do
    curl -fsS -o /dev/null --max-time 2 "$@" "$url" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || fail "$what exited before answering at $url: $(tail -c 2000 "$log")"
    sleep 0.05
  done
  fail "$what did not answer at $url within 10 s: $(tail -c 2000 "$log")"
}

pebble_start() {
  local name=${1:-pebble}
  local d=$TEST_TMP/$name
  [[ -z ${_PEBBLE_PIDS[$name]:-} ]] || fail "pebble instance '$name' is already running"
  mkdir -p "$d"
  _pebble_tls "$d"
  local ports
  mapfile -t ports < <(free_ports 6)
  ((${#ports[@]} == 6)) || fail "could not find free loopback ports"
  local acme_port=${ports[0]} mgmt_port=${ports[1]} dns_port=${ports[2]} cts_port=${ports[3]}
  PEBBLE_HTTP_PORT=${PEBBLE_USE_HTTP_PORT:-${ports[4]}}   # several instances may share one responder port
  PEBBLE_TLS_PORT=${ports[5]}

  local eab=""
  if [[ ${PEBBLE_EAB:-} == 1 ]]; then
    PEBBLE_EAB_KID=${PEBBLE_EAB_KID:-kid-certctl-test}
    PEBBLE_EAB_HMAC_FILE=$d/eab-hmac.b64url
    local hmac
    hmac=$(openssl rand 32 | base64 -w0 | tr '+/' '-_' | tr -d '=')
    (umask 077 && printf '%s\n' "$hmac" >"$PEBBLE_EAB_HMAC_FILE")
    eab=$(printf ',\n    "externalAccountBindingRequired": true,\n    "externalAccountMACKeys": {"%s": "%s"}' \
      "$PEBBLE_EAB_KID" "$hmac")
    export PEBBLE_EAB_KID PEBBLE_EAB_HMAC_FILE
  else
    eab=$',\n    "externalAccountBindingRequired": false'
  fi
  cat >"$d/pebble-config.json" <<EOF
{
  "pebble": {
    "listenAddress": "127.0.0.1:$acme_port",
    "managementListenAddress": "127.0.0.1:$mgmt_port",
    "certificate": "$d/cert.pem",
    "privateKey": "$d/key.pem",
    "httpPort": $PEBBLE_HTTP_PORT,
    "tlsPort": $PEBBLE_TLS_PORT,
    "ocspResponderURL": ""$eab
  }
}
EOF

  # challtestsrv: DNS only (every A query answers 127.0.0.1); certctl answers http-01/tls-alpn-01.
  pebble-challtestsrv -dns01 "127.0.0.1:$dns_port" -http01 "" -https01 "" -tlsalpn01 "" \
    -management "127.0.0.1:$cts_port" -defaultIPv4 127.0.0.1 -defaultIPv6 "" \
    </dev/null >"$d/challtestsrv.log" 2>&1 &
  local cts_pid=$!
  BACKGROUND_PIDS+=("$cts_pid")
  PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=${PEBBLE_WFE_NONCEREJECT:-5} \
    pebble -config "$d/pebble-config.json" -dnsserver "${PEBBLE_DNS_SERVER:-127.0.0.1:$dns_port}" \
    </dev/null >"$d/pebble.log" 2>&1 &
  local pebble_pid=$!
  BACKGROUND_PIDS+=("$pebble_pid")
  _PEBBLE_PIDS[$name]="$cts_pid $pebble_pid"

  # challtestsrv's management API answers 404 on /, which -f treats as an error: ask a real route.
  _pebble_wait_for "http://127.0.0.1:$cts_port/clear-txt" "$cts_pid" "$d/challtestsrv.log" pebble-challtestsrv \
    -X POST -d '{"host":"ready.invalid."}'
  _pebble_wait_for "https://127.0.0.1:$acme_port/dir" "$pebble_pid" "$d/pebble.log" pebble --cacert "$d/ca.pem"
  _pebble_wait_for "https://127.0.0.1:$mgmt_port/roots/0" "$pebble_pid" "$d/pebble.log" "pebble (management)" \
    --cacert "$d/ca.pem"

  export PEBBLE_DIR_URL="https://127.0.0.1:$acme_port/dir"
  export PEBBLE_CA_BUNDLE=$d/ca.pem
  export PEBBLE_MGMT="https://127.0.0.1:$mgmt_port"
  export CTS_MGMT="http://127.0.0.1:$cts_port"
  export CTS_DNS="127.0.0.1:$dns_port"
  export PEBBLE_HTTP_PORT PEBBLE_TLS_PORT
  export PEBBLE_LOG=$d/pebble.log
}

# pebble_stop NAME: stop one instance now (the EXIT trap would otherwise).
pebble_stop() {
  local name=${1:-pebble} pid
  for pid in ${_PEBBLE_PIDS[$name]:-}; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  unset "_PEBBLE_PIDS[$name]"
}

pebble_root_pem() {
  local file=$1 inter=${2:-${1%.pem}-intermediate.pem}
  curl -fsS --max-time 5 --cacert "$PEBBLE_CA_BUNDLE" -o "$file" "$PEBBLE_MGMT/roots/0" ||
    fail "could not fetch pebble's root from $PEBBLE_MGMT/roots/0"
  curl -fsS --max-time 5 --cacert "$PEBBLE_CA_BUNDLE" -o "$inter" "$PEBBLE_MGMT/intermediates/0" ||
    fail "could not fetch pebble's intermediate from $PEBBLE_MGMT/intermediates/0"
}

pebble_cert_status() {
  local serial=${1,,} field=${2:-Status}
  serial=${serial#serial=}
  while [[ $serial == 0?* ]]; do serial=${serial#0}; done
  local json
  json=$(curl -fsS --max-time 5 --cacert "$PEBBLE_CA_BUNDLE" "$PEBBLE_MGMT/cert-status-by-serial/$serial") ||
    fail "pebble knows no certificate with serial $serial"
  python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' \
    "$json" "$field"
}

write_dns_hook() {
  local file=$1 log=${2:-$1.log}
  cat >"$file" <<EOF
#!/bin/sh
# dns-01 hook for certctl's tests: TXT records in pebble-challtestsrv at $CTS_MGMT.
set -eu
action=\$1 fqdn=\$2 value=\$3
case \$fqdn in *.) ;; *) fqdn=\$fqdn. ;; esac
echo "\$action \$fqdn \$value" >>'$log'
case \$action in
present) curl -fsS --max-time 5 -X POST -d "{\"host\":\"\$fqdn\",\"value\":\"\$value\"}" '$CTS_MGMT/set-txt' ;;
cleanup) curl -fsS --max-time 5 -X POST -d "{\"host\":\"\$fqdn\"}" '$CTS_MGMT/clear-txt' ;;
*) echo "unknown action \$action" >&2; exit 2 ;;
esac
EOF
  chmod 755 "$file"
  : >"$log"
}
