#!/usr/bin/env bash
# -v/--verbose, --debug and --log-file (certctl(1), GLOBAL OPTIONS), and progress on a terminal.
# Issuance through pebble under --debug --log-file with every DNS provider the other tests drive
# (rfc2136 with TSIG on BIND, the exec provider) and http-01, an EAB account registration, and
# `dns test` with powerdns (a real pdns_server), cloudflare and acme-dns (their strict fakes):
# the trace has the HTTP requests and responses, the DNS messages and the hook runs, and none of
# the secrets (TSIG secret, API key and token, acme-dns password, EAB HMAC, the vault
# passphrase, a private key, any JWS signature) is in the trace or on stderr. Then: -v gives one
# line per step and no progress noise when stderr is not a terminal; on a terminal the
# propagation wait shows elapsed and timeout and is cleared before the error, renew shows
# "N of M"; --jitter says how long it sleeps.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dns_servers.sh"
source "$(dirname "$0")/pebble.sh"

BIND_RECURSION=1 bind_start
# No badNonce retries here: the signature count below is per request.
PEBBLE_WFE_NONCEREJECT=0 PEBBLE_EAB=1 pebble_start eab
EAB_DIR_URL=$PEBBLE_DIR_URL EAB_CA_BUNDLE=$PEBBLE_CA_BUNDLE
PEBBLE_DNS_SERVER=$BIND_SERVER pebble_start
pdns_start
export BIND_SECRET=$BIND_KEY_SECRET
export CERTCTL_DNS_RESOLVER=$BIND_SERVER
LOG=$TEST_TMP/trace.log
HTTP=(--http-port "$PEBBLE_HTTP_PORT" --http-address 127.0.0.1)

# Every secret the runs below use; none may reach a trace or stderr.
SECRETS=("$BIND_KEY_SECRET" "$PDNS_API_KEY" "$(cat "$PEBBLE_EAB_HMAC_FILE")")

