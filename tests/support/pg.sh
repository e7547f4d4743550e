# shellcheck shell=bash
# A throwaway PostgreSQL 15 server for the PostgreSQL storage tests. Source after
# tests/integration/lib.sh (TEST_TMP, fail, free_ports).
#
#   pg_start   initdb (trust authentication for the postgres superuser, scram-sha-256 for
#              every other role over TCP) and start the server on a free loopback port, its
#              socket in its own directory, with fsync=off. As root both run as the postgres
#              user (initdb refuses root), in a directory of their own under TMPDIR; otherwise
#              as the current user, under TEST_TMP. Exports:
#                PG_URL    postgresql://postgres@127.0.0.1:PG_PORT/postgres
#                PG_PORT   the TCP port on 127.0.0.1
#                PG_DATA   the data directory (PG_DATA/../server.log is the server's log)
#                PG_SOCKET the socket directory
#                PG_CA     the server's self-signed certificate (CN and IP SAN 127.0.0.1),
#                          the root for sslmode=verify-full&sslrootcert=PG_CA (TLS is on;
#                          clients that do not ask for it may still connect without)
#   pg_psql SQL...  run SQL with psql as postgres against PG_URL (ON_ERROR_STOP, quiet)
#   pg_query SQL    print the rows of one query (unaligned, no headers)
#   pg_down/pg_up   stop the server keeping its data (fast shutdown: connected clients are cut
#                   off, as in a service restart) / start it again on the same port
#   pg_stop    stop the server now: SIGTERM to the PID in postmaster.pid (the first line),
#              SIGINT (fast shutdown) after 10 s, SIGQUIT after 20 s; never by name. Also runs
#              on EXIT, before lib.sh's own clean-up.
# Without the server binaries the script is skipped (exit 0, "SKIP ..."), or fails when
# CI=true.

declare -p BACKGROUND_PIDS >/dev/null 2>&1 || fail "pg.sh must be sourced after lib.sh"

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
if [[ ! -x $PG_BIN/initdb || ! -x $PG_BIN/pg_ctl || ! -x $PG_BIN/psql ]]; then
  [[ ${CI:-} == true ]] && fail "PostgreSQL 15 is required (CI=true): install the Debian package 'postgresql' (tests/deps.sh --test)"
  trap - EXIT
  rm -rf "$TEST_TMP"
  echo "SKIP $TEST_NAME: PostgreSQL 15 is not installed in $PG_BIN (Debian package 'postgresql'; tests/deps.sh --test)"
  exit 0
fi

_PG_BASE=""
_PG_AS=()

# Run the server's tools as the user that owns the cluster.
_pg_as() { "${_PG_AS[@]}" "$@"; }

pg_start() {
  [[ -z $_PG_BASE ]] || fail "pg_start: a server is already running ($PG_DATA)"
  if [[ $(id -u) == 0 ]]; then
    id postgres >/dev/null 2>&1 || fail "pg_start: running as root, but there is no postgres user to run the server as"
    # TEST_TMP is root's and 0700; the postgres user needs a directory it can enter.
    _PG_BASE=$(mktemp -d "${TMPDIR:-/tmp}/certctl-pg-$TEST_NAME.XXXXXX")
    chown postgres: "$_PG_BASE"
    _PG_AS=(runuser -u postgres --)
  else
    _PG_BASE=$TEST_TMP/pg
    mkdir -m 700 "$_PG_BASE"
    _PG_AS=(env)
  fi
  export PG_DATA=$_PG_BASE/data PG_SOCKET=$_PG_BASE/sock
  _pg_as mkdir -m 700 "$PG_DATA" "$PG_SOCKET"
  _pg_as "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust --auth-host=scram-sha-256 -E UTF8 --no-sync \
    >"$_PG_BASE/initdb.log" 2>&1 || fail "initdb failed: $(tail -c 2000 "$_PG_BASE/initdb.log")"
  # The superuser connects without a password (trust); any other role needs its password.
  _pg_as sh -c "cat >'$PG_DATA/pg_hba.conf'" <<'HBA'
local all all trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
HBA
  # TLS with a throwaway self-signed certificate, valid for 127.0.0.1.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$_PG_BASE/server.key" -out "$_PG_BASE/server.crt" \
    >"$_PG_BASE/openssl.log" 2>&1 || fail "could not make the server certificate: $(cat "$_PG_BASE/openssl.log")"
  chmod 600 "$_PG_BASE/server.key"
  chmod 644 "$_PG_BASE/server.crt"
  if [[ $(id -u) == 0 ]]; then chown postgres: "$_PG_BASE/server.key" "$_PG_BASE/server.crt"; fi
  export PG_CA=$_PG_BASE/server.crt
  local attempt
  for attempt in 1 2 3; do
    PG_PORT=$(free_ports 1)
    if _pg_ctl_start; then
      break
    fi
    # Another process may have taken the port between choosing and binding: try another.
    ((attempt < 3)) || fail "PostgreSQL did not start: $(tail -c 2000 "$_PG_BASE/server.log" 2>/dev/null)"
  done
  export PG_PORT
  export PG_URL=postgresql://postgres@127.0.0.1:$PG_PORT/postgres
}

_pg_ctl_start() {
  _pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$_PG_BASE/server.log" -w -t 30 \
    -o "-p $PG_PORT -k $PG_SOCKET -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c ssl=on -c ssl_cert_file=$_PG_BASE/server.crt -c ssl_key_file=$_PG_BASE/server.key" \
    start >"$_PG_BASE/pg_ctl.log" 2>&1
}

# pg_down: stop the server (SIGTERM to its PID, waiting), keeping its data; pg_up starts it
# again on the same port (a database restart as clients see it).
pg_down() {
  local pid i=0
  pid=$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] || fail "pg_down: no postmaster.pid in $PG_DATA"
  # SIGINT: a fast shutdown, as `pg_ctl stop` and a service restart do: clients still
  # connected (an agent listening) are disconnected rather than waited for.
  kill -INT "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && ((i < 300)); do sleep 0.1; i=$((i + 1)); done
  kill -0 "$pid" 2>/dev/null && fail "pg_down: postmaster $pid did not stop"
  return 0
}
pg_up() { _pg_ctl_start || fail "PostgreSQL did not start again: $(tail -c 2000 "$_PG_BASE/server.log" 2>/dev/null)"; }

# pg_query SQL: print the result rows unaligned, without headers.
pg_query() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$PG_URL" -c "$1" || fail "psql: $1"; }

pg_psql() {
  local sql
  for sql in "$@"; do
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$PG_URL" -c "$sql" || fail "psql: $sql"
  done
}

pg_stop() {
  [[ -n $_PG_BASE ]] || return 0
  local pid="" i=0
  if [[ -f $PG_DATA/postmaster.pid ]]; then pid=$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true); fi
  if [[ $pid =~ ^[0-9]+$ ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && ((i < 300)); do
      if ((i == 100)); then kill -INT "$pid" 2>/dev/null || true; fi
      if ((i == 200)); then kill -QUIT "$pid" 2>/dev/null || true; fi
      sleep 0.1
      i=$((i + 1))
    done
  fi
  if [[ $_PG_BASE != "$TEST_TMP"/* ]]; then rm -rf "$_PG_BASE" || true; fi
  _PG_BASE=""
  return 0
}

# Stop the server before lib.sh's _finish removes TEST_TMP, keeping the script's exit status.
_pg_exit() {
  local rc=$?
  set +e
  pg_stop
  (exit "$rc")
  _finish
}
trap _pg_exit EXIT
