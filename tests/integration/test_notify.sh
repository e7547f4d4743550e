#!/usr/bin/env bash
# Notifiers: a webhook and SMTP mail (local receivers in tests/support/notify_sink.py) told by
# `renew` about renewal failures, successes and imported certificates nearing expiry (once per
# stage: entering the window, 7, 3, 1 days, expired), `notify test`, bad input, a receiver that
# fails (a warning, the run's result stands) and --no-notify.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pebble.sh"   # free_ports

SINK=$TEST_TMP/sink
mkdir -p "$SINK"
mapfile -t PORTS < <(free_ports 2)
HOOK_PORT=${PORTS[0]} SMTP_PORT=${PORTS[1]}
"$PYTHON3" "$CERTCTL_SOURCE_DIR/tests/support/notify_sink.py" http "$HOOK_PORT" "$SINK" </dev/null >"$SINK/http.out" 2>&1 &
BACKGROUND_PIDS+=("$!")
SINK_USER=alice SINK_PASSWORD='s3cret pw' "$PYTHON3" "$CERTCTL_SOURCE_DIR/tests/support/notify_sink.py" smtp \
  "$SMTP_PORT" "$SINK" </dev/null >"$SINK/smtp.out" 2>&1 &
BACKGROUND_PIDS+=("$!")
for ((i = 0; i < 100; i++)); do
  curl -s -o /dev/null -X POST "http://127.0.0.1:$HOOK_PORT/ready" && break
  sleep 0.05
done
rm -f "$SINK/webhook.jsonl"
NOW=$(date +%s)

