#!/usr/bin/env bash
# ACME Renewal Information (RFC 9773) against pebble behind tests/support/ari_proxy.py (pebble
# 2.4 has no renewalInfo): the window is fetched right after issuance and kept in the record,
# renew waits for the random time inside it, asks again once Retry-After (clamped to 1 minute ..
# 1 day) has passed, renews when the CA moves the window into the past (showing its
# explanationURL), sends "replaces", and goes ahead without it when the CA says alreadyReplaced.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pebble.sh"

pebble_start
ARI_PORT=$(free_ports 1)
ARI_STATE=$TEST_TMP/ari
mkdir -p "$ARI_STATE"
NOW=$(date +%s)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
# window START END RETRY_AFTER [EXPLANATION [STATUS]]: what the proxy's renewalInfo serves.
window() {
  printf '{"status": %s, "start": "%s", "end": "%s", "retry_after": %s, "explanationURL": "%s"}\n' \
    "${5:-200}" "$(iso "$1")" "$(iso "$2")" "$3" "${4:-}" >"$ARI_STATE/window.json"
}
window $((NOW + 40 * 86400)) $((NOW + 41 * 86400)) 3600
"$PYTHON3" "$CERTCTL_SOURCE_DIR/tests/support/ari_proxy.py" "$ARI_PORT" "${PEBBLE_DIR_URL%/dir}" \
  "$PEBBLE_CA_BUNDLE" "$TEST_TMP/pebble/cert.pem" "$TEST_TMP/pebble/key.pem" "$ARI_STATE" \
  </dev/null >"$ARI_STATE/proxy.out" 2>&1 &
BACKGROUND_PIDS+=("$!")
_pebble_wait_for "https://127.0.0.1:$ARI_PORT/dir" "$!" "$ARI_STATE/proxy.out" "ari_proxy" --cacert "$PEBBLE_CA_BUNDLE"
HTTP=(--http-port "$PEBBLE_HTTP_PORT" --http-address 127.0.0.1)

