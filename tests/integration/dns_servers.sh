# shellcheck shell=bash
# Authoritative DNS servers for the dns-01 tests: BIND9 and Knot DNS on free loopback ports,
# in the test's temporary directory, each serving two zones that accept RFC 2136 updates signed
# with a TSIG key made for the run. Source after lib.sh (free_ports, reserve_closed_port).
#
#   bind_start [NAME]   start named -g. Zones example.test. and tech.test. (below), updatable
#                       by key BIND_KEY_NAME (hmac-sha256). BIND_RECURSION=1 turns recursion on
#                       for 127.0.0.1 (needed when pebble uses it as -dnsserver and must follow
#                       a CNAME into tech.test.); the root hints then point at 127.0.0.1 only,
#                       so nothing leaves loopback. Exports:
#                         BIND_PORT         its UDP and TCP port on 127.0.0.1
#                         BIND_SERVER       127.0.0.1:BIND_PORT
#                         BIND_KEY_NAME     the TSIG key's name (certctl-NAME-key)
#                         BIND_KEY_ALG      hmac-sha256
#                         BIND_KEY_SECRET   the key's base64 secret
#                         BIND_KEY_FILE     the key in named.conf syntax (for nsupdate -k)
#                         BIND_DIR          its directory (named.conf, zone files, named.log)
#                         BIND_OTHER_KEY_NAME, BIND_OTHER_KEY_SECRET
#                                           a second hmac-sha256 key the server knows but
#                                           that may update nothing
#                       BIND_TECH_FORWARD="127.0.0.1 port N" (with BIND_RECURSION=1): tech.test is
#                       not served here but forwarded to that server (a tech zone elsewhere).
#                       DNS_SOA_MINIMUM sets the zones' negative-caching TTL (default 60).
#   bind_stop [NAME]    stop it now (else the EXIT trap kills it by PID)
#   knot_start [NAME]   start knotd with the same zones, updatable by key KNOT_KEY_NAME.
#                       Exports KNOT_PORT, KNOT_SERVER, KNOT_KEY_NAME, KNOT_KEY_ALG,
#                       KNOT_KEY_SECRET, KNOT_KEY_FILE (named.conf syntax, for nsupdate -k),
#                       KNOT_DIR, KNOT_OTHER_KEY_NAME, KNOT_OTHER_KEY_SECRET.
#   knot_stop [NAME]    stop it now
#   pdns_start          a PowerDNS Authoritative server (pdns_server, gsqlite3 backend, no zones
#                       yet) on free loopback ports, API on. Skipped (exit 0) when PowerDNS is
#                       not installed, fails under CI=true. Exports PDNS_DIR, PDNS_DNS_PORT,
#                       PDNS_API_PORT, PDNS_API_KEY, PDNS_API_URL (http://127.0.0.1:PORT).
#   pdns_api METHOD PATH [JSON]
#                       the PowerDNS API (under /api/v1/servers/localhost) with the right key;
#                       prints the body
#   reserve_silent_port SILENT_PORT: a loopback UDP port that swallows queries and never answers
#   dns_txt SERVER NAME print the TXT values at NAME served by SERVER (IP:PORT), sorted, one a
#                       line, without quotes (dig +short, no recursion)
#   dns_nsupdate SERVER KEYFILE COMMAND...
#                       nsupdate against SERVER with the key in KEYFILE; each argument is one
#                       command line ("update add x.example.test. 60 TXT v"); "send" follows
#
# The zones, both servers alike (ZONE is example.test. or tech.test.):
#   ZONE                 SOA ns1.ZONE. hostmaster.ZONE. 1 3600 600 86400 60; NS ns1.ZONE.
#   ns1.ZONE             A 127.0.0.1
#   example.test. only:  _acme-challenge.delegated CNAME _acme-challenge.delegated.tech.test.
#                        _acme-challenge.loop1 CNAME _acme-challenge.loop2.example.test.
#                        _acme-challenge.loop2 CNAME _acme-challenge.loop1.example.test.
#                        deep.sub A 127.0.0.1 (so sub.example.test. is an empty non-terminal)
#                        child NS ns1.example.test. (a delegation: child.example.test. is a
#                        zone of its own, served elsewhere)
#                        chainN CNAME chainN+1.example.test. for N = 1..9 (chain10 does not exist)
# Without dig/nsupdate (and named or knotd when started) the script is skipped (exit 0,
# "SKIP ..."), or fails when CI=true.

