#!/usr/bin/env bash
# End to end against a real ACME CA (pebble, with pebble-challtestsrv as its DNS): CA profiles,
# accounts (terms of service, onlyReturnExisting, EAB, update, key rollover, deactivation),
# issuance with http-01 (standalone and webroot), dns-01 (exec hook, wildcard) and tls-alpn-01,
# renewal, revocation as the CA sees it, the one-shot CI form, and failures: validation, an
# unreachable CA, an untrusted TLS certificate, fallback to the local CA.
# pebble rejects 5% of good nonces (its default), so badNonce retries run throughout.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pebble.sh"

pebble_start
pebble_root_pem "$TEST_TMP/pebble-root.pem" "$TEST_TMP/pebble-intermediate.pem"
HTTP=(--http-port "$PEBBLE_HTTP_PORT" --http-address 127.0.0.1)

# A loopback port where nothing listens.
reserve_closed_port

# orders_check NAME EXPR: `orders NAME --json` (bound to `o`, a list) satisfies EXPR.
orders_check() {
  expect_ok certctl orders "$1" --json
  json_check "(lambda o: $2)(d)"
}

# pem_to FILE: $OUT (a PEM from `show --pem`) into FILE.
pem_to() { printf '%s\n' "$OUT" >"$1"; }

step "ca add / list / show"
use_vault "$TEST_TMP/vault"
expect_ok certctl init --scrypt-n 1024
expect_ok certctl ca local init --cn "certctl Test Local Root"
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" --allow-wildcard
assert_contains "$OUT$ERR" "account register --ca pebble"
expect_ok certctl ca list
assert_contains "$OUT" "pebble"
assert_contains "$OUT" "$PEBBLE_DIR_URL"
expect_ok certctl ca list --json
json_check '[p["directory"] for p in d if p["name"] == "pebble"] == ["'"$PEBBLE_DIR_URL"'"]'
expect_ok certctl ca show pebble --json
json_check 'isinstance(d, dict)'
json_check 'd["name"] == "pebble" and d["type"] == "acme" and d["builtin"] is False and d["allow_wildcard"] is True'
json_check 'd["directory"] == "'"$PEBBLE_DIR_URL"'" and d["ca_bundle"] == "'"$PEBBLE_CA_BUNDLE"'"'
expect_ok certctl ca show pebble
assert_contains "$OUT" "$PEBBLE_DIR_URL"
expect_exit 10 certctl ca show nosuch-ca
expect_exit 2 certctl ca add http-ca --directory "http://127.0.0.1:$CLOSED_PORT/dir"

step "account register: terms of service, then an account; again finds the same one"
expect_exit 10 certctl account show --ca pebble
DIGEST=$(vault_digest)
expect_exit 2 certctl account register --ca pebble --email a@example.com
assert_contains "$ERR" "terms of service"
assert_contains "$ERR" "--agree-tos"
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after a refused register"
expect_exit 2 certctl account register --ca pebble --email not-an-address --agree-tos
expect_ok certctl account register --ca pebble --email a@example.com --agree-tos
expect_ok certctl account show --ca pebble --json
json_check 'd["ca"] == "pebble" and d["status"] == "valid" and d["contact"] == ["mailto:a@example.com"]'
json_check 'd["url"].startswith("'"${PEBBLE_DIR_URL%/dir}"'/") and d["key_type"] == "ec256"'
ACCOUNT_URL=$(json_get 'd["url"]')
NEWACCT_BEFORE=$(grep -c 'POST /sign-me-up' "$PEBBLE_LOG" || true)
ACCOUNTS_BEFORE=$(grep -c 'accounts in memory' "$PEBBLE_LOG" || true)
expect_ok certctl account register --ca pebble --email a@example.com --agree-tos
assert_contains "$OUT$ERR" "$ACCOUNT_URL" "register again"
expect_ok certctl account show --ca pebble --json
json_check 'd["url"] == "'"$ACCOUNT_URL"'" and d["status"] == "valid"'
# It asked the CA (onlyReturnExisting), not just the vault.
(($(grep -c 'POST /sign-me-up' "$PEBBLE_LOG") > NEWACCT_BEFORE)) ||
  fail "registering again did not ask the CA: $(tail -5 "$PEBBLE_LOG")"
pass
assert_eq "$(grep -c 'accounts in memory' "$PEBBLE_LOG")" "$ACCOUNTS_BEFORE" "pebble's account creations after registering again"

step "http-01 (standalone): domain + SAN, chain verifies to pebble's root"
expect_ok certctl issue web --domain web.example.test --san www.web.example.test --ca pebble "${HTTP[@]}"
assert_contains "$OUT$ERR" "web"
expect_ok certctl show web --pem cert
pem_to "$TEST_TMP/web1.pem"
expect_ok certctl show web --pem chain
pem_to "$TEST_TMP/web-chain.pem"
expect_ok certctl show web --pem fullchain
pem_to "$TEST_TMP/web-fullchain.pem"
assert_eq "$(grep -c 'BEGIN CERTIFICATE' "$TEST_TMP/web-fullchain.pem")" 2 "certificates in fullchain"
expect_ok openssl verify -CAfile "$TEST_TMP/pebble-root.pem" -untrusted "$TEST_TMP/web-fullchain.pem" "$TEST_TMP/web1.pem"
assert_contains "$OUT" ": OK"
expect_ok openssl verify -CAfile "$TEST_TMP/pebble-root.pem" -untrusted "$TEST_TMP/pebble-intermediate.pem" "$TEST_TMP/web1.pem"
assert_eq "$(openssl x509 -in "$TEST_TMP/web-chain.pem" -noout -fingerprint -sha256)" \
  "$(openssl x509 -in "$TEST_TMP/pebble-intermediate.pem" -noout -fingerprint -sha256)" "chain vs pebble's intermediate"