# hooks N: the number of webhook posts so far; hook_check EXPR: the last post's body (bound to d).
hooks() { [[ -f $SINK/webhook.jsonl ]] && wc -l <"$SINK/webhook.jsonl" || echo 0; }
mails() { [[ -f $SINK/mail.jsonl ]] && wc -l <"$SINK/mail.jsonl" || echo 0; }
hook_check() {
  OUT=$(tail -n 1 "$SINK/webhook.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["body"])')
  json_check "$1"
}
mail_check() {
  OUT=$(tail -n 1 "$SINK/mail.jsonl")
  json_check "$1"
}

step "notify add / list: a webhook and a mail notifier; no secret stored"
new_vault
expect_ok certctl notify add hook --webhook "http://127.0.0.1:$HOOK_PORT/certctl" --on failure,success,expiring --expiring-days 30
expect_ok certctl notify add mail --smtp "smtp://127.0.0.1:$SMTP_PORT" --from certctl@example.com \
  --to ops@example.com,oncall@example.com --smtp-user alice --smtp-password-env SINK_PW
expect_ok certctl notify list --json
json_check '[(n["name"], n["type"], n["events"]) for n in d] == [("hook", "webhook", ["failure", "success", "expiring"]), ("mail", "email", ["failure", "expiring"])]'
json_check 'd[1]["to"] == ["ops@example.com", "oncall@example.com"] and d[1]["smtp_password_env"] == "SINK_PW" and d[0]["expiring_days"] == 30'
expect_ok certctl notify list
assert_contains "$OUT" "smtp://127.0.0.1:$SMTP_PORT -> ops@example.com, oncall@example.com"

step "notify test: a POST with JSON, a mail with AUTH to every recipient"
expect_ok certctl notify test hook
hook_check 'd["event"] == "test" and d["certificates"][0]["name"] == "test"'
assert_eq "$(tail -n 1 "$SINK/webhook.jsonl" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["path"], j["content_type"])')" \
  "/certctl application/json" "webhook path and content type"
expect_ok env SINK_PW='s3cret pw' "$CERTCTL_BIN" notify test mail
mail_check 'd["from"] == "<certctl@example.com>" and d["to"] == ["<ops@example.com>", "<oncall@example.com>"] and d["auth"] == "alice"'
mail_check '"Subject: certctl on " in d["data"] and "test notification" in d["data"]'
expect_exit 3 env SINK_PW='wrong' "$CERTCTL_BIN" notify test mail
assert_contains "$ERR" "notifier 'mail'"
assert_contains "$ERR" "535"
expect_exit 3 certctl notify test mail
assert_contains "$ERR" "SINK_PW"

step "bad input: a clear error, nothing stored"
DIGEST=$(vault_digest)
expect_exit 2 certctl notify add x --webhook ftp://example.com/x
assert_contains "$ERR" "--webhook"
expect_exit 2 certctl notify add x --smtp "smtp://127.0.0.1:$SMTP_PORT" --from a@example.com
assert_contains "$ERR" "--to"
expect_exit 2 certctl notify add x --webhook "http://127.0.0.1:$HOOK_PORT/" --on failure,sometimes
assert_contains "$ERR" "'sometimes'"
expect_exit 2 certctl notify add x --webhook "http://127.0.0.1:$HOOK_PORT/" --smtp "smtp://127.0.0.1:$SMTP_PORT"
expect_exit 2 certctl notify add "bad/name" --webhook "http://127.0.0.1:$HOOK_PORT/"
expect_exit 10 certctl notify test nosuch
expect_exit 10 certctl notify remove nosuch
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after refused notify commands"

step "an imported certificate nearing expiry: reminded once per stage"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TEST_TMP/legacy.key" \
  -out "$TEST_TMP/legacy.pem" -subj "/CN=legacy.example" -days 20 2>/dev/null
expect_ok certctl import legacy --cert "$TEST_TMP/legacy.pem" --key "$TEST_TMP/legacy.key"
issue_record web web.example
H=$(hooks) M=$(mails)
expect_ok env SINK_PW='s3cret pw' "$CERTCTL_BIN" renew
assert_eq "$OUT$ERR" "" "output of renew with nothing due"
assert_eq "$(hooks)" $((H + 1)) "webhook posts"
hook_check 'd["event"] == "expiring" and [c["name"] for c in d["certificates"]] == ["legacy"]'
hook_check 'd["certificates"][0]["days_remaining"] in (19, 20) and "imported" in d["certificates"][0]["reason"]'
assert_eq "$(mails)" "$M" "mails (their window is the default 14 days)"
expect_ok env SINK_PW='s3cret pw' "$CERTCTL_BIN" renew
assert_eq "$(hooks)" $((H + 1)) "webhook posts after a second run (already reminded)"
expect_ok env SINK_PW='s3cret pw' CERTCTL_NOW=$((NOW + 14 * 86400)) "$CERTCTL_BIN" renew
assert_eq "$(hooks)" $((H + 2)) "webhook posts at 7 days left"
hook_check 'd["certificates"][0]["days_remaining"] in (5, 6)'
assert_eq "$(mails)" $((M + 1)) "mails inside their 14-day window"
mail_check '"legacy (legacy.example): active" in d["data"] and "expire soon" in d["data"]'
expect_ok env SINK_PW='s3cret pw' CERTCTL_NOW=$((NOW + 14 * 86400 + 3600)) "$CERTCTL_BIN" renew
assert_eq "$(hooks)" $((H + 2)) "webhook posts an hour later"

step "success and failure reach the notifiers that want them"
H=$(hooks) M=$(mails)
expect_ok env SINK_PW='s3cret pw' "$CERTCTL_BIN" renew web --force
assert_eq "$(hooks)" $((H + 1)) "webhook posts after a renewal"
hook_check 'd["event"] == "success" and d["certificates"][0]["name"] == "web" and d["certificates"][0]["status"] == "renewed"'
assert_eq "$(mails)" "$M" "mails after a renewal (mail wants failures only)"
expect_ok certctl ca add broken --directory "https://127.0.0.1:9/dir"
expect_ok certctl create down --domain down.example --ca broken
expect_ok certctl csr down
expect_exit 9 env SINK_PW='s3cret pw' "$CERTCTL_BIN" renew down --force
hook_check 'd["event"] == "failure" and d["certificates"][0]["name"] == "down" and "no ACME account" in d["certificates"][0]["error"]'
assert_eq "$(mails)" $((M + 1)) "mails after a failure"
mail_check '"failed to renew" in d["data"] and "no ACME account" in d["data"]'

step "a failing receiver is a warning; --no-notify sends nothing"
echo 500 >"$SINK/status"
expect_ok env SINK_PW='s3cret pw' "$CERTCTL_BIN" renew web --force
assert_contains "$ERR" "warning: notifier 'hook'"
assert_contains "$ERR" "HTTP 500"
rm -f "$SINK/status"
H=$(hooks)
expect_ok env SINK_PW='s3cret pw' "$CERTCTL_BIN" renew web --force --no-notify
assert_eq "$(hooks)" "$H" "webhook posts with --no-notify"

step "notify remove"
expect_ok certctl notify remove hook
expect_ok certctl notify list --json
json_check '[n["name"] for n in d] == ["mail"]'