declare -p BACKGROUND_PIDS >/dev/null 2>&1 || fail "dns_servers.sh must be sourced after lib.sh"

_dns_need() {
  local tool=$1 pkg=$2
  command -v "$tool" >/dev/null 2>&1 && return 0
  if [[ ${CI:-} == true ]]; then
    fail "$tool is required (CI=true): install the Debian package '$pkg' (tests/deps.sh --test)"
  fi
  trap - EXIT
  local pid
  for pid in "${BACKGROUND_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$TEST_TMP"
  echo "SKIP $TEST_NAME: $tool is not installed (Debian package '$pkg'; tests/deps.sh --test)"
  exit 0
}
_dns_need dig bind9-dnsutils
_dns_need nsupdate bind9-dnsutils

declare -gA _DNS_PIDS=()

# _dns_zone_file FILE ZONE: the zone described above.
_dns_zone_file() {
  local file=$1 zone=$2
  {
    echo "\$ORIGIN $zone"
    echo "\$TTL 60"
    echo "@ IN SOA ns1.$zone hostmaster.$zone 1 3600 600 86400 ${DNS_SOA_MINIMUM:-60}"
    echo "@ IN NS ns1.$zone"
    echo "ns1 IN A 127.0.0.1"
    if [[ $zone == example.test. ]]; then
      echo "_acme-challenge.delegated IN CNAME _acme-challenge.delegated.tech.test."
      echo "_acme-challenge.loop1 IN CNAME _acme-challenge.loop2.example.test."
      echo "_acme-challenge.loop2 IN CNAME _acme-challenge.loop1.example.test."
      echo "deep.sub IN A 127.0.0.1"
      echo "child IN NS ns1.example.test."
      local i
      for i in 1 2 3 4 5 6 7 8 9; do echo "chain$i IN CNAME chain$((i + 1)).example.test."; done
    fi
  } >"$file"
}

# _dns_key_file FILE NAME ALG SECRET: the key in named.conf syntax (0600).
_dns_key_file() {
  (umask 077 && printf 'key "%s" {\n  algorithm %s;\n  secret "%s";\n};\n' "$2" "$3" "$4" >"$1")
}

# _dns_wait_ready PORT PID LOG WHAT: until the server answers a SOA query for example.test.
_dns_wait_ready() {
  local port=$1 pid=$2 log=$3 what=$4 i
  for ((i = 0; i < 200; i++)); do
    if dig +norecurse +time=1 +tries=1 @127.0.0.1 -p "$port" example.test. SOA 2>/dev/null |
      grep -q 'status: NOERROR'; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || fail "$what exited before answering on 127.0.0.1:$port: $(tail -c 2000 "$log")"
    sleep 0.05
  done
  fail "$what did not answer on 127.0.0.1:$port within 10 s: $(tail -c 2000 "$log")"
}

# _dns_prepare NAME PREFIX: the instance's directory ($TEST_TMP/NAME), port, TSIG key and zone
# files; sets PREFIX_DIR, PREFIX_PORT, PREFIX_SERVER, PREFIX_KEY_{NAME,ALG,SECRET,FILE}.
_dns_prepare() {
  local name=$1 p=$2 d=$TEST_TMP/$1 port secret
  [[ -z ${_DNS_PIDS[$name]:-} ]] || fail "DNS server '$name' is already running"
  mkdir -p "$d"
  port=$(free_ports 1) || fail "could not find a free loopback port"
  printf -v "${p}_DIR" '%s' "$d"
  printf -v "${p}_PORT" '%s' "$port"
  printf -v "${p}_SERVER" '%s' "127.0.0.1:$port"
  printf -v "${p}_KEY_NAME" '%s' "certctl-${name}-key"
  printf -v "${p}_KEY_ALG" '%s' hmac-sha256
  secret=$(openssl rand -base64 32)
  printf -v "${p}_KEY_SECRET" '%s' "$secret"
  printf -v "${p}_KEY_FILE" '%s' "$d/tsig.key"
  _dns_key_file "$d/tsig.key" "certctl-${name}-key" hmac-sha256 "$secret"
  printf -v "${p}_OTHER_KEY_NAME" '%s' "certctl-${name}-other"
  printf -v "${p}_OTHER_KEY_SECRET" '%s' "$(openssl rand -base64 32)"
  _dns_zone_file "$d/example.test.zone" example.test.
  _dns_zone_file "$d/tech.test.zone" tech.test.
}