expect_ok openssl x509 -in "$TEST_TMP/web1.pem" -noout -ext subjectAltName
assert_contains "$OUT" "DNS:web.example.test"
assert_contains "$OUT" "DNS:www.web.example.test"
expect_ok certctl show web --pem csr
assert_eq "$(openssl x509 -in "$TEST_TMP/web1.pem" -noout -pubkey)" "$(openssl req -noout -pubkey <<<"$OUT")" \
  "certificate key vs the vault's CSR key"
expect_ok certctl list --json
json_check '[(r["status"], r["issued_by"], r["ca"]) for r in d if r["name"] == "web"] == [("active", "pebble", "pebble")]'
json_check '"Pebble" in [r for r in d if r["name"] == "web"][0]["issuer"]'
expect_ok certctl show web --json
json_check 'd["status"] == "active" and d["version"] == 1 and d["last_error"] is None'
SERIAL1=$(json_get 'd["serial_hex"]')
assert_eq "$(cert_serial "$TEST_TMP/web1.pem")" "$SERIAL1" "record serial vs certificate serial"
assert_eq "$(pebble_cert_status "$SERIAL1")" "Valid" "pebble's status of the new certificate"
orders_check web 'len(o) == 1 and o[0]["status"] == "valid" and o[0]["ca"] == "pebble" and o[0]["type"] == "issue" and o[0]["error"] is None'

step "http-01 (webroot): token served by another web server, then removed"
WEBROOT=$TEST_TMP/webroot
mkdir -p "$WEBROOT"
echo hello >"$WEBROOT/index.html"
"$PYTHON3" -S -m http.server --bind 127.0.0.1 --directory "$WEBROOT" "$PEBBLE_HTTP_PORT" \
  </dev/null >"$TEST_TMP/webroot.log" 2>&1 &
WEB_PID=$!
BACKGROUND_PIDS+=("$WEB_PID")
for ((i = 0; i < 100; i++)); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PEBBLE_HTTP_PORT/index.html" 2>/dev/null && break
  kill -0 "$WEB_PID" 2>/dev/null || fail "the webroot server exited: $(cat "$TEST_TMP/webroot.log")"
  sleep 0.05
done
expect_ok certctl issue wr --domain webroot.example.test --ca pebble --challenge http-01 --webroot "$WEBROOT"
kill "$WEB_PID"
wait "$WEB_PID" 2>/dev/null || true
grep -q 'GET /.well-known/acme-challenge/[A-Za-z0-9_-]* HTTP/1.1" 200' "$TEST_TMP/webroot.log" ||
  fail "the CA never fetched a token from the webroot: $(cat "$TEST_TMP/webroot.log")"
pass
LEFT=$(find "$WEBROOT" -type f ! -name index.html)
assert_eq "$LEFT" "" "files left in the webroot"
expect_ok certctl show wr --json
json_check 'd["status"] == "active" and d["issued_by"] == "pebble"'

step "http-01 through a web root per name (--webroot NAME=DIR) and through --http-hook"
# A web server that serves each Host from a directory of its own, as virtual hosts do.
SITES=$TEST_TMP/sites
mkdir -p "$SITES/a.wm.example.test" "$SITES/b.wm.example.test" "$SITES/hk.example.test"
cat >"$TEST_TMP/vhosts.py" <<'EOF_PY'
import http.server, os, sys
base = sys.argv[2]
class Handler(http.server.SimpleHTTPRequestHandler):
    def translate_path(self, path):
        self.directory = os.path.join(base, self.headers.get("Host", "").split(":")[0])
        return super().translate_path(path)
    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.headers.get("Host", "").split(":")[0], fmt % args))
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
EOF_PY
"$PYTHON3" -S "$TEST_TMP/vhosts.py" "$PEBBLE_HTTP_PORT" "$SITES" </dev/null >"$TEST_TMP/vhosts.log" 2>&1 &
WEB_PID=$!
BACKGROUND_PIDS+=("$WEB_PID")
for ((i = 0; i < 100; i++)); do
  curl -fsS -o /dev/null -H 'Host: a.wm.example.test' "http://127.0.0.1:$PEBBLE_HTTP_PORT/" 2>/dev/null && break
  kill -0 "$WEB_PID" 2>/dev/null || fail "the virtual-host server exited: $(cat "$TEST_TMP/vhosts.log")"
  sleep 0.05
done
# A name without a web root is refused before anything is answered (and the record removed).
expect_exit 2 certctl issue wm --domain a.wm.example.test --san b.wm.example.test --ca pebble \
  --webroot "a.wm.example.test=$SITES/a.wm.example.test"
