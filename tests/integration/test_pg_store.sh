#!/usr/bin/env bash
# The PostgreSQL storage backend against a real server: starts PostgreSQL 15 on a free loopback
# port (tests/support/pg.sh) and runs the contract test certctl_pg_test (tests/pg) with its URL.
# CERTCTL_PG_TEST names the test binary (ctest sets it); the binary under test is the backend
# itself, so CERTCTL_BIN only has to exist for lib.sh. Arguments go to the test binary (a test
# name or tag picks cases).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../support/pg.sh"

: "${CERTCTL_PG_TEST:?set CERTCTL_PG_TEST to the certctl_pg_test binary}"
[[ -x $CERTCTL_PG_TEST ]] || fail "CERTCTL_PG_TEST=$CERTCTL_PG_TEST is not an executable"
# Only what the test passes may reach libpq.
unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGPASSFILE PGSERVICE PGSERVICEFILE PGAPPNAME \
  PGSSLMODE PGOPTIONS PGCONNECT_TIMEOUT

step "start PostgreSQL"
pg_start
pass

# A root that did not sign the server's certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$TEST_TMP/other.key" -out "$TEST_TMP/other-ca.crt" 2>/dev/null ||
  fail "could not make a second certificate"

step "certctl_pg_test against $PG_URL"
CERTCTL_TEST_PG_URL=$PG_URL CERTCTL_TEST_PG_PORT=$PG_PORT CERTCTL_TEST_PG_CA=$PG_CA \
  CERTCTL_TEST_PG_OTHER_CA=$TEST_TMP/other-ca.crt "$CERTCTL_PG_TEST" --durations yes "$@" \
  >"$TEST_TMP/pg_test.out" 2>&1 || {
  cat "$TEST_TMP/pg_test.out" >&2
  fail "certctl_pg_test failed"
}
cat "$TEST_TMP/pg_test.out"
pass

step "the server stops by its PID and leaves nothing behind"
data=$PG_DATA
pid=$(head -n 1 "$PG_DATA/postmaster.pid")
pg_stop
kill -0 "$pid" 2>/dev/null && fail "postmaster $pid still runs after pg_stop"
[[ ! -e $data ]] || [[ $data == "$TEST_TMP"/* ]] || fail "pg_stop left $data"
pass