# _dns_launch NAME PREFIX WHAT COMMAND...: start the server in the background (output to
# PREFIX_DIR/WHAT.log), remember its PID, wait until it answers, export the PREFIX_ variables.
_dns_launch() {
  local name=$1 p=$2 what=$3
  shift 3
  local dir_var=${p}_DIR port_var=${p}_PORT
  local d=${!dir_var} port=${!port_var}
  "$@" </dev/null >"$d/$what.log" 2>&1 &
  local pid=$!
  BACKGROUND_PIDS+=("$pid")
  _DNS_PIDS[$name]=$pid
  _dns_wait_ready "$port" "$pid" "$d/$what.log" "$what"
  local v
  for v in DIR PORT SERVER KEY_NAME KEY_ALG KEY_SECRET KEY_FILE OTHER_KEY_NAME OTHER_KEY_SECRET; do
    export "${p}_$v"
  done
}

bind_start() {
  local name=${1:-bind}
  _dns_need named bind9
  _dns_prepare "$name" BIND
  local d=$BIND_DIR port=$BIND_PORT
  local recursion="recursion no;" hint=""
  local tech="zone \"tech.test\" { type primary; file \"$d/tech.test.zone\"; allow-update { key \"$BIND_KEY_NAME\"; }; };"
  if [[ -n ${BIND_TECH_FORWARD:-} ]]; then
    # tech.test lives on another server: forward every query for it there.
    tech="zone \"tech.test\" { type forward; forward only; forwarders { $BIND_TECH_FORWARD; }; };"
  fi
  if [[ ${BIND_RECURSION:-} == 1 ]]; then
    recursion="recursion yes; allow-recursion { 127.0.0.1; };"
    # Root hints that lead nowhere but loopback: recursion never leaves the machine.
    printf '. 3600000 NS a.root.invalid.\na.root.invalid. 3600000 A 127.0.0.1\n' >"$d/root.hint"
    hint="zone \".\" { type hint; file \"$d/root.hint\"; };"
  fi
  cat >"$d/named.conf" <<CONF
include "$BIND_KEY_FILE";
key "$BIND_OTHER_KEY_NAME" { algorithm hmac-sha256; secret "$BIND_OTHER_KEY_SECRET"; };
options {
  directory "$d";
  pid-file "$d/named.pid";
  session-keyfile "$d/session.key";
  managed-keys-directory "$d";
  listen-on port $port { 127.0.0.1; };
  listen-on-v6 { none; };
  $recursion
  dnssec-validation no;
  notify no;
  allow-transfer { none; };
};
controls { };
$hint
zone "example.test" { type primary; file "$d/example.test.zone"; allow-update { key "$BIND_KEY_NAME"; }; };
$tech
CONF
  _dns_launch "$name" BIND named named -g -4 -c "$d/named.conf"
}

knot_start() {
  local name=${1:-knot}
  _dns_need knotd knot
  _dns_prepare "$name" KNOT
  local d=$KNOT_DIR port=$KNOT_PORT
  mkdir -p "$d/db"
  (umask 077 && cat >"$d/knot.conf" <<CONF
server:
    rundir: "$d"
    pidfile: "$d/knot.pid"
    listen: 127.0.0.1@$port
log:
  - target: stderr
    any: info
database:
    storage: "$d/db"
control:
    listen: "$d/knot.sock"
key:
  - id: $KNOT_KEY_NAME
    algorithm: $KNOT_KEY_ALG
    secret: $KNOT_KEY_SECRET
  - id: $KNOT_OTHER_KEY_NAME
    algorithm: hmac-sha256
    secret: $KNOT_OTHER_KEY_SECRET
acl:
  - id: update
    key: $KNOT_KEY_NAME
    action: update
template:
  - id: default
    storage: "$d"
    file: "%s.zone"
    zonefile-sync: -1
    journal-content: changes
zone:
  - domain: example.test
    acl: update
  - domain: tech.test
    acl: update
CONF
  )
  _dns_launch "$name" KNOT knotd knotd -c "$d/knot.conf"
}

