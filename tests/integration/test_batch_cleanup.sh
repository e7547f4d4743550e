#!/usr/bin/env bash
# A batch shares its challenge solver; when that solver cannot clean up after the orders, each
# record that used it gets a warning (its certificate stands), in `issue` and in `renew`.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pebble.sh"

# Every order validates afresh (pebble would reuse half of the valid authorizations).
export PEBBLE_AUTHZREUSE=0
pebble_start
new_vault
expect_ok certctl ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE"
expect_ok certctl account register --ca pebble --email batch@example.com --agree-tos

# A dns-01 hook that publishes through challtestsrv but fails to remove anything.
write_dns_hook "$TEST_TMP/real-hook.sh" "$TEST_TMP/hook.log"
cat >"$TEST_TMP/hook.sh" <<EOF
#!/bin/sh
'$TEST_TMP/real-hook.sh' "\$@" || exit \$?
[ "\$1" = cleanup ] && { echo "zone is read-only" >&2; exit 4; }
exit 0
EOF
chmod 755 "$TEST_TMP/hook.sh"
for n in one two; do
  expect_ok certctl create "$n" --domain "$n.batch.example.test" --ca pebble
  expect_ok certctl csr "$n"
done

step "issue: both issued, each warned that cleanup failed"
expect_ok certctl issue one two --dns "exec:$TEST_TMP/hook.sh"
assert_contains "$ERR" "warning: one: cleaning up its challenge failed"
assert_contains "$ERR" "warning: two: cleaning up its challenge failed"
assert_contains "$ERR" "zone is read-only"
for n in one two; do
  expect_ok certctl show "$n" --json
  json_check 'd["status"] == "active" and d["issued_by"] == "pebble"'
done

step "renew: the warning stays with each renewed item; the run succeeds"
# pebble reuses a valid authorization about once in a hundred orders even with
# PEBBLE_AUTHZREUSE=0; such an order presents nothing, so has nothing to clean up. A renewal in
# which both orders presented is what this step needs: try up to three times.
for attempt in 1 2 3; do
  expect_ok certctl renew --force --json
  [[ "$ERR" == *"warning: one: cleaning"* && "$ERR" == *"warning: two: cleaning"* ]] && break
done
json_check '[(i["name"], i["outcome"]) for i in d["items"]] == [("one", "renewed"), ("two", "renewed")]'
assert_contains "$ERR" "warning: one: cleaning up its challenge failed"
assert_contains "$ERR" "warning: two: cleaning up its challenge failed"

step "a single order's own solver: its cleanup failure fails the order, as before"
# A name never validated before: pebble has no authorization it could reuse (it sometimes reuses
# one even with PEBBLE_AUTHZREUSE=0), so this order must present, and so must clean up.
expect_ok certctl create three --domain three.batch.example.test --ca pebble
expect_ok certctl csr three
expect_exit 8 certctl issue three --dns "exec:$TEST_TMP/hook.sh"
assert_contains "$ERR" "zone is read-only"