assert_contains "$ERR" "b.wm.example.test"
expect_exit 2 certctl issue wm --domain a.wm.example.test --ca pebble --webroot "$SITES" --webroot "$SITES/x"
expect_exit 2 certctl issue wm --domain a.wm.example.test --ca pebble --webroot "a.wm.example.test=relative"
expect_ok certctl issue wm --domain a.wm.example.test --san b.wm.example.test --ca pebble \
  --webroot "a.wm.example.test=$SITES/a.wm.example.test" --webroot "b.wm.example.test=$SITES/b.wm.example.test"
for h in a.wm.example.test b.wm.example.test; do
  grep -q "^$h \"GET /.well-known/acme-challenge/[A-Za-z0-9_-]* HTTP/1.1\" 200" "$TEST_TMP/vhosts.log" ||
    fail "the CA fetched no token from $h's own web root: $(cat "$TEST_TMP/vhosts.log")"
  pass
done
assert_eq "$(find "$SITES" -type f)" "" "files left in the web roots"
expect_ok certctl show wm --json
json_check 'd["status"] == "active" and d["issue"]["webroot_map"] == ["a.wm.example.test='"$SITES"'/a.wm.example.test", "b.wm.example.test='"$SITES"'/b.wm.example.test"]'
# --http-hook: the hook publishes the token where the web server serves it, then removes it.
cat >"$TEST_TMP/http-hook.sh" <<EOF
#!/bin/sh
set -eu
echo "\$1 \$2 \$3 \$CERTCTL_TOKEN" >>'$TEST_TMP/http-hook.log'
dir='$SITES'/\$2/.well-known/acme-challenge
case \$1 in
present) mkdir -p "\$dir" && printf '%s' "\$4" >"\$dir/\$3" ;;
cleanup) rm -f "\$dir/\$3" ;;
esac
EOF
chmod 755 "$TEST_TMP/http-hook.sh"
expect_exit 2 certctl issue hk --domain hk.example.test --ca pebble --http-hook http-hook.sh
expect_ok certctl issue hk --domain hk.example.test --ca pebble --http-hook "$TEST_TMP/http-hook.sh"
assert_eq "$(awk '{print $1, $2, ($3 == $4)}' "$TEST_TMP/http-hook.log" | tr '\n' '|')" \
  "present hk.example.test 1|cleanup hk.example.test 1|" "http hook calls"
grep -q '^hk.example.test "GET /.well-known/acme-challenge/' "$TEST_TMP/vhosts.log" || fail "the CA fetched nothing from the hook's file"
pass
assert_eq "$(find "$SITES" -type f)" "" "files left after the http hook's cleanup"
expect_ok certctl show hk --json
json_check 'd["issue"]["http_hook"] == "'"$TEST_TMP/http-hook.sh"'" and d["issue"]["webroot"] is None'
# A failing hook fails the issue with its last words; a web root replaces the hook.
printf '#!/bin/sh\necho "no load balancer API" >&2\nexit 4\n' >"$TEST_TMP/bad-hook.sh"
chmod 755 "$TEST_TMP/bad-hook.sh"
# (A new name: pebble reuses the account's valid authorization for hk.example.test.)
expect_exit 3 certctl issue hk2 --domain hk2.example.test --ca pebble --http-hook "$TEST_TMP/bad-hook.sh"
assert_contains "$ERR" "no load balancer API"
expect_ok certctl edit hk --webroot "$SITES/hk.example.test"
expect_ok certctl show hk --json
json_check 'd["issue"]["http_hook"] is None and d["issue"]["webroot"] == "'"$SITES/hk.example.test"'"'
kill "$WEB_PID"
wait "$WEB_PID" 2>/dev/null || true

step "dns-01 (exec hook): wildcard and apex in one order, every record cleaned up"
write_dns_hook "$TEST_TMP/hook.sh" "$TEST_TMP/hook.log"
expect_ok certctl issue wild --domain '*.wild.example.test' --san wild.example.test --ca pebble \
  --dns "exec:$TEST_TMP/hook.sh"
expect_ok certctl show wild --pem cert
pem_to "$TEST_TMP/wild.pem"
expect_ok openssl x509 -in "$TEST_TMP/wild.pem" -noout -ext subjectAltName
assert_contains "$OUT" "DNS:*.wild.example.test"
assert_contains "$OUT" "DNS:wild.example.test"
FQDN=_acme-challenge.wild.example.test.
mapfile -t PRESENTED < <(awk '$1 == "present" { print $2 " " $3 }' "$TEST_TMP/hook.log")
mapfile -t CLEANED < <(awk '$1 == "cleanup" { print $2 " " $3 }' "$TEST_TMP/hook.log")
assert_eq "${#PRESENTED[@]}" 2 "present calls (wildcard + apex: two TXT values for one name)"
assert_eq "$(printf '%s\n' "${PRESENTED[@]}" | sort)" "$(printf '%s\n' "${CLEANED[@]}" | sort)" \
  "cleanup calls vs present calls"