# _dns_stop NAME: stop one server by its PID.
_dns_stop() {
  local name=$1 pid=${_DNS_PIDS[$1]:-}
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "_DNS_PIDS[$name]"
}
bind_stop() { _dns_stop "${1:-bind}"; }
knot_stop() { _dns_stop "${1:-knot}"; }

pdns_start() {
  if ! command -v pdns_server >/dev/null 2>&1 || [[ ! -f /usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql ]]; then
    [[ ${CI:-} == true ]] && fail "pdns-server and pdns-backend-sqlite3 are required (CI=true; tests/deps.sh --test)"
    trap - EXIT
    local pid
    for pid in "${BACKGROUND_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    rm -rf "$TEST_TMP"
    echo "SKIP $TEST_NAME: PowerDNS is not installed (pdns-server pdns-backend-sqlite3; tests/deps.sh --test)"
    exit 0
  fi
  PDNS_DIR=$TEST_TMP/pdns
  mkdir -p "$PDNS_DIR"
  python3 - "$PDNS_DIR/pdns.sqlite3" /usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript(open(sys.argv[2]).read())
db.commit()
PY
  local ports i pid
  mapfile -t ports < <(free_ports 2)
  PDNS_DNS_PORT=${ports[0]} PDNS_API_PORT=${ports[1]}
  PDNS_API_KEY="pdns-test-key-$RANDOM$RANDOM"
  PDNS_API_URL=http://127.0.0.1:$PDNS_API_PORT
  # Everything on the command line; --config-dir points at an empty directory, so nothing from
  # /etc/powerdns is read.
  pdns_server --config-dir="$PDNS_DIR" --socket-dir="$PDNS_DIR" --guardian=no --daemon=no --write-pid=no \
    --disable-syslog --log-timestamp=no --loglevel=4 \
    --launch=gsqlite3 --gsqlite3-database="$PDNS_DIR/pdns.sqlite3" \
    --local-address=127.0.0.1 --local-port="$PDNS_DNS_PORT" \
    --webserver=yes --webserver-address=127.0.0.1 --webserver-port="$PDNS_API_PORT" \
    --webserver-allow-from=127.0.0.1/32 --api=yes --api-key="$PDNS_API_KEY" \
    --cache-ttl=0 --negquery-cache-ttl=0 --query-cache-ttl=0 --zone-cache-refresh-interval=0 \
    >"$PDNS_DIR/log" 2>&1 &
  pid=$!
  BACKGROUND_PIDS+=("$pid")
  for ((i = 0; i < 200; i++)); do
    pdns_api GET "" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || fail "pdns_server exited: $(tail -c 2000 "$PDNS_DIR/log")"
    sleep 0.05
  done
  pdns_api GET "" >/dev/null || fail "PowerDNS API did not come up at $PDNS_API_URL: $(tail -c 2000 "$PDNS_DIR/log")"
  export PDNS_DIR PDNS_DNS_PORT PDNS_API_PORT PDNS_API_KEY PDNS_API_URL
}

pdns_api() {
  local args=(-sS --max-time 5 -X "$1" -H "X-API-Key: $PDNS_API_KEY" "$PDNS_API_URL/api/v1/servers/localhost$2")
  [[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' --data "$3")
  curl "${args[@]}"
}

# reserve_silent_port: SILENT_PORT, a loopback UDP port where nothing ever answers.
reserve_silent_port() { reserve_port silent SILENT_PORT; }

dns_txt() {
  local server=$1 name=$2 out
  out=$(dig +norecurse +short +time=2 +tries=1 @"${server%:*}" -p "${server##*:}" "$name" TXT) ||
    fail "dig could not ask $server for TXT $name"
  [[ -z $out ]] || sed -e 's/^"//' -e 's/"$//' -e 's/" "//g' <<<"$out" | sort
}

dns_nsupdate() {
  local server=$1 keyfile=$2
  shift 2
  {
    echo "server ${server%:*} ${server##*:}"
    printf '%s\n' "$@"
    echo "send"
  } | nsupdate -k "$keyfile" -t 5 || fail "nsupdate against $server failed: $*"
}