# no_secrets WHAT TEXT: no value of SECRETS in TEXT, no JWS signature and no private key in clear.
no_secrets() {
  local what=$1 text=$2 s
  for s in "${SECRETS[@]}"; do
    [[ $text != *"$s"* ]] || fail "$what holds the secret '${s:0:6}...'"
  done
  ! grep -Eq '"signature" *: *"[^<]' <<<"$text" || fail "$what holds a JWS signature: $(grep -Eo '"signature" *: *"[^"]{0,12}' <<<"$text" | head -n 1)"
  ! grep -Eq 'PRIVATE KEY-----(\\n|$)' <<<"$text" || fail "$what holds a private key PEM"
  pass
}

# traced_exit CODE ARGS...: certctl --debug --log-file LOG ARGS (a fresh log) exits CODE; the log
# is in TRACE.
traced_exit() {
  local code=$1
  shift
  rm -f "$LOG"
  expect_exit "$code" certctl --debug --log-file "$LOG" "$@"
  TRACE=$(cat "$LOG")
}
traced() { traced_exit 0 "$@"; }

step "an EAB account under --debug: the JWS decoded, its signatures and the HMAC key never shown"
new_vault
SECRETS+=("$(cat "$CERTCTL_PASSPHRASE_FILE")")
expect_ok certctl ca add eab --directory "$EAB_DIR_URL" --ca-bundle "$EAB_CA_BUNDLE"
traced account register --ca eab --email e@example.com --agree-tos --eab-kid "$PEBBLE_EAB_KID" \
  --eab-hmac-file "$PEBBLE_EAB_HMAC_FILE"
assert_mode "$LOG" 600
assert_not_contains "$ERR" "http>" "stderr with --log-file"
assert_contains "$TRACE" "debug: http> POST https://127.0.0.1:"
assert_contains "$TRACE" '"externalAccountBinding":{"payload":{"crv":"P-256"'
assert_contains "$TRACE" '"protected":{"alg":"HS256"'
assert_contains "$TRACE" "\"kid\":\"$PEBBLE_EAB_KID\""
assert_contains "$TRACE" '"signature":"<redacted>"'
no_secrets "the trace of account register" "$TRACE"
# A key rollover: the inner JWS (signed by the new key) is decoded and its signature redacted too.
traced account key-rollover --ca eab
assert_contains "$TRACE" '"oldKey":{"crv":"P-256"'
assert_eq "$(grep -o '"signature":"<redacted>"' <<<"$TRACE" | wc -l)" \
  "$(($(grep -c 'http> POST' <<<"$TRACE") + 1))" "redacted signatures (one per POST, one inner)"
no_secrets "the trace of account key-rollover" "$TRACE"
# The log is appended to, never truncated.
expect_ok certctl --debug --log-file "$LOG" account show --ca eab
assert_eq "$(grep -c 'http> POST' "$LOG")" "$(grep -c 'http> POST' <<<"$TRACE")" "POSTs in the log after a run without network"
assert_contains "$(head -n 1 "$LOG")" "$(head -n 1 <<<"$TRACE")"

step "dns-01 through rfc2136 + TSIG, in the network process: HTTP, DNS and steps reach the log"
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" --allow-wildcard
expect_ok certctl account register --ca pebble --email dns@example.com --agree-tos
expect_ok certctl dns add bind --provider rfc2136 --server "$BIND_SERVER" --key-name "$BIND_KEY_NAME" \
  --tsig-secret-env BIND_SECRET --ttl 30
traced issue wild --domain example.test --san '*.example.test' --ca pebble --dns bind
assert_not_contains "$ERR" "http>" "stderr with --log-file"
for want in "step: CA 'pebble': order created for example.test, *.example.test" \
  "step: dns-01 challenges presented for " "step: dns-01 challenge for example.test validated" \
  "step: dns-01 challenge for *.example.test validated" "step: CA 'pebble': certificate downloaded from" \
  "step: 'wild': version 1 saved" "debug: http< 201 https://127.0.0.1:" "  replay-nonce: " \
  "debug: dns> $BIND_SERVER (the UPDATE for zone example.test.)" "  update: _acme-challenge.example.test. 30 IN TXT" \
  "  tsig: $BIND_KEY_NAME. TSIG hmac-sha256. <mac not shown>" "debug: dns< $BIND_SERVER: id " \
  "step: dns-01: 2 TXT records served by every authoritative server (" \
  '"identifiers":[{"type":"dns","value":"example.test"}'; do
  assert_contains "$TRACE" "$want"
done
no_secrets "the trace of issue --dns bind" "$TRACE$ERR"

step "the exec provider: the hook's runs (command, status, time), never its environment's values"
chmod 600 "$BIND_KEY_FILE"
HOOK_ENV=(DNS_HOOK_SERVER=127.0.0.1 DNS_HOOK_PORT="$BIND_PORT" DNS_HOOK_KEY_FILE="$BIND_KEY_FILE")
expect_ok certctl dns add hook --provider exec --command "$CERTCTL_SOURCE_DIR/examples/dns-hook.sh" --hook-timeout 30
rm -f "$LOG"
expect_ok env "${HOOK_ENV[@]}" "$CERTCTL_BIN" --debug --log-file "$LOG" issue viahook --domain hook.example.test \
  --ca pebble --dns hook
TRACE=$(cat "$LOG")
assert_contains "$TRACE" "debug: hook> $CERTCTL_SOURCE_DIR/examples/dns-hook.sh present _acme-challenge.hook.example.test."
assert_contains "$TRACE" "step: hook '$CERTCTL_SOURCE_DIR/examples/dns-hook.sh cleanup _acme-challenge.hook.example.test."
assert_contains "$TRACE" "' exited 0 ("
assert_contains "$TRACE" "environment also sets CERTCTL_"
no_secrets "the trace of issue --dns hook" "$TRACE$ERR"

step "http-01, --debug without --log-file: the trace on stderr"
expect_ok certctl --debug issue web --domain ns1.example.test --ca pebble "${HTTP[@]}"
assert_contains "$ERR" "http> POST https://127.0.0.1:"
assert_contains "$ERR" "http-01 challenge for ns1.example.test validated"
expect_ok certctl show web --pem key
KEY_LINE=$(sed -n 2p <<<"$OUT")
[[ ${#KEY_LINE} -ge 40 ]] || fail "no key PEM from show --pem key: $OUT"
SECRETS+=("$KEY_LINE")
no_secrets "stderr of issue --debug (http-01)" "$ERR"
no_secrets "the traces so far" "$(cat "$LOG")"

step "powerdns (pdns_server): X-API-Key redacted"
pdns_api POST /zones '{"name":"example.test.","kind":"Native","nameservers":["ns1.example.test."]}' >/dev/null
export PDNS_KEY=$PDNS_API_KEY
expect_ok certctl dns add pdns --provider powerdns --api-url "$PDNS_API_URL" --api-key-env PDNS_KEY
# The environment's CERTCTL_DEBUG and CERTCTL_LOG_FILE, for a change.
rm -f "$LOG"
expect_ok env CERTCTL_DEBUG=1 CERTCTL_LOG_FILE="$LOG" "$CERTCTL_BIN" --dns-resolver "127.0.0.1:$PDNS_DNS_PORT" \
  dns test pdns --domain www.example.test
TRACE=$(cat "$LOG")
assert_contains "$TRACE" "debug: http> PATCH $PDNS_API_URL/api/v1/servers/localhost/zones/example.test."
assert_contains "$TRACE" "  X-API-Key: <redacted>"
assert_contains "$TRACE" "debug: dns> 127.0.0.1:$PDNS_DNS_PORT"
no_secrets "the trace of dns test (powerdns)" "$TRACE$OUT$ERR"

step "cloudflare (fake): the Bearer token redacted"
export CF_TOKEN="cf-token-$RANDOM$RANDOM"
SECRETS+=("$CF_TOKEN")
(umask 077 && printf '%s\n' "$CF_TOKEN" >"$TEST_TMP/cf-token")
start_fake cf fake_cloudflare.py --token-file "$TEST_TMP/cf-token" --zone "example.test=023e105f4ecef8ad9ca31a8372d0c353"
CF_API=$FAKE_URL/client/v4
# The fake serves no DNS: the wait for propagation (at BIND) ends at its timeout.
expect_ok certctl dns add cf --provider cloudflare --api-url "$CF_API" --api-token-env CF_TOKEN --timeout 2
traced_exit 8 dns test cf --domain cf.example.test
assert_contains "$ERR" "certctl: dns-01 propagation: TXT records not served within 2 s"
assert_not_contains "$ERR" $'\r' "stderr (a file) while waiting for propagation"
assert_not_contains "$ERR" "waiting for the rest" "stderr (a file) while waiting for propagation"
assert_contains "$TRACE" "debug: http> POST $CF_API/zones/023e105f4ecef8ad9ca31a8372d0c353/dns_records"
assert_contains "$TRACE" "  Authorization: <redacted>"
assert_contains "$TRACE" "debug: http> DELETE $CF_API/zones/"
no_secrets "the trace of dns test (cloudflare)" "$TRACE$OUT$ERR"

step "acme-dns (fake): the password and X-Api-Key redacted"
ADNS_USER=c36f50e8-4632-44f0-83fe-e070fef28a10 ADNS_SUB=8e5700ea-a4bf-41c7-8a77-e990661dcc6a
export ADNS_PASSWORD=htB9mR9DYgcu9bX_afHF62erXaH2TS7bg9KW3F7Z
SECRETS+=("$ADNS_PASSWORD")
(umask 077 && printf '{"username":"%s","password":"%s","subdomain":"%s"}\n' "$ADNS_USER" "$ADNS_PASSWORD" "$ADNS_SUB" \
  >"$TEST_TMP/adns.json")
start_fake adns fake_acme_dns.py --account-file "$TEST_TMP/adns.json"
expect_ok certctl dns add adns --provider acme-dns --api-url "$FAKE_URL" --username "$ADNS_USER" \
  --subdomain "$ADNS_SUB" --password-env ADNS_PASSWORD --timeout 2
dns_nsupdate "$BIND_SERVER" "$BIND_KEY_FILE" \
  "update add _acme-challenge.adns.example.test. 60 CNAME $ADNS_SUB.example.test."
traced_exit 8 dns test adns --domain adns.example.test
assert_contains "$TRACE" "debug: http> POST $FAKE_URL/update"
assert_contains "$TRACE" "  X-Api-Key: <redacted>"
no_secrets "the trace of dns test (acme-dns)" "$TRACE$OUT$ERR"

step "-v: one line per finished step, no HTTP trace, no progress noise on a pipe"
expect_ok certctl -v issue vweb --domain deep.sub.example.test --ca pebble "${HTTP[@]}"
assert_contains "$ERR" "CA 'pebble': order created for deep.sub.example.test: https://127.0.0.1:"
assert_contains "$ERR" "http-01 challenge for deep.sub.example.test validated"
assert_contains "$ERR" "CA 'pebble': certificate downloaded from"
assert_contains "$ERR" "'vweb': version 1 saved"
assert_not_contains "$ERR" "http>"
assert_not_contains "$ERR" $'\r'
assert_not_contains "$ERR" $'\033'
assert_eq "$(grep -c "order created" <<<"$ERR")" 1 "order lines"
expect_ok certctl edit vweb --deploy-dir "$TEST_TMP/deployed" --deploy-hook 'true'
expect_ok certctl -v deploy run vweb
assert_contains "$ERR" "'vweb': deployed 4 files to $TEST_TMP/deployed"
assert_contains "$ERR" "hook '/bin/sh -c true' exited 0 ("
expect_ok env CERTCTL_VERBOSE=1 "$CERTCTL_BIN" renew vweb web --force
assert_contains "$ERR" "renew: 'vweb': orders ended ("
assert_contains "$ERR" "of 2)"
assert_not_contains "$ERR" $'\r'
# --log-file alone: the -v level goes to the file, nothing of it to stderr.
rm -f "$LOG"
expect_ok certctl --log-file "$LOG" renew web --force
assert_not_contains "$ERR" "orders ended"
assert_contains "$(cat "$LOG")" " step: renew: 'web': orders ended (1 of 1)"
assert_contains "$(cat "$LOG")" " step: 'web': version "
assert_not_contains "$(cat "$LOG")" " debug: "
assert_not_contains "$ERR" $'\r'
assert_not_contains "$ERR" $'\033'

step "--jitter says how long it sleeps; -q says nothing"
expect_ok certctl renew --jitter 1s
assert_contains "$ERR" "renew: --jitter 1s: sleeping "
assert_eq "$(wc -l <<<"$ERR")" 1 "lines on stderr"
expect_ok certctl -q renew --jitter 1s
assert_eq "$ERR" "" "stderr of renew -q --jitter"

step "on a terminal: propagation shows elapsed and timeout, cleared before the error; renew shows N of M"
on_tty() { "$PYTHON3" -c 'import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))' "$@" </dev/null; }
RC=0
TTY_OUT=$(on_tty "$CERTCTL_BIN" dns test cf --domain cf2.example.test) || RC=$?
assert_eq "$RC" 8 "exit status of dns test on a terminal"
assert_contains "$TTY_OUT" "dns-01: 0 of 1 server checks see every record; waiting for the rest (0 s of 2 s)"
assert_contains "$TTY_OUT" $'\r\033[Kcertctl: dns-01 propagation: TXT records not served within 2 s'
TTY_OUT=$(on_tty "$CERTCTL_BIN" renew web vweb --force) || fail "renew on a terminal: $TTY_OUT"
assert_contains "$TTY_OUT" "renew: 1 of 2 done ("
assert_contains "$TTY_OUT" "renew: 2 of 2 done ("
TTY_OUT=$(on_tty "$CERTCTL_BIN" -q renew web --force) || fail "renew -q on a terminal: $TTY_OUT"
assert_not_contains "$TTY_OUT" "done ("

step "a log file that cannot be opened: exit 3, one line naming it, nothing run"
expect_exit 3 certctl --log-file "$TEST_TMP/no/such/dir/trace.log" list
assert_one_line_error
assert_contains "$ERR" "$TEST_TMP/no/such/dir/trace.log: cannot open the log file"