for line in "${PRESENTED[@]}"; do
  [[ $line =~ ^${FQDN//./\\.}\ [A-Za-z0-9_-]{43}$ ]] || fail "hook called with '$line', expected '$FQDN <43 base64url>'"
  pass
done
assert_ne "${PRESENTED[0]}" "${PRESENTED[1]}" "the two TXT values"
# Every present comes before the first cleanup (all authorizations answered together).
assert_eq "$(awk '{print $1}' "$TEST_TMP/hook.log" | uniq | tr '\n' ' ')" "present cleanup " "order of hook calls"
expect_ok certctl show wild --json
json_check 'd["status"] == "active" and d["wildcard"] is True'

step "dns-01 through a stored exec provider and a DNS server that is not authoritative"
# challtestsrv serves the TXT records but answers no SOA: checking propagation fails.
expect_ok certctl dns add cts --provider exec --command "$TEST_TMP/hook.sh"
expect_exit 8 certctl issue np1 --domain np1.example.test --ca pebble --dns cts --dns-resolver "$CTS_DNS"
expect_exit 10 certctl show np1
expect_ok certctl issue np2 --domain np2.example.test --ca pebble --dns cts --no-propagation-check \
  --dns-resolver "$CTS_DNS"
expect_ok certctl show np2 --json
json_check 'd["status"] == "active" and d["issue"]["no_propagation_check"] is True and d["issue"]["propagation_wait"] is None'
expect_ok certctl edit np2 --propagation-check
expect_ok certctl show np2 --json
json_check 'd["issue"]["no_propagation_check"] is False'
# A fixed wait instead of the check: per provider, and per record (also for exec:CMD).
expect_ok certctl dns add ctswait --provider exec --command "$TEST_TMP/hook.sh" --propagation-wait 2
expect_ok certctl dns show ctswait --json
json_check 'd["propagation_wait_s"] == 2 and d["no_propagation_check"] is False'
STARTED=$SECONDS
expect_ok certctl issue np3 --domain np3.example.test --ca pebble --dns ctswait --dns-resolver "$CTS_DNS"
((SECONDS - STARTED >= 2)) || fail "the provider's 2 s propagation wait did not happen"
pass
STARTED=$SECONDS
expect_ok certctl issue np4 --domain np4.example.test --ca pebble --dns "exec:$TEST_TMP/hook.sh" --propagation-wait 2
((SECONDS - STARTED >= 2)) || fail "the record's 2 s propagation wait did not happen for exec:CMD"
pass
expect_ok certctl show np4 --json
json_check 'd["issue"]["propagation_wait"] == 2'
expect_exit 2 certctl edit np4 --propagation-wait 3601

step "tls-alpn-01"
expect_ok certctl issue alpn --domain alpn.example.test --ca pebble --challenge tls-alpn-01 \
  --tls-port "$PEBBLE_TLS_PORT" --http-address 127.0.0.1
expect_ok certctl show alpn --json
json_check 'd["status"] == "active" and d["issued_by"] == "pebble" and "Pebble" in d["issuer"]'
expect_ok certctl show alpn --pem fullchain
pem_to "$TEST_TMP/alpn-fullchain.pem"
expect_ok openssl verify -CAfile "$TEST_TMP/pebble-root.pem" -untrusted "$TEST_TMP/alpn-fullchain.pem" \
  "$TEST_TMP/alpn-fullchain.pem"

step "IP address identifier (RFC 8738) over http-01"
expect_ok certctl issue ipaddr --domain 127.0.0.1 --ca pebble "${HTTP[@]}"
expect_ok certctl show ipaddr --pem cert
printf '%s\n' "$OUT" >"$TEST_TMP/ipaddr.pem"
expect_ok openssl x509 -in "$TEST_TMP/ipaddr.pem" -noout -ext subjectAltName
assert_contains "$OUT" "IP Address:127.0.0.1" "the IP SAN"

step "renewal: issue again, version 2, version 1 in the history"
expect_ok certctl issue web
expect_ok certctl show web --json
json_check 'd["version"] == 2 and d["status"] == "active" and d["renewed"] is not None'
SERIAL2=$(json_get 'd["serial_hex"]')
assert_ne "$SERIAL2" "$SERIAL1" "serials of version 1 and 2"
json_check '[h["version"] for h in d["history"]] == [1] and d["history"][0]["serial_hex"] == "'"$SERIAL1"'"'
expect_ok certctl show web --version 1 --pem cert
pem_to "$TEST_TMP/web-v1.pem"
cmp -s "$TEST_TMP/web-v1.pem" "$TEST_TMP/web1.pem" || fail "show --version 1 --pem cert is not the first certificate"
pass
expect_ok certctl show web --pem cert
pem_to "$TEST_TMP/web2.pem"
assert_eq "$(cert_serial "$TEST_TMP/web2.pem")" "$SERIAL2" "serial of the current certificate"
assert_eq "$(openssl x509 -in "$TEST_TMP/web2.pem" -noout -pubkey)" "$(openssl x509 -in "$TEST_TMP/web1.pem" -noout -pubkey)" \
  "public key of version 1 and 2"
orders_check web '[e["type"] for e in o] == ["issue", "reissue"] and all(e["status"] == "valid" for e in o)'

step "revoke with a reason: pebble reports it revoked"
expect_ok certctl revoke web --reason keyCompromise --yes
assert_eq "$(pebble_cert_status "$SERIAL2")" "Revoked" "pebble's status of the revoked certificate"
assert_eq "$(pebble_cert_status "$SERIAL2" Reason)" "1" "pebble's revocation reason (keyCompromise)"
assert_eq "$(pebble_cert_status "$SERIAL1")" "Valid" "pebble's status of version 1 (not revoked)"
expect_ok certctl show web --json
json_check 'd["status"] == "revoked" and d["revoked"] is not None and d["revoke_reason"] == "keyCompromise"'
DIGEST=$(vault_digest)
expect_exit 9 certctl revoke web --reason keyCompromise --yes
assert_contains "$ERR" "revoked"
expect_exit 9 certctl issue web
assert_contains "$ERR" "revoked"
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after refused revoke/issue"
expect_exit 2 certctl revoke alpn --reason noSuchReason --yes
expect_ok certctl revoke alpn --yes
assert_eq "$(pebble_cert_status "$(record_serial alpn)" Reason)" "0" "pebble's revocation reason (unspecified)"

step "failure of a one-step issue: the record it created is removed again"
# certctl answers on another port; on the CA's http-01 port nothing listens.
DEAD_HTTP=(--http-port "$(free_ports 1)" --http-address 127.0.0.1)
expect_exit 7 certctl issue gone --domain gone.example.test --ca pebble "${DEAD_HTTP[@]}"
assert_contains "$ERR" "gone.example.test"
expect_exit 10 certctl show gone
if file_backend; then
  [[ ! -e "$CERTCTL_VAULT/certs/gone" ]] || fail "certs/gone left behind: $(find "$CERTCTL_VAULT/certs/gone")"
else
  assert_eq "$(vault_keys certs/gone/)" "" "keys of the removed record"
fi
orders_check gone 'len(o) == 1 and o[0]["status"] == "failed"'
if file_backend; then
  assert_eq "$("$PYTHON3" -c 'import json,sys
print(" ".join(e["action"] for e in map(json.loads, open(sys.argv[1])) if e["certificate"] == "gone"))' \
    "$CERTCTL_VAULT/audit.log")" "create csr issue-failed delete" "audit trail of the removed record"
fi
# The same command once the responder answers creates and issues it.
expect_ok certctl issue gone --domain gone.example.test --ca pebble "${HTTP[@]}"
expect_ok certctl show gone --json
json_check 'd["status"] == "active"'

step "one-shot batch: one --domain per NAME, created, keyed and issued in one run; one that fails fails alone"
expect_exit 2 certctl issue bt1 bt2 --domain bt1.example.test --ca pebble "${HTTP[@]}"
assert_contains "$ERR" "2 names, 1 --domain"
expect_exit 2 certctl issue bt1 bt2 --domain bt1.example.test --domain bt2.example.test --san x.bt.example.test \
  --ca pebble "${HTTP[@]}"
assert_contains "$ERR" "--san"
expect_exit 2 certctl issue bt1 bt1 --domain bt1.example.test --domain bt1.example.test --ca pebble "${HTTP[@]}"
assert_contains "$ERR" "twice"
expect_exit 2 certctl issue bt1 --domain bt1.example.test --domain bt2.example.test --ca pebble "${HTTP[@]}"
assert_contains "$ERR" "one --domain"
expect_exit 10 certctl show bt1
# bt3 exists and answers dns-01 through a hook that publishes nothing; gone exists for another
# domain. The others are created here, with the key type given.
expect_ok certctl create bt3 --domain bt3.example.test --ca pebble
expect_ok certctl edit bt3 --dns exec:/bin/true
rc=0
certctl issue bt1 bt3 bt2 gone bt4 --domain bt1.example.test --domain bt3.example.test --domain bt2.example.test \
  --domain other.example.test --domain bt4.example.test --ca pebble --key-type rsa2048 "${HTTP[@]}" \
  </dev/null >"$TEST_TMP/bt.out" 2>"$TEST_TMP/bt.err" || rc=$?
ERR=$(cat "$TEST_TMP/bt.err")
assert_eq "$rc" 7 "exit status of the batch (its first failure: bt3 at the CA); stderr: $ERR"
assert_contains "$ERR" "certctl: issue: 2 of 5 failed"
assert_contains "$ERR" "bt3.example.test"
assert_contains "$ERR" "other.example.test"
for n in bt1 bt2 bt4; do
  expect_ok certctl show "$n" --json
  json_check 'd["status"] == "active" and d["key_type"] == "rsa2048" and d["domain"] == "'"$n"'.example.test"'
done
expect_ok certctl show bt3 --json
json_check 'd["status"] == "error" and d["last_error"]'
expect_ok certctl show gone --json
json_check 'd["domain"] == "gone.example.test" and d["status"] == "active" and d["version"] == 1'
expect_ok certctl delete bt3 --yes  # the steps below count the records in error

step "failure: http-01 validation fails (nothing answers on the CA's port)"
expect_ok certctl create bad --domain bad.example.test --ca pebble
expect_ok certctl csr bad
expect_exit 7 certctl issue bad "${DEAD_HTTP[@]}"
assert_contains "$ERR" "bad.example.test"
assert_contains "$ERR" "connection"
expect_ok certctl show bad --json
json_check 'd["status"] == "error" and d["last_error"] and "bad.example.test" in d["last_error"]'
json_check 'd["has_key"] is True and d["has_csr"] is True and d["serial_hex"] is None and d["version"] == 1'
if file_backend; then
  assert_eq "$(find "$CERTCTL_VAULT/certs/bad" -name 'cert.pem' -o -name 'chain.pem' -o -name '.*.tmp')" "" \
    "certificate or temporary files of the failed record"
else
  assert_eq "$(vault_keys certs/bad/ | grep -E '/(cert\.pem|chain\.pem|\.[^/]*\.tmp)$' || true)" "" \
    "certificate or temporary keys of the failed record"
fi
orders_check bad 'len(o) == 1 and o[0]["status"] == "failed" and o[0]["ca"] == "pebble" and o[0]["error"]'
expect_ok certctl list --json --status error
json_check '[r["name"] for r in d] == ["bad"]'
# A later attempt with a working responder recovers the record.
expect_ok certctl issue bad "${HTTP[@]}"
expect_ok certctl show bad --json
json_check 'd["status"] == "active" and d["last_error"] is None and d["version"] == 1'
orders_check bad '[e["status"] for e in o] == ["failed", "valid"]'

step "failure: dns-01 hook that publishes nothing"
expect_ok certctl create nodns --domain nodns.example.test --ca pebble
expect_ok certctl csr nodns
expect_exit 7 certctl issue nodns --dns exec:/bin/true
assert_contains "$ERR" "nodns.example.test"
assert_contains "$ERR" "TXT"
expect_ok certctl show nodns --json
json_check 'd["status"] == "error" and d["last_error"]'
orders_check nodns 'len(o) == 1 and o[0]["status"] == "failed"'

step "failure: dns-01 hook that fails (exit 8, its last words, cleanup still runs)"
cat >"$TEST_TMP/failhook.sh" <<EOF
#!/bin/sh
echo "\$1 \$2 \$3" >>'$TEST_TMP/failhook.log'
[ "\$1" = cleanup ] && exit 0
echo "working..."
echo "no API token configured" >&2
exit 3
EOF
chmod 755 "$TEST_TMP/failhook.sh"
expect_ok certctl create failhook --domain failhook.example.test --ca pebble
expect_ok certctl csr failhook
expect_exit 8 certctl issue failhook --dns "exec:$TEST_TMP/failhook.sh"
assert_contains "$ERR" "exited 3"
assert_contains "$ERR" "no API token configured"
assert_eq "$(awk '{print $1 " " $2}' "$TEST_TMP/failhook.log" | tr '\n' '|')" \
  "present _acme-challenge.failhook.example.test.|cleanup _acme-challenge.failhook.example.test.|" "failing hook calls"
expect_ok certctl show failhook --json
json_check 'd["status"] == "error" and "no API token configured" in d["last_error"]'
orders_check failhook 'len(o) == 1 and o[0]["status"] == "failed" and "exited 3" in o[0]["error"]'

step "failure: unreachable CA (exit 6, names the URL)"
DEAD_URL="https://127.0.0.1:$CLOSED_PORT/dir"
expect_ok certctl ca add dead --directory "$DEAD_URL"
expect_exit 6 certctl account register --ca dead --email a@example.com --agree-tos
assert_contains "$ERR" "$DEAD_URL"
expect_exit 10 certctl account show --ca dead

step "failure: CA bundle that does not sign the CA's certificate (exit 6, certificate verification)"
OTHER=$TEST_TMP/other-ca
mkdir -p "$OTHER"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$OTHER/key.pem" -out "$OTHER/ca.pem" \
  -subj "/CN=Unrelated CA" -days 2 2>/dev/null || fail "openssl could not make an unrelated CA"
expect_ok certctl ca add wrongtrust --directory "$PEBBLE_DIR_URL" --ca-bundle "$OTHER/ca.pem"
expect_exit 6 certctl account register --ca wrongtrust --email a@example.com --agree-tos
assert_contains "${ERR,,}" "certificate"
assert_contains "${ERR,,}" "verif"
assert_contains "$ERR" "$PEBBLE_DIR_URL"
# Without --ca-bundle the system roots do not trust pebble either.
expect_ok certctl ca add systrust --directory "$PEBBLE_DIR_URL"
expect_exit 6 certctl account register --ca systrust --email a@example.com --agree-tos
assert_contains "${ERR,,}" "certificate"

step "--fallback local after a failing CA"
expect_ok certctl issue fb --domain fb.example.test --ca pebble "${DEAD_HTTP[@]}" --fallback local
expect_ok certctl list --json
json_check '[(r["status"], r["issued_by"], r["ca"]) for r in d if r["name"] == "fb"] == [("active", "local", "pebble")]'
expect_ok certctl show fb --json
json_check 'd["issuer"] == "CN=certctl Test Local Root Intermediate 1" and d["last_error"] is None'
orders_check fb '[(e["ca"], e["status"]) for e in o] == [("pebble", "failed"), ("local", "valid")]'
expect_ok certctl show fb --json
json_check 'd["issue"]["fallback"] == ["local"] and d["issue"]["http_address"] == "127.0.0.1"'
# --fallback '' clears the stored list: the failing CA then fails alone.
expect_exit 7 certctl issue fb --fallback ''
expect_ok certctl show fb --json
json_check 'd["issue"]["fallback"] == [] and d["status"] == "error" and d["issued_by"] == "local"'
orders_check fb '[(e["ca"], e["status"]) for e in o][-1] == ("pebble", "failed")'
expect_ok certctl show fb --pem cert
pem_to "$TEST_TMP/fb.pem"
expect_ok certctl show fb --pem chain
pem_to "$TEST_TMP/fb-chain.pem"
expect_ok openssl verify -CAfile <(certctl ca local export-root) -untrusted "$TEST_TMP/fb-chain.pem" "$TEST_TMP/fb.pem"

step "one-shot CI form in a fresh vault: register and issue in one command"
use_vault "$TEST_TMP/vault-ci"
expect_ok certctl init --scrypt-n 1024
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE"
expect_exit 10 certctl account show --ca pebble
# A dry run registers no account: it says how to, and writes nothing.
DIGEST=$(vault_digest)
expect_exit 2 certctl issue ci --domain ci.example.test --ca pebble --email ci@example.com --agree-tos --dry-run "${HTTP[@]}"
assert_contains "$ERR" "account register"
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after a refused dry run"
expect_ok certctl issue ci --domain ci.example.test --ca pebble --email ci@example.com --agree-tos "${HTTP[@]}"
expect_ok certctl account show --ca pebble --json
json_check 'd["status"] == "valid" and d["contact"] == ["mailto:ci@example.com"]'
assert_ne "$(json_get 'd["url"]')" "$ACCOUNT_URL" "account URL of the CI vault"
expect_ok certctl show ci --json
json_check 'd["status"] == "active" and d["issued_by"] == "pebble" and d["domain"] == "ci.example.test" and d["version"] == 1'
# Running the same line again (a CI re-run) renews with the existing account.
expect_ok certctl issue ci --domain ci.example.test --ca pebble --email ci@example.com --agree-tos "${HTTP[@]}"
expect_ok certctl show ci --json
json_check 'd["status"] == "active" and d["version"] == 2'

step "issue --dry-run: a first issuance and new names validated at the CA, nothing finalized or written"
finalized() { grep -c 'POST /finalize-order/' "$PEBBLE_LOG" || true; }
FINALIZED=$(finalized)
DIGEST=$(vault_digest)
expect_ok certctl issue trial --domain trial.example.test --san www.trial.example.test --ca pebble --dry-run "${HTTP[@]}"
assert_contains "$ERR" "dry run: 'trial' validated by CA 'pebble' without finalizing"
expect_exit 10 certctl show trial
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after a first-issuance dry run"
# The names reached the CA.
grep -q 'www.trial.example.test' "$PEBBLE_LOG" || fail "pebble saw no order for www.trial.example.test"
expect_ok certctl issue ci --dry-run --json "${HTTP[@]}"
json_check 'd["name"] == "ci" and d["issued_by"] == "pebble" and d["serial_hex"] is None'
expect_ok certctl issue ci --dry-run --san extra.ci.example.test "${HTTP[@]}"
assert_contains "$ERR" "validated by CA 'pebble'"
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after dry runs of an existing record"
assert_eq "$(finalized)" "$FINALIZED" "orders finalized by the dry runs"
expect_ok certctl show ci --json
json_check 'd["sans"] == [] and d["version"] == 2'
# A failing dry run fails as the issue would, and leaves nothing either (new names: pebble
# reuses the authorizations the account already has).
expect_exit 7 certctl issue trial2 --domain trial2.example.test --ca pebble --dry-run "${DEAD_HTTP[@]}"
expect_exit 10 certctl show trial2
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after a failed dry run"
use_vault "$TEST_TMP/vault"

step "External Account Binding (a second pebble that requires it)"
MAIN=("$PEBBLE_DIR_URL" "$PEBBLE_CA_BUNDLE" "$PEBBLE_MGMT" "$CTS_MGMT" "$PEBBLE_HTTP_PORT" "$PEBBLE_TLS_PORT" "$PEBBLE_LOG")
PEBBLE_EAB=1 pebble_start eab
EAB_DIR_URL=$PEBBLE_DIR_URL
expect_ok certctl ca add eab --directory "$EAB_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE"
expect_exit 2 certctl account register --ca eab --email e@example.com --agree-tos
assert_contains "$ERR" "External Account Binding"
expect_exit 10 certctl account show --ca eab
# A wrong HMAC key: the CA refuses.
openssl rand 32 | base64 -w0 | tr '+/' '-_' | tr -d '=' >"$TEST_TMP/wrong-hmac"
expect_exit 7 certctl account register --ca eab --email e@example.com --agree-tos \
  --eab-kid "$PEBBLE_EAB_KID" --eab-hmac-file "$TEST_TMP/wrong-hmac"
assert_contains "${ERR,,}" "external account binding"
assert_not_contains "$ERR" "_acme-challenge" "the error for a wrong EAB key (no challenge hint)"
expect_exit 10 certctl account show --ca eab
expect_ok certctl account register --ca eab --email e@example.com --agree-tos \
  --eab-kid "$PEBBLE_EAB_KID" --eab-hmac-file "$PEBBLE_EAB_HMAC_FILE"
expect_ok certctl account show --ca eab --json
json_check 'd["status"] == "valid" and d["url"].startswith("'"${EAB_DIR_URL%/dir}"'/")'
# The binding stored with the profile (ca add --eab-kid/--eab-hmac-file) is used by register.
expect_ok certctl ca add eab2 --directory "$EAB_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" \
  --eab-kid "$PEBBLE_EAB_KID" --eab-hmac-file "$PEBBLE_EAB_HMAC_FILE"
expect_ok certctl ca show eab2 --json
json_check 'd["eab_kid"] == "'"$PEBBLE_EAB_KID"'"'
if file_backend; then
  PLAIN=$(cat "$CERTCTL_VAULT"/config.toml "$CERTCTL_VAULT"/ca/*.toml 2>/dev/null || true)
else
  PLAIN=""
  for k in $(vault_keys | grep -E '^(config\.toml|ca/[^/]*\.toml)$'); do PLAIN+=$(cat "$(vault_file "$k")"); done
fi
assert_not_contains "$PLAIN" "$(cat "$PEBBLE_EAB_HMAC_FILE")" "the vault's plain-text files"
expect_ok certctl account register --ca eab2 --email e2@example.com --agree-tos
expect_ok certctl issue eabcert --domain eab.example.test --ca eab --http-port "$PEBBLE_HTTP_PORT" --http-address 127.0.0.1
expect_ok certctl show eabcert --json
json_check 'd["status"] == "active" and d["issued_by"] == "eab"'

step "failure: the CA goes away (exit 6 on issue, names the URL, record in error)"
pebble_stop eab
expect_exit 6 certctl issue eabcert
assert_contains "$ERR" "$EAB_DIR_URL"
expect_ok certctl show eabcert --json
json_check 'd["status"] == "error" and d["last_error"] and d["version"] == 1 and d["serial_hex"] is not None'
orders_check eabcert '[e["status"] for e in o] == ["valid", "failed"]'
PEBBLE_DIR_URL=${MAIN[0]} PEBBLE_CA_BUNDLE=${MAIN[1]} PEBBLE_MGMT=${MAIN[2]} CTS_MGMT=${MAIN[3]}
PEBBLE_HTTP_PORT=${MAIN[4]} PEBBLE_TLS_PORT=${MAIN[5]} PEBBLE_LOG=${MAIN[6]}

step "account update, key rollover, deactivate"
expect_ok certctl account update --ca pebble --email b@example.com
expect_ok certctl account show --ca pebble --json
json_check 'd["contact"] == ["mailto:b@example.com"] and d["url"] == "'"$ACCOUNT_URL"'"'
expect_exit 2 certctl account update --ca pebble --email nope
KEYCHANGE_BEFORE=$(grep -c 'POST /rollover-account-key' "$PEBBLE_LOG" || true)
expect_ok certctl account key-rollover --ca pebble
(($(grep -c 'POST /rollover-account-key' "$PEBBLE_LOG") > KEYCHANGE_BEFORE)) || fail "key-rollover did not reach the CA"
pass
expect_ok certctl account show --ca pebble --json
json_check 'd["url"] == "'"$ACCOUNT_URL"'" and d["status"] == "valid"'
# The new key signs: an order for a new name (fresh authorizations) still works.
expect_ok certctl issue rolled --domain rolled.example.test --ca pebble "${HTTP[@]}"
expect_ok certctl show rolled --json
json_check 'd["status"] == "active" and d["issued_by"] == "pebble"'
# And the account is still found by its (new) key.
expect_ok certctl account register --ca pebble --agree-tos
expect_ok certctl account show --ca pebble --json
json_check 'd["url"] == "'"$ACCOUNT_URL"'"'
expect_exit 1 certctl account deactivate --ca pebble
expect_ok certctl account deactivate --ca pebble --yes
expect_ok certctl account show --ca pebble --json
json_check 'd["status"] == "deactivated"'
expect_exit 9 certctl issue rolled
assert_contains "$ERR" "deactivated"
expect_exit 9 certctl issue after --domain after.example.test --ca pebble "${HTTP[@]}"
assert_contains "$ERR" "deactivated"
expect_exit 10 certctl show after   # the one-step issue removed the record it created
# Without a usable account, revocation is signed with the certificate's own key (jwk).
expect_ok certctl show rolled --json
ROLLED_SERIAL=$(json_get 'd["serial_hex"]')
expect_ok certctl revoke rolled --reason superseded --yes
assert_eq "$(pebble_cert_status "$ROLLED_SERIAL")" "Revoked" "pebble's status of a certificate revoked with its own key"
assert_eq "$(pebble_cert_status "$ROLLED_SERIAL" Reason)" "4" "revocation reason (superseded)"
# Registering again after a deactivation starts over with a new key and a new account.
expect_ok certctl account register --ca pebble --email again@example.com --agree-tos
expect_ok certctl account show --ca pebble --json
json_check 'd["status"] == "valid" and d["url"] != "'"$ACCOUNT_URL"'"'
expect_ok certctl issue after --domain after.example.test --ca pebble "${HTTP[@]}"

step "an added CA allows wildcards only with --allow-wildcard"
expect_ok certctl ca add nowild --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE"
expect_ok certctl ca show nowild --json
json_check 'd["allow_wildcard"] is False'
expect_ok certctl account register --ca nowild --email w@example.com --agree-tos
expect_exit 3 certctl issue nw --domain '*.nw.example.test' --ca nowild --dns "exec:$TEST_TMP/hook.sh"
assert_contains "$ERR" "wildcard"

step "no temporary files left in either vault"
if file_backend; then
  assert_eq "$(find "$TEST_TMP/vault" "$TEST_TMP/vault-ci" -name '.*.tmp')" "" "temporary files in the vaults"
else
  for v in "$TEST_TMP/vault-ci" "$TEST_TMP/vault"; do
    use_vault "$v"
    assert_eq "$(vault_keys | grep -E '(^|/)\.[^/]*\.tmp$' || true)" "" "temporary keys in the vault $v"
  done
fi