# ari_of NAME: "cert_id window_start renew_at next_check" of the record.
ari_of() {
  certctl show "$1" --json </dev/null | python3 -c '
import json, sys
a = json.load(sys.stdin)["ari"]
print(a["cert_id"], a["window_start"], a["renew_at"], a["next_check"], a["last_error"] or "-")'
}
# cert_id_of NAME: the ARI id computed by openssl from the record's certificate.
cert_id_of() {
  local pem=$TEST_TMP/$1.pem aki serial
  certctl show "$1" --pem cert </dev/null >"$pem"
  aki=$(openssl x509 -in "$pem" -noout -ext authorityKeyIdentifier | sed -n 's/^ *\(keyid:\)\{0,1\}\([0-9A-F:]\{10,\}\).*/\2/p' | tr -d ':')
  serial=$(openssl x509 -in "$pem" -noout -serial | cut -d= -f2)
  (( ${#serial} % 2 == 0 )) || serial=0$serial
  [[ $serial =~ ^[89A-F] ]] && serial=00$serial
  python3 -c '
import base64, sys
b = lambda h: base64.urlsafe_b64encode(bytes.fromhex(h)).decode().rstrip("=")
print(b(sys.argv[1]) + "." + b(sys.argv[2]))' "$aki" "$serial"
}
since() { date -u -d "$1" +%s; }

step "issue: the renewal window is fetched right after issuance and kept in the record"
new_vault
expect_ok certctl ca add ari --directory "https://127.0.0.1:$ARI_PORT/dir" --ca-bundle "$PEBBLE_CA_BUNDLE"
expect_ok certctl account register --ca ari --email ari@example.com --agree-tos
expect_ok certctl issue web --domain web.example.test --ca ari "${HTTP[@]}"
read -r ID1 START1 RENEW1 NEXT1 ERR1 < <(ari_of web)
assert_eq "$ID1" "$(cert_id_of web)" "the record's ARI id (openssl: AKI keyid . serial)"
assert_eq "$(tail -n 1 "$ARI_STATE/renewal-info.log")" "$ID1" "the certID renewalInfo was asked for"
assert_eq "$(since "$START1")" $((NOW + 40 * 86400)) "window start"
(($(since "$RENEW1") >= NOW + 40 * 86400 && $(since "$RENEW1") <= NOW + 41 * 86400)) ||
  fail "renew_at $RENEW1 is outside the window"
(($(since "$NEXT1") >= NOW + 3600 && $(since "$NEXT1") <= $(date +%s) + 3600)) ||
  fail "next_check $NEXT1 is not an hour (Retry-After) from issuance"
assert_eq "$ERR1" "-" "ARI last_error"
pass
assert_eq "$(uniq "$ARI_STATE/replaces.log")" "-" "a first order replaces nothing"

step "renew before Retry-After: nothing asked, nothing due, silent"
FETCHES=$(wc -l <"$ARI_STATE/renewal-info.log")
expect_ok certctl renew
assert_eq "$OUT$ERR" "" "output of renew"
assert_eq "$(wc -l <"$ARI_STATE/renewal-info.log")" "$FETCHES" "renewalInfo requests"

step "inside the 30-day threshold but before the CA's window: the window wins"
expect_ok env CERTCTL_NOW=$((NOW + 30 * 60)) "$CERTCTL_BIN" renew web --json
json_check 'd["items"][0]["outcome"] == "not due"'

step "Retry-After passed: asked again; Retry-After is clamped to 1 minute .. 1 day"
window $((NOW + 40 * 86400)) $((NOW + 41 * 86400)) 5
T=$((NOW + 2 * 3600))
expect_ok env CERTCTL_NOW=$T "$CERTCTL_BIN" renew
assert_eq "$OUT$ERR" "" "output of renew with nothing due"
assert_eq "$(wc -l <"$ARI_STATE/renewal-info.log")" $((FETCHES + 1)) "renewalInfo requests"
read -r _ _ RENEW2 NEXT2 _ < <(ari_of web)
assert_eq "$(since "$NEXT2")" $((T + 60)) "next_check after Retry-After: 5"
assert_eq "$RENEW2" "$RENEW1" "renew_at for an unchanged window"
window $((NOW + 40 * 86400)) $((NOW + 41 * 86400)) 999999
T=$((T + 120))
expect_ok env CERTCTL_NOW=$T "$CERTCTL_BIN" renew
read -r _ _ _ NEXT3 _ < <(ari_of web)
assert_eq "$(since "$NEXT3")" $((T + 86400)) "next_check after Retry-After: 999999"

step "a failing renewalInfo: kept in the record, retried in an hour, the run still exits 0"
window $((NOW + 40 * 86400)) $((NOW + 41 * 86400)) 0 "" 500
T=$((T + 86400))
expect_ok env CERTCTL_NOW=$T "$CERTCTL_BIN" renew
assert_eq "$OUT$ERR" "" "output of renew"
read -r _ _ _ NEXT4 ERR4 < <(ari_of web)
assert_eq "$(since "$NEXT4")" $((T + 3600)) "next_check after a failed fetch"
assert_contains "$ERR4" "HTTP 500"

step "the CA moves the window into the past: renewed now, with replaces and the explanation"
window $((NOW - 2 * 86400)) $((NOW - 86400)) 3600 "https://ca.example/incident/7"
T=$((T + 3700))
expect_ok env CERTCTL_NOW=$T "$CERTCTL_BIN" renew --json
json_check '[(i["name"], i["outcome"]) for i in d["items"]] == [("web", "renewed")]'
json_check '"renewal window" in d["items"][0]["reason"] and "https://ca.example/incident/7" in d["items"][0]["reason"]'
assert_eq "$(tail -n 1 "$ARI_STATE/replaces.log")" "$ID1" "replaces sent in the renewal's newOrder"
expect_ok certctl orders web --json
json_check 'd[-1]["type"] == "renew" and d[-1]["status"] == "valid" and d[-1]["replaces"] == "'"$ID1"'"'
read -r ID2 _ _ _ _ < <(ari_of web)
assert_ne "$ID2" "$ID1" "the new certificate's ARI id"
assert_eq "$ID2" "$(cert_id_of web)" "the record's ARI id after renewal"

step "alreadyReplaced: the order goes ahead without replaces"
touch "$ARI_STATE/already-replaced"
ORDERS=$(wc -l <"$ARI_STATE/replaces.log")
expect_ok certctl renew web --force --json
json_check 'd["items"][0]["outcome"] == "renewed"'
# newOrder requests of this renewal (pebble's rejected nonces repeat a request): first with
# replaces (answered alreadyReplaced), then only without.
SENT=$(tail -n +$((ORDERS + 1)) "$ARI_STATE/replaces.log" | uniq | tr '\n' ' ')
assert_eq "$SENT" "$ID2 - " "replaces, then none after alreadyReplaced"
expect_ok certctl orders web --json
json_check 'd[-1]["status"] == "valid" and d[-1]["replaces"] is None'

step "the local CA offers no ARI: no ari state"
issue_record plain plain.example
expect_ok certctl show plain --json
json_check 'd["ari"] is None'

step "show: the CA's renewal window and when certctl will renew"
window $((NOW + 40 * 86400)) $((NOW + 41 * 86400)) 3600 "https://ca.example/why"
expect_ok certctl issue web
expect_ok certctl show web
assert_contains "$OUT" "renewal window:"
assert_contains "$OUT" "$(iso $((NOW + 40 * 86400)))"
assert_contains "$OUT" "https://ca.example/why"
